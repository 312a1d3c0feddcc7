"""Board overview, the landing page: a Making Data Count summary of the system-wide metrics
for one area and period, Northumbria's eight first as a group, then the other whole-system
measures. One row each (value, change since the last board period, sparkline, variation
and assurance icons, the target in force, the trajectory, the other areas), the board
period's commentary under it, and above the table the summary matrix (variation by
assurance) whose cells open each metric.

Choices, all kept in the URL query: the area, the month, the period type (`period_type`:
month, board period or rolling 12 months; values and change follow it, the SPC icons stay
monthly), the order (`order=attention`: needs attention first) and `side_by_side=1`.
The rows are `board_data.metric_rows`', the same the board pack uses.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, dcc, html

from dashboard import access, commenting, exports, formats, session, targets_live
from dashboard.figures.sparkline import sparkline_alt, sparkline_src
from dashboard.icons import assurance_icon, variation_icon
from dashboard.pages import board_data, commentary_panel
from dashboard.pages.board_data import (
    CHARTED,
    GROUP_HEADINGS,
    PERIOD_TYPES,
    STATUS_REASONS,
    STATUS_WORDS,
    format_change,
    format_value,
)
from dashboard.pages.networks_data import parse_month
from dashboard.pages.status import REFERENCE_FEEDS, REFERENCE_TEXT
from wholesystem import commentary
from wholesystem.pack_store import ALL_AREAS

PATH = "/"
TITLE = "Board overview"
NAV_LABEL = "Board"
IN_NAV = True
AREA_COLUMNS = ("Value", "Change", "Trend", "Variation", "Assurance", "Target", "Trajectory")
ORDERS = {"board": "Board order", "attention": "Needs attention first"}
PACK_PATH = "/pack"
SUPPRESSION_NOTE = (
    "* = suppressed: a count from 1 to 7, or a value from which one could be worked out, "
    "is not shown. Nothing is drawn or worked out from a suppressed month: the trend line "
    "has a gap there, and a series has a variation or assurance icon only when its SPC "
    "chart has enough unsuppressed months; otherwise the icon columns say why in words."
)
MATRIX_ROWS = {
    "special_cause_improvement": "Special cause: improvement",
    "special_cause_neutral": "Special cause: neither better nor worse",
    "common_cause": "Common cause",
    "special_cause_concern": "Special cause: concern",
    "no_variation": "No icon (too few points or suppressed)",
}
MATRIX_COLUMNS = {
    "consistent_pass": "Consistently passing the target",
    "inconsistent": "Sometimes passing, sometimes failing",
    "consistent_fail": "Consistently failing the target",
    "no_assurance": "No target, or no icon",
}


def layout(path: str, query: dict[str, str]):
    """Returns the page for the signed-in user; `area`, `period` (YYYY-MM-DD),
    `period_type`, `order` and `side_by_side=1` in the query choose the view."""
    scope = session.current_scope()
    areas = board_data.visible_areas(scope)
    if areas.empty:
        return html.Div([html.H1(TITLE), html.P("There are no areas in your scope.")])
    months = access.months()
    area = query.get("area") if query.get("area") in set(areas["org_code"]) else None
    notice = _area_notice(query.get("area"), area)
    area = area or areas["org_code"].iloc[0]
    month = parse_month(query.get("period"), months) or months[-1]
    period_type = query.get("period_type") if query.get("period_type") in PERIOD_TYPES else "month"
    order = query.get("order") if query.get("order") in ORDERS else "board"
    side = query.get("side_by_side") == "1"
    matrix, table, actions = _view(scope, areas, area, month, side, period_type, order)
    return html.Div(
        [
            dcc.Location(id="board-url", refresh=False),
            html.H1(TITLE),
            _controls(areas, months, area, month, side, period_type, order),
            html.P(notice, className="nhs-muted") if notice else None,
            html.Div(actions, id="board-actions"),
            html.Div(matrix, id="board-matrix"),
            html.P(
                formats.suppression_note(SUPPRESSION_NOTE),
                id="board-suppression-note",
                className="nhs-muted small",
            ),
            html.Div(table, id="board-content"),
            _freshness(months[-1]),
        ]
    )


def update_board(
    area: str | None,
    period: str | None,
    side_by_side: bool | None,
    period_type: str | None = "month",
    order: str | None = "board",
):
    """Callback: returns (the board table, the URL query, the summary matrix, the pack and
    download links) for the chosen area, month, period type and order."""
    scope = session.current_scope()
    months = access.months()
    month = parse_month(period, months)
    areas = board_data.visible_areas(scope)
    problem = None
    if area not in set(areas["org_code"]):
        problem = f"Area '{area}' is not one you can see."
    elif month is None:
        problem = f"There is no published month '{period}'."
    elif period_type not in PERIOD_TYPES or order not in ORDERS:
        problem = "Choose a period type and an order from the lists."
    if problem:
        return html.P(problem), "", None, None
    side = bool(side_by_side)
    matrix, table, actions = _view(scope, areas, area, month, side, period_type, order)
    return (
        table,
        "?" + urlencode(view_query(area, month, side, period_type, order)),
        matrix,
        actions,
    )


def view_query(area: str, month: date, side: bool, period_type: str, order: str) -> dict:
    """The URL query of a view (choices left at their defaults are left out)."""
    query = {"area": area, "period": month.isoformat()}
    if period_type != "month":
        query["period_type"] = period_type
    if order != "board":
        query["order"] = order
    return query | ({"side_by_side": "1"} if side else {})


def register(app) -> None:
    """Registers the board's callback and the commentary's (`commentary_panel`)."""
    app.callback(
        Output("board-content", "children"),
        Output("board-url", "search"),
        Output("board-matrix", "children"),
        Output("board-actions", "children"),
        Input("board-area", "value"),
        Input("board-period", "value"),
        Input("board-side-by-side", "value"),
        Input("board-period-type", "value"),
        Input("board-order", "value"),
        prevent_initial_call=True,
    )(update_board)
    commentary_panel.register(app)


def board_content(
    scope,
    areas: pd.DataFrame,
    area: str,
    month: date,
    side_by_side: bool,
    period_type: str = "month",
    order: str = "board",
):
    """Returns the summary table: one row per metric, one block of columns per area shown.
    `areas` are the scope's visible areas (`board_data.visible_areas`)."""
    return _view(scope, areas, area, month, side_by_side, period_type, order)[1]


