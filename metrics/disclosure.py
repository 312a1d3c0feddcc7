"""Disclosure control: which published rows must be shown as `*`.

Primary suppression: a numerator or denominator (a count of people or events) from 1 to
the threshold (7 by default), or, for a proportion, a complement (denominator − numerator)
in that range. Secondary suppression stops a suppressed count being recovered by
subtraction: where exactly one of a set of siblings is suppressed — the practices of a
network, the networks of a locality, and so on, the values of a segment that partitions
the population, or the months of a quarter, board period or financial year — the next
smallest sibling is suppressed too (DESIGN.md, "Users, scopes,
disclosure"). The two kinds of sibling are revisited until neither suppresses anything
more, because a segment suppressed for its partition can leave its org alone among its
org siblings, and the other way round.
"""

from __future__ import annotations

from metrics.calendar import PERIOD_STARTS, period_start_sql
from metrics.segments import PARTITIONS

PRIMARY_SQL = """
CREATE OR REPLACE TABLE suppression AS
SELECT *, CASE WHEN suppressed THEN 0 END AS changed_in
FROM (
    SELECT row_number() OVER () AS row_key, metric_id, period_type, period_start, level,
           org_code, segment, split_part(segment, ':', 1) AS segment_kind, parent_code,
           numerator, accumulate,
           coalesce(numerator BETWEEN 1 AND $threshold
                    OR (denominator_is_count AND denominator BETWEEN 1 AND $threshold)
                    OR (method = 'proportion' AND denominator - numerator BETWEEN 1 AND $threshold),
                    false) AS suppressed
    FROM indicator_values
)
"""

# Each month of an indicator that adds its months up, with the quarter, board period and
# financial year it is in; and each quarter and board period with its financial year.
MONTH_GROUPS_SQL = """
CREATE OR REPLACE TEMP TABLE month_groups AS
SELECT row_key, unnest([
    'quarter ' || {quarter}, 'fy ' || {fy}, 'board ' || {board}
]) AS whole
FROM suppression WHERE period_type = 'month' AND accumulate = 'sum'
UNION ALL
SELECT row_key, period_type || ' in fy ' || {fy}
FROM suppression WHERE period_type IN ('quarter', 'board') AND accumulate = 'sum'
"""

# In every group with exactly one suppressed row, suppress the smallest other row (ties to
# the first code, then segment). Only groups with a row suppressed since this kind of
# sibling was last looked at (pass `since`, 0 being primary suppression) can have changed,
# so the others are not grouped again. Returns the number of rows changed.
SECONDARY_SQL = """
UPDATE suppression s SET suppressed = true, changed_in = $this_pass
FROM (
    SELECT arg_min(row_key, {{'n': numerator, 'o': org_code, 's': segment, 'p': period_start}})
               FILTER (NOT suppressed) AS pick
    FROM {rows} r
    SEMI JOIN (SELECT DISTINCT {group} FROM {rows} WHERE changed_in >= $since) USING ({group})
    GROUP BY {group}
    HAVING count(*) FILTER (suppressed) = 1
) chosen
WHERE s.row_key = chosen.pick
"""

ORG_SIBLINGS = (
    "(SELECT * FROM suppression WHERE level <> 'system')",
    "metric_id, period_type, period_start, level, parent_code, segment",
)
SEGMENT_SIBLINGS = (
    "(SELECT * FROM suppression WHERE segment_kind IN ({kinds}))",
    "metric_id, period_type, period_start, level, org_code, segment_kind",
)
# The months of a quarter, board period or financial year are siblings too, for indicators
# that add their months up: one suppressed month would otherwise be the period total minus
# the others; so are the quarters, and the board periods, of a financial year. (Rolling
# 12-month totals overlap, so they are not covered; see docs.)
MONTH_SIBLINGS = (
    "(SELECT * FROM suppression JOIN month_groups USING (row_key))",
    "metric_id, level, org_code, segment, whole",
)


def mark_suppressed(connection, threshold: int) -> None:
    """Creates the `suppression` table: the row keys and whether each row is suppressed.

    Primary suppression first, then secondary passes over org, segment and month siblings
    until a round suppresses nothing more (each round only adds, so it ends).
    """
    connection.execute(PRIMARY_SQL, {"threshold": threshold})
    starts = {kind: period_start_sql(kind, "period_start") for kind in PERIOD_STARTS}
    connection.execute(MONTH_GROUPS_SQL.format(**starts))
    kinds = ", ".join(f"'{kind}'" for kind in PARTITIONS)
    passes = [
        SECONDARY_SQL.format(rows=rows.format(kinds=kinds), group=group)
        for rows, group in (ORG_SIBLINGS, SEGMENT_SIBLINGS, MONTH_SIBLINGS)
    ]
    last_looked = [0] * len(passes)
    this_pass, changed = 0, True
    while changed:
        changed = False
        for kind, sql in enumerate(passes):
            this_pass += 1
            parameters = {"this_pass": this_pass, "since": last_looked[kind]}
            changed |= connection.execute(sql, parameters).fetchone()[0] > 0
            last_looked[kind] = this_pass
