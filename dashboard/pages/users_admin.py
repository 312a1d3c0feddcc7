"""Users: the admins' page for managing who may sign in, with what role and scope.

Lists every user (name, role, scope, active, last sign-in, sign-in lock); adds a user
with a generated password shown once; sets a user's role or scope; resets a password
(shown once); deactivates, reactivates and unlocks; and shows the latest sign-in events
and admins' changes, filterable by user. Every change goes through `dashboard.users`,
which ends the user's sessions and audits who did what to whom.

Only admins (`roles` action "manage_users") get the page: for anyone else the app
serves the not-found page and the menu has no entry, and each callback here refuses
them itself (HTTP 403) before reading anything, whatever a crafted request asks.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, ctx, html, no_update

from dashboard import callback_types, exports, roles, session
from dashboard.controls import labelled_select
from dashboard.pages import users_admin_data as data
from wholesystem.errors import UserError

PATH = "/users"
TITLE = "Users"
IN_NAV = True
ACTION = "manage_users"  # the app serves the page and its menu entry only to roles with it

USER_COLUMNS = (
    ("name", "Name"), ("role", "Role"), ("scope", "Scope"), ("active", "Active"),
    ("last_sign_in", "Last sign-in"), ("locked", "Sign-in locked"),
)  # fmt: skip
SIGN_IN_COLUMNS = (("time", "Time"), ("name", "User"), ("event", "Event"), ("address", "Address"))
CHANGE_COLUMNS = (
    ("time", "Time"), ("actor", "By"), ("event", "Change"), ("target", "User"),
    ("detail", "Detail"), ("address", "Address"),
)  # fmt: skip
# Each button, and the admin action it takes (functions of users_admin_data).
ACTIONS = {
    "users-add": data.add,
    "users-set-role": data.set_role,
    "users-set-scope": data.set_scope,
    "users-reset": data.reset_password,
    "users-deactivate": data.deactivate,
    "users-reactivate": data.reactivate,
    "users-unlock": data.unlock,
}
EVERYONE = "*"  # the audit filter's "All users" (no user name has a "*")
FIELDS = (
    ("users-new-name", "name", "new user's name"),
    ("users-new-role", "role", "new user's role"),
    ("users-new-scope", "scope", "new user's scope"),
    ("users-target", "target", "user"),
    ("users-target-role", "target_role", "role"),
    ("users-target-scope", "target_scope", "scope"),
)


def layout(path: str, query: dict[str, str]) -> html.Div:
    """The page, for an admin: `app.render` serves anyone else the not-found page, as
    for every page whose `ACTION` they may not do."""
    settings = _settings()
    return html.Div(
        [
            html.H1(TITLE),
            html.P(
                "Who may sign in, with what role and scope. Every change is audited and "
                "ends that user's sessions at once, so it holds from their next click."
            ),
            html.Div(id="users-message", role="status", **{"aria-live": "polite"}),
            html.H2("All users", id="users-table-heading", className="h4 mt-4"),
            exports.download_links("users", {}),
            html.Div(users_table(settings), id="users-table"),
            html.H2("Add a user", className="h4 mt-4"),
            _add_form(),
            html.H2("Change a user", className="h4 mt-4"),
            _change_form(settings),
            html.H2("Audit", className="h4 mt-4"),
            _audit_filter(settings),
            html.Div(audit_tables(settings, None), id="users-audit"),
        ]
    )


def _add_form() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.Label("Name", htmlFor="users-new-name", className="form-label"),
                    dbc.Input(
                        id="users-new-name",
                        type="text",
                        value="",
                        maxLength=64,
                        autoComplete="off",
                    ),
                ],
                className="mb-3",
                style={"minWidth": "14rem"},
            ),
            labelled_select("Role", "users-new-role", "viewer", _role_options(), "16rem"),
            labelled_select("Scope", "users-new-scope", data.WHOLE_SYSTEM, data.scope_options()),
            html.Div(dbc.Button("Add user", id="users-add", n_clicks=0), className="mb-3"),
        ],
        className="nhs-card d-flex flex-wrap gap-3 align-items-end",
    )


def _change_form(settings) -> html.Div:
    def button(text, button_id, colour="primary"):
        return dbc.Button(text, id=button_id, n_clicks=0, color=colour, className="mb-3")

    return html.Div(
        [
            html.Div(
                html.Div(
                    [
                        html.Label("User", htmlFor="users-target", className="form-label"),
                        dbc.Select(
                            id="users-target",
                            options=user_options(settings),
                            value="",  # the browser sends "" (an unset value, not at all)
                            placeholder="Choose a user",
                        ),
                    ],
                    className="mb-3",
                    style={"minWidth": "18rem"},
                ),
                className="d-flex",
            ),
            html.Div(
                [
                    labelled_select("New role", "users-target-role", "viewer", _role_options()),
                    button("Set role", "users-set-role"),
                ],
                className="d-flex flex-wrap gap-3 align-items-end",
            ),
            html.Div(
                [
                    labelled_select(
                        "New scope", "users-target-scope", data.WHOLE_SYSTEM, data.scope_options()
                    ),
                    button("Set scope", "users-set-scope"),
                ],
                className="d-flex flex-wrap gap-3 align-items-end",
            ),
            html.Div(
                [
                    button("Reset password", "users-reset", "secondary"),
                    button("Unlock sign-in", "users-unlock", "secondary"),
                    button("Reactivate", "users-reactivate", "secondary"),
                    button("Deactivate", "users-deactivate", "danger"),
                ],
                className="d-flex flex-wrap gap-2",
            ),
        ],
        className="nhs-card",
    )


def _audit_filter(settings) -> html.Div:
    options = [{"label": "All users", "value": EVERYONE}, *user_options(settings)]
    return html.Div(
        labelled_select("Show events of", "users-audit-user", EVERYONE, options),
        className="d-flex",
    )


def _role_options() -> list[dict]:
    return [{"label": label, "value": role} for role, label in data.ROLE_CHOICES]


def user_options(settings) -> list[dict]:
    """Returns the users as select options (name, and "(deactivated)" where so)."""
    return [
        {"label": row["name"] + ("" if row["active"] == "Yes" else " (deactivated)"),
         "value": row["name"]}
        for row in data.user_rows(settings)
    ]  # fmt: skip


def users_table(settings) -> html.Div:
    """Returns the table of every user."""
    return region_table("users-list", USER_COLUMNS, data.user_rows(settings), "users-table-heading")


def audit_tables(settings, name: str | None) -> list:
    """Returns the latest sign-in events and admins' changes, of one user or all."""
    who = f" of {name}" if name else ""
    sign_ins, changes = data.sign_in_rows(settings, name), data.change_rows(settings, name)
    return [
        html.H3(f"Sign-ins{who}", id="users-sign-ins-heading", className="h5 mt-3"),
        exports.download_links("users-sign-ins", {"user": name}),
        region_table("users-sign-ins", SIGN_IN_COLUMNS, sign_ins, "users-sign-ins-heading")
        if sign_ins
        else html.P("No sign-in events."),
        html.H3(f"Changes by admins{who}", id="users-changes-heading", className="h5 mt-3"),
        exports.download_links("users-changes", {"user": name}),
        region_table("users-changes", CHANGE_COLUMNS, changes, "users-changes-heading")
        if changes
        else html.P("No changes by admins."),
    ]


