"""Payments on results: what each network earns under a payment scheme for a period.

Per network: its patients, the scheme's money, the up-front and at-risk amounts, what it
earned on results and missed, any gain share and the total; per KPI of a chosen network:
attainment against the thresholds, points and money earned and missed, and what was
missed in words; the practices that drove it (only for readers who see small numbers);
and a what-if for the split and each KPI's thresholds and method, shown beside the
scheme's own money without saving anything.

The choices are kept in the URL (`/payments?scheme=thp_70_30&period=2026-Q2&network=U91001`)
by the page's own `dcc.Location` ("payments-url"), so a view can be shared. Every figure
comes from `payments_data`, which applies the scope and disclosure rules.
"""

from __future__ import annotations

from urllib.parse import urlencode

from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from werkzeug.exceptions import BadRequest

from dashboard import access, callback_types, exports, roles, session
from dashboard.controls import labelled_select
from dashboard.pages import payments_data as data
from dashboard.pages import payments_whatif as whatif

PATH = "/payments"
TITLE = "Payments"
IN_NAV = True
ACTION = "read"
NETWORK_HEADINGS = ("Network", "Patients", *(heading for _, heading in data.MONEY_COLUMNS))
KPI_HEADINGS = (
    "KPI", "Package", "Attainment", "Lower threshold", "Upper threshold", "Points available",
    "Points earned", "Money earned", "Money missed", "What was missed",
)  # fmt: skip
NO_NETWORKS = "No network within your scope is paid under this scheme in this period."
PRACTICE_HEADINGS = (
    "Practice", "KPI", "Months in the network", "Numerator", "Denominator", "Attainment",
    "Shortfall (patients)",
)  # fmt: skip


def layout(path: str, query: dict[str, str]) -> html.Div:
    """The page for a URL: scheme, period and network choosers, then the payments."""
    scope = session.current_scope()
    chosen = data.choose(scope, query)
    heading = [dcc.Location(id="payments-url", refresh=False), html.H1("Payments on results")]
    if isinstance(chosen, str):
        return html.Div([*heading, _sentence(chosen)])
    scheme, period, network = chosen
    networks = access.org_units(scope, "network")
    network = network or (None if networks.empty else networks["org_code"].iloc[0])
    choosers = html.Div(
        [
            labelled_select("Scheme", "payments-scheme", scheme.name, _scheme_options()),
            labelled_select("Period", "payments-period", period, _period_options(scheme)),
            labelled_select(
                "Network for the KPI and practice detail",
                "payments-network",
                network,
                _network_options(networks),
                "22rem",
            ),
        ],
        className="d-flex flex-wrap gap-3",
    )
    return html.Div(
        [
            *heading,
            html.P(
                "What each network is paid under a payment scheme: a share of the care-"
                "package money up front, the rest on meeting each package's KPIs, scaled "
                "between a lower and an upper threshold (or all-or-nothing at the target)."
            ),
            _editor_link(),
            choosers,
            html.Div(render(scheme.name, period, network), id="payments-body"),
        ]
    )


def render(scheme: str | None, period: str | None, network: str | None) -> list:
    """Callback body: the payments of a scheme and period, and one network's detail."""
    query = _query(scheme, period, network)
    view = data.view(session.current_scope(), query)
    if isinstance(view, str):
        return [_sentence(view)]
    if view.networks.empty:
        return [_scheme_summary(view), _sentence(NO_NETWORKS)]
    return [
        _scheme_summary(view),
        _network_section(view, query),
        _kpi_section(view, query),
        _practice_section(view, query),
        whatif.compare_section(view),
        whatif.section(view),
    ]


def update(scheme, period, network) -> tuple[list, str]:
    """Callback: the payments for the choices, and the URL query keeping them."""
    for value, what in ((scheme, "scheme"), (period, "period"), (network, "network")):
        if value is not None and not isinstance(value, str):
            raise BadRequest(f"The {what} must be text.")
    return render(scheme, period, network), f"?{urlencode(_query(scheme, period, network))}"


def periods_for(scheme_name, current) -> tuple[list[dict], str]:
    """Callback: the periods of the chosen scheme's kind, keeping the period chosen if the
    scheme has it, else the latest."""
    found = data.scheme_names().get(scheme_name if isinstance(scheme_name, str) else "")
    if found is None:
        return no_update, no_update
    options = _period_options(found)
    if any(option["value"] == current for option in options):
        return options, current
    return options, data.default_period(found) or ""


def register(app) -> None:
    """Registers the page's callbacks."""
    app.callback(
        Output("payments-period", "options"),
        Output("payments-period", "value"),
        Input("payments-scheme", "value"),
        State("payments-period", "value"),
        prevent_initial_call=True,
    )(periods_for)
    app.callback(
        Output("payments-body", "children"),
        Output("payments-url", "search"),
        Input("payments-scheme", "value"),
        Input("payments-period", "value"),
        Input("payments-network", "value"),
        prevent_initial_call=True,
    )(update)
    app.callback(
        Output("payments-compare-result", "children"),
        Input("payments-compare", "value"),
        State("payments-scheme", "value"),
        State("payments-period", "value"),
        State("payments-network", "value"),
        prevent_initial_call=True,
    )(compare)
    app.callback(
        Output("payments-whatif-result", "children"),
        Input("payments-whatif-show", "n_clicks"),
        State("payments-scheme", "value"),
        State("payments-period", "value"),
        State("payments-network", "value"),
        State("payments-whatif-upfront", "value"),
        State({"type": "payments-whatif-method", "index": ALL}, "value"),
        State({"type": "payments-whatif-lower", "index": ALL}, "value"),
        State({"type": "payments-whatif-upper", "index": ALL}, "value"),
        prevent_initial_call=True,
    )(show_what_if)


