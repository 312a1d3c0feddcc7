"""The dashboard's users and sign-in audit log, in a small SQLite file beside the data.

The web tier never writes DuckDB, so users live in `settings.users_path` (stdlib sqlite3).
Passwords are stored only as werkzeug hashes (scrypt). Each user has a role (admin,
analyst, viewer) and a scope (`dashboard.scope.Scope`): the part of the hierarchy whose
rows they may receive. Every sign-in, failed sign-in and sign-out is written to the audit
table with the time and the remote address.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from contextlib import closing
from datetime import UTC, datetime

from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.formats import with_article
from dashboard.scope import Scope
from wholesystem import side_store
from wholesystem.errors import UserError
from wholesystem.settings import Settings

ROLES = ("admin", "analyst", "viewer")
AUDIT_EVENTS = ("login_ok", "login_failed", "logout")
MIN_PASSWORD_LENGTH = 8
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,
    scope_level TEXT NOT NULL, scope_code TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    time TEXT NOT NULL, name TEXT NOT NULL, event TEXT NOT NULL, remote_address TEXT);
"""
# Checked against when the name is unknown, so a wrong name costs as long as a wrong
# password and response times do not reveal which names exist.
_DUMMY_HASH = generate_password_hash("not a password")


class User(UserMixin):
    """A dashboard user as flask-login sees them: `get_id()` is the name."""

    def __init__(self, name: str, role: str, scope: Scope, created_at: str | None = None):
        self.name, self.role, self.scope, self.created_at = name, role, scope, created_at

    def get_id(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"User({self.name!r}, {self.role!r}, {str(self.scope)!r})"


def add_user(
    settings: Settings, name: str, role: str, scope_text: str | None, password: str
) -> User:
    """Creates a user and returns it.

    Raises UserError (one sentence) for a name already taken, a bad name, role, scope or
    password, or a scope naming an org the published snapshot does not hold.
    """
    _check_name(name)
    _check_role(role)
    _check_password(password)
    scope = parse_scope(settings, scope_text)
    with closing(_connect(settings)) as connection, connection:
        if _row(connection, name) is not None:
            raise UserError(f"a user named {name!r} already exists")
        connection.execute(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)",
            (name, generate_password_hash(password), role, scope.level, scope.code, _now()),
        )
    return User(name, role, scope)


def set_password(settings: Settings, name: str, password: str) -> None:
    """Replaces a user's password; raises UserError for an unknown user or a short one."""
    _check_password(password)
    with closing(_connect(settings)) as connection, connection:
        updated = connection.execute(
            "UPDATE users SET password_hash = ? WHERE name = ?",
            (generate_password_hash(password), name),
        ).rowcount
    if not updated:
        raise UserError(f"there is no user named {name!r}")


def add_or_reset(settings: Settings, name: str, role: str, password: str) -> None:
    """Gives an existing user a new password, or adds them with the whole-system scope
    (the demo's admin)."""
    if get_user(settings, name) is None:
        add_user(settings, name, role, None, password)
    else:
        set_password(settings, name, password)


def new_password() -> str:
    """Returns a random password: 120 bits from `secrets`, as 20 URL-safe characters."""
    return secrets.token_urlsafe(15)


def get_user(settings: Settings, name: str) -> User | None:
    """Returns the user with this name, or None."""
    with closing(_connect(settings)) as connection:
        row = _row(connection, name)
    return None if row is None else _user(row)


def list_users(settings: Settings) -> list[User]:
    """Returns every user, by name."""
    with closing(_connect(settings)) as connection:
        rows = connection.execute("SELECT * FROM users ORDER BY name").fetchall()
    return [_user(row) for row in rows]


def authenticate(
    settings: Settings, name: str, password: str, remote_address: str | None = None
) -> User | None:
    """Returns the user when the password matches their hash, else None.

    Both outcomes are audited (login_ok / login_failed), with the remote address.
    """
    with closing(_connect(settings)) as connection:
        row = _row(connection, name)
    stored = row["password_hash"] if row is not None else _DUMMY_HASH
    matched = check_password_hash(stored, password) and row is not None
    record(settings, name, "login_ok" if matched else "login_failed", remote_address)
    return _user(row) if matched else None


def record(settings: Settings, name: str, event: str, remote_address: str | None) -> None:
    """Appends one event (login_ok, login_failed or logout) to the audit log."""
    if event not in AUDIT_EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    with closing(_connect(settings)) as connection, connection:
        connection.execute(
            "INSERT INTO audit VALUES (?, ?, ?, ?)", (_now(), name[:200], event, remote_address)
        )


def audit_log(settings: Settings) -> list[dict]:
    """Returns the audit log, oldest first (time, name, event, remote_address)."""
    with closing(_connect(settings)) as connection:
        rows = connection.execute("SELECT * FROM audit ORDER BY rowid").fetchall()
    return [dict(row) for row in rows]


def parse_scope(settings: Settings, scope_text: str | None) -> Scope:
    """Reads `LEVEL:CODE` and, once a snapshot is published, checks the org exists at
    that level; raises UserError naming the bad scope or code."""
    try:
        scope = Scope.parse(scope_text)
    except ValueError as error:
        raise UserError(str(error)) from None
    if scope.is_whole_system:
        return scope
    level = _published_level(settings, scope.code)
    if level is _NO_SNAPSHOT:
        return scope
    if level is None:
        raise UserError(f"org code {scope.code!r} is not in the published snapshot")
    if level != scope.level:
        actual, asked = with_article(level), with_article(scope.level)
        raise UserError(f"org code {scope.code!r} is {actual}, not {asked}")
    return scope


_NO_SNAPSHOT = object()


def _published_level(settings: Settings, code: str):
    """Returns the level of an org in the current snapshot, None if it has no such org,
    or _NO_SNAPSHOT before the first publish (the scope is then checked at sign-in)."""
    from dashboard import access
    from metrics.serving import current_version

    if current_version(settings) is None:
        return _NO_SNAPSHOT
    access.configure(settings)
    orgs = access.org_units(Scope.whole_system())
    levels = orgs.loc[orgs["org_code"] == code, "level"]
    return None if levels.empty else levels.iloc[0]


def _check_name(name: str) -> None:
    if not NAME_PATTERN.fullmatch(name or ""):
        raise UserError(
            f"user name {name!r} is not 1-64 letters, digits, '.', '_', '@' or '-' "
            "starting with a letter or digit"
        )


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(f"role {role!r} is not one of {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def _connect(settings: Settings) -> sqlite3.Connection:
    return side_store.connect(settings, SCHEMA)


def _row(connection: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    return connection.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()


def _user(row: sqlite3.Row) -> User:
    scope = Scope(row["scope_level"], row["scope_code"])
    return User(row["name"], row["role"], scope, row["created_at"])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
