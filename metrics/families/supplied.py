"""Indicators supplied already counted (aggregate_indicators): GP Patient Survey, QOF, ASCOF.

Each row is placed at its org's level (a local authority code counts as its area) and its
period typed by length: one month, a quarter, an April–March year, or another 12 months.
Levels above are sums of the supplied counts through the latest hierarchy, unless the feed
supplies that level itself, which then wins: the levels above it add the supplied row, not
the rows below it it replaces. Periods of other lengths are not published.
"""

from __future__ import annotations

SUPPLIED_SQL = """
INSERT INTO period_totals BY NAME
WITH typed AS (
    -- Any numbering will do: the number only keeps each supplied row apart.
    SELECT row_number() OVER (ORDER BY a.indicator_id, a.org_code, a.period_start, a.period_end,
                                       a.numerator, a.denominator) AS row_id,
           a.indicator_id AS metric_id, a.period_start,
           a.period_end, a.numerator AS num, a.denominator AS den,
           datediff('month', a.period_start, a.period_end + 1) AS months,
           coalesce(o.level, CASE WHEN la.area_code IS NOT NULL THEN 'area' END) AS level,
           coalesce(o.org_code, la.area_code) AS org_code
    FROM aggregate_indicators a
    JOIN metric_props p ON p.metric_id = a.indicator_id AND p.family = 'supplied'
    LEFT JOIN org_units o ON o.org_code = a.org_code
    LEFT JOIN la_areas la ON la.la_code = a.org_code
),
supplied AS (
    SELECT *, CASE WHEN months = 1 THEN 'month'
                   WHEN months = 3 AND month(period_start) IN (1, 4, 7, 10) THEN 'quarter'
                   WHEN months = 12 AND month(period_start) = 4 THEN 'fy'
                   WHEN months = 12 THEN 'rolling12' END AS period_type
    FROM typed WHERE level IS NOT NULL
),
ancestry AS (
    SELECT level, org_code, ancestor_level, ancestor, ancestor_level <> level AS above,
           CASE ancestor_level WHEN 'practice' THEN 1 WHEN 'network' THEN 2
                               WHEN 'locality' THEN 3 WHEN 'area' THEN 4 ELSE 5 END AS depth
    FROM org_ancestry
),
placed AS (
    SELECT s.*, a.ancestor_level, a.ancestor, a.above, a.depth
    FROM supplied s JOIN ancestry a ON a.level = s.level AND a.org_code = s.org_code
    WHERE s.period_type IS NOT NULL
),
supplied_orgs AS (
    SELECT DISTINCT metric_id, period_type, period_start, level, org_code FROM supplied
),
-- The nearest level above a row at which the feed supplies the row's ancestor itself: the
-- row counts in the sums below that level only, since the supplied row there replaces it.
capped AS (
    SELECT p.*,
           min(CASE WHEN p.above AND o.org_code IS NOT NULL THEN p.depth END)
               OVER (PARTITION BY p.row_id) AS cap
    FROM placed p
    LEFT JOIN supplied_orgs o
      ON o.metric_id = p.metric_id AND o.period_type = p.period_type
     AND o.period_start = p.period_start AND o.level = p.ancestor_level
     AND o.org_code = p.ancestor
)
SELECT metric_id, period_type, period_start, period_end, months, ancestor_level AS level,
       ancestor AS org_code, 'all' AS segment, sum(num) AS num, sum(den) AS den
FROM capped
WHERE cap IS NULL OR depth < cap
GROUP BY ALL
"""


ANCESTRY_SQL = """
CREATE OR REPLACE TABLE org_ancestry AS
WITH RECURSIVE up(level, org_code, ancestor_level, ancestor, parent) AS (
    SELECT level, org_code, level, org_code, parent_code FROM org_units
    UNION ALL
    SELECT u.level, u.org_code, p.level, p.org_code, p.parent_code
    FROM up u JOIN org_units p ON p.org_code = u.parent
)
SELECT level, org_code, ancestor_level, ancestor FROM up
"""


def insert_totals(connection) -> None:
    """Inserts supplied indicators' rows into period_totals at every level above them."""
    connection.execute(ANCESTRY_SQL)
    connection.execute(SUPPLIED_SQL)
