"""Locality drill-down: one org's indicators against its parent, its context and children.

`/drilldown?org=CODE&period=month` keeps the view in the URL, in the page's own
`dcc.Location` ("drilldown-url"), so a view can be shared and the back button works. A
breadcrumb runs system › area › locality › network › practice; clicking a child (links
"drilldown-child-<code>") moves down a level. Segments are not offered: the same
indicators are shown at every level, and segments exist only at locality and above.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, dcc, html

from dashboard import exports, formats, session, theme
from dashboard.pages import drilldown_data as data
from dashboard.pages.drilldown_data import format_interval, format_value

PATH = "/drilldown"
TITLE = "Locality drill-down"
NAV_LABEL = "Localities"
IN_NAV = True
DEFAULT_PERIOD = "rolling12"
CHILD_LEVEL = dict(zip(data.LEVELS, data.LEVELS[1:], strict=False))
GROUP_HEADINGS = {
    "northumbria": "Northumbria indicators",
    "whole_system": "Whole-system indicators",
}
COMPARISON_PHRASES = {
    "better": "Better than",
    "worse": "Worse than",
    "similar": "Similar to",
    "higher": "Higher than",
    "lower": "Lower than",
}
DARK_TEXT_ON = {theme.AMBER, theme.LIGHT_BLUE, theme.GREY_4}


def layout(path: str, query: dict[str, str]) -> html.Div:
    """The page for a URL: period chooser, then the org's view (or one sentence)."""
    period = _period(query)
    return html.Div(
        [
            dcc.Location(id="drilldown-url", refresh=False, search=_search(query)),
            html.H1(TITLE),
            period_choice("drilldown-period", period),
            html.Div(id="drilldown-body", children=render_body(query.get("org"), period)),
        ]
    )


def render_body(code: str | None, period_type: str = DEFAULT_PERIOD) -> list | html.P:
    """Returns the view of an org for the signed-in user, or one sentence if they cannot
    see it."""
    view = data.drilldown_view(session.current_scope(), code, period_type)
    if view is None:
        return html.P(data.unknown_org_sentence(code), className="nhs-card", role="alert")
    query = {"org": view.org["org_code"], "period": period_type}
    return [
        _breadcrumb(view.trail, period_type),
        html.H2(f"{_org_heading(view.org)}, {view.period['label']}"),
        html.P(formats.suppression_note(), className="nhs-muted small", id="drilldown-note"),
        # One download for the context strip and the cards: the org's indicators.
        exports.download_links("drilldown-indicators", query),
        _context(view),
        *_cards(view),
        _children(view, period_type, query),
    ]


def _org_heading(org: dict) -> str:
    # "Coastline PCN (network)"; the whole system needs no level after its name.
    if org["level"] == "system":
        return org["org_name"]
    return f"{org['org_name']} ({formats.level_noun(org['level'])})"


def show_org(search: str | None) -> list | html.P:
    """Callback: re-renders the view when the URL's query changes (a child or crumb link)."""
    query = dict(parse_qsl((search or "").lstrip("?")))
    return render_body(query.get("org"), _period(query))


def choose_period(period_type: str, search: str | None) -> str:
    """Callback: returns the URL query with the chosen period, keeping the org."""
    query = dict(parse_qsl((search or "").lstrip("?")))
    query["period"] = period_type
    return _search(query)


def register(app) -> None:
    """Registers the page's callbacks."""
    app.callback(
        Output("drilldown-body", "children"),
        Input("drilldown-url", "search"),
        prevent_initial_call=True,
    )(show_org)
    app.callback(
        Output("drilldown-url", "search"),
        Input("drilldown-period", "value"),
        State("drilldown-url", "search"),
        prevent_initial_call=True,
    )(choose_period)


