"""Alerts: subscribe to indicators at organisations within your scope, set your e-mail
address, and read the digest each release writes of what turned.

Every signed-in role may subscribe (`roles` action "subscribe"). The pickers offer only
the organisations in the user's scope, and the server checks again: a crafted request for
an organisation outside it, or an unknown indicator, is refused with one sentence and
changes nothing. Digests (written by `wholesystem.alerts` after each release, already
disclosure-controlled) are listed newest first; an unread one is bold with a "New" badge,
and opening it marks it read. The navigation shows the number unread.

An address is mailed only once its owner confirms it: saving one (with e-mail on) sends it
a one-time link to `/alerts/confirm/<token>`, a route behind the login that confirms it for
the signed-in user only and comes back here saying so. With e-mail off nothing is saved.
"""

from __future__ import annotations

import logging

import dash_bootstrap_components as dbc
import flask
from dash import ALL, Input, Output, State, ctx, html, no_update

from dashboard import access, callback_types, roles, session, users
from dashboard.controls import labelled_select
from dashboard.pages.users_admin_data import sentence, text_value
from wholesystem import alerts, alerts_store, mailer
from wholesystem.errors import UserError

LOG = logging.getLogger(__name__)
PATH = "/alerts"
TITLE = "Alerts"
IN_NAV = True
ACTION = "subscribe"
REMOVE = "alerts-remove"  # the pattern id type of each subscription's Remove button
OPEN = "alerts-open"  # the pattern id type of each digest's Open button
CONFIRMED_WORDS = {  # the `email` query the confirmation link comes back with
    "confirmed": ("Your e-mail address is confirmed: digests will be e-mailed to it.", ""),
    "invalid": (
        "That confirmation link does not hold: it was used, it expired, or it is another "
        "user's. Save your address again for a new one.",
        "text-danger",
    ),
}
KIND_WORDS = {
    "special_cause": "New special cause",
    "assurance": "Assurance changed",
    "threshold": "Threshold crossed",
    "trajectory": "Off trajectory",
}


def nav_label() -> str:
    """The navigation's label: "Alerts", or "Alerts (2 new)" with unread digests."""
    name = session.current_user_name()
    if not name or not roles.current_can(ACTION):
        return TITLE
    unread = alerts_store.unread_count(access.configured_settings(), name)
    return f"{TITLE} ({unread} new)" if unread else TITLE


def layout(path: str, query: dict[str, str]) -> html.Div:
    """The page for the signed-in user: subscribe, subscriptions, e-mail, digests."""
    settings, name = access.configured_settings(), session.current_user_name()
    return html.Div(
        [
            html.H1(TITLE),
            html.P(
                "After each release the dashboard writes you one digest of what turned in "
                "the indicators and organisations you subscribe to: a new special cause on "
                "the SPC chart, a change of assurance against the target, a threshold "
                "crossed, or a value newly off its trajectory. Suppressed values are never "
                "shown, in a digest or its e-mail."
            ),
            html.H2("Digests", id="alerts-digests-heading", className="h4 mt-4"),
            html.Div(digest_list(settings, name), id="alerts-digests"),
            html.Div(id="alerts-digest", className="mt-3"),
            html.H2("Subscribe", className="h4 mt-4"),
            _subscribe_form(),
            html.H2("E-mail", className="h4 mt-4"),
            _email_form(settings, name),
            # Below both forms, so the answer to either shows beside it.
            html.Div(
                _came_back(query),
                id="alerts-message",
                role="status",
                className="mt-3",
                **{"aria-live": "polite"},
            ),
            html.H2("Your subscriptions", id="alerts-subscriptions-heading", className="h4 mt-4"),
            html.Div(subscription_list(settings, name), id="alerts-subscriptions"),
        ]
    )


def _subscribe_form() -> html.Div:
    indicators, orgs = access.indicators(), org_options()
    metrics = [{"label": t, "value": i} for i, t in zip(indicators["id"], indicators["title"],
                                                         strict=True)]  # fmt: skip
    return html.Div(
        [
            html.Div(
                [
                    labelled_select("Indicator", "alerts-metric", metrics[0]["value"], metrics),
                    labelled_select("Organisation", "alerts-org", orgs[0]["value"], orgs),
                ],
                className="d-flex flex-wrap gap-3",
            ),
            dbc.Button("Subscribe", id="alerts-subscribe", n_clicks=0),
        ],
        className="nhs-card",
    )


def org_options() -> list[dict]:
    """The organisations in the user's scope (their org and those beneath it; not the
    benchmarks above), from the top down."""
    scope = session.current_scope()
    orgs = access.org_units(scope)
    orgs = orgs[orgs["org_code"].isin(access.own(scope))]
    return [
        {"label": f"{name} ({access.level_label(level)})", "value": code}
        for code, name, level in zip(orgs["org_code"], orgs["org_name"], orgs["level"], strict=True)
    ]


