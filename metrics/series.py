"""Making Data Count SPC on every monthly series, so that every view shows the same icons.

A series is one indicator at one org in one segment, month by month. The batch path of
`metrics.spc` charts them all at once; each indicator's polarity gives the improvement
direction and its target (if any) the assurance.
"""

from __future__ import annotations

import pandas as pd

from metrics.spc import spc_batch

SERIES_KEYS = ["metric_id", "level", "org_code", "segment"]
POINT_COLUMNS = ["mean", "lower_limit", "upper_limit", "rule", "point_type"]


def chart_series(values: pd.DataFrame, registry) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns (points, summary) for the monthly rows of `values`.

    points: the series keys, period_start, value and the SPC columns; summary: the series
    keys with `variation` and `assurance`.
    """
    monthly = values.loc[values["period_type"] == "month", [*SERIES_KEYS, "period_start", "value"]]
    monthly = monthly.sort_values([*SERIES_KEYS, "period_start"], ignore_index=True)
    series_id = monthly.groupby(SERIES_KEYS, sort=False).ngroup()
    start = pd.to_datetime(monthly["period_start"])
    frame = pd.DataFrame({
        "series_id": series_id,
        "position": start.dt.year * 12 + start.dt.month,
        "value": monthly["value"].astype(float),
        "improvement": monthly["metric_id"].map(lambda m: registry[m].improvement),
        "target": monthly["metric_id"].map(lambda m: registry[m].target.value).astype(float),
    })  # fmt: skip
    result = spc_batch(frame)
    points = pd.concat([monthly, result.points[POINT_COLUMNS].reset_index(drop=True)], axis=1)
    keys = monthly.assign(series_id=series_id).drop_duplicates("series_id")
    summary = keys[["series_id", *SERIES_KEYS]].merge(result.summary, on="series_id")
    return points, summary.drop(columns="series_id")

