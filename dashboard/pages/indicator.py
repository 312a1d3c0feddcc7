"""Indicator detail (/indicator/<id>): the SPC chart of one org's monthly series with its
icons and change points, a funnel plot and a ranked bar chart of the orgs compared, a
table of each chart, and the indicator's definition. Level, org, period type, period,
segment, benchmark and funnel limits are kept in the URL query, so a view can be shared.

Every verdict and colour is the published one, drawn beside the value, interval and
benchmark it was decided on: for an indirectly standardised indicator against the whole
system that is the standardised ratio against 1, with the crude rate as context
(`indicator_data.comparison_basis`). Analysts and admins record change points here
(`indicator_panels.change_point_panel`); they take effect at the next publish.
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, dcc, html, no_update

from dashboard import access, exports, formats, session, theme
from dashboard.figures.funnel import (
    LIMIT_CHOICES,
    build_funnel,
    funnel_family,
    funnel_figure,
    funnel_table,
)
from dashboard.figures.ranked_bar import ranked_bar_figure
from dashboard.figures.spc_chart import cause_text, spc_figure
from dashboard.icons import assurance_icon, assurance_label, variation_icon, variation_label
from dashboard.pages import commentary_panel
from dashboard.pages import indicator_data as data
from dashboard.pages.indicator_panels import (
    change_point_panel,
    definition_panel,
    measure_unit,
    peer_table,
    ratio_text,
    register_change_points,
    spc_table,
)
from dashboard.pages.indicator_targets import chart_target, target_panel
from dashboard.pages.peers_panel import peer_group_panel
from metrics.peers import MIN_PEERS_USED

PATH = "/indicator"
TITLE = "Indicator detail"
IN_NAV = False
FUNNEL_KEY = (
    "Points are coloured by where they fall against the limits drawn (above, between or "
    "below them), not by a verdict; the verdicts are those of the ranked chart and table."
)
RANKED_KEY = (
    "Bars are coloured by the published comparison of each 95% confidence interval with the "
    "benchmark (black line): green better, amber similar, red worse; blue higher and purple "
    "lower where neither direction is better."
)
STATUS_TEXT = {
    "too_few_points": (
        "Too few points for process limits: {points} unsuppressed months since the last "
        "change point, and limits need 15. No variation or assurance icon is shown."
    ),
    "last_point_suppressed": (
        "The latest month is suppressed, so no variation or assurance icon is shown."
    ),
    "all_suppressed": "Every month of this series is suppressed: no chart or icon is shown.",
}
PEERS_SHOWN = (
    "Shown: this org and those of its peers in your scope. The line is this org's peer "
    "median; each peer's colour compares its interval with that same line."
)
NO_SERIES = "No monthly SPC series is published for this organisation and segment."
CONTROL_NAMES = ("level", "org", "period-type", "period", "segment", "benchmark", "limits")
QUERY_NAMES = ("level", "org", "period_type", "period", "segment", "benchmark", "limits")


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


def segment_choices(level: str | None, segment: str | None, metric_id: str):
    """Callback: returns (segment options, chosen segment) for a level: the segments
    published for the indicator there, keeping the chosen one where it is published."""
    indicator = data.definition(metric_id)
    if indicator is None or level not in data.LEVELS:
        return [], "all"
    options = _segment_options(session.current_scope(), indicator, level)
    values = {option["value"] for option in options}
    return options, segment if segment in values else "all"


def update_indicator(level, org, period_type, period, segment, benchmark, limits, metric_id):
    """Callback: returns (the charts and tables for the chosen view, the URL query). A bad
    view gives its sentence and leaves the URL as it was."""
    scope = session.current_scope()
    chosen = (level, org, period_type, period, segment, benchmark, limits)
    query = dict(zip(QUERY_NAMES, chosen, strict=True))
    view, problem = data.parse_view(metric_id, query, scope)
    if problem:
        return html.P(problem, className="lead"), no_update
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
        Output("indicator-segment", "options"),
        Output("indicator-segment", "value"),
        Input("indicator-level", "value"),
        State("indicator-segment", "value"),
        State("indicator-metric", "data"),
        prevent_initial_call=True,
    )(segment_choices)
    app.callback(
        Output("indicator-content", "children"),
        Output("indicator-url", "search"),
        *(Input(f"indicator-{name}", "value") for name in CONTROL_NAMES),
        State("indicator-metric", "data"),
        prevent_initial_call=True,
    )(update_indicator)
    register_change_points(app)


def detail_content(scope, view: data.View) -> list:
    """Returns the headline, the SPC section and the comparison section of a valid view."""
    detail = data.load_detail(scope, view)
    return [_headline(detail), _spc_section(detail), _comparison_section(detail)]


def _headline(detail: data.Detail) -> html.Div:
    view, row = detail.view, detail.selected
    where = f"{detail.org_name} ({access.level_label(view.level).lower()})"
    period = data.period_label(view.period_type, view.period)
    segment = segment_name(view.segment)
    if row is None:
        return html.P(f"{where}, {period}, {segment}: no value published.", className="lead")
    unit = _unit_after_number(measure_unit(detail.indicator, view.segment))
    first = f"{where}, {period}, {segment}: {_value_text(detail, row)} {unit}."
    if row["suppressed"]:
        first = f"{where}, {period}, {segment}: suppressed (*) to protect confidentiality."
    lines = [html.P(first, className="lead mb-1")]
    if detail.own_basis is not None and not row["suppressed"]:
        lines.append(html.P(_verdict_text(detail, row), className="mb-1"))
    return html.Div(lines, id="indicator-headline", className="mb-3")


def _value_text(detail: data.Detail, row: dict) -> str:
    unit, target = detail.indicator["unit"], detail.indicator.get("target_value")
    value = formats.number(row["value"], unit, target, suppressed=bool(row["suppressed"]))
    if row["suppressed"] or pd.isna(row["lower_95"]):
        return value
    interval = (
        formats.number(row["lower_95"], unit, target),
        formats.number(row["upper_95"], unit, target),
    )
    return f"{value} (95% CI {interval[0]} to {interval[1]})"


def _unit_after_number(unit: str) -> str:
    """A unit to follow a number that already carries its % sign: "of the register"."""
    return unit[1:].strip() if formats.is_percentage(unit) else unit


def _verdict_text(detail: data.Detail, row: dict) -> str:
    basis, indicator = detail.own_basis, detail.indicator
    if row[basis.verdict] == "not compared":
        reason = (
            "a count has no confidence interval"
            if indicator["method"] == "count"
            else _missing_benchmark(detail, row)
        )
        return f"Not compared with {basis.benchmark_name}: {reason}."
    strict = row.get(f"{basis.verdict}_998")
    words = f"{row[basis.verdict]} at 95%" + (
        f", {strict} at 99.8%" if isinstance(strict, str) else ""
    )
    if basis.ratio:
        crude = row.get("system_value")
        context = formats.number(crude, indicator["unit"], indicator.get("target_value"))
        return (
            f"Compared with the whole system, allowing for age and sex: standardised ratio "
            f"{ratio_text(row['isr'], row['isr_lower_95'], row['isr_upper_95'])} against 1 "
            f"(as expected at the system's rates): {words}. The whole system's crude value "
            f"is {context}, shown for context; it does not decide the verdict."
        )
    benchmark = formats.number(basis.benchmark, indicator["unit"], indicator.get("target_value"))
    if detail.view.benchmark == "peers":
        benchmark += f", the median of {int(row['peers_used'])} peers' published values"
    return f"Compared with {basis.benchmark_name} ({benchmark}): {words}."


def _missing_benchmark(detail: data.Detail, row: dict) -> str:
    if detail.view.benchmark != "peers" or pd.isna(row.get("lower_95")):
        return "its interval or the benchmark is not published"
    if detail.peer_group is None or detail.peer_group.empty:
        return "it has no peer group"
    return f"fewer than {MIN_PEERS_USED} of its peers have a published value"


def _spc_section(detail: data.Detail) -> html.Section:
    indicator, points = detail.indicator, detail.points
    has_values = not points.empty and points["value"].notna().any()
    status_text = STATUS_TEXT.get(detail.status, "").format(points=detail.status_points or 0)
    body = [html.P(status_text, id="indicator-spc-status")] if status_text else []
    if detail.status == "charted":
        body.insert(0, _icons(detail))
    if not has_values:
        body = body or [html.P(NO_SERIES, id="indicator-spc-status")]
    else:
        body += [
            exports.download_links("indicator-spc", _export_query(detail), chart=True),
            dcc.Graph(
                id="indicator-spc",
                figure=detail_spc_figure(detail),
                config=_graph_config(f"spc-{detail.view.metric_id}-{detail.view.org}"),
            ),
            _details("SPC chart as a table", spc_table(points, cause_text, indicator)),
        ]
    body.insert(0, target_panel(indicator, detail.view.org, points))
    note = html.P(
        "The SPC chart always uses monthly values, whatever the period type.",
        className="nhs-muted small",
    )
    panel = change_point_panel(detail)
    comments = commentary_panel.panel_for_view(detail.view)
    return html.Section(
        [html.H2(f"SPC chart: {detail.org_name}"), *body, note, panel, comments],
        className="nhs-card",
    )


def _icons(detail: data.Detail) -> html.P:
    variation, assurance = detail.icons
    improvement = detail.indicator["improvement"]
    return html.P(
        [
            variation_icon(variation, improvement),
            " ",
            variation_label(variation, improvement),
            html.Br(),
            assurance_icon(assurance),
            " ",
            assurance_label(assurance),
        ],
        id="indicator-spc-icons",
    )


def detail_spc_figure(detail: data.Detail):
    indicator = detail.indicator
    target, trajectory = chart_target(indicator, detail.view.org, detail.points)
    title = _title(detail, "SPC chart, monthly")
    unit = measure_unit(indicator, detail.view.segment)
    return spc_figure(detail.points, target, unit, detail.changes, title, trajectory)


def _comparison_section(detail: data.Detail) -> html.Section:
    units = level_plural(detail.peer_level)
    basis = detail.basis
    benchmark_name = data.BENCHMARKS[detail.view.benchmark].split(" (")[0].lower()
    if detail.view.level == "system":
        benchmark_name = "whole system"
    heading = html.H2(f"{units} compared with the {benchmark_name}")
    shown = detail.peers[~detail.peers["suppressed"]]
    group = _peer_group(detail)
    if detail.peers.empty or basis is None:
        return _section(heading, html.P("No values are published for this view."), *group)
    compared = basis.compared(detail.peers)
    funnel = detail_funnel(detail)
    table = funnel_table(detail.peers, funnel).assign(
        comparison=compared["comparison"], comparison_998=compared["comparison_998"]
    )
    body = [
        html.P(_basis_text(detail), id="indicator-basis"),
        html.H3("Ranked, with 95% confidence intervals", className="h5"),
        html.P(RANKED_KEY, className="nhs-muted small"),
        _ranked(detail, compared) if len(shown) else _empty("ranked"),
        html.H3("Funnel plot (95% and 99.8% limits)", className="h5"),
        html.P(FUNNEL_KEY, className="nhs-muted small"),
        _funnel(detail, table, funnel),
        _details(
            "Funnel plot and ranked bar chart as a table",
            peer_table(table, basis, detail.indicator, detail.view.segment),
        ),
        *group,
    ]
    return _section(heading, *body)


def _peer_group(detail: data.Detail) -> list:
    """With benchmark 'peers': what the charts show, and the peer group itself."""
    if detail.peer_group is None:
        return []
    view = detail.view
    return [
        html.P(PEERS_SHOWN, className="nhs-muted small", id="indicator-peers-shown"),
        peer_group_panel(session.current_scope(), view.org, view.level, open_=True),
    ]


def _basis_text(detail: data.Detail) -> str:
    basis, indicator = detail.basis, detail.indicator
    if basis.ratio:
        return (
            "The verdicts compare each indirectly standardised ratio (observed / expected at "
            "the whole system's age- and sex-specific rates) and its interval with 1, so the "
            "charts show the ratio; the crude values are in the table, as context. "
            "Suppressed values (*) are left out of the charts."
        )
    if indicator["method"] == "count":
        return "Counts are not compared: a count has no confidence interval."
    benchmark = formats.number(basis.benchmark, indicator["unit"], indicator.get("target_value"))
    return (
        f"The verdicts compare each value's interval with {basis.benchmark_name} "
        f"({benchmark}). Suppressed values (*) are left out of the charts."
    )


def detail_funnel(detail: data.Detail):
    basis, indicator = detail.basis, detail.indicator
    family = funnel_family(indicator["method"], ratio=basis.ratio)
    return build_funnel(
        detail.peers[~detail.peers["suppressed"]],
        family,
        basis.benchmark,
        indicator["multiplier"],
        detail.view.limits,
    )


def _ranked(detail: data.Detail, compared: pd.DataFrame):
    config = _graph_config(f"ranked-{detail.view.metric_id}")
    figure = ranked_figure(detail, compared)
    return html.Div(
        [
            exports.download_links("indicator-ranked", _export_query(detail), chart=True),
            dcc.Graph(id="indicator-ranked", config=config, figure=figure),
        ]
    )


def ranked_figure(detail: data.Detail, compared: pd.DataFrame):
    basis = detail.basis
    percent = formats.is_percentage(detail.indicator["unit"]) and not basis.ratio
    return ranked_bar_figure(
        compared,
        basis.benchmark,
        detail.view.org,
        x_title=_measure_title(detail),
        benchmark_name="Ratio of 1" if basis.ratio else "Benchmark",
        percent=percent,
        title=_title(detail, "Ranked"),
    )


def _funnel(detail: data.Detail, table: pd.DataFrame, funnel):
    if funnel is None:
        return _empty("funnel")
    config = _graph_config(f"funnel-{detail.view.metric_id}")
    return html.Div(
        [
            html.P(funnel.description(), id="indicator-funnel-limits", className="small"),
            exports.download_links("indicator-funnel", _export_query(detail), chart=True),
            dcc.Graph(
                id="indicator-funnel", config=config, figure=_funnel_figure(detail, table, funnel)
            ),
        ]
    )


def _funnel_figure(detail: data.Detail, table: pd.DataFrame, funnel):
    basis = detail.basis
    return funnel_figure(
        table,
        funnel,
        highlight=detail.view.org,
        x_title="Expected count" if basis.ratio else "Denominator",
        y_title=_measure_title(detail),
        percent=formats.is_percentage(detail.indicator["unit"]) and not basis.ratio,
        title=_title(detail, "Funnel plot"),
    )


def _export_query(detail: data.Detail) -> dict:
    """The view a download link asks for (`indicator_exports`): the metric and the URL query."""
    return {"metric": detail.view.metric_id, **detail.view.query()}


def _empty(chart: str) -> html.P:
    sentences = {
        "funnel": (
            "No funnel plot: this indicator's method has no control limits, or there is no "
            "benchmark value or no unsuppressed org with a size to draw."
        ),
        "ranked": "No ranked chart: every value in this view is suppressed or missing.",
    }
    return html.P(sentences[chart], id=f"indicator-{chart}-empty")


def _measure_title(detail: data.Detail) -> str:
    if detail.basis is not None and detail.basis.ratio:
        return "Standardised ratio (observed / expected)"
    return measure_unit(detail.indicator, detail.view.segment)


def _title(detail: data.Detail, chart: str) -> dict:
    view = detail.view
    period = data.period_label(view.period_type, view.period)
    detail_text = (
        f"{chart}: {detail.org_name}, {period}, {segment_name(view.segment)}.<br>"
        f"{theme.SOURCE}, {access.version()}"
    )
    return theme.chart_title(detail.indicator["title"], detail_text)


def _graph_config(filename: str) -> dict:
    return theme.graph_config(filename, responsive=True)


def _section(heading, *body) -> html.Section:
    return html.Section([heading, *body], className="nhs-card")


def _details(summary: str, table) -> html.Details:
    return html.Details([html.Summary(summary), table], className="mt-2")


def _controls(scope, indicator: dict, view: data.View) -> dbc.Row:
    """Native selects (dbc.Select), each labelled by htmlFor, for the parts of a view."""
    options = _control_options(scope, indicator, view)
    chosen = (
        view.level, view.org, view.period_type, view.period, view.segment, view.benchmark,
        view.limits,
    )  # fmt: skip
    labels = (
        "Level", "Organisation", "Period type", "Period", "Segment", "Benchmark",
        "Funnel limits",
    )  # fmt: skip
    columns = [
        dbc.Col(
            [
                html.Label(label, htmlFor=f"indicator-{name}"),
                dbc.Select(id=f"indicator-{name}", options=options[name], value=value),
            ],
            md=4,
            lg=3,
            xl=True,
        )
        for name, label, value in zip(CONTROL_NAMES, labels, chosen, strict=True)
    ]
    return dbc.Row(columns, className="mb-3 g-2")


def _control_options(scope, indicator: dict, view: data.View) -> dict[str, list[dict]]:
    orgs = access.org_units(scope, view.level)
    levels = [level for level in data.LEVELS if level in indicator["levels"]]
    return {
        "level": [{"label": access.level_label(level), "value": level} for level in levels],
        "org": [{"label": row.org_name, "value": row.org_code} for row in orgs.itertuples()],
        "period-type": [{"label": text, "value": key} for key, text in data.PERIOD_TYPES.items()],
        "period": _period_options(view.period_type),
        "segment": _segment_options(scope, indicator, view.level),
        "benchmark": [{"label": text, "value": key} for key, text in data.BENCHMARKS.items()],
        "limits": [{"label": text, "value": key} for key, text in LIMIT_CHOICES.items()],
    }


def _segment_options(scope, indicator: dict, level: str) -> list[dict]:
    segments = data.segment_options(indicator, level, scope)
    return [
        {"label": _segment_label(row.segment, row.kind, row.value), "value": row.segment}
        for row in segments.itertuples()
    ]


def _segment_label(segment: str, kind: str, value: str) -> str:
    return "Everyone" if segment == "all" else f"{kind.replace('_', ' ')}: {value}"


def segment_name(segment: str) -> str:
    if segment == "all":
        return "everyone"
    kind, _, value = segment.partition(":")
    return f"{kind.replace('_', ' ')} {value}"


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
