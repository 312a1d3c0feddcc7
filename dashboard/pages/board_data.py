"""The board overview's data: the system-wide metrics for one area and month, composed
from `dashboard.access` reads (values, SPC points and icons, org names, feed status).

"Change since the last board period" compares the month with the same measure two months
earlier: boards meet every two months, and a monthly value two months back is published
for every metric, whereas the latest two-month board period is often incomplete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from dashboard import access
from dashboard.pages.indicator_data import definitions
from dashboard.scope import Scope

BOARD_GROUPS = ("northumbria", "whole_system")
BOARD_GAP_MONTHS = 2
SPARKLINE_MONTHS = 24


@dataclass
class BoardData:
    """Everything the board table shows, already scoped and disclosure-controlled, with
    the rows keyed for lookup so that building the table costs no DataFrame filtering."""

    indicators: pd.DataFrame  # the board's metrics, in display order
    areas: pd.DataFrame  # org_code, org_name of the areas shown, the chosen one first
    others: pd.DataFrame  # the other areas the scope may see
    values: dict  # (metric_id, org_code, period_start) -> value row (dict)
    points: dict  # (metric_id, org_code) -> SPC points, the last 24 months to the month
    summary: dict  # (metric_id, org_code) -> (variation, assurance)
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
    return BoardData(
        indicators=metrics,
        areas=shown.reset_index(drop=True),
        others=others.reset_index(drop=True),
        values=_keyed_values(values),
        points=_keyed_points(access.spc_points(scope, ids, codes), month),
        summary=_keyed_summary(access.spc_summary(scope, ids, codes)),
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


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def value_row(data: BoardData, metric_id: str, area: str, month: pd.Timestamp) -> dict | None:
    """Returns the values row of a metric, area and month, or None when not published."""
    return data.values.get((metric_id, area, month))


def series(data: BoardData, metric_id: str, area: str) -> pd.DataFrame | None:
    """Returns the sparkline points of a metric and area, oldest first, or None."""
    return data.points.get((metric_id, area))


def icons_at(data: BoardData, indicator: dict, area: str) -> tuple[str | None, str | None]:
    """Returns (variation, assurance) of a metric and area as at the month: the published
    summary for the latest month, otherwise worked out from that month's SPC point (its
    point type; the target against its process limits)."""
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


def format_value(value, suppressed: bool = False, like=None) -> str:
    """Returns a value for display: '*' when suppressed, '–' when missing, else a number
    with one decimal (two under 10, three under 1); `like` sets the decimals by another
    value's size instead (a change is shown to the decimals of its value)."""
    if suppressed:
        return "*"
    if value is None or pd.isna(value):
        return "–"
    size = abs(value if like is None or pd.isna(like) else like)
    decimals = 1 if size >= 10 else 2 if size >= 1 else 3
    return f"{value:,.{decimals}f}"


def format_change(current: dict | None, previous: dict | None) -> str:
    """Returns the change from previous to current with its sign ('*' if either value is
    suppressed, '–' if either is missing)."""
    if current is None or previous is None:
        return "–"
    if current["suppressed"] or previous["suppressed"]:
        return "*"
    difference = current["value"] - previous["value"]
    if pd.isna(difference):
        return "–"
    return ("+" if difference > 0 else "") + format_value(difference, like=current["value"])
