"""Plays the attacker against a snapshot published under the HES rule, with intervals.

With every count rounded to the nearest 5 (metrics.disclosure_rounding), the relations of
metrics.disclosure_relations no longer hold exactly in the published counts, so solving
them (metrics.disclosure_attack) recovers nothing; but they still bound the suppressed
counts. The attacker starts from what each row says of its exact count:

- a shown count c stands for one in [c − 2, c + 2] (a mean population, not whole, in
  [c − 2.5, c + 2.5]), less the counts primary suppression would have hidden: a shown 0 is
  exactly 0, and a shown 10 is 8 to 12 when the threshold is 7;
- a suppressed count is in [0, threshold] when it is small (the attacker is told this,
  which is more than a reader sees: a row may be hidden for its denominator), else in
  [0, ∞).

Then, over every relation that holds in the exact counts, each member's bounds are
narrowed to what the others' bounds allow (a total lies between the sums of its parts'
bounds; a part between the total's bounds less the others'), whole counts to whole
numbers, until nothing changes. A suppressed count whose bounds meet is pinned: worked out
exactly. The relations used are those that hold in the exact counts: given `exact`, a
snapshot of the same data under the default rule (whose counts are exact), those that hold
exactly there, as metrics.disclosure_attack checks them; else those whose rounded counts
(of every member, hidden ones too) add up within what rounding explains. The second may
take a relation that does not hold (care home admissions counted only at area level, people
of unknown age), which narrows bounds wrongly: `contradictions` counts the rows whose
bounds then crossed, and the attack is only sound when it is 0. Used by the HES tests,
bench/disclosure.py, and the HES rule's interval audit (metrics.disclosure_interval_audit),
which runs `attack_rows` on the publish workspace's rows.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from metrics.disclosure_attack import holding_exactly, read_published, relations_under
from metrics.disclosure_audit import connected_sets

# How far a published count may be from its exact one: 2 for a whole count rounded to 5,
# 2.5 for a mean population (person-months / months, not whole).
WHOLE_SLACK = 2.0
MEAN_SLACK = 2.5
MAXIMUM_ROUNDS = 500
EPSILON = 1e-9


@dataclass(frozen=True)
class Bounds:
    """What the attacker worked out of one quantity (numerator or denominator), per row."""

    lower: np.ndarray
    upper: np.ndarray
    counted: np.ndarray  # the quantity is a count of this row (not a sum of scores, not NULL)
    whole: np.ndarray  # the quantity is a whole number (not a mean population)
    relations: sparse.coo_matrix  # the relations used (holding in the exact counts)
    rounds: int  # rounds of narrowing until nothing changed (MAXIMUM_ROUNDS: stopped there)
    # The relation (an index of `relations`) that last raised each row's lower bound, and
    # lowered its upper bound: −1 where the bound is where the row started.
    lower_by: np.ndarray
    upper_by: np.ndarray
    # Each row's connected set of `relations` (rows that no relation links are sets alone):
    # bounds never move from one set to another.
    sets: np.ndarray


@dataclass(frozen=True)
class IntervalAttack:
    """The bounds the attacker reached, over `rows` (metric_id, ..., suppressed)."""

    rows: pd.DataFrame
    numerator: Bounds
    denominator: Bounds

    @property
    def judged(self) -> np.ndarray:
        """The rows whose counts are rounded: where the snapshot rounds some indicators'
        only (`attrs["rounded"]`, metrics.disclosure_attack.read_published), theirs; the
        others' counts are exact, in no relation used here, and judged by the exact attack."""
        rounded = self.rows.attrs.get("rounded")
        if not rounded:
            return np.ones(len(self.rows), dtype=bool)
        return self.rows["metric_id"].isin(rounded).to_numpy()

    def pinned(self, quantity: str) -> np.ndarray:
        """Suppressed rows (of `judged`) whose `quantity` the attacker pinned to one value."""
        bounds = getattr(self, quantity)
        hidden = self.rows["suppressed"].to_numpy(dtype=bool) & self.judged
        return hidden & bounds.counted & (bounds.upper - bounds.lower < 0.5)

    @property
    def small_counts(self) -> np.ndarray:
        """Suppressed rows with a count pinned to one that primary suppression hides: a
        numerator or count denominator from 1 to the threshold, or a proportion's complement
        (both pinned) in that range. (A count pinned to 0, such as the part of a shown 0
        total, is not one: 0 is published under either rule.)"""
        threshold = int(self.rows.attrs["threshold"])
        value = {name: getattr(self, name).lower for name in ("numerator", "denominator")}
        small = {name: (v >= 1) & (v <= threshold) for name, v in value.items()}
        complement = value["denominator"] - value["numerator"]
        both = self.pinned("numerator") & self.pinned("denominator")
        proportion = (self.rows["method"] == "proportion").to_numpy()
        return (
            (self.pinned("numerator") & small["numerator"])
            | (self.pinned("denominator") & small["denominator"])
            | (both & proportion & (complement >= 1) & (complement <= threshold))
        )

    def contradictions(self, quantity: str) -> int:
        """Rows (of `judged`) whose bounds crossed (a relation used that does not hold): 0 if
        all held."""
        bounds = getattr(self, quantity)
        return int(((bounds.lower > bounds.upper + EPSILON) & self.judged).sum())