def _view(scope, areas, area, month, side_by_side, period_type, order):
    """(summary matrix, table, pack and download links) of one view, from one load."""
    latest = access.months()[-1]
    data = board_data.load_board(scope, areas, area, month, side_by_side, latest, period_type)
    rows = data.rows[area]
    query = view_query(area, month, side_by_side, period_type, order)
    return (
        _matrix(data, rows, area),
        _table(data, rows, side_by_side, scope.is_whole_system, order),
        _actions(area, month, side_by_side, query),
    )


# ----------------------------------------------------------------------------- the table


def _table(data, rows: pd.DataFrame, side_by_side: bool, whole_system: bool, order: str):
    width = 1 + (len(data.areas) * len(AREA_COLUMNS) if side_by_side else 9)
    last = commentary.latest_before(
        access.configured_settings(), data.board_period, [rows["org_code"].iloc[0]],
        approved_only=not commenting.sees_unapproved(),
    ) if len(rows) else {}  # fmt: skip
    context = _Context(
        data, side_by_side, whole_system, width, last,
        indicators={row["id"]: row for row in data.indicators.to_dict("records")},
        records={code: frame.to_dict("records") for code, frame in data.rows.items()},
    )  # fmt: skip
    if order == "attention":
        ordered = board_data.needs_attention_first(rows)
        bodies = [html.Tbody(_metric_rows(context, ordered))]
    else:
        bodies = [
            html.Tbody(
                [_group_heading(group, width), *_metric_rows(context, group_rows)],
                className="board-group",
            )
            for group, group_rows in rows.groupby("group", sort=False)
        ]
    return html.Table(
        [_caption(data), _header(data, side_by_side), *bodies],
        id="board-table",
        className="table table-sm align-middle bg-white"
        + (" board-side-by-side" if side_by_side else ""),
    )


