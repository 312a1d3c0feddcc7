"""The board overview's downloads: its summary table (one row per metric and area shown,
from `board_data.load_board`'s rows, the same `metric_rows` the page and the pack use)
and the data freshness table.

The query is the board's own: `area`, `period` (the month, YYYY-MM-DD), `period_type`
('month', 'board' or 'rolling12'), `order=attention` and `side_by_side=1`. An area
outside the scope, or a month that is not published, is refused with the page's sentence.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard import access, exports, session
from dashboard.icons import assurance_label, variation_label
from dashboard.pages import board, board_data
from dashboard.pages.networks_data import parse_month
from dashboard.pages.status import REFERENCE_FEEDS, REFERENCE_TEXT

BOARD_DEFINITION = (
    "One row per board metric and area: the period's value and its change since the same "
    "kind of period two months earlier; the monthly SPC variation and assurance icons as "
    "at the month (Making Data Count); the target in force and its source; the planned "
    "value (trajectory) and whether the month is on track; the commentary for the board "
    "period. Each metric's definition is on the Definitions page."
)


def board_table(query: dict) -> exports.Export:
    """The board's summary table for the query's area, month and period type."""
    scope = session.current_scope()
    areas = board_data.visible_areas(scope)
    area, month, period_type = _view(areas, query)
    side_by_side = query.get("side_by_side") == "1"
    latest = access.months()[-1]
    data = board_data.load_board(scope, areas, area, month, side_by_side, latest, period_type)
    names = dict(zip(areas["org_code"], areas["org_name"], strict=True))
    attention = query.get("order") == "attention"
    frames = [_area_rows(data, code, names[code], attention) for code in data.areas["org_code"]]
    frame = pd.concat(frames, ignore_index=True)
    if not side_by_side:
        frame = _with_other_areas(frame, data, names)
    period = board_data.period_label(period_type, data.period)
    return exports.Export(
        title="Board overview: the summary table",
        frame=frame,
        org=" and ".join(data.areas["org_name"]),
        period=period,
        definition=BOARD_DEFINITION,
        source=exports.source_of(*data.indicators.to_dict("records")),
        org_code="-".join(data.areas["org_code"]) if side_by_side else area,
        period_code=f"{period_type}-{month.isoformat()}",
        formats=_formats(frame, data),
    )


def _formats(frame: pd.DataFrame, data) -> dict:
    # Each row in its own indicator's decimals, as the page shows it.
    units = frame["Unit"].tolist()
    formats = {
        name: exports.number_formats(units, frame["Target"].tolist())
        for name in ("Value", "Target", "Planned (trajectory)", *_other_columns(frame))
    }
    return formats | {"Change": exports.number_formats(units, signed=True)}


def _other_columns(frame: pd.DataFrame) -> list[str]:
    return [name for name in frame.columns if name.startswith("Value: ")]


def _view(areas: pd.DataFrame, query: dict) -> tuple[str, date, str]:
    months = access.months()
    area = query.get("area") or (areas["org_code"].iloc[0] if len(areas) else None)
    if area not in set(areas["org_code"]):
        raise exports.Refused(f"Area '{area}' is not one you can see.")
    month = parse_month(query.get("period"), months)
    if month is None:
        raise exports.Refused(f"There is no published month '{query.get('period')}'.")
    period_type = query.get("period_type") or "month"
    if period_type not in board_data.PERIOD_TYPES:
        raise exports.Refused(f"'{period_type}' is not a board period type.", 400)
    return area, month, period_type


def _area_rows(data, code: str, name: str, attention: bool) -> pd.DataFrame:
    rows = data.rows[code]
    if attention:  # the page's order "needs attention first"
        rows = board_data.needs_attention_first(rows)
    return pd.DataFrame(
        {
            "Area": name,
            "Area code": code,
            "Metric": rows["title"],
            "Metric id": rows["metric_id"],
            "Unit": rows["unit"],
            "Period": board_data.period_label(data.period_type, data.period),
            "Value": _starred(rows["value"], rows["suppressed"]),
            "Change": _starred(rows["change"], rows["suppressed"] | rows["previous_suppressed"]),
            "Variation": [_variation(row) for row in rows.itertuples()],
            "Assurance": [_assurance(row) for row in rows.itertuples()],
            "Target": rows["target"],
            "Target source": rows["target_source"],
            "Planned (trajectory)": rows["planned"],
            "On track": rows["on_track"].map({True: "yes", False: "no"}),
            "Needs attention": rows["attention_reasons"].map("; ".join),
            "Commentary": [_comment(comment) for comment in rows["comment"]],
        }
    )


def _starred(values: pd.Series, hidden: pd.Series) -> pd.Series:
    return values.astype(object).where(~hidden.astype(bool), "*")


def _variation(row) -> str:
    if row.status != board_data.CHARTED:
        return board_data.STATUS_WORDS.get(row.status, "No icon")
    return variation_label(row.variation, row.improvement)


def _assurance(row) -> str:
    if row.status != board_data.CHARTED:
        return board_data.STATUS_WORDS.get(row.status, "No icon")
    return assurance_label(row.assurance)


def _comment(comment) -> str:
    if comment is None:
        return ""
    action = f" Action: {comment.action}" if comment.action else ""
    approved = f"approved by {comment.approved_by}" if comment.approved else "not yet approved"
    return (
        f"{comment.text}{action} ({comment.author or '–'}, {comment.written_at[:10]}; {approved})"
    )


def _with_other_areas(frame: pd.DataFrame, data, names: dict) -> pd.DataFrame:
    """The page's "Other areas" column: each other area's value for the period."""
    start = None if data.period is None else pd.Timestamp(data.period[0])
    for code in data.others["org_code"]:
        values = []
        for metric in frame["Metric id"]:
            row = data.values.get((metric, code, start))
            values.append(None if row is None else ("*" if row["suppressed"] else row["value"]))
        frame[f"Value: {names[code]}"] = values
    return frame


def matrix(query: dict) -> exports.Export:
    """The summary matrix of the query's area as at the month: one row per metric with the
    matrix row (variation) and column (assurance) it sits in (`board_data.summary_matrix`)."""
    scope = session.current_scope()
    area, month, period_type = _view(board_data.visible_areas(scope), query)
    rows = board_data.metric_rows(scope, area, month, period_type)
    titles = dict(zip(rows["metric_id"], rows["title"], strict=True))
    cells = board_data.summary_matrix(rows)
    records = [
        {"Variation": board.MATRIX_ROWS[variation], "Assurance": board.MATRIX_COLUMNS[key],
         "Metric": titles[metric], "Metric id": metric}
        for variation in cells.index for key in cells.columns
        for metric in cells.at[variation, key]
    ]  # fmt: skip
    names = board_data.visible_areas(scope).set_index("org_code")["org_name"]
    return exports.Export(
        title="Board overview: the summary matrix (variation by assurance)",
        frame=pd.DataFrame(records, columns=["Variation", "Assurance", "Metric", "Metric id"]),
        org=names[area],
        period=f"{month:%B %Y}",
        definition="Each board metric in the Making Data Count summary matrix: the row of its "
        "monthly SPC variation and the column of its assurance against the target in force.",
        source=exports.source_of(*board_data.board_indicators().to_dict("records")),
        org_code=area,
        period_code=f"month-{month.isoformat()}",
    )


def freshness(query: dict) -> exports.Export:
    """The board's data freshness table: each feed, the latest month loaded and whether
    it is behind the snapshot's last month."""
    feeds = board_data.freshness_rows(access.months()[-1])
    frame = pd.DataFrame(
        {
            "Feed": feeds["name"],
            "Latest month loaded": [
                REFERENCE_TEXT if feed in REFERENCE_FEEDS else _month_text(value)
                for feed, value in zip(feeds["feed"], feeds["date_to"], strict=True)
            ],
            "Latest date loaded": pd.to_datetime(feeds["date_to"]).dt.date,
            "Behind the last month": feeds["stale"].map({True: "yes", False: "no"}),
        }
    )
    return exports.Export(
        title="Data freshness: the latest month loaded of each feed",
        frame=frame,
        org="Every feed",
        definition="The latest date each feed's loaded data covers (reference data has none).",
        period_code="latest",
        formats={"Latest date loaded": exports.DATE_FORMAT},
    )


def _month_text(value) -> str:
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%B %Y}"


exports.register("board", board_table, label="the board table")
exports.register("board-matrix", matrix, label="the summary matrix")
exports.register("board-freshness", freshness, label="the data freshness table")
