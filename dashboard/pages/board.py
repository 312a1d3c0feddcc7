"""Board overview, the landing page: a Making Data Count summary of the system-wide metrics
for one area and month, one row each (value, change since the last board period,
sparkline, variation and assurance icons, target, the other areas), with a toggle to show
every area side by side, and how fresh each feed's data is.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, dcc, html

from dashboard import access, session
from dashboard.figures.sparkline import sparkline_alt, sparkline_src
from dashboard.icons import assurance_icon, variation_icon
from dashboard.pages import board_data
from dashboard.pages.board_data import (
    CHARTED,
    STATUS_REASONS,
    STATUS_WORDS,
    format_change,
    format_value,
)
from dashboard.pages.status import REFERENCE_FEEDS, REFERENCE_TEXT, feed_name

PATH = "/"
TITLE = "Board overview"
IN_NAV = True
AREA_COLUMNS = ("Value", "Change", "Trend", "Variation", "Assurance")
SUPPRESSION_NOTE = (
    "* = suppressed: a count from 1 to 7, or a value from which one could be worked out, "
    "is not shown. Nothing is drawn or worked out from a suppressed month: the trend line "
    "has a gap there, and a series has a variation or assurance icon only when its SPC "
    "chart has enough unsuppressed months; otherwise the icon columns say why in words."
)


def layout(path: str, query: dict[str, str]):
    """Returns the page for the signed-in user; `area`, `period` (YYYY-MM-DD) and
    `side_by_side=1` in the query choose the view."""
    scope = session.current_scope()
    areas = board_data.visible_areas(scope)
    if areas.empty:
        return html.Div([html.H1(TITLE), html.P("There are no areas in your scope.")])
    months = access.months()
    area = query.get("area") if query.get("area") in set(areas["org_code"]) else None
    notice = _area_notice(query.get("area"), area)
    area = area or areas["org_code"].iloc[0]
    month = _parse_month(query.get("period"), months) or months[-1]
    side = query.get("side_by_side") == "1"
    return html.Div(
        [
            dcc.Location(id="board-url", refresh=False),
            html.H1(TITLE),
            _controls(areas, months, area, month, side),
            html.P(notice, className="nhs-muted") if notice else None,
            html.P(SUPPRESSION_NOTE, id="board-suppression-note", className="nhs-muted small"),
            html.Div(board_content(scope, areas, area, month, side), id="board-content"),
            _freshness(),
        ]
    )


def update_board(area: str | None, period: str | None, side_by_side: bool | None):
    """Callback: returns (the board table for the chosen area and month, the URL query)."""
    scope = session.current_scope()
    months = access.months()
    month = _parse_month(period, months)
    areas = board_data.visible_areas(scope)
    if area not in set(areas["org_code"]):
        return html.P(f"Area '{area}' is not one you can see."), ""
    if month is None:
        return html.P(f"There is no published month '{period}'."), ""
    query = {"area": area, "period": month.isoformat()} | (
        {"side_by_side": "1"} if side_by_side else {}
    )
    return board_content(scope, areas, area, month, bool(side_by_side)), "?" + urlencode(query)


def register(app) -> None:
    """Registers the board's callback."""
    app.callback(
        Output("board-content", "children"),
        Output("board-url", "search"),
        Input("board-area", "value"),
        Input("board-period", "value"),
        Input("board-side-by-side", "value"),
        prevent_initial_call=True,
    )(update_board)


def board_content(scope, areas: pd.DataFrame, area: str, month: date, side_by_side: bool):
    """Returns the summary table: one row per metric, one block of columns per area shown.
    `areas` are the scope's visible areas (`board_data.visible_areas`)."""
    latest = access.months()[-1]
    data = board_data.load_board(scope, areas, area, month, side_by_side, latest)
    rows = [
        _row(data, indicator, side_by_side, scope.is_whole_system)
        for indicator in data.indicators.to_dict("records")
    ]
    return html.Table(
        [_caption(data), _header(data, side_by_side), html.Tbody(rows)],
        id="board-table",
        className="table table-sm align-middle bg-white"
        + (" board-side-by-side" if side_by_side else ""),
    )


def _caption(data) -> html.Caption:
    names = " and ".join(data.areas["org_name"])
    return html.Caption(
        f"Making Data Count summary for {names}, {data.month:%B %Y}. Change is since "
        f"{data.previous:%B %Y}, the same measure two months earlier (the last board period). "
        f"Trend: the last {board_data.SPARKLINE_MONTHS} months. Icons as at {data.month:%B %Y}. "
        "* = suppressed (see the note above).",
        style={"captionSide": "top"},
    )


def _header(data, side_by_side: bool) -> html.Thead:
    month = f"{data.month:%b %Y}"
    single = [
        f"Value ({month})",
        f"Change since {data.previous:%b %Y}",
        "Trend",
        "Variation",
        "Assurance",
    ]
    if not side_by_side:
        cells = [_th(name) for name in ["Metric", *single, "Target", "Other areas"]]
        return html.Thead(html.Tr(cells))
    first = [_th("Metric", rowSpan=2)]
    first += [
        _th(name, colSpan=len(AREA_COLUMNS), scope="colgroup") for name in data.areas["org_name"]
    ]
    first.append(_th("Target", rowSpan=2))
    second = [_th(name) for _ in data.areas["org_code"] for name in single]
    return html.Thead([html.Tr(first), html.Tr(second)])


def _th(text: str, scope: str = "col", **spans) -> html.Th:
    return html.Th(text, scope=scope, **spans)


