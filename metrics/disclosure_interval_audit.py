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

Each pinned count has two sides, its lower and its upper bound, and the attack records
the relation that gave each (metrics.disclosure_interval_attack `lower_by`, `upper_by`);
a side the row started with (0, or the threshold, which the attacker is told a small
hidden count is below) cannot be widened. Hiding a shown row of a relation widens that
row's count from ±2 to [0, ∞) (an exact 8 or more is not small), which breaks the bound the
relation gave: so, of the two sides, the one whose relation loses least is broken by
hiding that relation's shown row that loses least, as the complementary passes choose it
(metrics.disclosure ORDER_SQL `class`, then the row key). Where that relation has no shown
row left (its other members are hidden but narrowed by other relations), the side of each
of them that gave the bound is broken in turn, up to MAXIMUM_DEPTH relations away. A row
that is a board value (an area's or the system's whole population, or any system row) is
gone around where either side can be broken without one. A row chosen for several pinned
counts is hidden once. The attack runs again, and the whole repeats until no small count
is pinned (or no row is found to hide: bench/disclosure.py would report what stays pinned).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from metrics.disclosure_interval_attack import MAXIMUM_ROUNDS, IntervalAttack, attack_rows
from metrics.registry import METHODS
from wholesystem.errors import UserError

# What the attack needs of each rounded row of `suppression` (those `exact_counts` holds),
# in row key order: the rounded counts that will be published and the exact ones, which
# only decide which relations hold. The values are joined on their row number (`value_row`,
# which publish carries into `suppression`) rather than their six keys, and the method is
# read as an enumeration (a pandas category) rather than as text: at 5.8 million patients
# the read's peak fell from 1,511 to 985 MB, the frame from 121 to 42 MB, and it took 0.85 s
# instead of 1.26 (bench/RESULTS.md, "Publish at scale").
ROWS_SQL = """
SELECT s.row_key, CAST(v.method AS {methods}) AS method, v.numerator, v.denominator,
       s.suppressed, e.numerator AS exact_numerator, e.denominator AS exact_denominator
FROM suppression s
JOIN indicator_values v ON v.value_row = s.value_row
JOIN exact_counts e
  ON e.metric_id = s.metric_id AND e.period_type = s.period_type
 AND e.period_start = s.period_start AND e.level = s.level AND e.org_code = s.org_code
 AND e.segment = s.segment
ORDER BY s.row_key
""".format(methods=f"ENUM({', '.join(repr(method) for method in METHODS)})")
NONE = np.iinfo(np.int64).max
# How far from a pinned count the audit looks, through relations with no shown row left.
MAXIMUM_DEPTH = 4
# ORDER_SQL's class of an area's whole population (level 4 × 4 + 2, a longer period): from
# it up, the values on the board (and every system row), which the audit goes around when
# another relation can be widened instead.
BOARD_CLASS = 18


def audit_intervals(connection, rows, threshold: int) -> int:
    """Hides rows of `rows` (metrics.disclosure.Rows, over the workspace's `suppression`,
    with only the relations of the rounded indicators) until the interval attack pins no
    small count; returns the last pass. Only the rounded rows are read and attacked: at 10
    million spells all rows' frame more than doubled the publish's peak memory. The whole
    relations of `rows` are let go once the rounded rows' are taken (its flags are kept)."""
    frame = connection.execute(ROWS_SQL).df()
    keys = frame.pop("row_key").to_numpy()
    frame.attrs["threshold"] = threshold
    part = _columns(rows, keys)
    # Nothing reads the whole relations again (metrics.disclosure stores the flags alone).
    rows.members = rows.matrix = None
    last = hide_until_unpinned(frame, part)
    rows.hidden[keys], rows.changed_in[keys] = part.hidden, part.changed_in
    return last


def _columns(rows, keys: np.ndarray):
    """`rows` over the rows `keys` only (sorted), every relation of them within those, by
    their coefficients alone (the attack reads no `members`)."""
    return dataclasses.replace(
        rows, members=None, matrix=rows.matrix[:, keys],
        primary=rows.primary[keys], hidden=rows.hidden[keys], changed_in=rows.changed_in[keys],
        classes=rows.classes[keys],
    )  # fmt: skip


def hide_until_unpinned(frame: pd.DataFrame, rows, this_pass: int = 0) -> int:
    """Hides rows of `rows` until the attack on `frame` (its rows, in row key order: ROWS_SQL's
    columns, the threshold in `attrs`) pins no small count; returns the last pass."""
    found, chosen = None, None
    while True:
        frame["suppressed"] = rows.hidden
        # After the first pass, only the connected sets of relations that gained a hidden
        # row are narrowed again (attack_rows): the same bounds, in a fraction of the time.
        found = attack_rows(frame, rows.matrix, found, chosen)
        chosen = unpinning_rows(found, rows.classes)
        if not len(chosen):
            _refuse_if_pinned(found)
            return this_pass
        this_pass += 1
        rows.hide(chosen, this_pass)


