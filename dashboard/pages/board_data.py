"""The board overview's data: the system-wide metrics for one area and month, composed
from `dashboard.access` reads (values, SPC points and icons, org names, feed status).

"Change since the last board period" compares the month with the same measure two months
earlier: boards meet every two months, and a monthly value two months back is published
for every metric, whereas the latest two-month board period is often incomplete.

Icons follow the series' SPC status: a variation or assurance icon is shown only for a
series that is charted (status 'charted'); otherwise the board says why in words, so no
icon is ever derived from a suppressed value or from too short a series.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from dashboard import access, formats
from dashboard.pages.indicator_data import definitions
from dashboard.scope import Scope

BOARD_GROUPS = ("northumbria", "whole_system")
BOARD_GAP_MONTHS = 2
SPARKLINE_MONTHS = 24
MINIMUM_POINTS = 15  # unsuppressed points a series needs for limits (Making Data Count)
CHARTED = "charted"
STATUS_WORDS = {
    "too_few_points": "Too few points",
    "last_point_suppressed": "Suppressed",
    "all_suppressed": "Suppressed",
    "no_series": "No series",
}
STATUS_REASONS = {
    "too_few_points": f"fewer than {MINIMUM_POINTS} unsuppressed months: no limits or icons",
    "last_point_suppressed": "this month is suppressed: no icon is derived from it",
    "all_suppressed": "every month is suppressed: no icon is derived from them",
    "no_series": "no monthly series is published",
}


@dataclass
class BoardData:
    """Everything the board table shows, already scoped and disclosure-controlled, with
    the rows keyed for lookup so that building the table costs no DataFrame filtering."""

    indicators: pd.DataFrame  # the board's metrics, in display order
    areas: pd.DataFrame  # org_code, org_name of the areas shown, the chosen one first
    others: pd.DataFrame  # the other areas the scope may see
    values: dict  # (metric_id, org_code, period_start) -> value row (dict)
    points: dict  # (metric_id, org_code) -> SPC points, the last 24 months to the month
    summary: dict  # (metric_id, org_code) -> (variation, assurance, status)
    statuses: dict  # (metric_id, org_code) -> the series' status as at the month
    month: pd.Timestamp
    previous: pd.Timestamp
    latest: bool  # whether the month is the latest published


def board_indicators() -> pd.DataFrame:
    """Returns the board's metrics: the Northumbria set first, then the whole-system set,
    each by title."""
    frame = definitions()
    frame = frame[frame["group"].isin(BOARD_GROUPS)].copy()
    frame["group_order"] = frame["group"].map(BOARD_GROUPS.index)
    return frame.sort_values(["group_order", "title"]).reset_index(drop=True)


def previous_board_month(month: date) -> date:
    """Returns the first day of the month two months before (the previous board period)."""
    return (pd.Timestamp(month) - pd.DateOffset(months=BOARD_GAP_MONTHS)).date()


def visible_areas(scope: Scope) -> pd.DataFrame:
    """Returns the areas the scope may see (org_code, org_name), by name."""
    return access.org_units(scope, "area")[["org_code", "org_name"]]


def load_board(
    scope: Scope, areas: pd.DataFrame, area: str, month: date, side_by_side: bool, latest: date
) -> BoardData:
    """Returns the board's data for one of the scope's `visible_areas` and a published
    month; `latest` is the latest published month."""
    metrics = board_indicators()
    ids = metrics["id"].tolist()
    chosen = areas[areas["org_code"] == area]
    others = areas[areas["org_code"] != area]
    shown = pd.concat([chosen, others]) if side_by_side else chosen
    previous = previous_board_month(month)
    values = access.values(scope, metric_ids=ids, levels=["area"], period_starts=[month, previous])
    codes = shown["org_code"].tolist()
    points = access.spc_points(scope, ids, codes)
    summary = access.spc_summary(scope, ids, codes)
    return BoardData(
        indicators=metrics,
        areas=shown.reset_index(drop=True),
        others=others.reset_index(drop=True),
        values=_keyed_values(values),
        points=_keyed_points(points, month),
        summary=_keyed_summary(summary),
        statuses=series_statuses(points, summary, month, month == latest),
        month=pd.Timestamp(month),
        previous=pd.Timestamp(previous),
        latest=month == latest,
    )


def _keyed_values(values: pd.DataFrame) -> dict:
    starts = pd.to_datetime(values["period_start"])
    records = values.to_dict("records")
    return {
        (row["metric_id"], row["org_code"], start): row
        for row, start in zip(records, starts, strict=True)
    }


def _keyed_points(points: pd.DataFrame, month: date) -> dict:
    end = pd.Timestamp(month)
    start = end - pd.DateOffset(months=SPARKLINE_MONTHS - 1)
    starts = pd.to_datetime(points["period_start"])
    recent = points[(starts >= start) & (starts <= end)]
    return {key: group for key, group in recent.groupby(["metric_id", "org_code"], sort=False)}


def _keyed_summary(summary: pd.DataFrame) -> dict:
    return {
        (row.metric_id, row.org_code): (_text(row.variation), _text(row.assurance))
        for row in summary.itertuples()
    }


def series_statuses(points: pd.DataFrame, summary: pd.DataFrame, month: date, latest: bool):
    """Returns (metric_id, org_code) -> the status of each series as at the month.

    For the latest month, the published summary's `status`; for an earlier month (or a
    snapshot whose summary has no status), worked out from the points up to the month:
    'all_suppressed', 'last_point_suppressed' (the month itself is), 'too_few_points'
    (fewer than MINIMUM_POINTS unsuppressed, or no limits at the month), else 'charted'.
    """
    if latest and "status" in summary:
        keys = zip(summary["metric_id"], summary["org_code"], strict=True)
        return dict(zip(keys, summary["status"], strict=True))
    upto = points[pd.to_datetime(points["period_start"]) <= pd.Timestamp(month)]
    return {key: _status(group, month) for key, group in upto.groupby(["metric_id", "org_code"])}


def _status(points: pd.DataFrame, month: date) -> str:
    shown = ~points["suppressed"].astype(bool)
    last = points.iloc[-1]
    if not shown.any():
        return "all_suppressed"
    if pd.Timestamp(last["period_start"]) != pd.Timestamp(month):
        return "no_series"
    if bool(last["suppressed"]):
        return "last_point_suppressed"
    if shown.sum() < MINIMUM_POINTS or pd.isna(last["mean"]):
        return "too_few_points"
    return CHARTED


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def value_row(data: BoardData, metric_id: str, area: str, month: pd.Timestamp) -> dict | None:
    """Returns the values row of a metric, area and month, or None when not published."""
    return data.values.get((metric_id, area, month))


def series(data: BoardData, metric_id: str, area: str) -> pd.DataFrame | None:
    """Returns the sparkline points of a metric and area, oldest first, or None."""
    return data.points.get((metric_id, area))


def status_at(data: BoardData, metric_id: str, area: str) -> str:
    """Returns the series' status as at the month ('charted' when icons may be shown)."""
    return data.statuses.get((metric_id, area), "no_series")