KEYS = ["metric_id", "period_type", "period_start", "level", "org_code", "segment"]


def interval_attack(snapshot: str, exact: str | None = None) -> IntervalAttack:
    """Returns the bounds that the relations give every count of the snapshot file; with
    `exact`, a default-rule snapshot of the same data, only relations holding there. Where
    the snapshot rounds some indicators' counts only, only their relations are used (the
    others' counts are exact: metrics.disclosure_attack solves their relations)."""
    rows, matrix = read_published(snapshot)
    matrix = relations_under(rows, matrix, rounded=True)
    if exact is not None:
        rows = _with_exact_counts(rows, exact)
    return attack_rows(rows, matrix)


def attack_rows(
    rows: pd.DataFrame, matrix: sparse.csr_matrix,
    earlier: IntervalAttack | None = None, hidden_since: np.ndarray | None = None,
) -> IntervalAttack:  # fmt: skip
    """The attack on `rows` (method, numerator, denominator, suppressed, optionally
    exact_numerator and exact_denominator; the threshold in `attrs`), numbered as the
    columns of `matrix`, the relations × rows coefficients of every relation between them.

    With `earlier`, the attack on the same rows and matrix before the rows `hidden_since`
    (their positions) were hidden: only the connected sets of relations holding one of those rows
    are narrowed again, from their starting bounds; every other set keeps the bounds and
    reasons it reached, which are what narrowing it again would give (the sets never
    exchange bounds), so the result is the same as a whole new attack's."""
    threshold = int(rows.attrs["threshold"])
    # Compared as a column: a category (the interval audit's) is compared by its codes.
    method = rows["method"]
    counted = {
        "numerator": (method != "mean").to_numpy(),  # a mean's numerator is a sum of scores
        "denominator": (method != "count").to_numpy(),
    }
    whole = {
        "numerator": np.ones(len(rows), dtype=bool),
        "denominator": ~method.isin(("rate", "dsr")).to_numpy(),  # mean populations are not whole
    }
    # The two quantities are narrowed apart, so side by side: numpy lets go of the GIL in
    # its loops over the entries, and the attack took 7.1-7.3 s instead of 9.2-10.3 over the
    # audit's passes at 10 million spells (1.6 s instead of 2.4-2.5 on the default sample).
    with ThreadPoolExecutor(max_workers=2) as pool:
        narrowing = {
            quantity: pool.submit(
                _narrow, rows, matrix, quantity, counted[quantity], whole[quantity],
                threshold, None if earlier is None else (getattr(earlier, quantity), hidden_since),
            )
            for quantity in ("numerator", "denominator")
        }  # fmt: skip
    return IntervalAttack(rows, narrowing["numerator"].result(), narrowing["denominator"].result())


def _with_exact_counts(rows: pd.DataFrame, exact: str) -> pd.DataFrame:
    """The rows with `exact_numerator` and `exact_denominator` from the snapshot `exact`."""
    exact_rows, _ = read_published(exact)
    renamed = {"numerator": "exact_numerator", "denominator": "exact_denominator"}
    counts = exact_rows[[*KEYS, *renamed]].rename(columns=renamed)
    joined = rows.merge(counts, on=KEYS, how="left", validate="one_to_one")
    joined.attrs = rows.attrs
    return joined


