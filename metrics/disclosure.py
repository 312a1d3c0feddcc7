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

from metrics.segments import PARTITIONS

PRIMARY_SQL = """
CREATE OR REPLACE TABLE suppression AS
SELECT metric_id, period_type, period_start, level, org_code, segment, parent_code, numerator,
       accumulate,
       coalesce(numerator BETWEEN 1 AND $threshold
                OR (denominator_is_count AND denominator BETWEEN 1 AND $threshold)
                OR (method = 'proportion' AND denominator - numerator BETWEEN 1 AND $threshold),
                false) AS suppressed
FROM indicator_values
"""

# One suppressed sibling in a group: also suppress the smallest unsuppressed one.
SECONDARY_SQL = """
UPDATE suppression s SET suppressed = true
FROM (
    SELECT * FROM (
        SELECT *, count(*) FILTER (suppressed) OVER siblings AS suppressed_siblings,
               row_number() OVER (PARTITION BY {group}, suppressed
                                  ORDER BY numerator, org_code, segment) AS smallest
        FROM suppression WHERE {where}
        WINDOW siblings AS (PARTITION BY {group})
    ) WHERE suppressed_siblings = 1 AND NOT suppressed AND smallest = 1
) pick
WHERE s.metric_id = pick.metric_id AND s.period_type = pick.period_type
  AND s.period_start = pick.period_start AND s.level = pick.level
  AND s.org_code = pick.org_code AND s.segment = pick.segment
"""

ORG_SIBLINGS = (
    "metric_id, period_type, period_start, level, parent_code, segment",
    "level <> 'system'",
)
SEGMENT_SIBLINGS = (
    "metric_id, period_type, period_start, level, org_code, split_part(segment, ':', 1)",
    "split_part(segment, ':', 1) IN ({kinds})",
)


# The months of a quarter, board period or financial year are siblings too, for indicators
# that add their months up: one suppressed month would otherwise be the period total minus
# the others. (Rolling 12-month totals overlap, so they are not covered; see docs.)
MONTH_SIBLINGS_SQL = """
UPDATE suppression s SET suppressed = true
FROM (
    SELECT * FROM (
        SELECT *, count(*) FILTER (suppressed) OVER whole AS suppressed_months,
               row_number() OVER (PARTITION BY metric_id, level, org_code, segment, whole,
                                               suppressed
                                  ORDER BY numerator, period_start) AS smallest
        FROM (
            SELECT *, unnest([
                'quarter ' || date_trunc('quarter', period_start),
                'fy ' || make_date(year(period_start - INTERVAL 3 MONTH), 4, 1),
                'board ' || (period_start - to_months((month(period_start) + 8) % 2))
            ]) AS whole
            FROM suppression WHERE period_type = 'month' AND accumulate = 'sum'
        )
        WINDOW whole AS (PARTITION BY metric_id, level, org_code, segment, whole)
    ) WHERE suppressed_months = 1 AND NOT suppressed AND smallest = 1
) pick
WHERE s.metric_id = pick.metric_id AND s.period_type = 'month'
  AND s.period_start = pick.period_start AND s.level = pick.level
  AND s.org_code = pick.org_code AND s.segment = pick.segment
"""


def mark_suppressed(connection, threshold: int) -> None:
    """Creates the `suppression` table: the row keys and whether each row is suppressed.

    Primary suppression first, then secondary passes over org and segment siblings until
    a round suppresses nothing more (each round only adds, so it ends).
    """
    connection.execute(PRIMARY_SQL, {"threshold": threshold})
    kinds = ", ".join(f"'{kind}'" for kind in PARTITIONS)
    passes = [
        SECONDARY_SQL.format(group=group, where=where.format(kinds=kinds))
        for group, where in (ORG_SIBLINGS, SEGMENT_SIBLINGS)
    ] + [MONTH_SIBLINGS_SQL]
    changed = True
    while changed:
        changed = sum(connection.execute(sql).fetchone()[0] for sql in passes) > 0
