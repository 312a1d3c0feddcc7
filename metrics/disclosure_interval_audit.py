"""The HES rule's interval audit: hides more rows until no small count is pinned.

Under the HES rule (metrics.disclosure_rounding) the counts published are rounded to the
nearest 5 and there are no complementary passes, but where several relations meet, their
±2 windows can close on one value (metrics.disclosure_interval_attack). After primary
suppression, and before the snapshot is written, the interval attack is run on the
workspace's rows: the rounded counts that will be published, the rows suppressed so far,
and the relations that hold exactly in the exact counts (`exact_counts`), just as the
attack on the snapshot judges them. A suppressed count is pinned when its bounds meet on
one value (a mean population: within half a person); pinned from 1 to the threshold, it
is given away, as is a proportion's complement in that range with both counts pinned.

Each pinned count has two sides, each held by the relations whose bound alone, given the
others' bounds, reaches it: its lower bound, and its upper bound (or the threshold, which
the attacker is told a small hidden count is below; that side cannot be broken). Hiding a
shown row of a relation widens that row's count from ±2 to [0, ∞) (an exact 8 or more is
not small), which breaks the relation's bound: so the side held by fewer relations is
broken, by hiding the shown row of each of its relations that loses least, as the
complementary passes choose it (metrics.disclosure ORDER_SQL `class`, then the row key).
A row chosen for several pinned counts is hidden once. The attack runs again, and the
whole repeats until no small count is pinned. Where a side's relations have no shown row
left (their other members are hidden but themselves narrowed), the shown rows of every
relation of the pinned count are the candidates instead; when there are none either, the
audit stops (the count stays pinned: bench/disclosure.py reports it).
"""

from __future__ import annotations

import numpy as np

from metrics.disclosure_interval_attack import EPSILON, IntervalAttack, attack_rows, member_bounds

# What the attack needs of each row of `suppression`, in row key order: the rounded counts
# that will be published and the exact ones, which only decide which relations hold.
ROWS_SQL = """
SELECT s.row_key, v.method, v.numerator, v.denominator, s.suppressed,
       e.numerator AS exact_numerator, e.denominator AS exact_denominator
FROM suppression s
JOIN indicator_values v USING (metric_id, period_type, period_start, level, org_code, segment)
JOIN exact_counts e USING (metric_id, period_type, period_start, level, org_code, segment)
ORDER BY s.row_key
"""
NONE = np.iinfo(np.int64).max
# How far from a pinned count the audit looks, through relations with no shown row left.
MAXIMUM_DEPTH = 4
# ORDER_SQL's class of an area's whole population (level 4 × 4 + 2, a longer period): from
# it up, the values on the board (and every system row), which the audit goes around when
# another relation can be widened instead.
BOARD_CLASS = 18


def audit_intervals(connection, rows, threshold: int, this_pass: int = 0) -> int:
    """Hides rows of `rows` (metrics.disclosure.Rows) until the interval attack pins no
    small count; returns the last pass."""
    frame = connection.execute(ROWS_SQL).df()
    frame.attrs["threshold"] = threshold
    while True:
        frame["suppressed"] = rows.hidden
        chosen = unpinning_rows(attack_rows(frame, rows.matrix), rows.classes)
        if not len(chosen):
            return this_pass
        this_pass += 1
        rows.hide(chosen, this_pass)


def unpinning_rows(found: IntervalAttack, classes: np.ndarray) -> np.ndarray:
    """The shown rows to hide so that each small count pinned now is pinned no longer by
    the relations that pin it (the module docstring)."""
    hidden = found.rows["suppressed"].to_numpy(dtype=bool)
    numerator, denominator = (_small_pinned(found, name) for name in ("numerator", "denominator"))
    # A proportion's complement (both counts pinned) is broken through its numerator.
    complement = found.small_counts & ~numerator & ~denominator
    targets = {"numerator": numerator | complement, "denominator": denominator}
    chosen = set()
    for quantity, pinned in targets.items():
        if pinned.any():
            sides = Sides(getattr(found, quantity), hidden, classes)
            for row in np.flatnonzero(pinned):
                chosen |= sides.breaking(row, avoid_board=True) or sides.breaking(row)
    return np.array(sorted(chosen), dtype=np.int64)


def _small_pinned(found: IntervalAttack, quantity: str) -> np.ndarray:
    """Rows whose `quantity` is itself pinned to a value from 1 to the threshold."""
    value = getattr(found, quantity).lower
    threshold = int(found.rows.attrs["threshold"])
    return found.pinned(quantity) & (value >= 1) & (value <= threshold)