def _narrow(rows, matrix, quantity: str, counted, whole, threshold: int, resume) -> Bounds:
    """The attack on one quantity; `resume` is None, or the earlier attack's bounds of it
    and the rows hidden since (attack_rows)."""
    values = rows[quantity].to_numpy(float)
    counted = counted & ~np.isnan(values)
    hidden = rows["suppressed"].to_numpy(dtype=bool)
    slack = np.where(whole, WHOLE_SLACK, MEAN_SLACK)
    bounds = (*_starting_bounds(values, hidden, slack, threshold),)
    bounds += (np.full(len(values), -1), np.full(len(values), -1))  # lower_by, upper_by
    if resume is None:
        relations = _relations(rows, matrix, quantity, counted, slack)
        _, sets = connected_sets(relations)
        again = np.ones(len(rows), dtype=bool)
    else:
        earlier, hidden_since = resume
        relations, sets = earlier.relations, earlier.sets
        again = np.isin(sets, sets[hidden_since])
        reached = (earlier.lower, earlier.upper, earlier.lower_by, earlier.upper_by)
        for start, end in zip(bounds, reached, strict=True):
            start[~again] = end[~again]
    lower, upper, lower_by, upper_by = bounds
    if again.all():
        rounds = _fixed_point(relations, whole, bounds, again)
    else:
        rounds = _fixed_point_within(relations, whole, bounds, again)
    return Bounds(lower, upper, counted, whole, relations, rounds, lower_by, upper_by, sets)


def _fixed_point(relations, whole, bounds, again) -> int:
    """Narrows `bounds` (lower, upper, lower_by, upper_by) in place over `relations`, from
    those with a member in `again`, until nothing changes; returns the rounds taken."""
    lower, upper, lower_by, upper_by = bounds
    below = -upper  # upper bounds negated, so that both are raised alike
    active = np.zeros(relations.shape[0], dtype=bool)
    active[relations.row[again[relations.col]]] = True
    rounds, changed = 0, True
    while changed and rounds < MAXIMUM_ROUNDS:
        rounds += 1
        # Only the relations with a member whose bounds changed in the round before.
        part = _part(relations, active)
        member_low, member_high = member_bounds(part, lower, -below)
        whole_member = whole[part.col]
        # In place: at 10 million spells each array of the entries is about 70 MB, and the
        # two quantities are narrowed at once (attack_rows).
        member_low[whole_member] = np.ceil(member_low[whole_member] - EPSILON)
        member_high[whole_member] = np.floor(member_high[whole_member] + EPSILON)
        del whole_member
        moved = _raise(part, lower, member_low, lower_by)
        moved |= _raise(part, below, -member_high, upper_by)
        changed = bool(moved.any())
        active[:] = False
        active[relations.row[moved[relations.col]]] = True
    upper[:] = -below
    return rounds


def _fixed_point_within(relations, whole, bounds, again) -> int:
    """_fixed_point over the rows in `again` alone, whole connected sets (no relation
    leaves one), renumbered so that each round costs what they cost, not what all do."""
    rows = np.flatnonzero(again)
    position = np.full(len(again), -1)
    position[rows] = np.arange(len(rows))
    kept = again[relations.col]
    # Renumbered in the same order, so that a tie between relations is settled alike.
    numbers, relation = np.unique(relations.row[kept], return_inverse=True)
    part = sparse.coo_matrix(
        (relations.data[kept], (relation, position[relations.col[kept]])),
        shape=(len(numbers), len(rows)),
    )
    within = [array[rows] for array in bounds]
    rounds = _fixed_point(part, whole[rows], within, np.ones(len(rows), dtype=bool))
    for reason in within[2:]:  # lower_by, upper_by: back to the relations' own numbers
        reason[reason >= 0] = numbers[reason[reason >= 0]]
    for array, narrowed in zip(bounds, within, strict=True):
        array[rows] = narrowed
    return rounds


def _relations(rows, matrix, quantity: str, counted, slack) -> sparse.coo_matrix:
    """The relations the attack uses for `quantity` (the module docstring), in canonical
    order (by relation, then row), which the interval audit relies on."""
    if f"exact_{quantity}" in rows:
        exact = rows[f"exact_{quantity}"].to_numpy(float)
        relations = holding_exactly(matrix, np.where(counted, exact, np.nan)).tocoo()
    else:
        relations = _holding(matrix, rows[quantity].to_numpy(float), counted, slack)
    relations.sum_duplicates()  # sorts, if not sorted already (no relation repeats a row)
    return relations


def _part(relations: sparse.coo_matrix, active: np.ndarray) -> sparse.coo_matrix:
    """The entries of the `active` relations (numbered as in `relations`)."""
    if active.all():
        return relations
    kept = active[relations.row]
    return sparse.coo_matrix(
        (relations.data[kept], (relations.row[kept], relations.col[kept])), relations.shape
    )


