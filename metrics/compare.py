"""Each value against its parent level and against the whole system.

The parent is the org's parent at the period's last month (a practice's network then), in
the same segment. The words follow the indicator's polarity: better / similar / worse, or
higher / similar / lower where there is none, by whether the 95% interval excludes the
benchmark (METRICS.md). At practice level an indirectly standardised indicator is compared
with the system through its ratio's interval against 1, which allows for age and sex.
The words are those of `metrics.stats.compare`, here as a SQL macro so that the whole
table is compared in one statement (a test checks the two agree).
"""

from __future__ import annotations

from metrics.registry import PARENT_LEVEL

COMPARE_MACRO = """
CREATE OR REPLACE TEMP MACRO compare_words(lower, upper, benchmark, polarity) AS CASE
    WHEN lower IS NULL OR upper IS NULL OR benchmark IS NULL
      OR isnan(lower) OR isnan(upper) OR isnan(benchmark) THEN 'not compared'
    WHEN lower > benchmark
        THEN CASE polarity WHEN 'lower' THEN 'worse' WHEN 'higher' THEN 'better' ELSE 'higher' END
    WHEN upper < benchmark
        THEN CASE polarity WHEN 'lower' THEN 'better' WHEN 'higher' THEN 'worse' ELSE 'lower' END
    ELSE 'similar' END
"""

COMPARED_SQL = """
CREATE OR REPLACE TABLE indicator_values AS
WITH parent_levels AS (
    SELECT * FROM (VALUES {parent_levels}) t(level, parent_level)
),
parents AS (
    SELECT v.row_key, coalesce(op.parent_code, ou.parent_code) AS parent_code, pl.parent_level
    FROM valued v
    JOIN parent_levels pl USING (level)
    LEFT JOIN org_parents op
      ON op.level = v.level AND op.org_code = v.org_code
     AND op.month = date_trunc('month', v.period_end)::DATE
    LEFT JOIN org_units ou ON ou.level = v.level AND ou.org_code = v.org_code
),
benchmarked AS (
    SELECT v.*, p.parent_code, pv.value AS parent_value, sv.value AS system_value
    FROM valued v
    LEFT JOIN parents p USING (row_key)
    LEFT JOIN valued pv
      ON pv.metric_id = v.metric_id AND pv.period_type = v.period_type
     AND pv.period_start = v.period_start AND pv.level = p.parent_level
     AND pv.org_code = p.parent_code AND pv.segment = v.segment
    LEFT JOIN valued sv
      ON sv.metric_id = v.metric_id AND sv.period_type = v.period_type
     AND sv.period_start = v.period_start AND sv.level = 'system' AND sv.segment = v.segment
)
SELECT b.* EXCLUDE (row_key),
       compare_words(b.lower_95, b.upper_95, b.parent_value, m.polarity) AS comparison_parent,
       CASE WHEN b.level = 'system' THEN 'not compared'
            WHEN m.isr AND b.level = 'practice'
                THEN compare_words(b.isr_lower_95, b.isr_upper_95, 1.0, m.polarity)
            ELSE compare_words(b.lower_95, b.upper_95, b.system_value, m.polarity)
       END AS comparison_system
FROM benchmarked b JOIN metric_props m USING (metric_id)
"""


def build_comparisons(connection) -> None:
    """Creates `indicator_values` from `valued`: parent, benchmarks and comparison words."""
    connection.execute(COMPARE_MACRO)
    pairs = ", ".join(f"('{child}', '{parent}')" for child, parent in PARENT_LEVEL.items())
    connection.execute(COMPARED_SQL.format(parent_levels=pairs))
