"""API tokens: each user's personal tokens for the read-only API (`/api/v1/`).

Anyone who may use the API (`roles` action "use_api") makes a token here with a label;
its secret is shown once, with a copy button and an example `curl`, and only its hash is
kept (`wholesystem.api_tokens`). The table lists the user's own tokens (an admin, with
"manage_tokens", sees everyone's) with when each was made and last used, and a Revoke
button on each token still in use. Who made and who revoked each token, and when, stays
in the table (nothing is deleted); every API request is audited too.

Each callback checks the role itself (HTTP 403) before reading anything, and a revoke
of another user's token by anyone but an admin is refused in `api_tokens.revoke`.
"""

from __future__ import annotations

from datetime import datetime

import flask
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import access, callback_types, roles, session
from dashboard.pages.users_admin_data import sentence
from dashboard.snapshot_bar import when
from wholesystem import api_tokens
from wholesystem.errors import UserError

PATH = "/api-tokens"
TITLE = "API tokens"
NAV_LABEL = "API"
IN_NAV = True
ACTION = "use_api"
REVOKE = "api-tokens-revoke"  # the pattern id type of each token's Revoke button
COLUMNS = ("Label", "User", "Made", "Last used", "State", "")


def layout(path: str, query: dict[str, str]) -> html.Div:
    """The page: what a token is for, the form making one, and the tokens."""
    return html.Div(
        [
            html.H1(TITLE),
            html.P(
                [
                    "A token lets another tool (a notebook, a council's BI, a practice's "
                    "reporting) read the published figures as you would: your scope, your "
                    "role and the same small-number suppression. Keep it secret like a "
                    "password, and revoke it when it is no longer needed. ",
                    html.A("How to use the API", href="/api/v1/docs"),
                    ".",
                ]
            ),
            html.Div(
                [
                    html.Label("What the token is for", htmlFor="api-tokens-label"),
                    dcc.Input(
                        id="api-tokens-label",
                        type="text",
                        maxLength=api_tokens.MAX_LABEL,
                        placeholder="e.g. Public health notebook",
                        className="form-control",
                    ),
                    html.Button(
                        "Make a token",
                        id="api-tokens-create",
                        n_clicks=0,
                        className="btn btn-primary mt-2",
                    ),
                ],
                className="nhs-card mb-3",
                style={"maxWidth": "32rem"},
            ),
            html.Div(id="api-tokens-message", role="status", **{"aria-live": "polite"}),
            html.H2("Your tokens" if not _sees_all() else "All tokens", className="h4 mt-4"),
            html.Div(tokens_table(), id="api-tokens-table"),
        ]
    )


def _sees_all() -> bool:
    return roles.current_can("manage_tokens")


def tokens_table() -> html.Table:
    """The user's tokens (an admin's: everyone's), newest first."""
    settings = access.configured_settings()
    owner = None if _sees_all() else session.current_user_name()
    tokens = api_tokens.list_tokens(settings, owner)
    body = [_row(token) for token in tokens] or [
        html.Tr(html.Td("No tokens yet.", colSpan=len(COLUMNS)))
    ]
    return html.Table(
        [
            html.Caption("API tokens, newest first"),
            html.Thead(html.Tr([html.Th(name, scope="col") for name in COLUMNS])),
            html.Tbody(body),
        ],
        className="table table-sm bg-white align-middle caption-top",
        id="api-tokens-list",
    )


def _row(token: api_tokens.Token) -> html.Tr:
    state = "In use" if token.active else f"Revoked {_day(token.revoked_at)} by {token.revoked_by}"
    revoke = html.Button(
        "Revoke", id={"type": REVOKE, "index": token.id}, n_clicks=0,
        className="btn btn-outline-danger btn-sm",
        **{"aria-label": f"Revoke the token {token.label} of {token.user_name}"},
    )  # fmt: skip
    return html.Tr(
        [
            html.Th(token.label, scope="row"),
            html.Td(token.user_name),
            html.Td(f"{_day(token.created_at)} by {token.created_by}"),
            html.Td(_day(token.last_used_at) if token.last_used_at else "Never"),
            html.Td(state),
            html.Td(revoke if token.active else ""),
        ],
        id=f"api-token-row-{token.id}",
    )


def _day(stamp: str | None) -> str:
    """A side-store time (UTC ISO text) as the other pages write times: 5 Dec 2026 21:55."""
    return when(datetime.fromisoformat(stamp)) if stamp else ""


def _made(token: api_tokens.Token, secret: str) -> html.Div:
    base = flask.request.host_url.rstrip("/")
    example = (
        f'curl -H "Authorization: Bearer {secret}" '
        f'"{base}/api/v1/values?metric=emergency_admissions&level=locality"'
    )
    return html.Div(
        [
            html.P(f"Made the token '{token.label}'. Copy it now: it is shown only this once."),
            html.Div(
                [
                    html.Code(secret, id="api-tokens-secret", className="me-2"),
                    dcc.Clipboard(target_id="api-tokens-secret", title="Copy the token"),
                ],
                className="d-flex align-items-center",
            ),
            html.P("For example:", className="mt-2 mb-1"),
            html.Pre(example, className="small", style={"whiteSpace": "pre-wrap"}),
        ],
        className="nhs-card",
    )


def act(create_clicks, revoke_clicks, label):
    """Callback: makes a token (its secret shown once) or revokes one; returns (message,
    table). Refuses a role without "use_api" (403) before reading anything."""
    roles.require(ACTION)
    callback_types.require_clicks(create_clicks, *(revoke_clicks or []))
    trigger = ctx.triggered_id
    if trigger is None or not ctx.triggered or not ctx.triggered[0]["value"]:
        return no_update, no_update
    settings, user = access.configured_settings(), session.current_user_name()
    try:
        if trigger == "api-tokens-create":
            token, secret = api_tokens.create(settings, user, label, by=user)
            message = _made(token, secret)
        else:
            token = api_tokens.revoke(
                settings, int(trigger["index"]), user, any_user=_sees_all()
            )  # fmt: skip
            message = html.P(f"Revoked the token '{token.label}' of {token.user_name}.")
    except (UserError, ValueError, TypeError) as error:
        text = sentence(error) if isinstance(error, UserError) else "That is not a token."
        return html.P(text, className="text-danger"), no_update
    return message, tokens_table()


def register(app) -> None:
    """Registers the page's one callback (make or revoke)."""
    app.callback(
        Output("api-tokens-message", "children"),
        Output("api-tokens-table", "children"),
        Input("api-tokens-create", "n_clicks"),
        Input({"type": REVOKE, "index": ALL}, "n_clicks"),
        State("api-tokens-label", "value"),
        prevent_initial_call=True,
    )(act)
