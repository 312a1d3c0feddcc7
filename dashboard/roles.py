"""What each role may do: one permission table, checked on the server.

A user has one role. A viewer reads and downloads within their scope, with disclosure
control; an analyst may also do what analysts do to the figures (annotate charts, write
commentary, see draft snapshots, set targets where the settings allow, and see small
numbers unsuppressed where the settings allow); an admin may also manage users, approve
commentary and release snapshots. Each role may do everything the role below it may.

`can(role, action)` answers from the table; an action that also needs a setting on (see
`SETTING_GATED`) is allowed only when `settings` are passed and the setting is on, unless
the role is at or above the one `SETTING_WAIVED` names for it.
`require(action)` refuses the signed-in user (HTTP 403) when their role may not: callbacks
and routes call it before doing anything, so hiding a menu entry is never the only guard.
"""

from __future__ import annotations

import flask
from flask_login import current_user
from werkzeug.exceptions import Forbidden

from wholesystem.settings import Settings

VIEWER, ANALYST, ADMIN = "viewer", "analyst", "admin"
ROLES = (VIEWER, ANALYST, ADMIN)  # lowest first; each role has the rights of those before it
ACTIONS = {
    # viewer
    "read": VIEWER,  # pages and callbacks within scope, disclosure-controlled
    "download": VIEWER,  # downloads within scope, disclosure-controlled
    "subscribe": VIEWER,  # alert subscriptions and digests within scope (issue 14)
    "use_api": VIEWER,  # own API tokens; the API reads as the pages do (issue 14)
    # analyst
    "see_load_details": ANALYST,  # file names, load counts and quarantine on Data status
    "annotate": ANALYST,  # SPC change points (wholesystem.annotations)
    "comment": ANALYST,  # commentary on indicators (issue 13)
    "draft_snapshot": ANALYST,  # see draft snapshots and the Snapshots page (issue 13)
    "set_targets": ANALYST,  # targets, where the settings allow (issue 13)
    "see_small_numbers": ANALYST,  # unsuppressed figures, where the settings allow
    # admin
    "manage_users": ADMIN,  # the Users page: add, role, scope, password, deactivate
    "approve": ADMIN,  # approve commentary for the board (issue 13)
    "release": ADMIN,  # release a draft snapshot to viewers, or an older one again (issue 13)
    "manage_schemes": ADMIN,  # add, edit and end payment schemes (issue 14)
    "manage_tokens": ADMIN,  # see and revoke every user's API tokens (issue 14)
}
# Actions allowed only while a boolean setting is on, except from the role named in
# SETTING_WAIVED on (admins always set targets; analysts only where the setting allows).
SETTING_GATED = {
    "see_small_numbers": "analysts_see_small_numbers",
    "set_targets": "analysts_set_targets",
}
SETTING_WAIVED = {"set_targets": ADMIN}
FORBIDDEN = "Your role does not allow this."


def can(role: str | None, action: str, settings: Settings | None = None) -> bool:
    """Returns whether a role may take an action. Raises KeyError for an action not in
    `ACTIONS` (a typo must fail loudly, not refuse quietly); an unknown role may do nothing."""
    needed = ACTIONS[action]
    if role not in ROLES or ROLES.index(role) < ROLES.index(needed):
        return False
    setting = SETTING_GATED.get(action)
    waived = action in SETTING_WAIVED and role_at_least(role, SETTING_WAIVED[action])
    return setting is None or waived or bool(settings is not None and getattr(settings, setting))


def role_at_least(role: str, lowest: str) -> bool:
    """Returns whether a (known) role has at least the rights of `lowest`."""
    return ROLES.index(role) >= ROLES.index(lowest)


def current_role() -> str | None:
    """Returns the signed-in user's role, or None outside a request or without a user."""
    if not flask.has_request_context() or not getattr(current_user, "is_authenticated", False):
        return None
    return current_user.role


def current_can(action: str, settings: Settings | None = None) -> bool:
    """Returns whether the signed-in user may take an action (setting-gated actions read
    the app's settings unless `settings` are given)."""
    if settings is None and flask.has_request_context():
        settings = flask.current_app.config.get("WHOLESYSTEM_SETTINGS")
    return can(current_role(), action, settings)


def require(action: str, settings: Settings | None = None) -> None:
    """Refuses (werkzeug Forbidden: HTTP 403, one sentence) unless the signed-in user may
    take the action."""
    if not current_can(action, settings):
        raise Forbidden(FORBIDDEN)