def _came_back(query: dict[str, str]):
    words = CONFIRMED_WORDS.get(query.get("email", ""))
    return None if words is None else html.P(words[0], className=f"mb-0 {words[1]}".strip())


def email_state(settings, name) -> str:
    """Where the user's digests are e-mailed, in a sentence: nowhere (e-mail off, or no
    address), to a confirmed address, or an address awaiting confirmation."""
    if not mailer.enabled(settings):
        return (
            "E-mail is off on this server (no mail server is set), so digests show only "
            "here and no address can be saved."
        )
    address, confirmed = users.email_of(settings, name), users.confirmed_email_of(settings, name)
    if confirmed:
        return f"E-mail is on: each digest is also sent to {confirmed} (confirmed)."
    if address:
        return (
            f"{address} is awaiting confirmation: open the link e-mailed to it (valid for a "
            "day) while signed in. Nothing is e-mailed to it until then; save it again for "
            "a new link."
        )
    return "E-mail is on: save your address and open the link e-mailed to it to confirm it."


def _email_form(settings, name) -> html.Div:
    return html.Div(
        [
            html.P(email_state(settings, name), id="alerts-email-state"),
            html.Label("Your e-mail address", htmlFor="alerts-email", className="form-label"),
            dbc.Input(
                id="alerts-email",
                type="email",
                value=users.email_of(settings, name) or "",
                maxLength=254,
                autoComplete="email",
                style={"maxWidth": "28rem"},
            ),  # fmt: skip
            dbc.Button("Save address", id="alerts-save-email", n_clicks=0, className="mt-2"),
        ],
        className="nhs-card",
    )


def subscription_list(settings, name) -> html.Div:
    """The user's subscriptions, each with a Remove button."""
    mine = alerts_store.subscriptions(settings, name)
    if not mine:
        return html.P("You have no subscriptions yet.")
    titles = access.indicators().set_index("id")["title"].to_dict()
    orgs = access.org_units(session.current_scope()).set_index("org_code")["org_name"].to_dict()
    rows = []
    for sub in mine:
        org = orgs.get(sub.org_code)
        where = org or f"{sub.org_code} (no longer in your scope: it gets no alerts)"
        rows.append(
            html.Li(
                [
                    f"{titles.get(sub.metric_id, sub.metric_id)}, {where} ",
                    dbc.Button(
                        "Remove",
                        id={"type": REMOVE, "index": f"{sub.metric_id}|{sub.org_code}"},
                        n_clicks=0,
                        size="sm",
                        color="secondary",
                        className="ms-2",
                    ),  # fmt: skip
                ],
                className="mb-1",
            )
        )
    return html.Ul(rows, className="list-unstyled")


def digest_list(settings, name) -> html.Div:
    """The user's digests, newest first; unread ones bold with a "New" badge."""
    mine = alerts_store.digests(settings, name)
    if not mine:
        return html.P("No digest yet: one is written after the next release.")
    return html.Ul([_digest_row(digest) for digest in mine], className="list-unstyled")


def _digest_row(digest: alerts_store.Digest) -> html.Li:
    count = len(digest.items)
    summary = (
        f"Release to {alerts.month_words(digest.last_month)}: "
        + (f"{count} change{'s' if count != 1 else ''}" if count else "nothing turned")
        + f" (written {digest.created_at[:16].replace('T', ' ')} UTC)"
    )
    badge = [dbc.Badge("New", color="danger", className="me-2")] if digest.unread else []
    style = {"fontWeight": "bold"} if digest.unread else {}
    return html.Li(
        [
            *badge,
            html.Span(summary, style=style),
            dbc.Button(
                "Open",
                id={"type": OPEN, "index": digest.id},
                n_clicks=0,
                size="sm",
                color="link",
                className="ms-2",
            ),  # fmt: skip
        ],
        className="mb-1",
    )


def digest_view(digest: alerts_store.Digest) -> html.Div:
    """One digest's items, each with a link to the indicator page."""
    heading = html.H3(
        f"Release to {alerts.month_words(digest.last_month)}", className="h5", id="alerts-open"
    )
    if not digest.items:
        return html.Div([heading, html.P(alerts.NOTHING)], className="nhs-card")
    rows = [
        html.Li(
            [
                html.Strong(f"{KIND_WORDS.get(item['kind'], item['kind'])}: "),
                alerts.item_line(item) + " ",
                html.A("Open the indicator", href=item["link"]),
            ],
            className="mb-2",
        )
        for item in digest.items
    ]
    return html.Div([heading, html.Ul(rows)], className="nhs-card")