def act(*values):
    """Callback: takes the admin action of the button pressed; returns (message, users
    table, user options twice, the new name field emptied after an add, the audit with
    its filter's user). Refuses a non-admin (403) and wrong-typed values (400); bad values
    change nothing and get one sentence."""
    roles.require(ACTION)
    clicks, states = values[: len(ACTIONS)], values[len(ACTIONS) :]
    callback_types.require_clicks(*clicks)
    if ctx.triggered_id not in ACTIONS or not clicks[list(ACTIONS).index(ctx.triggered_id)]:
        return (no_update,) * 6
    form = {
        key: data.text_value(value, what)
        for (_, key, what), value in zip(FIELDS, states[:-1], strict=True)
    }
    shown = data.text_value(states[-1], "user")
    settings, by = _settings(), session.current_user_name()
    try:
        message = ACTIONS[ctx.triggered_id](settings, form, by, flask.request.remote_addr)
    except UserError as error:
        return html.P(data.sentence(error), className="text-danger mb-0"), *(no_update,) * 5
    options = user_options(settings)
    return (
        html.Div(message, className="nhs-card"),
        users_table(settings),
        options,
        [{"label": "All users", "value": EVERYONE}, *options],
        "" if ctx.triggered_id == "users-add" else no_update,
        audit_tables(settings, _audit_name(shown)),
    )


def show_audit(name):
    """Callback: the audit tables for the chosen user (or everyone); refuses non-admins."""
    roles.require(ACTION)
    return audit_tables(_settings(), _audit_name(data.text_value(name, "user")))


def _audit_name(chosen: str) -> str | None:
    return None if chosen in ("", EVERYONE) else chosen


def register(app) -> None:
    """Registers the page's callbacks."""
    app.callback(
        Output("users-message", "children"),
        Output("users-table", "children"),
        Output("users-target", "options"),
        Output("users-audit-user", "options"),
        Output("users-new-name", "value"),
        Output("users-audit", "children"),
        *(Input(button, "n_clicks") for button in ACTIONS),
        *(State(component, "value") for component, _, _ in FIELDS),
        State("users-audit-user", "value"),
        prevent_initial_call=True,
    )(act)
    app.callback(
        Output("users-audit", "children"),
        Input("users-audit-user", "value"),
        prevent_initial_call=True,
    )(show_audit)


def region_table(table_id: str, columns, rows: list[dict[str, str]], heading_id: str) -> html.Div:
    """A table in a keyboard-scrollable region; `columns` are (key, label) pairs."""
    header = html.Thead(html.Tr([html.Th(label, scope="col") for _, label in columns]))
    body = html.Tbody([html.Tr([html.Td(row[name]) for name, _ in columns]) for row in rows])
    return html.Div(
        html.Table([header, body], id=table_id, className="table table-sm table-striped mb-0"),
        # A keyboard user must be able to scroll a wide table on a narrow screen.
        className="table-responsive",
        tabIndex="0",
        role="region",
        **{"aria-labelledby": heading_id},
    )


def _settings():
    return flask.current_app.config["WHOLESYSTEM_SETTINGS"]