class Sides:
    """The relations of one quantity at the attack's bounds: which relation holds which
    side of which member's bounds, and the shown row of each relation that loses least."""

    def __init__(self, bounds, hidden: np.ndarray, classes: np.ndarray):
        relations = bounds.relations
        order = np.lexsort((relations.col, relations.row))
        self.relation, self.row = relations.row[order], relations.col[order]
        self.coefficient = relations.data[order]
        self.held = _holding_sides(bounds)[order]
        self.by_relation = _starts(self.relation, relations.shape[0])
        self.by_row_order = np.argsort(self.row, kind="stable")
        self.by_row = _starts(self.row[self.by_row_order], len(hidden))
        rank = np.where(hidden[self.row], NONE, classes[self.row].astype(np.int64))
        self.cheapest = np.full(relations.shape[0], NONE)  # class × rows + row key
        np.minimum.at(self.cheapest, self.relation, np.where(
            rank < NONE, rank * len(hidden) + self.row, NONE))  # fmt: skip
        self.size, self.hidden = len(hidden), hidden

    def breaking(self, pinned: int, avoid_board: bool = False) -> set[int]:
        """The rows to hide to break a side of `pinned`'s bounds (the module docstring);
        with `avoid_board`, a relation whose cheapest shown row is a board value is
        treated as one without a shown row."""
        work = [(pinned, self.weaker_side(pinned), -1)]
        chosen, seen = set(), {work[0][:2]}
        for _ in range(MAXIMUM_DEPTH):
            following = []
            for row, side, came_from in work:
                for relation in self.holding(row, side, came_from):
                    cheapest = self.cheapest[relation]
                    if cheapest < NONE and not (avoid_board and self.on_board(cheapest)):
                        chosen.add(int(cheapest % self.size))
                        continue
                    for member, member_side in self.behind(relation, row, side):
                        if (member, member_side) not in seen:
                            seen.add((member, member_side))
                            following.append((member, member_side, relation))
            work = following
        return chosen

    def on_board(self, cheapest: int) -> bool:
        """Whether the row of a `cheapest` order is a value of an area's or the system's
        whole population, or any system row (ORDER_SQL class BOARD_CLASS or more)."""
        return cheapest // self.size >= BOARD_CLASS

    def holding(self, row: int, side: int, came_from: int = -1) -> np.ndarray:
        """The relations that hold `side` (0 lower, 1 upper) of `row`'s bounds."""
        entries = self.by_row_order[self.by_row[row] : self.by_row[row + 1]]
        entries = entries[self.held[entries, side]]
        return self.relation[entries][self.relation[entries] != came_from]

    def weaker_side(self, row: int) -> int:
        """The side whose relations lose least when each hides its cheapest shown row
        (a relation without one counts as the dearest), then the one held by fewer; never
        a side that no relation holds (the threshold the attacker is told, or 0)."""
        costs = []
        for side in (0, 1):
            relations = self.holding(row, side)
            dearest = self.cheapest[relations].max(initial=-1) // self.size
            costs.append((not len(relations), dearest, len(relations), side))
        return min(costs)[-1]

    def behind(self, relation: int, row: int, side: int) -> list[tuple[int, int]]:
        """The other hidden members of `relation`, each with the side of its bounds that gives
        `row`'s `side` through it (the same side for a member of the opposite sign), when
        a relation holds that side (else it is where the member starts, and cannot widen)."""
        entries = np.arange(self.by_relation[relation], self.by_relation[relation + 1])
        own = self.coefficient[entries][self.row[entries] == row][0]
        found = []
        for member, coefficient in zip(self.row[entries], self.coefficient[entries], strict=True):
            member_side = 1 - side if coefficient * own > 0 else side
            hidden = self.hidden[member]
            if member != row and hidden and len(self.holding(member, member_side, relation)):
                found.append((int(member), member_side))
        return found


def _starts(sorted_keys: np.ndarray, count: int) -> np.ndarray:
    """Where each key from 0 to `count` − 1 starts in `sorted_keys` (and where they end)."""
    return np.searchsorted(sorted_keys, np.arange(count + 1))


def _holding_sides(bounds) -> np.ndarray:
    """For each entry of the relations, whether its relation alone reaches the member's
    lower bound (column 0) and its upper bound (column 1)."""
    relations = bounds.relations
    member_low, member_high = member_bounds(relations, bounds.lower, bounds.upper)
    whole = bounds.whole[relations.col]
    member_low = np.where(whole, np.ceil(member_low - EPSILON), member_low)
    member_high = np.where(whole, np.floor(member_high + EPSILON), member_high)
    lower_held = member_low >= bounds.lower[relations.col] - EPSILON
    upper_held = member_high <= bounds.upper[relations.col] + EPSILON
    return np.column_stack([lower_held, upper_held])
