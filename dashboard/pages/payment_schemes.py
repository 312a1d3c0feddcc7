"""Payment schemes (admins): the schemes in force with where each comes from, a form to
add, edit or end one, and the history of every change.

A scheme from `wholesystem.toml` can be edited here: the edit is kept beside the users
(`wholesystem.schemes.save_scheme`, with who, when and why, and audited) and overrides the
TOML table of that name. Every save and end needs a reason; a bad value gets one sentence
naming the field and nothing is saved.

Only admins (`roles` action "manage_schemes") get the page: anyone else gets the not-found
page and no link, and each callback refuses them itself (HTTP 403) before anything else.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
import flask
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from werkzeug.exceptions import BadRequest

from dashboard import access, callback_types, roles, session
from dashboard.controls import labelled_select
from dashboard.pages import payment_schemes_data as data
from dashboard.pages.users_admin import region_table
from dashboard.pages.users_admin_data import sentence, text_value
from wholesystem.errors import UserError

PATH = "/payments/schemes"
TITLE = "Payment schemes"
IN_NAV = False  # linked from the Payments page for admins
ACTION = "manage_schemes"
BUTTONS = {"schemes-save": data.save, "schemes-end": data.end}
# The scheme's own fields: (component id, key in the data module's form, label).
FIELDS = (
    ("schemes-name", "name", "Name (lower-case, e.g. thp_60_40)"),
    ("schemes-title", "title", "Title"),
    ("schemes-upfront", "upfront", "Up-front share (%)"),
    ("schemes-period", "period", "Assessment period"),
    ("schemes-gain-share", "gain_share", "Gain share of savings (%)"),
    ("schemes-gain-cost", "gain_cost", "Cost per emergency admission (£)"),
    ("schemes-gain-baseline", "gain_baseline", "Baseline admissions per 1,000 a year"),
    ("schemes-reason", "reason", "Why (required)"),
)
ROW_TYPES = (
    *(("package", key) for key in data.PACKAGE_FIELDS),
    *(("kpi", key) for key in data.KPI_FIELDS),
)
OUTPUTS = ("schemes-message", "schemes-table", "schemes-history")


def layout(path: str, query: dict[str, str]) -> html.Div:
    """The page, for an admin: `app.render` serves anyone else the not-found page, as
    for every page whose `ACTION` they may not do."""
    settings = _settings()
    return html.Div(
        [
            html.H1(TITLE),
            html.P(
                [
                    "The schemes the ",
                    dcc.Link("Payments", href="/payments"),
                    " page prices. A scheme saved here overrides the table of the same "
                    "name in wholesystem.toml; every change keeps who made it, when and why.",
                ]
            ),
            html.H2("Schemes in force", id="schemes-table-heading", className="h4 mt-4"),
            html.Div(in_force_table(settings), id="schemes-table"),
            html.H2("Add, edit or end a scheme", className="h4 mt-4"),
            _form(settings),
            html.H2("History", id="schemes-history-heading", className="h4 mt-4"),
            html.Div(history_table(settings), id="schemes-history"),
        ]
    )


def in_force_table(settings) -> html.Div:
    rows = data.in_force_rows(settings)
    if not rows:
        return html.P("No payment scheme is set up.")
    return region_table("schemes-list", list(data.COLUMNS.items()), rows, "schemes-table-heading")


def history_table(settings) -> html.Div:
    rows = data.history_rows(settings)
    if not rows:
        return html.P("No scheme has been saved or ended here yet.")
    columns = list(data.HISTORY_COLUMNS.items())
    return region_table("schemes-history-list", columns, rows, "schemes-history-heading")


def _form(settings) -> html.Div:
    fields, packages, kpis = data.form_values(settings, data.NEW)
    labels = {key: label for _, key, label in FIELDS}
    top = html.Div(
        [
            labelled_select(
                "Scheme to change", "schemes-chosen", data.NEW, data.scheme_options(settings)
            ),
            _input("schemes-name", labels["name"], fields["name"], "16rem"),
            _input("schemes-title", labels["title"], fields["title"], "22rem"),
            _input("schemes-upfront", labels["upfront"], fields["upfront"]),
            labelled_select(
                labels["period"],
                "schemes-period",
                fields["period"],
                [{"label": w, "value": k} for k, w in data.PERIOD_WORDS.items()],
                "12rem",
            ),
        ],
        className="d-flex flex-wrap gap-3",
    )
    gain = html.Div(
        [_input(component, labels[key], fields[key], "14rem") for component, key, _ in FIELDS[4:7]],
        className="d-flex flex-wrap gap-3",
    )
    reason = html.Div(
        [
            html.Label(labels["reason"], htmlFor="schemes-reason", className="form-label"),
            dbc.Textarea(id="schemes-reason", value="", rows=2, maxLength=500),
        ],
        className="mb-3",
    )
    buttons = html.Div(
        [
            dbc.Button("Save scheme", id="schemes-save", n_clicks=0),
            dbc.Button("End scheme", id="schemes-end", n_clicks=0, color="danger"),
        ],
        className="d-flex flex-wrap gap-2 mb-2",
    )
    return html.Div(
        [
            top,
            html.Div(rows_tables(packages, kpis), id="schemes-rows"),
            html.H3("Gain share (optional)", className="h5"),
            html.P(
                "A share of the savings when the network's patients have fewer emergency "
                "admissions than the baseline (empty: the same months a year earlier).",
                className="nhs-muted small",
            ),
            gain,
            reason,
            buttons,
            # Beside the buttons: the form is long, and the answer must be seen.
            html.Div(id="schemes-message", role="status", **{"aria-live": "polite"}),
        ],
        className="nhs-card",
    )


def rows_tables(packages: list[dict], kpis: list[dict]) -> list:
    """The package rows and the KPI rows, filled in with their values."""
    return [
        html.H3("Packages", className="h5", id="schemes-packages-heading"),
        _rows_table("package", packages, "schemes-packages-heading"),
        html.H3("KPIs", className="h5", id="schemes-kpis-heading"),
        html.P(
            "Each KPI once, in one package. An empty threshold means the target in "
            "force; all-or-nothing pays at the upper threshold.",
            className="nhs-muted small",
        ),
        _rows_table("kpi", kpis, "schemes-kpis-heading"),
    ]


HEADINGS = {
    "package": ("Package name", "Rate (£ per patient a year)", "Per", "Register KPI"),
    "kpi": ("KPI", "Package name", "Weight (points)", "Method", "Lower", "Upper"),
}
CHOICES = {
    ("package", "per"): [{"label": "Registered patient", "value": "registered"},
                         {"label": "Patient on the register", "value": "register"}],
    ("kpi", "method"): [{"label": "Linear", "value": "linear"},
                        {"label": "All or nothing", "value": "all_or_nothing"}],
}  # fmt: skip


def _rows_table(kind: str, rows: list[dict], heading_id: str) -> html.Div:
    keys = data.PACKAGE_FIELDS if kind == "package" else data.KPI_FIELDS
    head = html.Thead(html.Tr([html.Th("Row", scope="col"),
                               *(html.Th(h, scope="col") for h in HEADINGS[kind])]))  # fmt: skip
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Th(str(number), scope="row"),
                    *(
                        html.Td(_cell(kind, key, number, row[key], HEADINGS[kind][i]))
                        for i, key in enumerate(keys)
                    ),
                ]
            )  # fmt: skip
            for number, row in enumerate(rows, 1)
        ]
    )
    return html.Div(
        html.Table([head, body], className="table table-sm mb-3", id=f"schemes-{kind}-rows"),
        className="table-responsive",
        tabIndex="0",
        role="region",
        **{"aria-labelledby": heading_id},
    )


def _cell(kind: str, key: str, number: int, value: str, heading: str):
    component_id = {"type": f"schemes-{kind}-{key}", "index": number}
    if (kind, key) in CHOICES:
        control = dbc.Select(id=component_id, value=value, options=CHOICES[kind, key])
    elif key in ("metric", "register"):
        control = dbc.Select(id=component_id, value=value, options=_kpi_options())
    else:
        control = dbc.Input(id=component_id, type="text", value=value, maxLength=120,
                            autoComplete="off", style={"minWidth": "7rem"})  # fmt: skip
    # A pattern id cannot be a label's htmlFor, so the label wraps its control.
    words = html.Span(f"{heading}, row {number}", className="visually-hidden")
    return html.Label([words, control], className="d-block")


def _kpi_options() -> list[dict]:
    return data.kpi_options()


def _input(component_id: str, label: str, value: str, width: str = "11rem") -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=component_id, className="form-label"),
            dbc.Input(id=component_id, type="text", value=value, maxLength=120, autoComplete="off"),
        ],
        className="mb-3",
        style={"width": width},
    )


def act(save_clicks, end_clicks, chosen, *values):
    """Callback: saves or ends a scheme by the button pressed; returns (message, schemes
    table, history, scheme choices, the chosen scheme reset). Refuses anyone but an admin
    (403) and wrong-typed values (400); a bad value changes nothing."""
    roles.require(ACTION)
    clicks = (save_clicks, end_clicks)
    callback_types.require_clicks(*clicks)
    if ctx.triggered_id not in BUTTONS or not clicks[list(BUTTONS).index(ctx.triggered_id)]:
        return (no_update,) * 5
    fields, packages, kpis = _form_of(chosen, values)
    settings, by = _settings(), session.current_user_name()
    try:
        message = BUTTONS[ctx.triggered_id](
            settings, fields, packages, kpis, text_value(chosen, "scheme"), by,
            flask.request.remote_addr,
        )  # fmt: skip
    except UserError as error:
        text = html.P(sentence(error), className="text-danger mb-0", id="schemes-error")
        return text, *(no_update,) * 4
    return (
        html.P(message, className="mb-0"),
        in_force_table(settings),
        history_table(settings),
        data.scheme_options(settings),
        data.NEW,
    )


def _form_of(chosen, values) -> tuple[dict, list[dict], list[dict]]:
    """The form's text values: the scheme's fields, then the package and KPI rows."""
    own, rows = values[: len(FIELDS)], values[len(FIELDS) :]
    fields = {key: text_value(v, label) for (_, key, label), v in zip(FIELDS, own, strict=True)}
    columns = {}
    for (kind, key), sent in zip(ROW_TYPES, rows, strict=True):
        if not isinstance(sent, list):
            raise BadRequest("The scheme's rows must be lists.")
        columns[kind, key] = [text_value(v, f"{kind} {key}") for v in sent]
    packages = _rows(columns, "package", data.PACKAGE_FIELDS)
    kpis = _rows(columns, "kpi", data.KPI_FIELDS)
    return fields, packages, kpis


def _rows(columns: dict, kind: str, keys) -> list[dict]:
    lengths = {len(columns[kind, key]) for key in keys}
    if len(lengths) != 1:
        raise BadRequest("The scheme's rows must be complete.")
    return [dict(zip(keys, cells, strict=True)) for cells in zip(*(columns[kind, k] for k in keys),
                                                                 strict=True)]  # fmt: skip


def fill(chosen):
    """Callback: the form's values for the chosen scheme (empty ones for a new scheme);
    the package and KPI rows are drawn afresh with theirs."""
    roles.require(ACTION)
    fields, packages, kpis = data.form_values(_settings(), text_value(chosen, "scheme"))
    return (*(fields[key] for _, key, _ in FIELDS), rows_tables(packages, kpis))


def register(app) -> None:
    """Registers the page's callbacks."""
    row_states = [State({"type": f"schemes-{kind}-{key}", "index": ALL}, "value")
                  for kind, key in ROW_TYPES]  # fmt: skip
    app.callback(
        *(Output(component, "children") for component in OUTPUTS),
        Output("schemes-chosen", "options"),
        Output("schemes-chosen", "value"),
        Input("schemes-save", "n_clicks"),
        Input("schemes-end", "n_clicks"),
        State("schemes-chosen", "value"),
        *(State(component, "value") for component, _, _ in FIELDS),
        *row_states,
        prevent_initial_call=True,
    )(act)
    app.callback(
        *(Output(component, "value") for component, _, _ in FIELDS),
        Output("schemes-rows", "children"),
        Input("schemes-chosen", "value"),
        prevent_initial_call=True,
    )(fill)


def _settings():
    return access.configured_settings()
