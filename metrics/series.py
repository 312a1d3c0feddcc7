"""Making Data Count SPC on every monthly series, so that every view shows the same icons.

A series is one indicator at one org in one segment, month by month. The batch path of
`metrics.spc` charts them all at once; each indicator's polarity gives the improvement
direction and its target (if any) the assurance.

Only a month that is published and trusted counts towards a chart. A month left out is
drawn (unless suppressed) but is a gap to the process: it is in no mean, moving range,
limit, rule or icon, and its `excluded_reason` says why:

- 'suppressed': disclosure control hides it, so nothing may be derived from it;
- 'lead_in': one of the first `[spc] lead_in_months` months of the data, which the
  indicator's caveats call biased;
- 'provisional': one of the latest `[spc] provisional_months` months, still being revised.

Change points (`wholesystem annotations`) with `recalculate` start a new phase at the first
month on or after them, with its own mean and limits. A phase with fewer than
MINIMUM_POINTS months in its limits has no mean, limits or rules, and a series whose last
phase is that short has no icon (status 'too_few_points').
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics.spc import MINIMUM_POINTS, spc_batch

SERIES_KEYS = ["metric_id", "level", "org_code", "segment"]
LIMIT_COLUMNS = ["mean", "lower_limit", "upper_limit"]
NAMES = ["rule", "point_type"]
ANNOTATION_COLUMNS = ["metric_id", "org_code", "month", "label", "recalculate"]
STATUSES = ("charted", "too_few_points", "last_point_suppressed", "all_suppressed")


def chart_series(
    values: pd.DataFrame, registry, annotations: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns (points, summary) for the monthly rows of `values`.

    `values` may carry a boolean `suppressed` column (disclosure control's flag; absent
    means nothing is suppressed); `annotations` has ANNOTATION_COLUMNS (org_code None for
    every org). points: the series keys, period_start, value, suppressed, the SPC columns,
    `phase`, `in_limits` and `excluded_reason`; summary: the series keys with `variation`,
    `assurance`, `status` and `points` (months in the last phase's limits).
    """
    monthly = _monthly_rows(values)
    del values  # the caller's frame, when not kept by the caller, is freed (publish: ~GBs)
    series = monthly.groupby(SERIES_KEYS, sort=False).ngroup().to_numpy()
    definition = _Definitions(monthly["metric_id"], registry)
    reason = _excluded_reasons(monthly, definition)
    in_limits = monthly["value"].notna().to_numpy() & pd.isna(reason)
    phase = _phases(monthly, series, annotations)
    frame = _batch_frame(monthly, definition, series, phase, in_limits)
    result = spc_batch(frame)
    points = monthly.assign(
        **{column: result.points[column].to_numpy() for column in LIMIT_COLUMNS},
        **{column: _names(result.points[column].to_numpy(dtype=object)) for column in NAMES},
        phase=phase, in_limits=in_limits, excluded_reason=_names(reason),
    )  # fmt: skip
    points = _blank_short_phases(points, series)
    summary = _summary(points, series, result.summary)
    return points, summary


def _monthly_rows(values: pd.DataFrame) -> pd.DataFrame:
    columns = [*SERIES_KEYS, "period_start", "value"]
    monthly = values.loc[values["period_type"] == "month"]
    suppressed = monthly.get("suppressed", False)
    monthly = monthly[columns].assign(
        value=monthly["value"].astype(float), suppressed=np.asarray(suppressed, dtype=bool)
    )
    return monthly.sort_values([*SERIES_KEYS, "period_start"], ignore_index=True)


class _Definitions:
    """Per row, a field of its indicator's definition: looked up once per indicator."""

    def __init__(self, metric_ids: pd.Series, registry):
        self.codes, metrics = pd.factorize(metric_ids)
        self.indicators = [registry[metric] for metric in metrics]

    def __call__(self, field) -> np.ndarray:
        return np.asarray([field(indicator) for indicator in self.indicators])[self.codes]


def _month_number(period_start: pd.Series) -> np.ndarray:
    start = pd.to_datetime(period_start)
    return (start.dt.year * 12 + start.dt.month).to_numpy()


def _excluded_reasons(monthly: pd.DataFrame, definition: _Definitions) -> np.ndarray:
    """Why each month is left out of its limits ('suppressed', 'lead_in', 'provisional'),
    or None. Lead-in and provisional months count from the first and last month of the
    data, which is where the caveats' biases come from."""
    month = _month_number(monthly["period_start"])
    if not len(month):
        return np.array([], dtype=object)
    lead_in = definition(lambda indicator: indicator.lead_in_months)
    provisional = definition(lambda indicator: indicator.provisional_months)
    return np.select(
        [
            monthly["suppressed"].to_numpy(),
            month - month.min() < lead_in,
            month.max() - month < provisional,
        ],
        ["suppressed", "lead_in", "provisional"],
        None,
    ).astype(object)


