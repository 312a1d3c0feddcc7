"""Each value against its parent level and against the whole system.

The parent is the org's parent at the period's last month (a practice's network then), in
the same segment. The words follow the indicator's polarity: better / similar / worse, or
higher / similar / lower where there is none, by whether the 95% interval excludes the
benchmark (METRICS.md). At practice level an indirectly standardised indicator is compared
with the system through its ratio's interval against 1, which allows for age and sex.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics import stats
from metrics.registry import PARENT_LEVEL

BENCHMARKS_SQL = """
CREATE OR REPLACE TABLE benchmarks AS
WITH parent_levels AS (
    SELECT * FROM (VALUES {parent_levels}) t(level, parent_level)
),
parents AS (
    SELECT v.metric_id, v.period_type, v.period_start, v.level, v.org_code, v.segment,
           coalesce(op.parent_code, ou.parent_code) AS parent_code, pl.parent_level
    FROM valued v
    JOIN parent_levels pl USING (level)
    LEFT JOIN org_parents op
      ON op.level = v.level AND op.org_code = v.org_code
     AND op.month = date_trunc('month', v.period_end)::DATE
    LEFT JOIN org_units ou ON ou.level = v.level AND ou.org_code = v.org_code
)
SELECT p.metric_id, p.period_type, p.period_start, p.level, p.org_code, p.segment,
       p.parent_code, pv.value AS parent_value, sv.value AS system_value
FROM parents p
LEFT JOIN valued pv
  ON pv.metric_id = p.metric_id AND pv.period_type = p.period_type
 AND pv.period_start = p.period_start AND pv.level = p.parent_level
 AND pv.org_code = p.parent_code AND pv.segment = p.segment
LEFT JOIN valued sv
  ON sv.metric_id = p.metric_id AND sv.period_type = p.period_type
 AND sv.period_start = p.period_start AND sv.level = 'system' AND sv.segment = p.segment
"""

KEYS = ["metric_id", "period_type", "period_start", "level", "org_code", "segment"]


def add_comparisons(connection, frame: pd.DataFrame, registry) -> pd.DataFrame:
    """Returns `frame` with parent_code, comparison_parent and comparison_system."""
    connection.register("valued", frame[KEYS + ["period_end", "value"]])
    pairs = ", ".join(f"('{child}', '{parent}')" for child, parent in PARENT_LEVEL.items())
    connection.execute(BENCHMARKS_SQL.format(parent_levels=pairs))
    connection.unregister("valued")
    benchmarks = connection.execute("SELECT * FROM benchmarks").df()
    merged = frame.merge(benchmarks, on=KEYS, how="left")
    merged["comparison_parent"] = "not compared"
    merged["comparison_system"] = "not compared"
    for metric_id, rows in merged.groupby("metric_id", sort=False).groups.items():
        _compare_rows(merged, rows, registry[metric_id])
    return merged


def _compare_rows(merged: pd.DataFrame, rows, indicator) -> None:
    part = merged.loc[rows]
    lower, upper = part["lower_95"].to_numpy(float), part["upper_95"].to_numpy(float)
    words = lambda benchmark: stats.compare(lower, upper, benchmark, indicator.polarity)  # noqa: E731
    merged.loc[rows, "comparison_parent"] = words(part["parent_value"].to_numpy(float))
    system = words(part["system_value"].to_numpy(float))
    if indicator.isr:
        by_ratio = stats.compare(
            part["isr_lower_95"].to_numpy(float), part["isr_upper_95"].to_numpy(float),
            np.ones(len(part)), indicator.polarity,
        )  # fmt: skip
        system = np.where(part["level"].to_numpy() == "practice", by_ratio, system)
    merged.loc[rows, "comparison_system"] = np.where(
        part["level"].to_numpy() == "system", "not compared", system
    )