def _group_heading(group: str, width: int) -> html.Tr:
    heading = GROUP_HEADINGS.get(group, group.replace("_", " ").capitalize())
    return html.Tr(
        html.Th(heading, colSpan=width, scope="colgroup", className="board-group-heading h6"),
    )


class _Context(NamedTuple):
    """What every row of one board table needs, worked out once per table."""

    data: board_data.BoardData
    side_by_side: bool
    whole_system: bool
    width: int  # columns, for the cells spanning the table
    last: dict  # (metric_id, org_code) -> the last board's commentary
    indicators: dict  # metric_id -> definition
    records: dict  # org_code -> metric_rows as a list of dicts, in board order


def _metric_rows(context: _Context, rows: pd.DataFrame) -> list:
    out = []
    for row in rows.to_dict("records"):
        indicator = context.indicators[row["metric_id"]]
        out.append(_row(context, indicator, row))
        commentary_row = _commentary_row(context, indicator, row)
        if commentary_row is not None:
            out.append(commentary_row)
    return out


def _caption(data) -> html.Caption:
    names = " and ".join(data.areas["org_name"])
    words = board_data.period_label(data.period_type, data.period)
    before = board_data.period_label(data.period_type, data.previous_period)
    kind = {"month": "month", "board": "board period", "rolling12": "rolling 12 months"}
    return html.Caption(
        f"Making Data Count summary for {names}, {words} ({kind[data.period_type]}). "
        f"Change is since {before}, the same kind of period two months earlier (the last "
        f"board). Trend: the last {board_data.SPARKLINE_MONTHS} months. Variation, assurance "
        f"and trajectory are monthly, as at {data.month:%B %Y}, whatever the period shown. "
        "* = suppressed (see the note above).",
        style={"captionSide": "top"},
    )


def _header(data, side_by_side: bool) -> html.Thead:
    single = [
        f"Value ({board_data.period_label(data.period_type, data.period, short=True)})",
        f"Change since {board_data.period_label(data.period_type, data.previous_period, True)}",
        "Trend",
        f"Variation ({data.month:%b %Y})",
        "Assurance",
        "Target",
        "Trajectory",
    ]
    if not side_by_side:
        cells = [_th(name) for name in ["Metric", *single, "Other areas"]]
        return html.Thead(html.Tr(cells))
    first = [_th("Metric", rowSpan=2)]
    first += [
        _th(name, colSpan=len(AREA_COLUMNS), scope="colgroup") for name in data.areas["org_name"]
    ]
    second = [_th(name) for _ in data.areas["org_code"] for name in single]
    return html.Thead([html.Tr(first), html.Tr(second)])


def _th(text: str, scope: str = "col", **spans) -> html.Th:
    return html.Th(text, scope=scope, **spans)


def _row(context, indicator: dict, row: dict) -> html.Tr:
    data, side_by_side = context.data, context.side_by_side
    area = data.areas["org_code"].iloc[0]
    link = dcc.Link(
        indicator["title"],
        href=f"/indicator/{indicator['id']}?level=area&org={area}",
        id=f"board-link-{indicator['id']}",
        className="board-link",
    )
    header = [link, html.Div(indicator["unit"], className="nhs-muted small")]
    if row["attention_reasons"]:
        reasons = "Needs attention: " + "; ".join(row["attention_reasons"])
        header.append(html.Div(reasons, className="board-attention small"))
    cells = [html.Th(header, scope="row")]
    names = data.areas["org_name"].tolist() if side_by_side else [None]
    for code, name in zip(data.areas["org_code"], names, strict=False):
        cells += _area_cells(data, indicator, context.records[code][row["order"]], name)
    if not side_by_side:
        cells.append(_td(_others(data, indicator, context.whole_system), "Other areas"))
    return html.Tr(cells)