def _phases(monthly: pd.DataFrame, series: np.ndarray, annotations) -> np.ndarray:
    """Each row's phase: 0, then +1 at the first month on or after each recalculating
    change point of its metric (for every org, or for its own org)."""
    passed = np.zeros(len(monthly), dtype=np.int64)
    if annotations is not None and len(annotations):
        passed = _change_points_passed(monthly, annotations)
    if not len(passed):
        return passed
    step = np.r_[False, (np.diff(passed) != 0) & (np.diff(series) == 0)]
    return pd.Series(step).groupby(series).cumsum().to_numpy(dtype=np.int64)


def _change_points_passed(monthly: pd.DataFrame, annotations: pd.DataFrame) -> np.ndarray:
    """Per row, how many distinct recalculating change-point months are on or before it."""
    recalculating = annotations.loc[annotations["recalculate"].astype(bool)]
    changes = recalculating.assign(month=pd.to_datetime(recalculating["month"]))
    rows = monthly[["metric_id", "org_code"]].assign(
        row=np.arange(len(monthly)), start=pd.to_datetime(monthly["period_start"])
    )
    rows = rows[rows["metric_id"].isin(changes["metric_id"].unique())]
    everyone = changes[changes["org_code"].isna()].drop(columns="org_code")
    matched = pd.concat(
        [
            rows.merge(everyone[["metric_id", "month"]], on="metric_id"),
            rows.merge(changes[["metric_id", "org_code", "month"]], on=["metric_id", "org_code"]),
        ]
    )
    matched = matched[matched["month"] <= matched["start"]]
    counts = matched.groupby("row")["month"].nunique()
    passed = np.zeros(len(monthly), dtype=np.int64)
    passed[counts.index.to_numpy()] = counts.to_numpy()
    return passed


def _batch_frame(monthly, definition, series, phase, in_limits) -> pd.DataFrame:
    """The spc_batch input: a month left out of the limits is a gap (NaN)."""
    rebase = np.r_[False, (np.diff(phase) != 0) & (np.diff(series) == 0)] if len(phase) else []
    return pd.DataFrame({
        "series_id": series,
        "position": _month_number(monthly["period_start"]),
        "value": np.where(in_limits, monthly["value"].to_numpy(), np.nan),
        "improvement": definition(lambda indicator: indicator.improvement),
        "target": definition(lambda indicator: indicator.target.value).astype(float),
        "rebase": np.asarray(rebase, dtype=bool),
    })  # fmt: skip


def _blank_short_phases(points: pd.DataFrame, series: np.ndarray) -> pd.DataFrame:
    """A phase with fewer than MINIMUM_POINTS months in its limits has no mean, limits,
    rules or point types: its limits would be too unreliable to judge a point by."""
    in_phase = points.groupby([series, points["phase"].to_numpy()])["in_limits"]
    short = in_phase.transform("sum").to_numpy() < MINIMUM_POINTS
    for column in LIMIT_COLUMNS:
        points[column] = points[column].where(~short)
    for column in NAMES:
        points[column] = _names(np.where(short, None, points[column].to_numpy(dtype=object)))
    return points


def _summary(points: pd.DataFrame, series: np.ndarray, icons: pd.DataFrame) -> pd.DataFrame:
    """One row per series: icons only for a charted series, with its status and points."""
    keys = points.groupby(series, sort=True)[SERIES_KEYS].first()
    status, in_last_phase = _status(points, series)
    charted = status == "charted"
    icons = icons.set_index("series_id").reindex(keys.index)
    return keys.reset_index(drop=True).assign(
        variation=_names(np.where(charted, icons["variation"].to_numpy(dtype=object), None)),
        assurance=_names(np.where(charted, icons["assurance"].to_numpy(dtype=object), None)),
        status=status,
        points=in_last_phase,
    )


def _names(column: np.ndarray) -> pd.Series:
    # dtype=object keeps None as None: pandas 3 would make a str column of names, with NaN.
    return pd.Series(column, dtype=object)


def _status(points: pd.DataFrame, series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per series: its status (STATUSES) and the months in its last phase's limits."""
    suppressed = points["suppressed"].to_numpy()
    shown = points["value"].notna().to_numpy() | suppressed
    last_phase = points.groupby(series)["phase"].transform("max").to_numpy()
    in_last_phase = points["in_limits"].to_numpy() & (points["phase"].to_numpy() == last_phase)
    per_series = pd.DataFrame({
        "unsuppressed": shown & ~suppressed, "suppressed": suppressed,
        "in_last_phase": in_last_phase,
    }).groupby(series, sort=True).sum()  # fmt: skip
    last_shown = pd.Series(suppressed[shown]).groupby(series[shown]).last()
    last_suppressed = last_shown.reindex(per_series.index, fill_value=False).to_numpy(dtype=bool)
    status = np.select(
        [
            (per_series["unsuppressed"] == 0) & (per_series["suppressed"] > 0),
            last_suppressed,
            per_series["in_last_phase"] < MINIMUM_POINTS,
        ],
        ["all_suppressed", "last_point_suppressed", "too_few_points"],
        "charted",
    )
    return status, per_series["in_last_phase"].to_numpy(dtype=np.int64)