def act(subscribe_clicks, email_clicks, remove_clicks, metric, org, email):
    """Callback: subscribes, removes a subscription or saves the e-mail address, by the
    button pressed; returns (message, subscriptions). Refuses a role without "subscribe"
    (403) and wrong-typed values (400); a refused change changes nothing."""
    roles.require(ACTION)
    callback_types.require_clicks(subscribe_clicks, email_clicks, *(remove_clicks or []))
    trigger = ctx.triggered_id
    if trigger is None or not ctx.triggered or not ctx.triggered[0]["value"]:
        return no_update, no_update
    settings, name = access.configured_settings(), session.current_user_name()
    try:
        message = _change(settings, name, trigger, metric, org, email)
    except UserError as error:
        return html.P(sentence(error), className="text-danger mb-0"), no_update
    return html.P(message, className="mb-0"), subscription_list(settings, name)


def _change(settings, name, trigger, metric, org, email) -> str:
    if trigger == "alerts-save-email":
        return _save_email(settings, name, text_value(email, "e-mail address"))
    if isinstance(trigger, dict) and trigger.get("type") == REMOVE:
        metric, _, org = str(trigger.get("index")).partition("|")
        alerts_store.unsubscribe(settings, name, metric, org)
        return "Subscription removed."
    metric, org = text_value(metric, "indicator"), text_value(org, "organisation")
    check_subscription(metric, org)
    added = alerts_store.subscribe(settings, name, metric, org)
    return "Subscribed." if added else "You already subscribe to that."


def _save_email(settings, name, address: str) -> str:
    if not address:
        users.set_email(settings, name, None)
        alerts_store.drop_confirmation(settings, name)
        return "E-mail address removed."
    if not mailer.enabled(settings):
        raise UserError(
            "e-mail is off on this server (no mail server is set), so no address can be "
            "confirmed; nothing was saved"
        )
    address = users.set_email(settings, name, address)  # checked; new ones await confirming
    if users.confirmed_email_of(settings, name) == address:
        return f"Digests are e-mailed to {address}, which you have confirmed."
    try:
        alerts.request_confirmation(settings, name, address)
    except mailer.MailError:
        LOG.exception("the confirmation e-mail to %s failed", address)
        raise UserError(
            f"the confirmation e-mail to {address} could not be sent just now; save the "
            "address again to try again"
        ) from None
    return (
        f"A confirmation link was e-mailed to {address}: open it within a day, signed in as "
        f"{name}, and digests will be e-mailed there."
    )


def confirm_email(token: str):
    """Route: confirms the signed-in user's pending address when `token` is its link's,
    then shows the Alerts page saying whether it did (a link of another user's does
    nothing)."""
    roles.require(ACTION)
    settings, name = access.configured_settings(), session.current_user_name()
    done = alerts.confirm(settings, name, token[:200])
    return flask.redirect(f"{PATH}?email={'confirmed' if done else 'invalid'}")


def check_subscription(metric: str, org: str) -> None:
    """Raises UserError (one sentence) for an unknown indicator or an organisation
    outside the signed-in user's scope."""
    if access.indicator(metric) is None:
        raise UserError(f"there is no indicator {metric[:80]!r}")
    if org not in access.own(session.current_scope()):
        raise UserError(f"you cannot subscribe to {org[:80]!r}: it is not in your scope")


def open_digest(clicks):
    """Callback: shows the digest whose Open button was pressed and marks it read;
    returns (digest, digest list, the navigation's label with the unread count)."""
    roles.require(ACTION)
    callback_types.require_clicks(*(clicks or []))
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered or not ctx.triggered[0]["value"]:
        return no_update, no_update, no_update
    settings, name = access.configured_settings(), session.current_user_name()
    index = trigger.get("index")
    digest = alerts_store.digest(settings, name, index) if isinstance(index, int) else None
    if digest is None:  # not theirs, or gone: say nothing of whose it is
        return html.P("There is no such digest.", className="text-danger"), no_update, no_update
    alerts_store.mark_read(settings, name, digest.id)
    return digest_view(digest), digest_list(settings, name), nav_label()


def register(app) -> None:
    """Registers the page's callbacks and the e-mail confirmation route."""
    app.server.add_url_rule(f"{alerts.CONFIRM_PATH}/<token>", "alerts_confirm", confirm_email)
    app.callback(
        Output("alerts-message", "children"),
        Output("alerts-subscriptions", "children"),
        Input("alerts-subscribe", "n_clicks"),
        Input("alerts-save-email", "n_clicks"),
        Input({"type": REMOVE, "index": ALL}, "n_clicks"),
        State("alerts-metric", "value"),
        State("alerts-org", "value"),
        State("alerts-email", "value"),
        prevent_initial_call=True,
    )(act)
    app.callback(
        Output("alerts-digest", "children"),
        Output("alerts-digests", "children"),
        Output("nav-alerts", "children"),
        Input({"type": OPEN, "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )(open_digest)