def _td(content, label: str, **props) -> html.Td:
    # data-label names the column where a narrow screen stacks a row's cells (nhs.css).
    return html.Td(content, **{"data-label": label}, **props)


def _area_cells(data, indicator: dict, row, area_name: str | None) -> list[html.Td]:
    status = row["status"]
    points = board_data.series(data, indicator["id"], row["org_code"])
    prefix = f"{area_name}: " if area_name else ""
    cells = [
        _td(_value_text(row, indicator), prefix + "Value", className="text-end text-nowrap"),
        _td(_change_text(row, indicator), prefix + "Change", className="text-end"),
        _td(_sparkline(points, indicator, status), prefix + "Trend"),
    ]
    cells += _icon_cells(indicator, row, prefix)
    cells.append(_td(_target_text(row, indicator), prefix + "Target"))
    cells.append(_td(_trajectory_text(row, indicator), prefix + "Trajectory"))
    return cells


def _value_text(row, indicator: dict):
    if row["suppressed"]:
        return html.Span(
            "*", title="Suppressed", **{"aria-label": "Suppressed"}, className="suppressed"
        )
    return format_value(row["value"], False, indicator)


def _change_text(row, indicator: dict) -> str:
    current = {"value": row["value"], "suppressed": row["suppressed"]}
    previous = {"value": row["previous_value"], "suppressed": row["previous_suppressed"]}
    return format_change(current, previous, indicator)


def _icon_cells(indicator: dict, row, prefix: str) -> list[html.Td]:
    """Returns the variation and assurance cells: the icons of a charted series, otherwise
    one cell across both saying why there are none."""
    status = row["status"]
    if status != CHARTED:
        words = html.Span(
            STATUS_WORDS.get(status, "No icon"),
            title=STATUS_REASONS.get(status, ""),
            className="board-status nhs-muted",
        )
        return [_td(words, prefix + "Variation and assurance", colSpan=2)]
    return [
        _td(variation_icon(row["variation"], indicator["improvement"]), prefix + "Variation"),
        _td(assurance_icon(row["assurance"]), prefix + "Assurance"),
    ]


def _target_text(row, indicator: dict):
    if row["target"] is None or pd.isna(row["target"]):
        return "No target"
    shown = format_value(row["target"], False, indicator)
    source = " (set)" if row["target_source"] == "set" else " (default)"
    why = targets_live.describe(row["target_record"])
    return html.Span([shown, html.Span(source, className="nhs-muted small")], title=why)


def _trajectory_text(row, indicator: dict):
    if row["planned"] is None or pd.isna(row["planned"]):
        return html.Span("–", title="No trajectory for this month")
    planned = format_value(row["planned"], False, indicator)
    if row["on_track"] is None:
        verdict = "Not judged"
    else:
        verdict = "On track" if row["on_track"] else "Off track"
    css = {"On track": "board-on-track", "Off track": "board-off-track"}.get(verdict, "")
    return html.Span(
        [html.Span(verdict, className=css), html.Span(f" (plan {planned})", className="small")]
    )


def _sparkline(points: pd.DataFrame | None, indicator: dict, status: str):
    if points is None or points.empty or points["value"].isna().all():
        return "–"
    if status != CHARTED:
        # No point type (colour) unless the series is charted: it would be an icon in all
        # but name.
        points = points.assign(point_type=None)
    alt = sparkline_alt(points, lambda value: format_value(value, False, indicator))
    return html.Img(src=sparkline_src(points), alt=alt)


