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
"""

from __future__ import annotations

import numpy as np

from metrics.disclosure_audit import determined, relation_matrix
from metrics.disclosure_relations import build_relations

LEVELS_UPWARDS = "['practice', 'network', 'locality', 'area', 'system']"

# Row keys follow the rows' own keys, so that the audit's linear algebra (and so which rows
# it hides) is the same on every run, whatever order DuckDB's threads produce the rows in.
PRIMARY_SQL = """
CREATE OR REPLACE TABLE suppression AS
SELECT *, CASE WHEN suppressed THEN 0 END AS changed_in, suppressed AS primary_suppressed
FROM (
    SELECT (row_number() OVER (ORDER BY metric_id, period_type, period_start, level, org_code,
                               segment) - 1)::BIGINT AS row_key, metric_id, period_type,
           period_start, level, org_code, segment, parent_code, numerator, accumulate,
           list_position({levels}, level) AS level_rank,
           coalesce(numerator BETWEEN 1 AND $threshold
                    OR (denominator_is_count AND denominator BETWEEN 1 AND $threshold)
                    OR (method = 'proportion' AND denominator - numerator BETWEEN 1 AND $threshold),
                    false) AS suppressed
    FROM indicator_values
)
"""

# In every relation with exactly one hidden row, hide the visible row that loses least:
# the lowest level, then a segment before the whole population, then a longer period
# before a month (a month is also a point of an SPC series), then a row that is also in
# other relations with one hidden row (it closes them too), then the smallest count,
# then the first org code, segment and period, so that the choice never depends on order.
# Returns the number of rows changed.
SECONDARY_SQL = """
UPDATE suppression s SET suppressed = true, changed_in = $this_pass
FROM (
    WITH state AS (
        SELECT relation, count(*) FILTER (suppressed) AS hidden
        FROM relation_members JOIN suppression USING (row_key)
        GROUP BY relation
    ),
    lonely AS (
        SELECT row_key, count(*) AS open_relations
        FROM relation_members JOIN state USING (relation)
        WHERE hidden = 1 GROUP BY row_key
    )
    SELECT DISTINCT arg_min(
        row_key,
        {'l': level_rank, 'a': segment = 'all', 'm': period_type = 'month',
         'o': -coalesce(open_relations, 0),
         'n': coalesce(numerator, 0), 'c': org_code, 's': segment, 'p': period_type,
         'd': period_start}
    ) AS pick
    FROM relation_members JOIN state USING (relation) JOIN suppression USING (row_key)
    LEFT JOIN lonely USING (row_key)
    WHERE hidden = 1 AND NOT suppressed
    GROUP BY relation
) chosen
WHERE s.row_key = chosen.pick
"""

CANDIDATES_SQL = """
SELECT DISTINCT m.row_key AS hidden_key, relation, o.row_key AS candidate
FROM relation_members m
JOIN relation_members o USING (relation)
JOIN suppression s ON s.row_key = o.row_key
WHERE m.row_key IN (SELECT unnest($keys)) AND NOT s.suppressed
"""


HIDE_SQL = """
UPDATE suppression s SET suppressed = true, changed_in = $this_pass
FROM ({pick}) chosen
WHERE s.row_key = chosen.pick
"""
# For each exposed row and each relation it is in, the visible row of that relation that
# loses least (as in SECONDARY_SQL): one row per exposed row would do in the end, but takes
# many more rounds of the audit.
HIDE_CHEAPEST_SQL = """
SELECT DISTINCT arg_min(candidate, {{'l': c.level_rank, 'a': c.segment = 'all',
                                     'm': c.period_type = 'month',
                                     'n': coalesce(c.numerator, 0), 'c': c.org_code,
                                     's': c.segment, 'p': c.period_type, 'd': c.period_start}})
    AS pick
FROM ({candidates}) JOIN suppression c ON c.row_key = candidate
GROUP BY hidden_key, relation
"""
HIDE_EVERY_SQL = "SELECT DISTINCT candidate AS pick FROM ({candidates})"


def mark_suppressed(connection, threshold: int, *, audit: bool = True) -> None:
    """Creates the `suppression` table: the row keys and whether each row is suppressed.

    Primary suppression first, then complementary suppression over every relation until
    no relation has exactly one hidden row; then, with `audit`, the relations are solved
    together and any primary count they still determine hides one more row, until none.
    """
    connection.execute(PRIMARY_SQL.format(levels=LEVELS_UPWARDS), {"threshold": threshold})
    build_relations(connection, "suppression")
    this_pass = _close_relations(connection, 0)
    rounds = 0
    while audit:
        exposed, fixed = _exposed_rows(connection)
        if not len(exposed):
            break
        this_pass += 1
        # A primary row can be given away through complementary rows beside it that are
        # themselves determined: those are as good as shown, so their relations count too.
        keys = np.union1d(exposed, np.intersect1d(fixed, _beside(connection, exposed)))
        # The first round hides the cheapest row of each relation; a row still given away
        # after that (rare) has every shown row of its relations hidden, which ends it.
        rounds += 1
        hiding = HIDE_CHEAPEST_SQL if rounds == 1 else HIDE_EVERY_SQL
        if not _hide_more(connection, hiding, keys, this_pass):
            # No shown row is left in these relations: looking further out would blank
            # whole series (it did: 225 headline values), so stop here.
            return
        this_pass = _close_relations(connection, this_pass)


def _close_relations(connection, this_pass: int) -> int:
    """Runs complementary passes until no relation has exactly one hidden row."""
    while True:
        this_pass += 1
        changed = connection.execute(SECONDARY_SQL, {"this_pass": this_pass}).fetchone()[0]
        if not changed:
            return this_pass


def _exposed_rows(connection) -> tuple[np.ndarray, np.ndarray]:
    """Returns the keys of the primary-suppressed rows that the relations still determine,
    and of every hidden row they determine."""
    members = connection.execute(
        "SELECT relation, row_key, coefficient FROM relation_members"
    ).fetchnumpy()
    flags = connection.execute(
        "SELECT suppressed, primary_suppressed FROM suppression ORDER BY row_key"
    ).fetchnumpy()
    hidden = flags["suppressed"].astype(bool)
    matrix = relation_matrix(
        members["relation"], members["row_key"], members["coefficient"], len(hidden)
    )
    found = determined(matrix, hidden)
    return np.flatnonzero(found & flags["primary_suppressed"]), np.flatnonzero(found)


def _beside(connection, keys: np.ndarray) -> np.ndarray:
    """Returns the rows that share a relation with any of `keys`."""
    return connection.execute(
        "SELECT DISTINCT o.row_key FROM relation_members m JOIN relation_members o "
        "USING (relation) WHERE m.row_key IN (SELECT unnest($keys))",
        {"keys": keys.tolist()},
    ).fetchnumpy()["row_key"]


def _hide_more(connection, hiding: str, keys: np.ndarray, this_pass: int) -> int:
    """Hides rows of the relations of `keys` (HIDE_CHEAPEST_SQL or HIDE_EVERY_SQL);
    returns the number of rows hidden."""
    sql = HIDE_SQL.format(pick=hiding.format(candidates=CANDIDATES_SQL))
    return connection.execute(sql, {"this_pass": this_pass, "keys": keys.tolist()}).fetchone()[0]