def _raise(relations, bound, member_bound, reason) -> np.ndarray:
    """Raises `bound` in place to the highest of its relations' `member_bound`s (an upper
    bound is passed negated), recording in `reason` the relation that raised it; returns
    which rows were raised."""
    # Only the entries at or above a row's bound can raise it or be the relation that gave
    # it (a giver is within EPSILON of the new bound, which is above the old by more): far
    # fewer than all, and ufunc.at, the costliest step of the attack, is slow per entry.
    row = relations.col
    reach = bound[row]
    reach -= EPSILON  # in place: an array of the entries
    near = member_bound > reach
    del reach
    row, member_bound, relation = row[near], member_bound[near], relations.row[near]
    new = bound.copy()
    np.maximum.at(new, row, member_bound)
    raised = new > bound + EPSILON
    giving = raised[row] & (member_bound >= new[row] - EPSILON)
    reason[row[giving]] = relation[giving]
    bound[raised] = new[raised]
    return raised


def _starting_bounds(values, hidden, slack, threshold: int) -> tuple[np.ndarray, np.ndarray]:
    """What each row says of its exact count before any relation (the module docstring):
    a shown 0 is below 1 (exactly 0 when whole), as 1 to the threshold would be hidden."""
    values = np.nan_to_num(values)
    small = values <= threshold
    lower = np.where(hidden, 0.0, np.maximum(values - slack, threshold + EPSILON))
    upper = np.where(hidden, np.where(small, threshold, np.inf), values + slack)
    shown_zero = ~hidden & (values == 0)
    below_one = np.where(slack == WHOLE_SLACK, 0.0, 1 - EPSILON)
    return np.where(shown_zero, 0.0, lower), np.where(shown_zero, below_one, upper)


def _holding(matrix: sparse.csr_matrix, values, counted, slack) -> sparse.csr_matrix:
    """The relations over counted rows whose published counts add up within rounding."""
    uncounted = (abs(matrix) @ (~counted).astype(float)) > 0
    residual = np.abs(matrix @ np.nan_to_num(values))
    allowed = abs(matrix) @ slack + EPSILON
    return matrix[np.flatnonzero((residual <= allowed) & ~uncounted)].tocoo()


def member_bounds(relations: sparse.coo_matrix, lower, upper) -> tuple[np.ndarray, np.ndarray]:
    """The bounds that each relation alone gives each of its members (an entry of
    `relations`), from the others' bounds: sum(coefficient × count) = 0, so a member's term
    is minus the others', which lie between the sums of their terms' bounds. Infinite upper
    bounds are counted apart, so that ∞ − ∞ never arises."""
    relation, row, coefficient = relations.row, relations.col, relations.data
    # Each array here has one value per entry (about 70 MB at 10 million spells), so each is
    # let go once used: the two quantities run this at once (attack_rows).
    finite_upper = upper[row]
    infinite = np.isinf(finite_upper)
    finite_upper[infinite] = 0.0
    positive = coefficient > 0
    member_lower = lower[row]
    # Each member's term a·x lies in [term_low, term_high]; an infinite end counted apart.
    term_low = np.where(positive, member_lower, -finite_upper)
    term_high = np.where(positive, finite_upper, -member_lower)
    del finite_upper, member_lower
    low_infinite, high_infinite = infinite & ~positive, infinite & positive
    del infinite
    size = relations.shape[0]
    sums = {
        name: np.bincount(relation, weights=weights, minlength=size)
        for name, weights in (
            ("low", term_low), ("high", term_high),
            ("low_inf", low_infinite), ("high_inf", high_infinite),
        )
    }  # fmt: skip
    # The others' terms: the relation's sums less this member's own.
    # (as floats: with no entries, bincount's sums are integers)
    others_low = sums["low"][relation].astype(float, copy=False)
    others_low -= term_low
    del term_low
    others_high = sums["high"][relation].astype(float, copy=False)
    others_high -= term_high
    del term_high
    others_low[sums["low_inf"][relation] - low_infinite > 0] = -np.inf
    others_high[sums["high_inf"][relation] - high_infinite > 0] = np.inf
    # a·x = −(others): x in [−others_high, −others_low] when a = +1, [others_low, others_high]
    # when a = −1.
    flipped_low, flipped_high = -others_high[positive], -others_low[positive]
    others_low[positive], others_high[positive] = flipped_low, flipped_high
    return others_low, others_high  # now the members' low and high bounds
