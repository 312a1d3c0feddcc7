"""The published relations between rows: totals that are the sum of other rows.

A reader who sees every unsuppressed row can write down equations that hold in the
published counts (numerators, and denominators that are counts): a parent org's row is the
sum of its children's; the whole population ('all') is the sum of the values of a segment
that partitions it; a quarter, board period or financial year is the sum of its months, and
a financial year the sum of its quarters and of its board periods, for an indicator that
adds its months up; a longer period of an indicator measured at the period end is its last
month. A quarter also overlaps a board period in two of its months, so the quarter less
that board period is its third month (April–June less April–May is June): that follows
from the others, but protecting it as a relation of its own closes the commonest
combination before the audit. Disclosure control (metrics.disclosure) protects every such
relation, and the audit (metrics.disclosure_audit) solves them all together as an
attacker would.

Each relation is a set of rows with a coefficient each: +1 for the total, −1 for each part,
so that the coefficients times the counts add up to 0.
"""

from __future__ import annotations

from metrics.segments import PARTITIONS

PERIODS_OF_MONTHS = ("quarter", "board", "fy")
# The kinds of relation, numbered by their place here: a segment kind for each partition.
FIXED_KINDS = ("org", "months", "fy quarter", "fy board", "quarter less board")
KINDS = (FIXED_KINDS[0], *(f"segment {kind}" for kind in PARTITIONS), *FIXED_KINDS[1:])
LEVEL_PARENTS = (
    "('practice', 'network'), ('network', 'locality'), ('locality', 'area'), ('area', 'system')"
)

# `rows` has row_key, metric_id, period_type, period_start, level, org_code, parent_code,
# segment and accumulate; `period_months` names the months of each published period.
RELATIONS_SQL = """
CREATE OR REPLACE TEMP TABLE relation_members AS
-- Read from the table at each use: a materialised copy of its rows is slower to join.
WITH rows AS NOT MATERIALIZED (SELECT * FROM {rows}),
level_parents(level, parent_level) AS (VALUES {level_parents}),
org AS (
    SELECT {org} AS kind, p.row_key AS total, c.row_key AS part
    FROM rows c JOIN level_parents USING (level)
    JOIN rows p ON p.level = parent_level AND p.org_code = c.parent_code
     AND p.metric_id = c.metric_id AND p.period_type = c.period_type
     AND p.period_start = c.period_start AND p.segment = c.segment
),
partition AS (
    SELECT {segment} + list_position([{partitions}], split_part(c.segment, ':', 1)) - 1,
           p.row_key, c.row_key
    FROM rows p JOIN rows c USING (metric_id, period_type, period_start, level, org_code)
    WHERE p.segment = 'all' AND split_part(c.segment, ':', 1) IN ({partitions})
),
months AS (
    SELECT {months}, p.row_key, c.row_key
    FROM rows p
    JOIN period_months pm USING (period_type, period_start)
    JOIN rows c ON c.period_type = 'month' AND c.period_start = pm.month
     AND c.metric_id = p.metric_id AND c.level = p.level AND c.org_code = p.org_code
     AND c.segment = p.segment
    WHERE p.period_type IN ({periods}) AND (p.accumulate = 'sum' OR pm.is_last_month)
),
within_year AS (
    SELECT CASE c.period_type WHEN 'quarter' THEN {fy_quarter} ELSE {fy_board} END,
           p.row_key, c.row_key
    FROM rows p JOIN rows c USING (metric_id, level, org_code, segment)
    WHERE p.period_type = 'fy' AND p.accumulate = 'sum' AND c.period_type IN ('quarter', 'board')
      AND c.period_start >= p.period_start AND c.period_start < p.period_start + INTERVAL 12 MONTH
),
quarter_board AS (
    -- The board period inside a quarter starts with it or a month after it, and the
    -- quarter's month outside it is the last or the first (equi-joins, so hash joins).
    SELECT q.row_key AS quarter, b.row_key AS board, m.row_key AS month
    FROM (
        SELECT *, unnest([0, 1]) AS board_offset FROM rows
        WHERE period_type = 'quarter' AND accumulate = 'sum'
    ) q
    JOIN rows b ON b.period_type = 'board'
     AND b.period_start = (q.period_start + to_months(q.board_offset))::DATE
     AND b.metric_id = q.metric_id AND b.level = q.level AND b.org_code = q.org_code
     AND b.segment = q.segment
    JOIN rows m ON m.period_type = 'month'
     AND m.period_start = (q.period_start + to_months(2 - 2 * q.board_offset))::DATE
     AND m.metric_id = q.metric_id AND m.level = q.level AND m.org_code = q.org_code
     AND m.segment = q.segment
),
overlap AS (
    SELECT {quarter_less_board}, quarter, board FROM quarter_board
    UNION ALL SELECT {quarter_less_board}, quarter, month FROM quarter_board
),
parts AS (
    SELECT * FROM org UNION ALL SELECT * FROM partition
    UNION ALL SELECT * FROM months UNION ALL SELECT * FROM within_year
    UNION ALL SELECT * FROM overlap
),
numbered AS (
    -- A relation is its kind and its total: numbered without a sort of every member.
    SELECT total * {kinds} + kind AS relation, kind, part FROM parts
)
-- Kinds are numbers (KINDS) until here, and each relation's total is found from its
-- number, so that only one number is made distinct (strings cost a third more).
SELECT relation, {kind_names}[relation % {kinds} + 1] AS kind, relation // {kinds} AS row_key,
       1 AS coefficient
FROM (SELECT DISTINCT relation FROM numbered)
UNION ALL
SELECT relation, {kind_names}[kind + 1], part, -1 FROM numbered
"""


def build_relations(connection, rows: str, rolling12: bool = False) -> None:
    """Creates the temp table `relation_members` (relation, kind, row_key, coefficient)
    over the rows of table `rows`; with `rolling12`, rolling 12-month totals are sums of
    their months too (they overlap, so they are not protected; see docs/metrics.md)."""
    periods = PERIODS_OF_MONTHS + (("rolling12",) if rolling12 else ())
    connection.execute(
        RELATIONS_SQL.format(
            rows=rows,
            level_parents=LEVEL_PARENTS,
            partitions=", ".join(f"'{kind}'" for kind in PARTITIONS),
            periods=", ".join(f"'{period}'" for period in periods),
            kinds=len(KINDS),
            kind_names="[" + ", ".join(f"'{kind}'" for kind in KINDS) + "]",
            segment=KINDS.index(f"segment {PARTITIONS[0]}"),
            **{kind.replace(" ", "_"): KINDS.index(kind) for kind in FIXED_KINDS},
        )
    )
