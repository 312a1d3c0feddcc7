"""Network comparison: a heat map of networks by care-package KPIs against their targets,
then one network's practice league table and its exceptions for the MDT review.

Choose a network (and KPI) from the dropdowns or by clicking a heat-map cell. The month,
network and KPI are kept in the URL (`/networks?network=U91001&kpi=dm_bp_control`) by the
page's own `dcc.Location` ("networks-url"), so a view can be shared.
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash
import pandas as pd
from dash import Input, Output, dcc, html

from dashboard import access, exports, formats, session, theme
from dashboard.controls import labelled_select
from dashboard.figures.heatmap import STATUS_COLOURS, status_heatmap
from dashboard.pages import networks_data as data
from dashboard.pages.drilldown_data import format_value
from dashboard.scope import SYSTEM_CODE

PATH = "/networks"
TITLE = "Network comparison"
NAV_LABEL = "Networks"
IN_NAV = True
LEAGUE_HEADINGS = (
    "Practice",
    "Numerator",
    "Denominator",
    "Value",
    "95% CI",
    "Target",
    "Status",
    "Change since previous month",
)
EXCEPTION_HEADINGS = ("Practice", "KPI", "Previous month", "Latest month", "Change", "Why")
KEY_WORDS = {
    "met": "Green: at or beyond the upper threshold (the target)",
    "between": "Amber: from the lower threshold up to the upper one",
    "not_met": "Red: short of the lower threshold",
    "suppressed": "Pale grey: suppressed (*)",
    "no_target": "Grey: no target",
}
# Text colours with enough contrast on each status colour.
TEXT_ON_STATUS = {"met": theme.NHS_WHITE, "not_met": theme.NHS_WHITE}


def layout(path: str, query: dict[str, str]) -> html.Div:
    """The page for a URL: month, heat map, network and KPI choosers, league table and
    exceptions; an unknown month gives one sentence."""
    month = data.parse_month(query.get("month"))
    if month is None:
        return html.Div(
            [html.H1(TITLE), _sentence(f"There is no published month {query.get('month')!r}.")]
        )
    scope = session.current_scope()
    networks = access.org_units(scope, "network")
    kpis = data.care_package_kpis()
    network = query.get("network") or _default_network(scope, networks)
    kpi = query.get("kpi") or kpis.index[0]
    return html.Div(
        [
            dcc.Location(id="networks-url", refresh=False),
            html.H1(TITLE),
            labelled_select("Month", "networks-month", month.isoformat(), _month_options()),
            html.Section(render_heatmap(month.isoformat()), id="networks-heatmap-section"),
            html.Div(
                [
                    labelled_select("Network", "networks-network", network, _options(networks)),
                    labelled_select(
                        "KPI for the league table", "networks-kpi", kpi, _options(kpis)
                    ),
                ],
                className="d-flex flex-wrap gap-3",
            ),
            html.Div(render_network(network, kpi, month.isoformat()), id="networks-detail"),
        ]
    )


def render_heatmap(month_text: str) -> list:
    """Callback body: the heat map for a month, its key and its table alternative."""
    month = data.parse_month(month_text)
    if month is None:
        return [_sentence(f"There is no published month {month_text!r}.")]
    cells, rows, columns = data.heatmap_cells(session.current_scope(), month)
    if cells.empty:
        # No empty axes: say why there is nothing to draw.
        return [_sentence(f"No care-package KPI is published for {month:%B %Y} at any "
                          "network you can see, so there is no heat map.")]  # fmt: skip
    return [
        html.H2(f"Care-package KPIs by network, {month.strftime('%B %Y')}"),
        html.P(
            "Each cell is the network's value. Each KPI has a lower and an upper threshold "
            "(the QOF payment thresholds; the upper is the target), and the colour says "
            "where the value lies, in the direction of improvement. A KPI with a single "
            "target (the high-risk register, 2%) is green or red. * = suppressed (a count "
            "of 1 to 7, or a value from which one could be worked out). Click a cell to "
            "choose that network and KPI."
        ),
        _key(),
        exports.download_links("networks-heatmap", {"month": month.isoformat()}, chart=True),
        # A phone scrolls the chart, not the page: twelve KPI columns need the width.
        html.Div(
            dcc.Graph(
                id="networks-heatmap",
                figure=status_heatmap(cells, rows, columns, title=heatmap_title(month)),
                config=theme.graph_config(f"network-kpis-{month:%Y-%m}"),
                style={"minWidth": "56rem"},
            ),
            className="chart-scroll",
            tabIndex="0",
            role="region",
            **{"aria-label": "Heat map (scrolls sideways on a narrow screen)"},
        ),
        html.Details([html.Summary("Heat map as a table"), _heatmap_table(cells, rows, columns)]),
    ]


def render_network(network: str | None, kpi: str | None, month_text: str | None) -> list:
    """Callback body: the chosen network's league table for one KPI and its exceptions."""
    view = data.network_view(session.current_scope(), network, kpi, month_text)
    if isinstance(view, str):
        return [_sentence(view)]
    query = {"network": network, "kpi": kpi, "month": view.month.isoformat()}
    return [_league(view.rows, view.kpi, view.month, query), _exceptions(view, query)]


