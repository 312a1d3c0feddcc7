"""Each value against its parent level and against the whole system, at 95% and 99.8%.

The parent is the org's parent at the period's last month (a practice's network then), in
the same segment. The words follow the indicator's polarity: better / similar / worse, or
higher / similar / lower where there is none, by whether the interval excludes the
benchmark (METRICS.md). One rule decides every verdict (docs/metrics.md, "Comparisons"):

- `comparison_parent` (`_998`): the value's interval (`lower_95`/`upper_95`, or the 99.8%
  pair) against `parent_value`;
- `comparison_system` (`_998`): for an indicator with `isr = true`, at every level below
  system, the indirectly standardised ratio's interval (`isr_lower_95`/`isr_upper_95`, or
  the 99.8% pair) against 1, which allows for age and sex; otherwise the value's interval
  against `system_value`. The system itself is 'not compared'.

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

# The system verdict of one level of confidence ({level} is 95 or 998).
SYSTEM_VERDICT = """CASE WHEN b.level = 'system' THEN 'not compared'
            WHEN m.isr THEN compare_words(b.isr_lower_{level}, b.isr_upper_{level}, 1.0,
                                          m.polarity)
            ELSE compare_words(b.lower_{level}, b.upper_{level}, b.system_value, m.polarity)
       END"""

# One pass: each row finds its parent code and then its parent's and the system's rows by
# hash joins whose build sides hold only rows that can be parents (never a practice's) and
# system rows.
COMPARED_SQL = """
CREATE OR REPLACE TABLE indicator_values AS
WITH parent_levels AS (
    SELECT * FROM (VALUES {parent_levels}) t(level, parent_level)
),
benchmarked AS (
    SELECT v.*,
           CASE WHEN pl.parent_level IS NOT NULL
                THEN coalesce(op.parent_code, ou.parent_code) END AS parent_code,
           pv.value AS parent_value, sv.value AS system_value
    FROM valued v
    LEFT JOIN parent_levels pl USING (level)
    LEFT JOIN org_parents op
      ON op.level = v.level AND op.org_code = v.org_code
     AND op.month = date_trunc('month', v.period_end)::DATE
    LEFT JOIN org_units ou ON ou.level = v.level AND ou.org_code = v.org_code
    LEFT JOIN (SELECT metric_id, period_type, period_start, level, org_code, segment, value
               FROM valued WHERE level <> 'practice') pv
      ON pv.metric_id = v.metric_id AND pv.period_type = v.period_type
     AND pv.period_start = v.period_start AND pv.level = pl.parent_level
     AND pv.org_code = coalesce(op.parent_code, ou.parent_code) AND pv.segment = v.segment
    LEFT JOIN (SELECT metric_id, period_type, period_start, segment, value
               FROM valued WHERE level = 'system') sv
      ON sv.metric_id = v.metric_id AND sv.period_type = v.period_type
     AND sv.period_start = v.period_start AND sv.segment = v.segment
)
SELECT b.*,
       compare_words(b.lower_95, b.upper_95, b.parent_value, m.polarity) AS comparison_parent,
       {system_95} AS comparison_system,
       compare_words(b.lower_998, b.upper_998, b.parent_value, m.polarity)
           AS comparison_parent_998,
       {system_998} AS comparison_system_998
FROM benchmarked b JOIN metric_props m USING (metric_id)
"""


def build_comparisons(connection) -> None:
    """Creates `indicator_values` from `valued`: parent, benchmarks and comparison words."""
    connection.execute(COMPARE_MACRO)
    pairs = ", ".join(f"('{child}', '{parent}')" for child, parent in PARENT_LEVEL.items())
    connection.execute(
        COMPARED_SQL.format(
            parent_levels=pairs,
            system_95=SYSTEM_VERDICT.format(level="95"),
            system_998=SYSTEM_VERDICT.format(level="998"),
        )
    )