def show_what_if(clicks, scheme, period, network, upfront, methods, lowers, uppers) -> list:
    """Callback: the what-if's money beside the scheme's, nothing saved; a bad value gets
    one sentence naming the field."""
    callback_types.require_clicks(clicks)
    if not clicks or ctx.triggered_id != "payments-whatif-show":
        return no_update
    keys = [item["id"]["index"] for item in ctx.states_list[4]]
    return whatif.result(
        _query(scheme, period, network), upfront, dict(zip(keys, methods, strict=True)),
        dict(zip(keys, lowers, strict=True)), dict(zip(keys, uppers, strict=True)),
    )  # fmt: skip


def compare(other, scheme, period, network) -> list:
    """Callback: the chosen scheme's money beside another scheme's."""
    return whatif.compare(_query(scheme, period, network), other)


def _query(scheme, period, network) -> dict[str, str]:
    pairs = {"scheme": scheme, "period": period, "network": network}
    return {key: value for key, value in pairs.items() if isinstance(value, str) and value}


def _editor_link() -> html.P | None:
    if not roles.current_can("manage_schemes"):
        return None
    return html.P(dcc.Link("Add, edit or end payment schemes", href="/payments/schemes"))


def _scheme_options() -> list[dict]:
    return [
        {"label": f"{scheme.title} ({name})", "value": name}
        for name, scheme in sorted(data.scheme_names().items())
    ]


def _period_options(scheme) -> list[dict]:
    return [{"label": data.period_label(p), "value": p} for p in data.period_choices(scheme.period)]


def _network_options(networks) -> list[dict]:
    pairs = zip(networks["org_code"], networks["org_name"], strict=True)
    return [{"label": name, "value": code} for code, name in pairs]


def _sentence(text: str) -> html.P:
    return html.P(text, className="nhs-card", role="alert")


def _scheme_summary(view: data.View) -> html.Section:
    return html.Section(
        [
            html.H2(f"{view.scheme.title}, {data.period_label(view.period)}"),
            html.P(data.scheme_words(view.scheme), id="payments-scheme-words"),
        ],
    )


def table(table_id: str, headings, rows: list[list], caption: str, footer=None) -> html.Div:
    """A captioned table in a keyboard-scrollable region; each row's first cell heads it."""
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in headings]))
    body = html.Tbody(
        [html.Tr([html.Th(row[0], scope="row"), *map(html.Td, row[1:])]) for row in rows]
    )
    parts = [html.Caption(caption), head, body]
    if footer is not None:
        parts.append(
            html.Tfoot(html.Tr([html.Th(footer[0], scope="row"), *map(html.Td, footer[1:])]))
        )
    return html.Div(
        html.Table(parts, id=table_id, className="table table-sm bg-white"),
        className="table-responsive",
        tabIndex="0",
        role="region",
        **{"aria-label": caption},
    )


def _network_section(view: data.View, query: dict) -> html.Section:
    rows, footer = data.network_rows(view)
    notes = [html.P(data.WITHHELD_NOTE, className="small", id="payments-withheld-note")]
    return html.Section(
        [
            html.H2("Payment by network", className="h4 mt-4"),
            exports.download_links("payments-networks", query),
            table(
                "payments-networks",
                NETWORK_HEADINGS,
                rows,
                f"Payment by network, {data.period_label(view.period)}",
                footer,
            ),
            *(notes if data.withheld(view.networks).any() else []),
        ]
    )


def _kpi_section(view: data.View, query: dict) -> html.Section:
    name = data.network_name(view.network)
    rows = data.kpi_rows(view)
    body = (
        [table("payments-kpis", KPI_HEADINGS, rows, f"KPIs of {name}")]
        if rows
        else [html.P(f"No KPI of this scheme is published for {name} in this period.")]
    )
    notes = (
        [html.P(data.SUPPRESSED_KPI_NOTE, className="small")] if data.any_suppressed(view) else []
    )
    return html.Section(
        [
            html.H2(f"KPIs of {name}", className="h4 mt-4"),
            exports.download_links("payments-kpis", query),
            *body,
            *notes,
        ]
    )


def _practice_section(view: data.View, query: dict) -> html.Section:
    name = data.network_name(view.network)
    heading = html.H2(f"Practices that drove {name}'s result", className="h4 mt-4")
    if view.practices is None:
        return html.Section(
            [heading, html.P(data.PRACTICES_NEED_PERMISSION, id="payments-practices-note")]
        )
    rows = data.practice_rows(view)
    if not rows:
        return html.Section([heading, html.P("No practice fell short of a KPI's upper threshold.")])
    return html.Section(
        [
            heading,
            html.P(
                "Each practice's shortfall: the patients it needed to reach the upper "
                "threshold; largest first."
            ),
            exports.download_links("payments-practices", query),
            table(
                "payments-practices",
                PRACTICE_HEADINGS,
                rows,
                f"Practices of {name}, largest shortfall first",
            ),
        ]
    )