def update_network(network, kpi, month_text) -> tuple[list, str]:
    """Callback: the network detail and the URL query keeping the choices."""
    query = urlencode({"network": network or "", "kpi": kpi or "", "month": month_text or ""})
    return render_network(network, kpi, month_text), f"?{query}"


def choose_from_heatmap(click: dict | None) -> tuple:
    """Callback: a clicked cell chooses its network and KPI (the system row only its KPI)."""
    if not click or not click.get("points"):
        return dash.no_update, dash.no_update
    org, _, metric = str(click["points"][0].get("customdata", "")).partition("|")
    if not metric:
        return dash.no_update, dash.no_update
    return (dash.no_update if org == SYSTEM_CODE else org), metric


def register(app) -> None:
    """Registers the page's callbacks."""
    app.callback(
        Output("networks-heatmap-section", "children"),
        Input("networks-month", "value"),
        prevent_initial_call=True,
    )(render_heatmap)
    app.callback(
        Output("networks-network", "value"),
        Output("networks-kpi", "value"),
        Input("networks-heatmap", "clickData"),
        prevent_initial_call=True,
    )(choose_from_heatmap)
    app.callback(
        Output("networks-detail", "children"),
        Output("networks-url", "search"),
        Input("networks-network", "value"),
        Input("networks-kpi", "value"),
        Input("networks-month", "value"),
        prevent_initial_call=True,
    )(update_network)


def _default_network(scope, networks) -> str | None:
    if scope.level == "network":
        return scope.code
    return None if networks.empty else networks["org_code"].iloc[0]


def _month_options() -> list[dict]:
    return [
        {"label": m.strftime("%B %Y"), "value": m.isoformat()} for m in reversed(access.months())
    ]


def _options(frame) -> list[dict]:
    """Dropdown options from org units (org_code, org_name) or KPIs (indexed by id, title)."""
    if "org_code" in frame:
        pairs = zip(frame["org_code"], frame["org_name"], strict=True)
        return [{"label": name, "value": code} for code, name in pairs]
    return [{"label": title, "value": kpi} for kpi, title in frame["title"].items()]


def _sentence(text: str) -> html.P:
    return html.P(text, className="nhs-card", role="alert")


def _key() -> html.Ul:
    items = []
    for status, words in KEY_WORDS.items():
        swatch = html.Span(
            className="d-inline-block me-1 border",
            style={"width": "1rem", "height": "1rem", "backgroundColor": STATUS_COLOURS[status]},
        )
        items.append(html.Li([swatch, words], className="list-inline-item"))
    return html.Ul(items, className="list-inline", **{"aria-label": "Colour key"})


def _table(headings, rows: list[list], caption: str) -> html.Div:
    header = html.Thead(html.Tr([html.Th(heading, scope="col") for heading in headings]))
    body = html.Tbody(
        [html.Tr([html.Th(row[0], scope="row"), *map(html.Td, row[1:])]) for row in rows]
    )
    return html.Div(
        html.Table([html.Caption(caption), header, body], className="table table-sm bg-white"),
        className="table-responsive",
        # A keyboard user must be able to scroll a wide table on a narrow screen.
        tabIndex="0",
        role="region",
        **{"aria-label": caption},
    )