def period_choice(component_id: str, period_type: str) -> html.Fieldset:
    """Returns the period radio buttons (latest 12 months or latest month), in a fieldset
    whose legend labels them."""
    options = [{"label": label, "value": key} for key, label in data.PERIOD_TYPES.items()]
    return html.Fieldset(
        [
            html.Legend("Period", className="form-label fs-6"),
            dbc.RadioItems(id=component_id, options=options, value=period_type, inline=True),
        ],
        className="mb-3",
    )


def org_href(code: str, period_type: str = DEFAULT_PERIOD) -> str:
    """Returns the drill-down URL of an org (the period only when not the default)."""
    query = {"org": code, **({"period": period_type} if period_type != DEFAULT_PERIOD else {})}
    return f"{PATH}?{urlencode(query)}"


def comparison_badge(comparison: str | None, benchmark: str) -> html.Span:
    """Returns a coloured badge whose words say the comparison ("Worse than Tynebridge"),
    so colour is never the only cue."""
    phrase = COMPARISON_PHRASES.get(comparison)
    words = f"{phrase} {benchmark}" if phrase else (comparison or "No comparison").capitalize()
    colour = theme.COMPARISON_COLOURS.get(comparison, theme.GREY_4)
    text = theme.NHS_BLACK if colour in DARK_TEXT_ON else theme.NHS_WHITE
    return html.Span(words, className="badge", style={"backgroundColor": colour, "color": text})


def _period(query: dict) -> str:
    period = query.get("period", DEFAULT_PERIOD)
    return period if period in data.PERIOD_TYPES else DEFAULT_PERIOD


def _search(query: dict) -> str:
    return f"?{urlencode(query)}" if query else ""


def _breadcrumb(trail: list[dict], period_type: str) -> html.Nav:
    items = [
        html.Li(
            dcc.Link(
                org["org_name"],
                href=org_href(org["org_code"], period_type),
                id=f"drilldown-crumb-{org['org_code']}",
            ),
            className="breadcrumb-item",
        )
        for org in trail[:-1]
    ]
    items.append(
        html.Li(
            trail[-1]["org_name"], className="breadcrumb-item active", **{"aria-current": "page"}
        )
    )
    return html.Nav(
        html.Ol(items, className="breadcrumb", style={"--bs-breadcrumb-divider": "'›'"}),
        **{"aria-label": "Breadcrumb"},
    )


def _context(view: data.DrilldownView) -> html.Section:
    """The context strip: the org's population, age, deprivation and prevalence beside the
    system's; at system level the system's own, with nothing to compare it with."""
    is_system = view.org["level"] == "system"
    rows = view.rows_for(view.org["org_code"])
    system = None if is_system else view.rows_for(data.SYSTEM_CODE)
    single = [(data.CONTEXT_LABELS[metric], [metric]) for metric in data.CONTEXT_LABELS]
    boxes = [*single[:2], (data.DEPRIVATION_LABEL, data.DEPRIVATION), *single[2:]]
    return html.Section(
        [
            html.H2("Context" if is_system else "Context against the system"),
            dbc.Row(
                [_context_box(label, rows, system, metrics) for label, metrics in boxes],
                className="g-2",
            ),
        ],
        className="mb-3",
        id="drilldown-context",
    )


def _context_box(label: str, rows, system, metrics: list | tuple) -> dbc.Col:
    lines = []
    for metric in metrics:
        own = _shown(rows, metric)
        prefix = f"Q{metric[-1]}: " if len(metrics) > 1 else ""
        against = "" if system is None else f" (system {_shown(system, metric)})"
        lines.append(html.Div(f"{prefix}{own}{against}"))
    return dbc.Col(html.Div([html.Strong(label), *lines], className="nhs-card h-100"), md=3)


def _shown(rows, metric: str) -> str:
    if metric not in rows:
        return "–"
    row = rows[metric]
    return format_value(row["value"], row["suppressed"], row["unit"])


def _parent_value(row: dict) -> str:
    # access hides the parent value when this row or the parent row is suppressed, so a
    # missing parent value means it is withheld: show "*", not a blank.
    withheld = row["suppressed"] or pd.isna(row["parent_value"])
    return format_value(row["parent_value"], withheld, row["unit"])