def _others(data, indicator: dict, whole_system: bool) -> list:
    lines = []
    others = data.others
    start = None if data.period is None else pd.Timestamp(data.period[0])
    for code, name in zip(others["org_code"], others["org_name"], strict=True):
        row = board_data.value_row(data, indicator["id"], code, start)
        shown = "–" if row is None else format_value(row["value"], row["suppressed"], indicator)
        lines.append(html.Div(f"{name}: {shown}"))
    if not lines:
        lines.append(
            html.Div("No other area" if whole_system else "Other areas: not in your scope")
        )
    return lines


def _commentary_row(context, indicator: dict, row: dict) -> html.Tr | None:
    """The board period's commentary under a metric's row (the chosen area's), or None
    when there is none, none from the last board, and the user may not write any."""
    data, side_by_side, width = context.data, context.side_by_side, context.width
    earlier = context.last.get((row["metric_id"], row["org_code"]))
    if row["comment"] is None and earlier is None and not commenting.may_write():
        return None
    block = commentary_panel.comment_block(
        row["metric_id"], row["org_code"], data.board_period, row["comment"], earlier,
        indicator["title"],
    )  # fmt: skip
    # Side by side, commentary is the chosen area's: say so.
    area = html.Div(data.areas["org_name"].iloc[0], className="fw-bold") if side_by_side else None
    return html.Tr(
        html.Td([area, block], colSpan=width, **{"data-label": "Commentary"}),
        className="board-commentary-row",
    )


# ----------------------------------------------------------------------------- the matrix


def _matrix(data, rows: pd.DataFrame, area: str) -> html.Section:
    """The Making Data Count summary matrix of the chosen area: variation rows by
    assurance columns, each cell listing its metrics as links to their indicator pages."""
    matrix = board_data.summary_matrix(rows)
    titles = dict(zip(data.indicators["id"], _short_titles(data.indicators), strict=True))
    header = html.Thead(
        html.Tr([_th("Variation")] + [_th(_matrix_column(key)) for key in matrix.columns])
    )
    body = html.Tbody(
        [
            html.Tr(
                [html.Th(MATRIX_ROWS[variation], scope="row")]
                + [
                    _matrix_cell(matrix.at[variation, key], titles, area, key)
                    for key in matrix.columns
                ]
            )
            for variation in matrix.index
        ]
    )
    name = data.areas["org_name"].iloc[0]
    caption = html.Caption(
        f"Summary matrix for {name}, as at {data.month:%B %Y}: each metric sits in the row "
        "of its variation and the column of its assurance (against the target in force). "
        "Each name opens the metric.",
        style={"captionSide": "top"},
    )
    return html.Section(
        [
            html.H2("Summary matrix", className="h5"),
            exports.download_links("board-matrix", _matrix_query(data, area)),
            html.Table(
                [caption, header, body],
                id="board-matrix-table",
                className="table table-sm table-bordered bg-white board-matrix",
            ),  # fmt: skip
        ],
        className="mb-3",
    )


def _matrix_query(data, area: str) -> dict:
    """The view the summary matrix's download asks for (`board_exports.matrix`)."""
    return {"area": area, "period": f"{data.month:%Y-%m-%d}", "period_type": data.period_type}


def _matrix_column(key: str):
    if key == "no_assurance":
        return MATRIX_COLUMNS[key]
    return html.Span([assurance_icon(key), " ", MATRIX_COLUMNS[key]])


def _matrix_cell(metric_ids: list, titles: dict, area: str, key: str) -> html.Td:
    links = [
        html.Li(
            dcc.Link(
                titles[metric_id],
                href=f"/indicator/{metric_id}?level=area&org={area}",
                id=f"board-matrix-{metric_id}",
            )  # fmt: skip
        )
        for metric_id in metric_ids
    ]
    content = html.Ul(links, className="list-inline board-matrix-list mb-0 small") if links else "–"
    return html.Td(content, **{"data-label": MATRIX_COLUMNS[key]})


def _short_titles(indicators: pd.DataFrame) -> list[str]:
    if "short_title" not in indicators:
        return indicators["title"].tolist()
    return [
        short if isinstance(short, str) and short else title
        for short, title in zip(indicators["short_title"], indicators["title"], strict=True)
    ]