def _row(data, indicator: dict, side_by_side: bool, whole_system: bool) -> html.Tr:
    area = data.areas["org_code"].iloc[0]
    link = dcc.Link(
        indicator["title"],
        href=f"/indicator/{indicator['id']}?level=area&org={area}",
        id=f"board-link-{indicator['id']}",
        className="board-link",
    )
    cells = [html.Th([link, html.Div(indicator["unit"], className="nhs-muted small")], scope="row")]
    names = data.areas["org_name"].tolist() if side_by_side else [None]
    for code, name in zip(data.areas["org_code"], names, strict=False):
        cells += _area_cells(data, indicator, code, name)
    cells.append(_td(_target_text(indicator), "Target"))
    if not side_by_side:
        cells.append(_td(_others(data, indicator, whole_system), "Other areas"))
    return html.Tr(cells)


def _td(content, label: str, **props) -> html.Td:
    # data-label names the column where a narrow screen stacks a row's cells (nhs.css).
    return html.Td(content, **{"data-label": label}, **props)


def _area_cells(data, indicator: dict, area: str, area_name: str | None) -> list[html.Td]:
    current = board_data.value_row(data, indicator["id"], area, data.month)
    previous = board_data.value_row(data, indicator["id"], area, data.previous)
    status = board_data.status_at(data, indicator["id"], area)
    points = board_data.series(data, indicator["id"], area)
    value = "–" if current is None else _value_text(current, indicator)
    prefix = f"{area_name}: " if area_name else ""
    cells = [
        _td(value, prefix + "Value", className="text-end text-nowrap"),
        _td(format_change(current, previous, indicator), prefix + "Change", className="text-end"),
        _td(_sparkline(points, indicator, status), prefix + "Trend"),
    ]
    return cells + _icon_cells(data, indicator, area, status, prefix)


def _value_text(row: dict, indicator: dict):
    if row["suppressed"]:
        return html.Span(
            "*", title="Suppressed", **{"aria-label": "Suppressed"}, className="suppressed"
        )
    return format_value(row["value"], False, indicator)


def _icon_cells(data, indicator: dict, area: str, status: str, prefix: str) -> list[html.Td]:
    """Returns the variation and assurance cells: the icons of a charted series, otherwise
    one cell across both saying why there are none."""
    if status != CHARTED:
        words = html.Span(
            STATUS_WORDS.get(status, "No icon"),
            title=STATUS_REASONS.get(status, ""),
            className="board-status nhs-muted",
        )
        return [_td(words, prefix + "Variation and assurance", colSpan=2)]
    variation, assurance = board_data.icons_at(data, indicator, area)
    return [
        _td(variation_icon(variation, indicator["improvement"]), prefix + "Variation"),
        _td(assurance_icon(assurance), prefix + "Assurance"),
    ]


def _sparkline(points: pd.DataFrame | None, indicator: dict, status: str):
    if points is None or points.empty or points["value"].isna().all():
        return "–"
    if status != CHARTED:
        # No point type (colour) unless the series is charted: it would be an icon in all
        # but name.
        points = points.assign(point_type=None)
    alt = sparkline_alt(points, lambda value: format_value(value, False, indicator))
    return html.Img(src=sparkline_src(points), alt=alt)


def _target_text(indicator: dict) -> str:
    target = indicator.get("target_value")
    return (
        "No target" if target is None or pd.isna(target) else format_value(target, False, indicator)
    )


def _others(data, indicator: dict, whole_system: bool) -> list:
    lines = []
    others = data.others
    for code, name in zip(others["org_code"], others["org_name"], strict=True):
        row = board_data.value_row(data, indicator["id"], code, data.month)
        shown = "–" if row is None else format_value(row["value"], row["suppressed"], indicator)
        lines.append(html.Div(f"{name}: {shown}"))
    if not lines:
        lines.append(
            html.Div("No other area" if whole_system else "Other areas: not in your scope")
        )
    return lines


def _controls(areas: pd.DataFrame, months: list, area: str, month: date, side: bool):
    area_options = [{"label": row.org_name, "value": row.org_code} for row in areas.itertuples()]
    month_options = [{"label": f"{m:%B %Y}", "value": m.isoformat()} for m in reversed(months)]
    # Native selects (dbc.Select): labelled by htmlFor, keyboard-friendly, light to draw.
    area_select = dbc.Select(id="board-area", options=area_options, value=area)
    month_select = dbc.Select(id="board-period", options=month_options, value=month.isoformat())
    switch = dbc.Switch(id="board-side-by-side", label="Show the areas side by side", value=side)
    return dbc.Row(
        [
            dbc.Col([html.Label("Area", htmlFor="board-area"), area_select], md=4),
            dbc.Col([html.Label("Month", htmlFor="board-period"), month_select], md=3),
            dbc.Col(switch, md=4, className="pt-4"),
        ],
        className="mb-3",
    )


def _freshness() -> html.Section:
    feeds = board_data.freshness()
    rows = [
        html.Tr([html.Td(feed_name(row.feed)), html.Td(_latest_month(row.feed, row.date_to))])
        for row in feeds.itertuples()
    ]
    return html.Section(
        [
            html.H2("Data freshness", className="h5"),
            html.Table(
                [html.Thead(html.Tr([_th("Feed"), _th("Latest month loaded")])), html.Tbody(rows)],
                id="board-freshness",
                className="table table-sm bg-white w-auto",
            ),
        ],
        className="mt-4",
    )


def _latest_month(feed: str, value) -> str:
    return REFERENCE_TEXT if feed in REFERENCE_FEEDS else _month_text(value)


def _month_text(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%B %Y}"


def _area_notice(asked: str | None, found: str | None) -> str | None:
    if asked and not found:
        return f"Area '{asked}' is not one you can see; showing the first area in your scope."
    return None


def _parse_month(text: str | None, months: list) -> date | None:
    try:
        month = date.fromisoformat(text or "")
    except ValueError:
        return None
    return month if month in months else None
