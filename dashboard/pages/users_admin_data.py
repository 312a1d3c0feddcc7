"""What the Users page shows and does, apart from drawing it: rows for the users table
and the audit tables in words, the scope choices, and each admin action as one function.

Every action takes the values the browser sent, checks them (their types here, their
meaning in `dashboard.users`), makes the change through `dashboard.users` (which ends the
user's sessions and audits it) and returns one sentence, or raises UserError with one.
"""

from __future__ import annotations

from datetime import datetime

from dash import html
from werkzeug.exceptions import BadRequest

from dashboard import access, formats, users
from dashboard.scope import Scope
from wholesystem.errors import UserError
from wholesystem.settings import Settings

ROLE_CHOICES = (
    ("viewer", "Viewer: reads within their scope"),
    ("analyst", "Analyst: also change points and load details"),
    ("admin", "Admin: also users"),
)
WHOLE_SYSTEM = "system"
AUDIT_LIMIT = 50
EVENT_WORDS = {
    "login_ok": "Signed in", "login_failed": "Wrong name or password",
    "logout": "Signed out", "login_inactive": "Refused: account deactivated",
    "login_throttled": "Refused: too many attempts", "account_locked": "Account locked",
    "address_locked": "Address locked", "password_changed": "Password changed",
    "user_added": "Added", "role_set": "Role changed", "scope_set": "Scope changed",
    "password_reset": "Password reset", "deactivated": "Deactivated",
    "reactivated": "Reactivated", "unlocked": "Unlocked", "snapshot_released": "Snapshot released",
    "scheme_saved": "Payment scheme saved", "scheme_ended": "Payment scheme ended",
}  # fmt: skip
SHOWN_ONCE = (
    "Give it to them by a secure route: it is shown only this once, and only its hash is kept."
)


def text_value(value, what: str) -> str:
    """Returns a form value as stripped text ("" for nothing); a value of another type
    (only a crafted request sends one) is refused with HTTP 400."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"The {what} must be text.")
    return value.strip()


def scope_options() -> list[dict]:
    """Returns the scopes an admin can give: the whole system, then every published org
    from the areas down, as `LEVEL:CODE` values."""
    orgs = access.org_units(Scope.whole_system())
    options = [{"label": "Whole system", "value": WHOLE_SYSTEM}]
    for level, code, name in zip(orgs["level"], orgs["org_code"], orgs["org_name"], strict=True):
        if level != "system":
            options.append({"label": f"{access.level_label(level)}: {name} ({code})",
                            "value": f"{level}:{code}"})  # fmt: skip
    return options


def scope_text(value: str) -> str | None:
    """Returns a scope choice as `users` reads it (None for the whole system)."""
    return None if value in ("", WHOLE_SYSTEM) else value


def user_rows(settings: Settings) -> list[dict[str, str]]:
    """Returns the users table's rows in words."""
    names = org_names()  # once, not once per user: each read opens the snapshot
    return [
        {"name": user["name"], "role": user["role"].capitalize(),
         "scope": scope_words(user["scope"], names), "active": "Yes" if user["active"] else "No",
         "last_sign_in": when(user["last_sign_in"]) or "Never",
         "locked": f"Until {when(user['locked_until'])}" if user["locked_until"] else "No"}
        for user in users.user_table(settings)
    ]  # fmt: skip


def org_names() -> dict[str, str]:
    """Returns every published organisation's name by its code."""
    orgs = access.org_units(Scope.whole_system())
    return dict(zip(orgs["org_code"], orgs["org_name"], strict=True))


def scope_words(scope: Scope, names: dict[str, str] | None = None) -> str:
    """Returns a scope as an admin reads it: "Whole system" or "Locality: Name (CODE)"."""
    if scope.is_whole_system:
        return "Whole system"
    name = (names if names is not None else org_names()).get(scope.code)
    shown = f"{name} ({scope.code})" if name else scope.code
    return f"{access.level_label(scope.level)}: {shown}"


def sign_in_rows(settings: Settings, name: str | None) -> list[dict[str, str]]:
    """Returns the latest sign-in events, newest first, in words."""
    return [
        {"time": when(event["time"]), "name": event["name"],
         "event": EVENT_WORDS.get(event["event"], event["event"]),
         "address": event["remote_address"] or "–"}
        for event in users.sign_in_events(settings, name, AUDIT_LIMIT)
    ]  # fmt: skip


def change_rows(settings: Settings, name: str | None) -> list[dict[str, str]]:
    """Returns the latest changes admins made, newest first, in words."""
    return [
        {"time": when(event["time"]), "actor": event["actor"],
         "event": EVENT_WORDS.get(event["event"], event["event"]), "target": event["target"],
         "detail": event["detail"] or "", "address": event["remote_address"] or "–"}
        for event in users.admin_events(settings, name, AUDIT_LIMIT)
    ]  # fmt: skip


def when(iso: str | None) -> str:
    """Returns an ISO time (UTC) as "05 Dec 2026 17:40 UTC", or "" for none."""
    return f"{datetime.fromisoformat(iso):%d %b %Y %H:%M} UTC" if iso else ""


def add(settings, form: dict, by: str, address: str | None) -> list:
    """Adds the user the form describes; returns the message with their new password."""
    if not form["name"]:
        raise UserError("Type the new user's name.")
    scope = scope_text(form["scope"])
    password = users.create_user(settings, form["name"], form["role"], scope, by, address)
    return password_message(f"Added {form['name']} as {form['role']}.", password)


def set_role(settings, form: dict, by: str, address: str | None) -> str:
    users.set_role(settings, _target(form), form["target_role"], by, address)
    return f"{form['target']} is now {form['target_role']}; their sessions have ended."


def set_scope(settings, form: dict, by: str, address: str | None) -> str:
    scope = scope_text(form["target_scope"])
    users.set_scope(settings, _target(form), scope, by, address)
    shown = scope_words(users.parse_scope(settings, scope))
    return f"{form['target']} now sees {shown}; their sessions have ended."


def reset_password(settings, form: dict, by: str, address: str | None) -> list:
    password = users.reset_password(settings, _target(form), by, address)
    return password_message(f"{form['target']} has a new password.", password)


def deactivate(settings, form: dict, by: str, address: str | None) -> str:
    users.deactivate(settings, _target(form), by, address)
    return f"{form['target']} is deactivated and signed out everywhere."


def reactivate(settings, form: dict, by: str, address: str | None) -> str:
    users.reactivate(settings, _target(form), by, address)
    return f"{form['target']} can sign in again."


def unlock(settings, form: dict, by: str, address: str | None) -> str:
    users.unlock(settings, _target(form), by, address)
    return f"{form['target']} can try to sign in again now."


def password_message(text: str, password: str) -> list:
    """Returns a message that shows a new password once, ready to copy."""
    return [
        html.P([text, " Their password is ", html.Code(password, id="users-password"), "."]),
        html.P(SHOWN_ONCE, className="mb-0"),
    ]


def _target(form: dict) -> str:
    if not form["target"]:
        raise UserError("Choose a user first.")
    return form["target"]


def sentence(error: UserError) -> str:
    """Returns an error as a sentence: capital first letter, full stop."""
    text = str(error).strip()
    return formats.sentence_start(text) + ("" if text.endswith((".", "?", "!")) else ".")