# ----------------------------------------------------------------------------- controls


def _actions(area: str, month: date, side_by_side: bool, query: dict) -> html.Div:
    """The board pack links (PDF and HTML; every area side by side when the board shows
    them so) and the board table's downloads."""
    pack = {"area": ALL_AREAS if side_by_side else area, "date": month.isoformat()}
    pack[access.SNAPSHOT_PARAMETER] = access.shown_version()
    links = [
        html.A(
            "Board pack (PDF)", href=f"{PACK_PATH}?{urlencode(pack | {'format': 'pdf'})}",
            id="board-pack-pdf", className="btn btn-primary btn-sm me-2",
        ),
        html.A(
            "Board pack (HTML)", href=f"{PACK_PATH}?{urlencode(pack | {'format': 'html'})}",
            id="board-pack-html", className="me-3",
        ),
    ]  # fmt: skip
    return html.Div(
        [html.Div(links, className="mb-2"), exports.download_links("board", query)],
        className="mb-2",
    )


def _controls(areas, months: list, area: str, month: date, side: bool, period_type, order):
    area_options = [{"label": row.org_name, "value": row.org_code} for row in areas.itertuples()]
    month_options = [{"label": f"{m:%B %Y}", "value": m.isoformat()} for m in reversed(months)]
    type_options = [{"label": label, "value": key} for key, label in PERIOD_TYPES.items()]
    order_options = [{"label": label, "value": key} for key, label in ORDERS.items()]
    # Native selects (dbc.Select): labelled by htmlFor, keyboard-friendly, light to draw.
    area_select = dbc.Select(id="board-area", options=area_options, value=area)
    month_select = dbc.Select(id="board-period", options=month_options, value=month.isoformat())
    type_select = dbc.Select(id="board-period-type", options=type_options, value=period_type)
    order_select = dbc.Select(id="board-order", options=order_options, value=order)
    switch = dbc.Switch(id="board-side-by-side", label="Show the areas side by side", value=side)
    return dbc.Row(
        [
            dbc.Col([html.Label("Area", htmlFor="board-area"), area_select], md=3),
            dbc.Col([html.Label("Month", htmlFor="board-period"), month_select], md=2),
            dbc.Col([html.Label("Period", htmlFor="board-period-type"), type_select], md=2),
            dbc.Col([html.Label("Order", htmlFor="board-order"), order_select], md=2),
            dbc.Col(switch, md=3, className="pt-4"),
        ],
        className="mb-3",
    )


def _freshness(last_month: date) -> html.Section:
    feeds = board_data.freshness_rows(last_month)
    rows = [
        html.Tr([html.Td(row.name), html.Td(_latest_month(row.feed, row.date_to, row.stale))])
        for row in feeds.itertuples()
    ]
    return html.Section(
        [
            html.H2("Data freshness", className="h5"),
            exports.download_links("board-freshness", {}),
            html.Table(
                [
                    html.Thead(html.Tr([_th("Feed"), _th("Latest month loaded")])),
                    html.Tbody(rows),
                ],
                id="board-freshness",
                className="table table-sm bg-white w-auto",
            ),
        ],
        className="mt-4",
    )


def _latest_month(feed: str, value, stale: bool = False):
    text = REFERENCE_TEXT if feed in REFERENCE_FEEDS else _month_text(value)
    if not stale:
        return text
    # Flagged before the month: a feed behind the snapshot's last month needs a caveat.
    why = "This feed's data ends before the snapshot's last month."
    badge = html.Span("Behind", className="badge bg-warning text-dark me-1", title=why)
    return [badge, text]


def _month_text(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%B %Y}"


def _area_notice(asked: str | None, found: str | None) -> str | None:
    if asked and not found:
        return f"Area '{asked}' is not one you can see; showing the first area in your scope."
    return None
