"""Indicator detail (/indicator/<id>): the SPC chart of one org's monthly series with its
icons, a funnel plot and a ranked bar chart of the orgs compared, a table of each chart,
and the indicator's definition. Level, org, period type, period, segment and benchmark
are kept in the URL query, so a view can be shared as a link.
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, dcc, html

from dashboard import access, session
from dashboard.figures.funnel import funnel_family, funnel_figure, funnel_table
from dashboard.figures.ranked_bar import ranked_bar_figure
from dashboard.figures.spc_chart import cause_text, spc_figure
from dashboard.icons import assurance_icon, assurance_label, variation_icon, variation_label
from dashboard.pages import indicator_data as data
from dashboard.pages.board_data import format_value
from dashboard.pages.indicator_panels import definition_panel, peer_table, spc_table

PATH = "/indicator"
TITLE = "Indicator detail"
IN_NAV = False
FUNNEL_KEY = (
    "Points are coloured by where they fall against the 95% limits: green better, amber "
    "similar, red worse (blue higher, purple lower where neither direction is better)."
)
RANKED_KEY = (
    "Bars are coloured by the published comparison of each 95% confidence interval with the "
    "benchmark, in the same colours; the black line is the benchmark."
)
GRAPH_CONFIG = {"displaylogo": False, "responsive": True}


def layout(path: str, query: dict[str, str]):
    """Returns the page for /indicator/<id> and its query, or one sentence when the URL
    names no indicator, an unknown one, or an org the user cannot see."""
    metric_id = path.removeprefix(PATH).strip("/")
    if not metric_id:
        return _message("Choose an indicator from the Board overview or Definitions.")
    scope = session.current_scope()
    view, problem = data.parse_view(metric_id, query, scope)
    if problem:
        return _message(problem)
    indicator = data.definition(metric_id)
    return html.Div(
        [
            dcc.Location(id="indicator-url", refresh=False),
            dcc.Store(id="indicator-metric", data=metric_id),
            html.H1(indicator["title"]),
            _controls(scope, indicator, view),
            html.Div(detail_content(scope, view), id="indicator-content"),
            definition_panel(indicator),
        ]
    )


def org_choices(level: str | None):
    """Callback: returns (org options, chosen org) for a level: the user's own org at
    their level, otherwise the first."""
    scope = session.current_scope()
    orgs = access.org_units(scope, level) if level in data.LEVELS else pd.DataFrame()
    if orgs.empty:
        return [], None
    options = [{"label": row.org_name, "value": row.org_code} for row in orgs.itertuples()]
    codes = orgs["org_code"].tolist()
    return options, scope.code if scope.code in codes else codes[0]


def period_choices(period_type: str | None):
    """Callback: returns (period options, latest period) for a period type."""
    if period_type not in data.PERIOD_TYPES:
        return [], None
    options = _period_options(period_type)
    return options, options[0]["value"] if options else None


def update_indicator(level, org, period_type, period, segment, benchmark, metric_id):
    """Callback: returns (the charts and tables for the chosen view, the URL query)."""
    scope = session.current_scope()
    query = {
        "level": level,
        "org": org,
        "period_type": period_type,
        "period": period,
        "segment": segment,
        "benchmark": benchmark,
    }
    view, problem = data.parse_view(metric_id, query, scope)
    if problem:
        return html.P(problem, className="lead"), ""
    return detail_content(scope, view), "?" + urlencode(view.query())


def register(app) -> None:
    """Registers the page's callbacks."""
    app.callback(
        Output("indicator-org", "options"),
        Output("indicator-org", "value"),
        Input("indicator-level", "value"),
        prevent_initial_call=True,
    )(org_choices)
    app.callback(
        Output("indicator-period", "options"),
        Output("indicator-period", "value"),
        Input("indicator-period-type", "value"),
        prevent_initial_call=True,
    )(period_choices)
    app.callback(
        Output("indicator-content", "children"),
        Output("indicator-url", "search"),
        *(Input(f"indicator-{name}", "value") for name in CONTROL_NAMES),
        State("indicator-metric", "data"),
        prevent_initial_call=True,
    )(update_indicator)


CONTROL_NAMES = ("level", "org", "period-type", "period", "segment", "benchmark")


def detail_content(scope, view: data.View) -> list:
    """Returns the headline, the SPC section and the comparison section of a valid view."""
    detail = data.load_detail(scope, view)
    return [_headline(detail), _spc_section(detail), _comparison_section(detail)]


def _headline(detail: data.Detail) -> html.P:
    view, row = detail.view, detail.selected
    where = f"{detail.org_name} ({access.level_label(view.level).lower()})"
    period = data.period_label(view.period_type, view.period)
    if row is None:
        return html.P(f"{where}, {period}: no value published.", className="lead")
    value = format_value(row["value"], row["suppressed"])
    interval = (
        ""
        if row["suppressed"] or pd.isna(row["lower_95"])
        else (f" (95% CI {format_value(row['lower_95'])} to {format_value(row['upper_95'])})")
    )
    benchmark = data.BENCHMARKS[view.benchmark].split(" (")[0].lower()
    compared = (
        ""
        if view.level == "system"
        else f"; compared with the {benchmark}: {row[detail.comparison_column]}"
    )
    return html.P(
        f"{where}, {period}, segment {view.segment}: {value}{interval} "
        f"{detail.indicator['unit']}{compared}.",
        className="lead",
        id="indicator-headline",
    )


