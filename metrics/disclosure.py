"""Disclosure control: which published rows must be shown as `*`.

Primary suppression: a numerator or denominator (a count of people or events) from 1 to
the threshold (7 by default), or, for a proportion, a complement (denominator − numerator)
in that range.

Complementary suppression stops a suppressed count being worked out from the published
ones. Every relation a reader can add up (metrics.disclosure_relations: a parent org and
its children, the whole population and a partition's segments, a period and its months, a
financial year and its quarters or board periods) is a set of rows whose counts add up to
zero with signs; where exactly one row of a relation is hidden, it is the sum of the others,
so one more row of that relation is hidden: the one that loses least (the lowest level, a
segment rather than the whole population, a longer period rather than a month, a row that
also closes another such relation, the smallest count). That repeats until no relation has
exactly one hidden row. Relations are then solved together as an attacker would
(metrics.disclosure_audit); a primary count still determined by a combination of relations
has one more row hidden in each relation it is in (every shown row of them, if it is still
determined after a round), and the whole repeats until none is, or until no shown row is
left in those relations.

Under the HES rule (each indicator's rule, metrics.registry DISCLOSURE_RULES: by default
the board's Northumbria group; the setting `disclosure_rule` sets every indicator's, and
`[indicators.<id>] disclosure_rule` one's) an indicator's counts are rounded to the nearest
5 before its values are computed (metrics.disclosure_rounding): primary suppression judges
the exact counts, complementary suppression is not run on its relations, and the interval
audit (metrics.disclosure_interval_audit) hides more rows only where the rounded counts'
bounds pin a small count to one value. Relations never join two indicators, so each
indicator's rows are controlled by its own rule alone.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from metrics.disclosure_audit import determined, relation_matrix
from metrics.disclosure_interval_audit import audit_intervals
from metrics.disclosure_relations import build_relations
from metrics.disclosure_rounding import exact_values

LEVELS_UPWARDS = "['practice', 'network', 'locality', 'area', 'system']"

# Row keys number the rows, indicator by indicator, in an order of their own values that
# decides ties when one more row of a relation must be hidden (after `class`, below): the
# smallest count, then the first org code, segment and period. The rows of a relation are
# all of one indicator, so this orders them completely, and the choice never depends on
# the order in which DuckDB's threads produce the rows. (Numbering within each indicator
# lets the threads sort the indicators apart.)
PRIMARY_SQL = """
CREATE OR REPLACE TABLE suppression AS
SELECT *, CASE WHEN suppressed THEN 0 END AS changed_in, suppressed AS primary_suppressed
FROM (
    SELECT (first_key + row_number() OVER (
               PARTITION BY metric_id
               ORDER BY coalesce(numerator, 0), org_code, segment, period_type, period_start,
                        level) - 1)::BIGINT AS row_key,
           metric_id, period_type, period_start, level, org_code, segment, parent_code,
           numerator, accumulate{carried}, list_position({levels}, level) AS level_rank,
           coalesce(numerator BETWEEN 1 AND $threshold
                    OR (denominator_is_count AND denominator BETWEEN 1 AND $threshold)
                    OR (method = 'proportion' AND denominator - numerator BETWEEN 1 AND $threshold),
                    false) AS suppressed
    FROM {source}
    JOIN (
        SELECT metric_id, coalesce(sum(count(*)) OVER (
                   ORDER BY metric_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
                   AS first_key
        FROM indicator_values GROUP BY metric_id
    ) USING (metric_id)
)
"""

# Which visible row of a relation loses least when one more must be hidden: the lowest
# level, then a segment before the whole population, then a longer period before a month
# (a month is also a point of an SPC series): `class`, smaller first; then, in the
# complementary passes, a row that is also in other relations with one hidden row (it
# closes them too); then the row key (above).
ORDER_SQL = """
SELECT row_key, primary_suppressed,
       level_rank * 4 + (segment = 'all')::INTEGER * 2 + (period_type = 'month')::INTEGER
           AS class
FROM suppression
"""
# Above every order of preference: a row that cannot be chosen.
NONE = np.iinfo(np.int64).max

STORE_SQL = """
UPDATE suppression s SET suppressed = true, changed_in = c.changed_in
FROM disclosure_changes c WHERE s.row_key = c.row_key
"""


@dataclass
class Rows:
    """The rows (indexed by row key) and their relations, as disclosure control goes on."""

    members: sparse.csr_matrix  # relations × rows, 1 where a row is in a relation
    matrix: sparse.csr_matrix  # relations × rows, the coefficients
    primary: np.ndarray
    hidden: np.ndarray
    changed_in: np.ndarray  # the pass that hid a row (0: primary), −1 if shown
    classes: np.ndarray  # ORDER_SQL's class of each row

    def cheapest(self, relations: np.ndarray, bonus: np.ndarray | None = None) -> np.ndarray:
        """Returns the visible row of each of `relations` that loses least (fewer where a
        relation has none); `bonus`, per row, comes after the class (more is better)."""
        part = self.members[relations]
        rows = part.indices
        size = len(self.hidden)
        kind = self.classes[rows].astype(np.int64)
        if bonus is not None:
            top = int(bonus.max(initial=0))
            kind = kind * (top + 1) + top - bonus[rows]
        order = np.where(self.hidden[rows], NONE, kind * size + rows)
        least = np.minimum.reduceat(order, part.indptr[:-1]) if len(rows) else order
        return np.unique(least[least < NONE] % size)

    def hide(self, rows: np.ndarray, this_pass: int) -> int:
        """Hides `rows` in pass `this_pass`; returns how many."""
        self.hidden[rows] = True
        self.changed_in[rows] = this_pass
        return len(rows)


def mark_suppressed(
    connection, threshold: int, *, audit: bool = True, rounded: list[str] = (),
    carry: tuple[str, ...] = (),
) -> None:  # fmt: skip
    """Creates the `suppression` table: the row keys and whether each row is suppressed,
    with the columns of `indicator_values` that `carry` names.

    Primary suppression first, then complementary suppression over every relation until
    no relation has exactly one hidden row; then, with `audit`, the relations are solved
    together and any primary count they still determine hides one more row, until none.
    The indicators `rounded` names are under the HES rule, their counts published rounded
    (metrics.disclosure_rounding): primary suppression judges their exact counts, there is
    no complementary suppression in their relations, and their `audit` is the interval
    audit (metrics.disclosure_interval_audit).
    """
    source = exact_values(connection) if rounded else "indicator_values"
    carried = "".join(f", {column}" for column in carry)
    sql = PRIMARY_SQL.format(levels=LEVELS_UPWARDS, source=source, carried=carried)
    connection.execute(sql, {"threshold": threshold})
    build_relations(connection, "suppression")
    rows = _load(connection)
    exact, rounding = _by_rule(connection, rows, rounded)
    if exact is not None:
        this_pass = _close_relations(exact, 0)
        if audit:
            _audit(exact, this_pass)
    if rounding is not None and audit:
        audit_intervals(connection, rounding, threshold)
    _store(connection, rows)
    # A temp table, held in memory (840 MB at 10 million spells) that the snapshot's sort
    # would otherwise have to spill around.
    connection.execute("DROP TABLE relation_members")


def _load(connection) -> Rows:
    """Reads the rows' flags, order of preference and relations."""
    found = connection.execute(ORDER_SQL).fetchnumpy()
    members = connection.execute(
        "SELECT relation, row_key, coefficient FROM relation_members"
    ).fetchnumpy()
    size = len(found["row_key"])
    primary = np.zeros(size, dtype=bool)
    primary[found["row_key"]] = found["primary_suppressed"]
    classes = np.zeros(size, dtype=np.int32)
    classes[found["row_key"]] = found["class"]
    matrix = relation_matrix(members["relation"], members["row_key"], members["coefficient"], size)
    changed_in = np.where(primary, 0, -1)
    pattern = abs(matrix).astype(np.int32)
    return Rows(pattern, matrix, primary, primary.copy(), changed_in, classes)


def _by_rule(connection, rows: Rows, rounded: list[str]) -> tuple[Rows | None, Rows | None]:
    """`rows` with only the relations of exact indicators, and with only those of the
    `rounded` ones (None where no indicator is under that rule). Both share `rows`' flags, so
    a row hidden through either is hidden in `rows`; a relation joins rows of one indicator."""
    if not rounded:
        return rows, None
    keys = connection.execute(
        "SELECT row_key FROM suppression WHERE list_contains($rounded, metric_id)",
        {"rounded": list(rounded)},
    ).fetchnumpy()["row_key"]
    if len(keys) == len(rows.hidden):  # every indicator rounded
        return None, rows
    in_rounded = rows.members @ _indicator(keys, len(rows.hidden)) > 0
    exact = _with_relations(rows, np.flatnonzero(~in_rounded))
    rounding = _with_relations(rows, np.flatnonzero(in_rounded))
    # The parts hold every relation between them: the whole is let go (at 10 million
    # spells, two copies of the relation matrices set the publish's peak memory).
    rows.members = rows.matrix = None
    return exact, rounding


def _with_relations(rows: Rows, relations: np.ndarray) -> Rows:
    """`rows` with only `relations` (sharing its flags, which hiding changes in place)."""
    return dataclasses.replace(rows, members=rows.members[relations], matrix=rows.matrix[relations])


def _close_relations(rows: Rows, this_pass: int) -> int:
    """Runs complementary passes until no relation has exactly one hidden row: in each,
    every relation with exactly one hidden row has its cheapest visible row hidden, a row
    that also closes other such relations first."""
    transposed = rows.members.T.tocsr()
    hidden_in = rows.members @ rows.hidden.astype(np.int32)  # hidden rows per relation
    while True:
        this_pass += 1
        lonely = np.flatnonzero(hidden_in == 1)
        # Counted over these relations' members, and below over the relations of the rows
        # just hidden: a product with the whole matrix each pass cost most of the passes.
        open_relations = _counts(rows.members[lonely].indices, len(rows.hidden))
        chosen = rows.cheapest(lonely, open_relations)
        if not rows.hide(chosen, this_pass):
            return this_pass
        hidden_in += _counts(transposed[chosen].indices, len(hidden_in))


def _counts(keys: np.ndarray, size: int) -> np.ndarray:
    """Returns how many times each number from 0 to `size` − 1 is in `keys`."""
    return np.bincount(keys, minlength=size).astype(np.int32)


def _audit(rows: Rows, this_pass: int) -> None:
    """Hides more rows until the relations solved together determine no primary count."""
    before = None
    for rounds in itertools.count(1):
        found = determined(rows.matrix, rows.hidden, before)
        before = (rows.hidden.copy(), found)
        exposed = np.flatnonzero(found & rows.primary)
        if not len(exposed):
            return
        this_pass += 1
        # A primary row can be given away through complementary rows beside it that are
        # themselves determined: those are as good as shown, so their relations count too.
        keys = np.union1d(exposed, np.flatnonzero(found & _beside(rows.members, exposed)))
        relations = np.flatnonzero(rows.members @ _indicator(keys, len(rows.hidden)))
        # The first round hides the cheapest row of each relation of those; a row still
        # given away after that (rare) has every shown row of its relations hidden.
        if rounds == 1:
            chosen = rows.cheapest(relations)
        else:
            chosen = np.unique(rows.members[relations].indices)
            chosen = chosen[~rows.hidden[chosen]]
        if not rows.hide(chosen, this_pass):
            # No shown row is left in these relations: looking further out would blank
            # whole series (it did: 225 headline values), so stop here.
            return
        this_pass = _close_relations(rows, this_pass)


def _indicator(keys: np.ndarray, size: int) -> np.ndarray:
    """Returns 1 at `keys` and 0 elsewhere, for counting with the relation matrix."""
    chosen = np.zeros(size, dtype=np.int32)
    chosen[keys] = 1
    return chosen


def _beside(members: sparse.csr_matrix, keys: np.ndarray) -> np.ndarray:
    """Returns, for every row, whether it shares a relation with any of `keys`."""
    relations = np.flatnonzero(members @ _indicator(keys, members.shape[1]))
    beside = np.zeros(members.shape[1], dtype=bool)
    beside[members[relations].indices] = True
    return beside


def _store(connection, rows: Rows) -> None:
    """Writes the rows hidden by complementary suppression into `suppression`."""
    changed = np.flatnonzero(rows.changed_in > 0)
    frame = pd.DataFrame({"row_key": changed, "changed_in": rows.changed_in[changed]})
    connection.register("disclosure_changes", frame)
    try:
        connection.execute(STORE_SQL)
    finally:
        connection.unregister("disclosure_changes")
