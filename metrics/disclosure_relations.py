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

import numpy as np

from metrics.segments import PARTITIONS

PERIODS_OF_MONTHS = ("quarter", "board", "fy")
# The kinds of relation, numbered by their place here: a segment kind for each partition.
FIXED_KINDS = ("org", "months", "fy quarter", "fy board", "quarter less board")
KINDS = (FIXED_KINDS[0], *(f"segment {kind}" for kind in PARTITIONS), *FIXED_KINDS[1:])
LEVEL_PARENTS = (
    "('practice', 'network'), ('network', 'locality'), ('locality', 'area'), ('area', 'system')"
)

# `rows` has row_key, metric_id, period_type, period_start, level, org_code, parent_code,
# segment and accumulate. Each row is given one number for its indicator, period, segment and
# org (its cell), so that every relation below is a join on one integer: joined on the codes
# themselves, every hash table carried five strings, at about three times the cost. The
# indicators, periods, segments and orgs are numbered first (a few thousand rows), and a
# cell is `((metric × periods + period) × segments + segment) × orgs + org`, so a row's
# parent, whole population or month is its cell plus an offset.
DICTIONARIES_SQL = """
CREATE OR REPLACE TEMP TABLE relation_metrics AS
SELECT metric_id, (row_number() OVER () - 1)::BIGINT AS metric_no
FROM (SELECT DISTINCT metric_id FROM {rows});
CREATE OR REPLACE TEMP TABLE relation_periods AS
SELECT period_type, period_start, (row_number() OVER () - 1)::BIGINT AS period_no
FROM (SELECT DISTINCT period_type, period_start FROM {rows});
CREATE OR REPLACE TEMP TABLE relation_segments AS
SELECT segment, (row_number() OVER () - 1)::BIGINT AS segment_no,
       list_position([{partitions}], split_part(segment, ':', 1)) - 1 AS partition_no
FROM (SELECT DISTINCT segment FROM {rows});
CREATE OR REPLACE TEMP TABLE relation_orgs AS
SELECT level, org_code, (row_number() OVER () - 1)::BIGINT AS org_no, parent_level
FROM (SELECT DISTINCT level, org_code FROM {rows})
LEFT JOIN (VALUES {level_parents}) parents(level, parent_level) USING (level);
"""

SIZES_SQL = """
SELECT (SELECT count(*) FROM relation_periods), (SELECT count(*) FROM relation_segments),
       (SELECT count(*) FROM relation_orgs)
"""

# A row's cell, its parent's (the cell with the parent's org) and its whole population's
# (the cell with segment 'all', for a segment of a partition). A row with a missing code is
# in no relation, as no equality holds on it: the inner joins leave it out.
CELLS_SQL = """
CREATE OR REPLACE TEMP TABLE relation_cells AS
SELECT r.row_key, p.period_no, r.accumulate = 'sum' AS summed, s.partition_no,
       (m.metric_no * {periods} + p.period_no) * {period_stride} + s.segment_no * {orgs}
           + o.org_no AS cell,
       cell - o.org_no + parent.org_no AS parent_cell,
       cell + (whole.segment_no - s.segment_no) * {orgs} AS whole_cell
FROM {rows} r
JOIN relation_metrics m USING (metric_id)
JOIN relation_periods p USING (period_type, period_start)
JOIN relation_segments s USING (segment)
JOIN relation_orgs o USING (level, org_code)
LEFT JOIN relation_orgs parent
  ON parent.level = o.parent_level AND parent.org_code = r.parent_code
LEFT JOIN relation_segments whole ON whole.segment = 'all' AND s.partition_no >= 0
"""

# The periods' own relations, as cell offsets: a period and each of its months (`last`:
# the period's last month), a financial year and its quarters and board periods, and a
# quarter with the board period inside it and the quarter's month outside that.
PERIOD_LINKS_SQL = """
CREATE OR REPLACE TEMP TABLE relation_period_months AS
SELECT p.period_no, (m.period_no - p.period_no) * {period_stride} AS offset, pm.is_last_month
FROM relation_periods p
JOIN period_months pm USING (period_type, period_start)
JOIN relation_periods m ON m.period_type = 'month' AND m.period_start = pm.month
WHERE p.period_type IN ({periods});
CREATE OR REPLACE TEMP TABLE relation_year_parts AS
SELECT y.period_no, (c.period_no - y.period_no) * {period_stride} AS offset,
       CASE c.period_type WHEN 'quarter' THEN {fy_quarter} ELSE {fy_board} END AS kind
FROM relation_periods y JOIN relation_periods c
  ON c.period_type IN ('quarter', 'board') AND c.period_start >= y.period_start
 AND c.period_start < y.period_start + INTERVAL 12 MONTH
WHERE y.period_type = 'fy';
-- The board period inside a quarter starts with it or a month after it, and the quarter's
-- month outside it is the last or the first.
CREATE OR REPLACE TEMP TABLE relation_quarter_boards AS
SELECT q.period_no, (b.period_no - q.period_no) * {period_stride} AS board_offset,
       (m.period_no - q.period_no) * {period_stride} AS month_offset
FROM (SELECT *, unnest([0, 1]) AS board_offset FROM relation_periods
      WHERE period_type = 'quarter') q
JOIN relation_periods b ON b.period_type = 'board'
 AND b.period_start = (q.period_start + to_months(q.board_offset))::DATE
JOIN relation_periods m ON m.period_type = 'month'
 AND m.period_start = (q.period_start + to_months(2 - 2 * q.board_offset))::DATE;
"""

