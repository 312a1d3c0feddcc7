"""Targets: the targets in force and their history, and a form to add, edit and end one.

A target belongs to an indicator and optionally one organisation (any level) and a range
of months; it has a value or QOF-style lower and upper thresholds (or both), and an
optional trajectory entered as month/value rows. Every change needs a reason and records
who made it and when; an edit ends the old record and keeps it in the history. A new
target shows on every page at the next page load (`dashboard.targets_live`).

Only roles that may set targets (`roles` action "set_targets": admins, and analysts where
`WHOLESYSTEM_ANALYSTS_SET_TARGETS` is on) get the page: anyone else gets the not-found page
and no menu entry, and each callback refuses them itself (HTTP 403) before anything else.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, html, no_update

from dashboard import access, callback_types, exports, roles, session
from dashboard.controls import labelled_select
from dashboard.pages import targets_data as data
from dashboard.pages import targets_exports  # noqa: F401 - registers the page's downloads
from dashboard.pages.users_admin import region_table
from dashboard.pages.users_admin_data import sentence, text_value
from wholesystem.errors import UserError

PATH = "/targets"
TITLE = "Targets"
IN_NAV = True
ACTION = "set_targets"  # the app serves the page and its menu entry only to roles with it

ACTIONS = {"targets-add": data.add, "targets-edit": data.edit, "targets-end": data.end}
# Each form field: (component id, key in targets_data's form, label).
FIELDS = (
    ("targets-chosen", "chosen", "Target to change"),
    ("targets-metric", "metric", "Indicator"),
    ("targets-org", "org", "Organisation"),
    ("targets-value", "value", "Target value"),
    ("targets-lower", "lower", "Lower threshold"),
    ("targets-upper", "upper", "Upper threshold"),
    ("targets-valid-from", "valid_from", "From month (YYYY-MM)"),
    ("targets-valid-to", "valid_to", "To month (YYYY-MM)"),
    ("targets-trajectory", "trajectory", "Trajectory"),
    ("targets-reason", "reason", "Why (required)"),
)
TEXT_INPUTS = ("value", "lower", "upper", "valid_from", "valid_to")
TRAJECTORY_HELP = (
    "One month and planned value a line, e.g. “2025-06 62.5” or “2025-06=62.5” (or "
    "entries joined by “;”, as in the CSV); leave empty for none. "
    "Months must lie within the target's months."
)


def layout(path: str, query: dict[str, str]) -> html.Div:
    """The page for a role that may set targets; anyone else gets the not-found page."""
    if not roles.current_can(ACTION):
        from dashboard.app import not_found  # the app imports the pages, so not at the top

        return not_found(path)
    settings, scope = _settings(), session.current_scope()
    return html.Div(
        [
            html.H1(TITLE),
            html.P(
                "The targets the dashboard judges assurance against. A target for one "
                "organisation beats one for every organisation; where none is set, the "
                "indicator's default target applies. Changes show at the next page load."
            ),
            html.Div(id="targets-message", role="status", **{"aria-live": "polite"}),
            html.H2("Targets in force", id="targets-table-heading", className="h4 mt-4"),
            exports.download_links("targets-in-force", {}),
            html.Div(in_force_table(settings, scope), id="targets-table"),
            html.H2("Add, edit or end a target", className="h4 mt-4"),
            _form(settings, scope),
            html.H2("History", id="targets-history-heading", className="h4 mt-4"),
            html.P("Every record, newest first: who set it, when and why, and who ended it."),
            exports.download_links("targets-history", {}),
            html.Div(history_table(settings, scope), id="targets-history"),
        ]
    )


def in_force_table(settings, scope) -> html.Div:
    rows = data.in_force_rows(settings, scope)
    if not rows:
        return html.P("No target is set in the product; the defaults apply.")
    columns = list(data.COLUMNS.items())
    return region_table("targets-list", columns, rows, "targets-table-heading")


def history_table(settings, scope) -> html.Div:
    rows = data.history_rows(settings, scope)
    if not rows:
        return html.P("No target has been set yet.")
    columns = list(data.HISTORY_COLUMNS.items())
    return region_table("targets-history-list", columns, rows, "targets-history-heading")


def _form(settings, scope) -> html.Div:
    labels = {key: label for _, key, label in FIELDS}
    selects = html.Div(
        [
            labelled_select(
                labels["chosen"], "targets-chosen", data.NEW, data.target_options(settings, scope)
            ),
            html.Div(
                [
                    html.Label(labels["metric"], htmlFor="targets-metric", className="form-label"),
                    dbc.Select(
                        id="targets-metric",
                        options=data.indicator_options(),
                        value="",  # the browser sends "" (an unset value, not at all)
                        placeholder="Choose an indicator",
                    ),
                ],
                className="mb-3",
                style={"minWidth": "24rem"},
            ),
            labelled_select(
                labels["org"], "targets-org", data.EVERY_ORG, data.org_options(scope), "24rem"
            ),
        ],
        className="d-flex flex-wrap gap-3",
    )
    numbers = html.Div(
        [_input(f"targets-{key.replace('_', '-')}", labels[key]) for key in TEXT_INPUTS],
        className="d-flex flex-wrap gap-3",
    )
    texts = html.Div(
        [
            _textarea("targets-trajectory", labels["trajectory"], TRAJECTORY_HELP),
            _textarea("targets-reason", labels["reason"], "Say why, e.g. the plan it comes from."),
        ],
        className="d-flex flex-wrap gap-3",
    )
    buttons = html.Div(
        [
            dbc.Button("Add target", id="targets-add", n_clicks=0),
            dbc.Button("Save changes", id="targets-edit", n_clicks=0, color="secondary"),
            dbc.Button("End target", id="targets-end", n_clicks=0, color="danger"),
        ],
        className="d-flex flex-wrap gap-2 mb-2",
    )
    note = html.P(
        "Give a value, or a lower and an upper threshold (QOF style: assurance is judged "
        "against the upper when higher is better, the lower when lower is better), or both.",
        className="nhs-muted small",
    )
    return html.Div([selects, numbers, note, texts, buttons], className="nhs-card")


def _input(component_id: str, label: str) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=component_id, className="form-label"),
            dbc.Input(id=component_id, type="text", value="", maxLength=20, autoComplete="off"),
        ],
        className="mb-3",
        style={"width": "11rem"},
    )


def _textarea(component_id: str, label: str, help_text: str) -> html.Div:
    return html.Div(
        [
            # The help is inside the label, so a screen reader reads it with the field.
            html.Label(
                [label, html.Br(), html.Small(help_text, className="nhs-muted")],
                htmlFor=component_id,
                className="form-label",
            ),
            dbc.Textarea(id=component_id, value="", rows=4, maxLength=1500),
        ],
        className="mb-3",
        style={"minWidth": "22rem", "flex": "1"},
    )


def act(*values):
    """Callback: adds, edits or ends a target by the button pressed; returns (message,
    targets table, history, target choices, the chosen target reset). Refuses a role that
    may not set targets (403) and wrong-typed values (400); a bad value changes nothing."""
    roles.require(ACTION)
    clicks, states = values[: len(ACTIONS)], values[len(ACTIONS) :]
    callback_types.require_clicks(*clicks)
    if ctx.triggered_id not in ACTIONS or not clicks[list(ACTIONS).index(ctx.triggered_id)]:
        return (no_update,) * 5
    form = {
        key: text_value(value, what) for (_, key, what), value in zip(FIELDS, states, strict=True)
    }
    settings, scope, by = _settings(), session.current_scope(), session.current_user_name()
    try:
        message = ACTIONS[ctx.triggered_id](settings, form, scope, by)
    except UserError as error:
        return html.P(sentence(error), className="text-danger mb-0"), *(no_update,) * 4
    return (
        html.P(message, className="mb-0"),
        in_force_table(settings, scope),
        history_table(settings, scope),
        data.target_options(settings, scope),
        data.NEW,
    )


def fill(chosen):
    """Callback: the form's fields for the chosen target (empty for a new one)."""
    roles.require(ACTION)
    chosen = text_value(chosen, "target")
    values = data.form_values(_settings(), chosen, session.current_scope())
    return tuple(values[key] for _, key, _ in FIELDS[1:])


def register(app) -> None:
    """Registers the page's callbacks."""
    app.callback(
        Output("targets-message", "children"),
        Output("targets-table", "children"),
        Output("targets-history", "children"),
        Output("targets-chosen", "options"),
        Output("targets-chosen", "value"),
        *(Input(button, "n_clicks") for button in ACTIONS),
        *(State(component, "value") for component, _, _ in FIELDS),
        prevent_initial_call=True,
    )(act)
    app.callback(
        *(Output(component, "value") for component, _, _ in FIELDS[1:]),
        Input("targets-chosen", "value"),
        prevent_initial_call=True,
    )(fill)


def _settings():
    return access.configured_settings()
