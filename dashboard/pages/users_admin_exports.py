"""The Users page's downloads: the table of every user and the two audit tables (of one
user or of everyone, the latest events as on the page), for admins only (the page's own
role, `manage_users`, checked on the server: 403 to anyone else), in the page's words."""

from __future__ import annotations

import pandas as pd

from dashboard import access, exports, roles
from dashboard.pages import users_admin
from dashboard.pages import users_admin_data as data

USERS = (
    "Every user who may sign in, or could: their role, scope, whether they are active, "
    "their last sign-in and whether sign-in is locked. Times are UTC."
)
AUDIT = "The latest {count} {what}{who}, newest first. Times are UTC."


def users_table(query: dict) -> exports.Export:
    """Every user, one row each, as on the page."""
    roles.require(users_admin.ACTION)
    rows = data.user_rows(access.configured_settings())
    frame = _frame(rows, users_admin.USER_COLUMNS)
    return exports.Export(
        title="Users", frame=frame, org="Every user", definition=USERS, period_code="users"
    )


def sign_ins(query: dict) -> exports.Export:
    """The latest sign-in events, of the user in the query or of everyone."""
    return _audit(query, "sign-in events", data.sign_in_rows, users_admin.SIGN_IN_COLUMNS)


def changes(query: dict) -> exports.Export:
    """The latest changes admins made, of the user in the query or of everyone."""
    return _audit(query, "changes by admins", data.change_rows, users_admin.CHANGE_COLUMNS)


def _audit(query: dict, what: str, read, columns) -> exports.Export:
    roles.require(users_admin.ACTION)
    name = data.text_value(query.get("user"), "user") or None
    rows = read(access.configured_settings(), name)
    who = f" of {name}" if name else " of every user"
    return exports.Export(
        title=f"{what.capitalize()}{who}",
        frame=_frame(rows, columns),
        org=name or "Every user",
        definition=AUDIT.format(count=data.AUDIT_LIMIT, what=what, who=who),
        org_code=name or "",
        period_code="audit",
    )


def _frame(rows: list[dict], columns) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[name for name, _ in columns])
    return frame.rename(columns=dict(columns))


exports.register("users", users_table, label="the users table")
exports.register("users-sign-ins", sign_ins, label="the sign-in events")
exports.register("users-changes", changes, label="the changes by admins")