RELATIONS_SQL = """
CREATE OR REPLACE TEMP TABLE relation_members AS
WITH org AS (
    SELECT {org} AS kind, p.row_key AS total, c.row_key AS part
    FROM relation_cells c JOIN relation_cells p ON p.cell = c.parent_cell
),
partition AS (
    SELECT {segment} + c.partition_no, p.row_key, c.row_key
    FROM relation_cells c JOIN relation_cells p ON p.cell = c.whole_cell
),
months AS (
    SELECT {months}, p.row_key, c.row_key
    FROM relation_cells p
    JOIN relation_period_months pm USING (period_no)
    JOIN relation_cells c ON c.cell = p.cell + pm.offset
    WHERE p.summed OR pm.is_last_month
),
within_year AS (
    SELECT y.kind, p.row_key, c.row_key
    FROM relation_cells p
    JOIN relation_year_parts y USING (period_no)
    JOIN relation_cells c ON c.cell = p.cell + y.offset
    WHERE p.summed
),
quarter_board AS (
    SELECT q.row_key AS quarter, b.row_key AS board, m.row_key AS month
    FROM relation_cells q
    JOIN relation_quarter_boards qb USING (period_no)
    JOIN relation_cells b ON b.cell = q.cell + qb.board_offset
    JOIN relation_cells m ON m.cell = q.cell + qb.month_offset
    WHERE q.summed
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


DROP_SQL = """
DROP TABLE relation_cells; DROP TABLE relation_metrics; DROP TABLE relation_periods;
DROP TABLE relation_segments; DROP TABLE relation_orgs; DROP TABLE relation_period_months;
DROP TABLE relation_year_parts; DROP TABLE relation_quarter_boards;
"""


def build_relations(connection, rows: str, rolling12: bool = False) -> None:
    """Creates the temp table `relation_members` (relation, kind, row_key, coefficient)
    over the rows of table `rows`; with `rolling12`, rolling 12-month totals are sums of
    their months too (they overlap, so they are not protected; see docs/metrics.md)."""
    periods = PERIODS_OF_MONTHS + (("rolling12",) if rolling12 else ())
    partitions = ", ".join(f"'{kind}'" for kind in PARTITIONS)
    connection.execute(
        DICTIONARIES_SQL.format(rows=rows, partitions=partitions, level_parents=LEVEL_PARENTS)
    )
    period_count, segments, orgs = connection.execute(SIZES_SQL).fetchone()
    strides = {"orgs": orgs, "period_stride": segments * orgs}
    connection.execute(CELLS_SQL.format(rows=rows, periods=period_count, **strides))
    connection.execute(
        PERIOD_LINKS_SQL.format(
            periods=", ".join(f"'{period}'" for period in periods),
            fy_quarter=KINDS.index("fy quarter"),
            fy_board=KINDS.index("fy board"),
            **strides,
        )
    )
    connection.execute(
        RELATIONS_SQL.format(
            kinds=len(KINDS),
            kind_names="[" + ", ".join(f"'{kind}'" for kind in KINDS) + "]",
            segment=KINDS.index(f"segment {PARTITIONS[0]}"),
            **{kind.replace(" ", "_"): KINDS.index(kind) for kind in FIXED_KINDS},
        )
    )
    connection.execute(DROP_SQL)


def relation_numbers(relation: np.ndarray, is_total: np.ndarray) -> tuple[np.ndarray, int]:
    """Returns each member's relation numbered by its place among the distinct relation ids
    in order (np.unique's inverse), and how many relations there are. `is_total` marks the
    one member of each relation that is its total. An id is total × len(KINDS) + kind, so
    the kinds of a total are the bits of one number and the ~24 million members (at 10
    million spells) need no sort or hash table."""
    # Narrow types: ~24 million members at 10 million spells, and the numbers' peak memory
    # counts (a total fits 32 bits, and there are fewer than 31 kinds).
    totals = (relation // len(KINDS)).astype(np.int32)
    bits = np.left_shift(np.int32(1), (relation % len(KINDS)).astype(np.int32))
    size = int(totals.max(initial=-1)) + 1
    # A relation has one total, so adding its kinds' bits up sets each once.
    held = np.bincount(totals[is_total], bits[is_total], minlength=size).astype(np.int32)
    per_total = np.bitwise_count(held).astype(np.int64)
    first = np.cumsum(per_total) - per_total
    bits -= 1  # each kind's lower kinds
    numbers = first[totals]
    numbers += np.bitwise_count(np.bitwise_and(held[totals], bits, out=bits))
    return numbers, int(per_total.sum())