def top_level_note() -> str:
    """The one sentence shown instead of a comparison on every card at system level."""
    area = formats.with_article(formats.level_noun("area"))
    return (
        "The whole system is the top level, so its values are not compared with another "
        f"level; choose {area} below to see it against the system."
    )


def _cards(view: data.DrilldownView) -> list:
    rows = view.rows_for(view.org["org_code"])
    parent = view.trail[-2]["org_name"] if len(view.trail) > 1 else None
    sections = [] if parent else [html.P(top_level_note(), id="drilldown-top-level")]
    for group, heading in GROUP_HEADINGS.items():
        cards = [
            _card(metric, row, parent) for metric, row in rows.items() if row["group"] == group
        ]
        sections.append(html.Section([html.H2(heading), dbc.Row(cards, className="g-2")]))
    return sections


def _card(metric: str, row, parent: str | None) -> dbc.Col:
    unit = row["unit"]
    against = (
        [
            html.Div(f"{parent}: {_parent_value(row)}"),
            comparison_badge(row["comparison_parent"], parent),
        ]
        if parent
        else []
    )
    return dbc.Col(
        html.Div(
            [
                html.H3(row["title"], className="h6"),
                html.Div(format_value(row["value"], row["suppressed"], unit), className="fs-4"),
                html.Div(
                    f"{unit}; 95% CI {format_interval(row, unit)}", className="nhs-muted small"
                ),
                *against,
            ],
            className="nhs-card h-100",
            id=f"drilldown-card-{metric}",
        ),
        md=4,
        lg=3,
    )


def _children(view: data.DrilldownView, period_type: str, query: dict) -> html.Section:
    org = view.org
    if org["level"] == "practice":
        link = dcc.Link(
            f"Open the practice profile of {org['org_name']}",
            href=f"/practice?org={org['org_code']}",
            id="drilldown-practice-profile",
        )
        return html.Section(
            [html.H2("Practice"), html.P(["A practice is the lowest level. ", link])]
        )
    child_level = formats.level_noun(CHILD_LEVEL[org["level"]])
    header = html.Thead(
        html.Tr(
            [
                html.Th(formats.sentence_start(child_level), scope="col"),
                html.Th("Registered population", scope="col"),
                *(html.Th(data.KEY_LABELS[m], scope="col") for m in data.KEY_INDICATORS),
            ]
        )
    )
    body = html.Tbody(
        [_child_row(view, child, period_type) for child in view.children.to_dict("records")]
    )
    return html.Section(
        [
            html.H2(f"{formats.sentence_start(formats.plural(child_level))} in {org['org_name']}"),
            html.P(
                f"Each value is compared with {org['org_name']}. "
                f"Choose {formats.with_article(child_level)} to move down a level."
            ),
            exports.download_links("drilldown-children", query),
            html.Div(
                html.Table([header, body], className="table table-sm bg-white"),
                className="table-responsive",
                # A keyboard user must be able to scroll a wide table on a narrow screen.
                tabIndex="0",
                role="region",
                **{"aria-label": f"{formats.sentence_start(formats.plural(child_level))} table"},
            ),
        ]
    )


def _child_row(view: data.DrilldownView, child: dict, period_type: str) -> html.Tr:
    rows = view.rows_for(child["org_code"])
    link = dcc.Link(
        child["org_name"],
        href=org_href(child["org_code"], period_type),
        id=f"drilldown-child-{child['org_code']}",
    )
    cells = [html.Th(link, scope="row"), html.Td(_shown(rows, "registered_population"))]
    for metric in data.KEY_INDICATORS:
        comparison = rows[metric]["comparison_parent"] if metric in rows else "not compared"
        badge = comparison_badge(comparison, view.org["org_name"])
        cells.append(html.Td([_shown(rows, metric), " ", badge]))
    return html.Tr(cells)
