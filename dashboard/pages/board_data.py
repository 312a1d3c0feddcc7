"""The board overview's data: the system-wide metrics for one area and period, composed
from `dashboard.access` reads (values, SPC points and icons, org names, feed status), the
targets in force (`dashboard.targets_live`) and the commentary (`wholesystem.commentary`).

`metric_rows` is the one place a board row is worked out; the board page and the board
pack both use it (and `summary_matrix`), so they cannot disagree.

Periods: the board shows a month, a board period (the snapshot's two-month `board`
periods) or the rolling 12 months to the month. "Change" compares the period with the
same kind of period starting two months earlier (boards meet every two months). SPC icons,
assurance and the trajectory are always monthly, as at the month: the limits are those of
the monthly chart.

Icons follow the series' SPC status: a variation or assurance icon is shown only for a
series that is charted (status 'charted'); otherwise the board says why in words, so no
icon is ever derived from a suppressed value or from too short a series. Assurance is
judged live, against the target in force now, not the published summary's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from dashboard import access, commenting, formats, targets_live
from dashboard.pages.indicator_data import definitions
from dashboard.pages.status import REFERENCE_FEEDS, feed_name
from dashboard.scope import Scope
from metrics import calendar
from wholesystem import commentary

BOARD_GROUPS = ("northumbria", "whole_system")
GROUP_HEADINGS = {
    "northumbria": "Northumbria's eight system-wide metrics",
    "whole_system": "Other whole-system measures",
}
PERIOD_TYPES = {
    "month": "Month",
    "board": "Board period (2 months)",
    "rolling12": "Rolling 12 months",
}
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
# "Needs attention first": the weight of each reason; a row's `attention` is their sum, so
# a special cause of concern outranks failing assurance, which outranks off trajectory.
ATTENTION = {"special cause of concern": 4, "failing the target": 2, "off trajectory": 1}
# Making Data Count summary matrix: variation rows by assurance columns, as in MDC board reports.
MATRIX_VARIATION = (
    "special_cause_improvement", "special_cause_neutral", "common_cause",
    "special_cause_concern", "no_variation",
)  # fmt: skip
MATRIX_ASSURANCE = ("consistent_pass", "inconsistent", "consistent_fail", "no_assurance")
ROW_COLUMNS = [
    "order", "metric_id", "title", "group", "unit", "improvement", "org_code", "period_type",
    "period_start", "period_end", "value", "suppressed", "previous_value",
    "previous_suppressed", "change", "month_value", "lower_limit", "upper_limit", "variation",
    "assurance", "status", "target", "target_source", "target_record", "planned", "on_track",
    "attention", "attention_reasons", "comment",
]  # fmt: skip


OBJECT_COLUMNS = (
    "variation", "assurance", "target_source", "target_record", "on_track", "comment",
    "period_start", "period_end",
)  # fmt: skip


@dataclass
class BoardData:
    """Everything the board table shows, already scoped and disclosure-controlled, with
    the rows keyed for lookup so that building the table costs no DataFrame filtering."""

    indicators: pd.DataFrame  # the board's metrics, in display order
    areas: pd.DataFrame  # org_code, org_name of the areas shown, the chosen one first
    others: pd.DataFrame  # the other areas the scope may see
    values: dict  # (metric_id, org_code, period_start) -> value row (dict), period_type's
    points: dict  # (metric_id, org_code) -> SPC points, the last 24 months to the month
    summary: dict  # (metric_id, org_code) -> the variation as published (latest month)
    statuses: dict  # (metric_id, org_code) -> the series' status as at the month
    month: pd.Timestamp
    previous: pd.Timestamp  # the month two months before (the last board's month)
    latest: bool  # whether the month is the latest published
    period_type: str = "month"
    period: tuple | None = None  # (period_start, period_end) shown, None when not published
    previous_period: tuple | None = None  # the same kind of period two months earlier
    board_period: date | None = None  # the board period holding the month (commentary key)
    month_values: dict = field(default_factory=dict)  # (metric_id, org_code) -> monthly row
    rows: dict = field(default_factory=dict)  # org_code -> metric_rows frame
    book: object = None  # the targets in force (`targets_live.book()`), read once per load


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
    scope: Scope,
    areas: pd.DataFrame,
    area: str,
    month: date,
    side_by_side: bool,
    latest: date,
    period_type: str = "month",
) -> BoardData:
    """Returns the board's data for one of the scope's `visible_areas`, a published month
    and a period type ('month', 'board' or 'rolling12'); `latest` is the latest published
    month. `rows` holds `metric_rows` of each area shown."""
    metrics = board_indicators()
    ids = metrics["id"].tolist()
    chosen = areas[areas["org_code"] == area]
    others = areas[areas["org_code"] != area]
    shown = pd.concat([chosen, others]) if side_by_side else chosen
    period = shown_period(period_type, month)
    previous_period = earlier_period(period_type, period)
    starts = [p[0] for p in (period, previous_period) if p is not None]
    values = access.values(
        scope, metric_ids=ids, levels=["area"], period_type=period_type, period_starts=starts
    )
    codes = shown["org_code"].tolist()
    points = access.spc_points(scope, ids, codes)
    summary = access.spc_summary(scope, ids, codes)
    data = BoardData(
        indicators=metrics,
        areas=shown.reset_index(drop=True),
        others=others.reset_index(drop=True),
        values=_keyed_values(values),
        points=_keyed_points(points, month),
        summary=_keyed_summary(summary),
        statuses=series_statuses(points, summary, month, month == latest),
        month=pd.Timestamp(month),
        previous=pd.Timestamp(previous_board_month(month)),
        latest=month == latest,
        period_type=period_type,
        period=period,
        previous_period=previous_period,
        board_period=board_period_of(month),
    )
    data.month_values = _month_values(data, scope, ids, month, period_type, values)
    data.book = targets_live.book()
    comments = _comments(data.board_period, codes)
    data.rows = {code: _rows(data, code, comments) for code in codes}
    return data


def metric_rows(scope: Scope, area: str, month: date, period_type: str = "month") -> pd.DataFrame:
    """Returns one row per board metric for an area (which the scope must see), a
    published month and a period type, in board order (Northumbria's eight first): the
    period's value and change, the monthly SPC icons, the live assurance, the target in
    force, the trajectory, the attention key and the current commentary (`ROW_COLUMNS`).
    No row for an area outside the scope: the frame is then empty."""
    areas = visible_areas(scope)
    if area not in set(areas["org_code"]):
        return pd.DataFrame(columns=ROW_COLUMNS)
    latest = access.months()[-1]
    data = load_board(scope, areas, area, month, False, latest, period_type)
    return data.rows[area]


def needs_attention_first(rows: pd.DataFrame) -> pd.DataFrame:
    """Returns the rows with the most attention first (`ATTENTION`: special cause of
    concern, then failing the target, then off trajectory), board order within each."""
    return rows.sort_values(["attention", "order"], ascending=[False, True], kind="stable")


def summary_matrix(rows: pd.DataFrame) -> pd.DataFrame:
    """Returns the Making Data Count summary matrix of `metric_rows`: one row per
    variation (`MATRIX_VARIATION`), one column per assurance (`MATRIX_ASSURANCE`), each
    cell the list of metric ids there in the rows' order. A series without icons (not
    charted) is 'no_variation' and 'no_assurance'; neutral special causes share a row."""
    matrix = pd.DataFrame(
        [[[] for _ in MATRIX_ASSURANCE] for _ in MATRIX_VARIATION],
        index=pd.Index(MATRIX_VARIATION, name="variation"),
        columns=pd.Index(MATRIX_ASSURANCE, name="assurance"),
        dtype=object,
    )
    for row in rows.itertuples():
        matrix.at[matrix_variation(row.variation), _assurance_column(row.assurance)].append(
            row.metric_id
        )
    return matrix


def matrix_variation(variation: str | None) -> str:
    """Returns the summary matrix row of a variation icon."""
    if not isinstance(variation, str):
        return "no_variation"
    return "special_cause_neutral" if variation.startswith("special_cause_neutral") else variation


def _assurance_column(assurance) -> str:
    return assurance if isinstance(assurance, str) else "no_assurance"


def shown_period(period_type: str, month: date) -> tuple | None:
    """Returns (period_start, period_end) of the period of a type the board shows for a
    month: the month itself; the published board period holding it, else the latest one
    ending before it; the rolling 12 months ending with it, else the latest ending before
    it. None when the snapshot publishes no such period."""
    month = pd.Timestamp(month).date()
    if period_type == "month":
        return month, (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
    periods = _periods(period_type)
    holding = [p for p in periods if p[0] <= month <= p[1]]
    if holding and period_type == "board":
        return holding[-1]
    month_end = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
    ended = [p for p in periods if p[1] <= month_end]
    return ended[-1] if ended else None


def earlier_period(period_type: str, period: tuple | None) -> tuple | None:
    """Returns the period of the same type starting two months before `period` (the last
    board's), or None when it is not published."""
    if period is None:
        return None
    start = previous_board_month(period[0])
    if period_type == "month":
        return start, (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
    return next((p for p in _periods(period_type) if p[0] == start), None)


def board_period_of(month: date) -> date:
    """Returns the board period holding a month (its first month; commentary's key), by
    the calendar's rule, so it is right before that board period is published."""
    return calendar.period_start("board", pd.Timestamp(month).date())


def period_label(period_type: str, period: tuple | None, short: bool = False) -> str:
    """Returns a period in words: 'October 2026', 'August to September 2026' or
    '12 months to October 2026'; `short` for a column heading: 'Oct 2026', 'Aug–Sep 2026'."""
    if period is None:
        return "not published"
    start, end = (pd.Timestamp(p) for p in period)
    name, to = ("%b", "–") if short else ("%B", " to ")
    if period_type == "month":
        return f"{start:{name} %Y}"
    if period_type == "rolling12":
        return f"12 months to {end:{name} %Y}"
    first = f"{start:{name}}" if start.year == end.year else f"{start:{name} %Y}"
    return f"{first}{to}{end:{name} %Y}"


def _periods(period_type: str) -> list[tuple[date, date]]:
    frame = access.periods(period_type)
    return [
        (pd.Timestamp(s).date(), pd.Timestamp(e).date())
        for s, e in zip(frame["period_start"], frame["period_end"], strict=True)
    ]


def _month_values(data, scope, ids, month, period_type, values) -> dict:
    """(metric_id, org_code) -> the monthly value row at the month (the trajectory is
    monthly whatever period the board shows)."""
    if period_type != "month":
        values = access.values(
            scope, metric_ids=ids, levels=["area"], org_codes=data.areas["org_code"].tolist(),
            period_starts=[month],
        )  # fmt: skip
    at = pd.Timestamp(month)
    return {
        (metric, code): row
        for (metric, code, start), row in _keyed_values(values).items()
        if start == at
    }


def _comments(board_period: date, codes: list[str]) -> dict:
    # Commentary not yet approved never leaves the server for a viewer (nor the pack).
    approved_only = not commenting.sees_unapproved()
    return commentary.for_period(
        access.configured_settings(), board_period, codes, approved_only=approved_only
    )


def _rows(data: BoardData, area: str, comments: dict) -> pd.DataFrame:
    records = [
        _row(data, indicator, area, order, comments.get((indicator["id"], area)))
        for order, indicator in enumerate(data.indicators.to_dict("records"))
    ]
    frame = pd.DataFrame(records, columns=ROW_COLUMNS)
    # Words and objects stay None where missing (pandas would make some NaN); numbers NaN.
    for column in OBJECT_COLUMNS:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def _row(data: BoardData, indicator: dict, area: str, order: int, comment) -> dict:
    metric = indicator["id"]
    current = _period_row(data, metric, area, data.period)
    previous = _period_row(data, metric, area, data.previous_period)
    monthly = data.month_values.get((metric, area))
    month_value = None if monthly is None or monthly["suppressed"] else monthly["value"]
    month, book = data.month.date(), _book(data)
    target = targets_live.target_for(indicator, area, month, book)
    variation, assurance = icons_at(data, indicator, area, target)
    lower, upper = _limits(data, metric, area)
    planned = targets_live.planned_for(indicator, area, month, book)
    on_track = None
    if planned is not None:
        on_track = targets_live.on_track_for(indicator, area, month, month_value, book)
    reasons = attention_reasons(variation, assurance, on_track)
    return {
        "order": order, "metric_id": metric, "title": indicator["title"],
        "group": indicator["group"], "unit": indicator["unit"],
        "improvement": indicator["improvement"], "org_code": area,
        "period_type": data.period_type,
        "period_start": None if data.period is None else data.period[0],
        "period_end": None if data.period is None else data.period[1],
        "value": _value(current), "suppressed": bool(current and current["suppressed"]),
        "previous_value": _value(previous),
        "previous_suppressed": bool(previous and previous["suppressed"]),
        "change": _change(current, previous), "month_value": month_value,
        "lower_limit": lower, "upper_limit": upper, "variation": variation,
        "assurance": assurance, "status": status_at(data, metric, area),
        "target": None if target is None else target.judged_against,
        "target_source": None if target is None else target.source,
        "target_record": target, "planned": planned, "on_track": on_track,
        "attention": sum(ATTENTION[r] for r in reasons), "attention_reasons": reasons,
        "comment": comment,
    }  # fmt: skip


def _period_row(data: BoardData, metric: str, area: str, period: tuple | None) -> dict | None:
    if period is None:
        return None
    return data.values.get((metric, area, pd.Timestamp(period[0])))


def _value(row: dict | None) -> float | None:
    if row is None or row["suppressed"] or pd.isna(row["value"]):
        return None
    return float(row["value"])


def _change(current: dict | None, previous: dict | None) -> float | None:
    now, before = _value(current), _value(previous)
    return None if now is None or before is None else now - before


def _limits(data: BoardData, metric: str, area: str) -> tuple[float | None, float | None]:
    """The monthly chart's process limits at the month (None unless the series is charted)."""
    point = _point_at_month(data, metric, area)
    if point is None or status_at(data, metric, area) != CHARTED:
        return None, None
    return _number(point["lower_limit"]), _number(point["upper_limit"])


def _point_at_month(data: BoardData, metric: str, area: str):
    points = series(data, metric, area)
    if points is None or points.empty:
        return None
    point = points.iloc[-1]
    return point if pd.Timestamp(point["period_start"]) == data.month else None


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def attention_reasons(variation, assurance, on_track) -> list[str]:
    """Returns why a row needs the board's attention (`ATTENTION`'s reasons, in order):
    a special cause of concern, assurance consistently failing, off trajectory."""
    found = {
        "special cause of concern": variation == "special_cause_concern",
        "failing the target": assurance == "consistent_fail",
        "off trajectory": on_track is False,
    }
    return [reason for reason, hit in found.items() if hit]


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
    # Only the variation: the assurance is judged live against the target in force.
    return {(row.metric_id, row.org_code): _text(row.variation) for row in summary.itertuples()}


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


def icons_at(
    data: BoardData, indicator: dict, area: str, target=None
) -> tuple[str | None, str | None]:
    """Returns (variation, assurance) of a metric and area as at the month, both None
    unless the series is charted. Variation: the published summary's for the latest
    month, otherwise that month's SPC point type. Assurance: live, the target in force
    for the area and month (`target`, else looked up in the board's book) against that
    month's process limits (`targets_live.judged`), never the published summary's."""
    if status_at(data, indicator["id"], area) != CHARTED:
        return None, None
    point = _point_at_month(data, indicator["id"], area)
    if point is None:
        return None, None
    key = (indicator["id"], area)
    variation = data.summary.get(key) if data.latest else _variation(point)
    lower, upper = _number(point["lower_limit"]), _number(point["upper_limit"])
    if target is None:
        target = targets_live.target_for(indicator, area, data.month.date(), _book(data))
    return variation, targets_live.judged(indicator, target, lower, upper)


def _book(data: BoardData):
    # One read of the targets per board, passed to each `targets_live` call.
    if data.book is None:
        data.book = targets_live.book()
    return data.book


def _variation(point) -> str | None:
    kind = point["point_type"]
    if kind == "neutral":
        return "special_cause_neutral_" + ("high" if point["value"] > point["mean"] else "low")
    return {
        "improvement": "special_cause_improvement",
        "concern": "special_cause_concern",
        "common_cause": "common_cause",
    }.get(kind)


def freshness_rows(last_month: date) -> pd.DataFrame:
    """Returns per feed (by feed) its id, its name in words, the latest date loaded and
    whether it is stale: behind `last_month` (the snapshot's last month) or with nothing
    loaded. Reference data (no months) is never stale. The board, its download and the
    pack all show this."""
    frame = access.feed_status()[["feed", "date_to"]].reset_index(drop=True)
    frame.insert(1, "name", frame["feed"].map(feed_name))
    loaded = pd.to_datetime(frame["date_to"]).dt.to_period("M")
    behind = loaded.isna() | (loaded < pd.Timestamp(last_month).to_period("M"))
    frame["stale"] = behind & ~frame["feed"].isin(REFERENCE_FEEDS)
    return frame


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
    return formats.change(_change(current, previous), unit, target)


def _unit_and_target(indicator: dict | None) -> tuple[str, float | None]:
    indicator = indicator or {}
    return indicator.get("unit", ""), indicator.get("target_value")