def _refuse_if_pinned(found: IntervalAttack) -> None:
    """Fails the publish (nothing is written) when small counts are still pinned but no
    shown row is left to hide: a snapshot that gives counts away must not be published."""
    pinned = sum(int(_small_pinned(found, name).sum()) for name in ("numerator", "denominator"))
    if max(found.numerator.rounds, found.denominator.rounds) >= MAXIMUM_ROUNDS:
        raise UserError(
            f"the HES rule's audit stopped after {MAXIMUM_ROUNDS} rounds without settling "
            "which counts can be worked out; nothing was published "
            "(publish with WHOLESYSTEM_DISCLOSURE_RULE=complementary)"
        )
    if pinned:
        raise UserError(
            f"the HES rule's audit could not stop {pinned} counts from 1 to "
            f"{found.rows.attrs['threshold']} being worked out; nothing was published "
            "(publish with WHOLESYSTEM_DISCLOSURE_RULE=complementary)"
        )


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
                chosen |= sides.least_breaking(row)
    return np.array(sorted(chosen), dtype=np.int64)


def _small_pinned(found: IntervalAttack, quantity: str) -> np.ndarray:
    """Rows whose `quantity` is itself pinned to a value from 1 to the threshold."""
    value = getattr(found, quantity).lower
    threshold = int(found.rows.attrs["threshold"])
    return found.pinned(quantity) & (value >= 1) & (value <= threshold)


class Sides:
    """The relations of one quantity at the attack's bounds: the relation that gave each
    side of each row's bounds, and the shown row of each relation that loses least."""

    def __init__(self, bounds, hidden: np.ndarray, classes: np.ndarray):
        relations = bounds.relations  # in canonical order: by relation, then row
        self.relation, self.row = relations.row, relations.col
        self.coefficient = relations.data
        self.by_relation = _starts(self.relation, relations.shape[0])
        self.reasons = (bounds.lower_by, bounds.upper_by)
        self.size, self.hidden = len(hidden), hidden
        self.cheapest = np.full(relations.shape[0], NONE)  # class × rows + row key
        key = classes[self.row].astype(np.int64) * self.size + self.row  # int32 would wrap
        order = np.where(hidden[self.row], NONE, key)
        starts = self.by_relation[:-1]
        filled = starts < self.by_relation[1:]
        self.cheapest[filled] = np.minimum.reduceat(order, starts[filled])

    def least_breaking(self, pinned: int) -> set[int]:
        """The rows to hide to break a side of `pinned`'s bounds: the side that loses
        least, going around board values if either side can, else through them."""
        attempts = [(side, True) for side in self.sides(pinned)]
        attempts += [(side, False) for side in self.sides(pinned)]
        for side, avoid_board in attempts:
            chosen = self.breaking(pinned, side, avoid_board)
            if chosen:
                return chosen
        return set()

    def breaking(self, pinned: int, side: int, avoid_board: bool) -> set[int]:
        """The rows to hide to break `side` of `pinned`'s bounds (the module docstring);
        with `avoid_board`, a relation whose cheapest shown row is a board value is
        treated as one without a shown row."""
        work = [(pinned, side)]
        chosen, seen = set(), set(work)
        for _ in range(MAXIMUM_DEPTH):
            following = []
            for row, side in work:
                relation = self.reasons[side][row]
                if relation < 0:  # where the row started: nothing to widen
                    continue
                cheapest = self.cheapest[relation]
                if cheapest < NONE and not (avoid_board and self.on_board(cheapest)):
                    chosen.add(int(cheapest % self.size))
                    continue
                for member_side in self.behind(relation, row, side):
                    if member_side not in seen:
                        seen.add(member_side)
                        following.append(member_side)
            work = following
        return chosen

    def on_board(self, cheapest: int) -> bool:
        """Whether the row of a `cheapest` order is a value of an area's or the system's
        whole population, or any system row (ORDER_SQL class BOARD_CLASS or more)."""
        return cheapest // self.size >= BOARD_CLASS

    def sides(self, row: int) -> list[int]:
        """The sides (0 lower, 1 upper) that a relation gave, the one whose relation loses
        least by hiding its cheapest shown row first (one without counts as the dearest;
        the lower on a tie); never a side where the row started (the threshold the
        attacker is told, or 0)."""
        reasons = [self.reasons[side][row] for side in (0, 1)]
        costs = sorted(
            (self.cheapest[reason], side) for side, reason in enumerate(reasons) if reason >= 0
        )
        return [side for _, side in costs]

    def behind(self, relation: int, row: int, side: int) -> list[tuple[int, int]]:
        """The other hidden members of `relation`, each with the side of its bounds that
        gives `row`'s `side` through it (the same side for a member of the opposite sign),
        where another relation gave that side (else it is where the member started)."""
        entries = np.arange(self.by_relation[relation], self.by_relation[relation + 1])
        own = self.coefficient[entries][self.row[entries] == row][0]
        found = []
        for member, coefficient in zip(self.row[entries], self.coefficient[entries], strict=True):
            member_side = 1 - side if coefficient * own > 0 else side
            reason = self.reasons[member_side][member]
            if member != row and self.hidden[member] and reason >= 0 and reason != relation:
                found.append((int(member), member_side))
        return found


def _starts(sorted_keys: np.ndarray, count: int) -> np.ndarray:
    """Where each key from 0 to `count` − 1 starts in `sorted_keys` (and where they end)."""
    return np.searchsorted(sorted_keys, np.arange(count + 1))