def _spc_section(detail: data.Detail) -> html.Section:
    indicator, points = detail.indicator, detail.points
    variation, assurance = detail.icons
    icons = html.P(
        [
            variation_icon(variation, indicator["improvement"]),
            " ",
            variation_label(variation, indicator["improvement"]),
            html.Br(),
            assurance_icon(assurance),
            " ",
            assurance_label(assurance),
        ]
    )
    target = indicator.get("target_value")
    target = None if target is None or pd.isna(target) else float(target)
    if points.empty or points["value"].isna().all():
        body = [html.P("No monthly SPC series is published for this organisation and segment.")]
    else:
        figure = spc_figure(points, target, indicator["unit"])
        body = [
            dcc.Graph(id="indicator-spc", figure=figure, config=GRAPH_CONFIG),
            _details("SPC chart as a table", spc_table(points, cause_text)),
        ]
    note = html.P(
        "The SPC chart always uses monthly values, whatever the period type.",
        className="nhs-muted small",
    )
    return html.Section(
        [html.H2(f"SPC chart: {detail.org_name}"), icons, note, *body], className="nhs-card"
    )


def _comparison_section(detail: data.Detail) -> html.Section:
    units = level_plural(detail.peer_level)
    benchmark_name = data.BENCHMARKS[detail.view.benchmark].split(" (")[0].lower()
    heading = html.H2(f"{units} compared with the {benchmark_name}")
    if detail.peers.empty:
        body = [html.P("No values are published for this view.")]
        return html.Section([heading, *body], className="nhs-card")
    indicator = detail.indicator
    table = funnel_table(
        detail.peers,
        detail.benchmark_value,
        indicator["method"],
        indicator["multiplier"],
        indicator["polarity"],
    )
    ranked = detail.peers.assign(comparison=detail.peers[detail.comparison_column])
    ranked_figure = ranked_bar_figure(ranked, detail.benchmark_value, detail.view.org)
    body = [
        html.P(
            f"Benchmark ({benchmark_name}): {format_value(detail.benchmark_value)}. "
            "Suppressed values (*) are left out of the charts."
        ),
        html.H3("Funnel plot (95% and 99.8% limits)", className="h5"),
        html.P(FUNNEL_KEY, className="nhs-muted small"),
        _funnel(detail, table, units),
        html.H3("Ranked, with 95% confidence intervals", className="h5"),
        html.P(RANKED_KEY, className="nhs-muted small"),
        dcc.Graph(id="indicator-ranked", config=GRAPH_CONFIG, figure=ranked_figure),
        _details(
            "Funnel plot and ranked bar chart as a table",
            peer_table(table, detail.comparison_column),
        ),
    ]
    return html.Section([heading, *body], className="nhs-card")


def _funnel(detail: data.Detail, table: pd.DataFrame, units: str):
    method, benchmark = detail.indicator["method"], detail.benchmark_value
    if funnel_family(method) is None or benchmark is None:
        return html.P("A funnel plot does not apply to this indicator's method or benchmark.")
    multiplier = detail.indicator["multiplier"]
    figure = funnel_figure(table, benchmark, method, multiplier, units, detail.view.org)
    return dcc.Graph(id="indicator-funnel", config=GRAPH_CONFIG, figure=figure)


def _details(summary: str, table) -> html.Details:
    return html.Details([html.Summary(summary), table], className="mt-2")


def _controls(scope, indicator: dict, view: data.View) -> dbc.Row:
    """Native selects (dbc.Select), each labelled by htmlFor, for the six parts of a view."""
    options = _control_options(scope, indicator, view)
    chosen = (view.level, view.org, view.period_type, view.period, view.segment, view.benchmark)
    labels = ("Level", "Organisation", "Period type", "Period", "Segment", "Benchmark")
    columns = [
        dbc.Col(
            [
                html.Label(label, htmlFor=f"indicator-{name}"),
                dbc.Select(id=f"indicator-{name}", options=options[name], value=value),
            ],
            md=4,
            lg=2,
        )
        for name, label, value in zip(CONTROL_NAMES, labels, chosen, strict=True)
    ]
    return dbc.Row(columns, className="mb-3")


def _control_options(scope, indicator: dict, view: data.View) -> dict[str, list[dict]]:
    orgs = access.org_units(scope, view.level)
    segments = data.segment_options(indicator)
    levels = [level for level in data.LEVELS if level in indicator["levels"]]
    return {
        "level": [{"label": access.level_label(level), "value": level} for level in levels],
        "org": [{"label": row.org_name, "value": row.org_code} for row in orgs.itertuples()],
        "period-type": [{"label": text, "value": key} for key, text in data.PERIOD_TYPES.items()],
        "period": _period_options(view.period_type),
        "segment": [
            {"label": _segment_label(row.segment, row.kind, row.value), "value": row.segment}
            for row in segments.itertuples()
        ],
        "benchmark": [{"label": text, "value": key} for key, text in data.BENCHMARKS.items()],
    }


def _segment_label(segment: str, kind: str, value: str) -> str:
    return "Everyone" if segment == "all" else f"{kind.replace('_', ' ')}: {value}"


def _period_options(period_type: str) -> list[dict]:
    periods = access.periods(period_type)
    return [
        {
            "label": data.period_label_of(row),
            "value": pd.Timestamp(row.period_start).date().isoformat(),
        }
        for row in reversed(list(periods.itertuples()))
    ]


def _message(sentence: str) -> html.Div:
    return html.Div([html.H1(TITLE), html.P(sentence, id="indicator-message", className="lead")])


def level_plural(level: str) -> str:
    """The orgs of a level, named for a chart's caption ("Localities", "PCNs")."""
    if level == "system":
        return "The system"
    label = access.level_label(level)
    return label[:-1] + "ies" if label.endswith("y") else label + "s"