def icons_at(data: BoardData, indicator: dict, area: str) -> tuple[str | None, str | None]:
    """Returns (variation, assurance) of a metric and area as at the month, both None
    unless the series is charted: the published summary for the latest month, otherwise
    worked out from that month's SPC point (its point type; the target against its
    process limits)."""
    if status_at(data, indicator["id"], area) != CHARTED:
        return None, None
    if data.latest:
        return data.summary.get((indicator["id"], area), (None, None))
    points = series(data, indicator["id"], area)
    if points is None or points.empty:
        return None, None
    point = points.iloc[-1]
    if pd.Timestamp(point["period_start"]) != data.month:
        return None, None
    return _variation(point), _assurance(point, indicator)


def _variation(point) -> str | None:
    kind = point["point_type"]
    if kind == "neutral":
        return "special_cause_neutral_" + ("high" if point["value"] > point["mean"] else "low")
    return {
        "improvement": "special_cause_improvement",
        "concern": "special_cause_concern",
        "common_cause": "common_cause",
    }.get(kind)


def _assurance(point, indicator: dict) -> str | None:
    target, improvement = indicator.get("target_value"), indicator.get("improvement")
    if target is None or pd.isna(target) or improvement not in ("increase", "decrease"):
        return None
    lower, upper = point["lower_limit"], point["upper_limit"]
    if pd.isna(lower) or pd.isna(upper):
        return None
    if lower <= target <= upper:
        return "inconsistent"
    above = lower > target
    return "consistent_pass" if above == (improvement == "increase") else "consistent_fail"


def freshness() -> pd.DataFrame:
    """Returns per feed the latest date loaded (feed, date_to), by feed."""
    return access.feed_status()[["feed", "date_to"]]


def format_value(value, suppressed: bool = False, indicator: dict | None = None) -> str:
    """Returns a value for display in its indicator's decimals (`dashboard.formats`): '*'
    when suppressed, '–' when missing, a % sign for a percentage."""
    unit, target = _unit_and_target(indicator)
    return formats.number(value, unit, target, suppressed=suppressed)


def format_change(current: dict | None, previous: dict | None, indicator: dict | None = None):
    """Returns the change from previous to current with its sign, in the indicator's
    decimals ('pts' for percentage points); '*' if either value is suppressed, '–' if
    either is missing."""
    if current is None or previous is None:
        return formats.MISSING
    if current["suppressed"] or previous["suppressed"]:
        return formats.SUPPRESSED
    unit, target = _unit_and_target(indicator)
    return formats.change(current["value"] - previous["value"], unit, target)


def _unit_and_target(indicator: dict | None) -> tuple[str, float | None]:
    indicator = indicator or {}
    return indicator.get("unit", ""), indicator.get("target_value")