def _heatmap_table(cells, rows: list[str], columns: list[str]) -> html.Div:
    lookup = {(cell.row, cell.column): cell for cell in cells.itertuples()}
    table = []
    for row in rows:
        texts = [
            (lookup[row, column].text, data.STATUS_WORDS[lookup[row, column].status])
            if (row, column) in lookup
            else ("", "no data")
            for column in columns
        ]
        table.append([row, *(f"{text} ({words})" if text else words for text, words in texts)])
    return _table(
        ["Network", *columns], table, "Care-package KPI values by network, with target status"
    )


def heatmap_title(month) -> dict:
    return theme.chart_title(
        "Care-package KPIs by network against their thresholds",
        f"Every network you can see and the whole system, {month:%B %Y}. {theme.SOURCE}.",
    )


def _league(rows, kpi, month, query: dict) -> html.Section:
    table = [
        [
            row.practice,
            format_value(row.numerator, row.suppressed, "people"),
            format_value(row.denominator, row.suppressed, "people"),
            formats.number(row.value, row.unit, row.target_value, suppressed=row.suppressed),
            _interval(row),
            data.threshold_text(row._asdict()).capitalize(),
            _status_badge(row.status),
            _change(row),
        ]
        for row in data.league_table(rows, kpi.name).itertuples()
    ]
    return html.Section(
        [
            html.H2(f"Practice league table: {kpi['title']}"),
            exports.download_links("networks-league", query),
            _table(
                LEAGUE_HEADINGS, table, f"{kpi['title']}, {month.strftime('%B %Y')}, best first"
            ),
        ]
    )


def _exceptions(view: data.NetworkView, query: dict) -> html.Section:
    rows, month, before = view.rows, view.month, view.before
    heading = html.H2("Exceptions for the MDT review")
    if before is None:
        return html.Section([heading, html.P("There is no previous month to compare with.")])
    rule = html.P(
        f"Practice KPIs in {month.strftime('%B %Y')} that a clinician should look at, for "
        "any of three reasons: a special cause of concern on the KPI's SPC chart (a point "
        "outside the process limits, or a run or trend the wrong way); a fall since "
        f"{before.strftime('%B %Y')} whose 95% confidence interval (Newcombe's method for "
        "the difference of two proportions) excludes no change; or a drop below the lower "
        "threshold from at or above it. Suppressed values are not compared.",
        id="networks-exceptions-rule",
    )
    found = data.exceptions(rows)
    if found.empty:
        return html.Section([heading, rule, html.P("No practice KPI is an exception.")])
    table = [
        [
            row.practice,
            row.title,
            formats.number(
                row.previous, row.unit, row.target_value, suppressed=row.previous_suppressed
            ),
            formats.number(row.value, row.unit, row.target_value, suppressed=row.suppressed),
            _change_with_interval(row),
            formats.sentence_start(row.reason),
        ]
        for row in found.itertuples()
    ]
    return html.Section(
        [
            heading,
            rule,
            exports.download_links("networks-exceptions", query),
            _table(
                EXCEPTION_HEADINGS, table, "Practice KPIs that are exceptions by the rule above"
            ),
        ]
    )


def _interval(row) -> str:
    if row.suppressed:
        return "*"
    low, high = (
        formats.number(v, row.unit, row.target_value) for v in (row.lower_95, row.upper_95)
    )
    return f"{low} to {high}"


def _change(row) -> str:
    if row.suppressed or row.previous_suppressed:
        return "*"
    return formats.change(row.change, row.unit, row.target_value)


def _change_with_interval(row) -> str:
    """The change and its 95% interval: "-3.1 pts (-5.0 to -1.2)"."""
    change = _change(row)
    if change in ("*", formats.MISSING) or pd.isna(row.change_lower):
        return change
    low, high = (
        formats.change(v, row.unit, row.target_value).removesuffix(" pts")
        for v in (row.change_lower, row.change_upper)
    )
    return f"{change} (95% CI {low} to {high})"


def _status_badge(status: str) -> html.Span:
    style = {
        "backgroundColor": STATUS_COLOURS[status],
        "color": TEXT_ON_STATUS.get(status, theme.NHS_BLACK),
    }
    return html.Span(data.STATUS_WORDS[status], className="badge", style=style)
