"""The dashboard's users and sign-in audit log, in a small SQLite file beside the data.

The web tier never writes DuckDB, so users live in `settings.users_path` (stdlib sqlite3).
Passwords are stored only as werkzeug hashes (scrypt). Each user has a role (admin,
analyst, viewer) and a scope (`dashboard.scope.Scope`): the part of the hierarchy whose
rows they may receive. Every sign-in, failed sign-in and sign-out is written to the audit
table with the time and the remote address.

Sessions end on the server: each user has a `session_epoch`, stored in the session at
sign-in and checked on every request (`dashboard.auth`), so `end_sessions` (run by
sign-out, a password change and the admin's role, scope and deactivation changes) stops
every cookie already handed out for that user. An inactive user cannot sign in.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from contextlib import closing

from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard import passwords, roles, throttle
from dashboard.formats import with_article
from dashboard.scope import Scope
from wholesystem import api_tokens, side_store
from wholesystem.errors import UserError
from wholesystem.settings import Settings

ROLES = tuple(reversed(roles.ROLES))  # highest first, as messages list them
AUDIT_EVENTS = (
    "login_ok", "login_failed", "logout", "login_inactive", "login_throttled",
    "account_locked", "address_locked", "password_changed",
)  # fmt: skip
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,
    scope_level TEXT NOT NULL, scope_code TEXT NOT NULL, created_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1, session_epoch INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS audit (
    time TEXT NOT NULL, name TEXT NOT NULL, event TEXT NOT NULL, remote_address TEXT);
"""
# Columns added since the first users databases, with their definitions; `_connect` adds
# any a database lacks (once per process and file).
ADDED_COLUMNS = {
    "active": "INTEGER NOT NULL DEFAULT 1",
    "session_epoch": "INTEGER NOT NULL DEFAULT 0",
    "email": "TEXT",  # where alert digests are sent (issue 14); none: no e-mail
    "email_confirmed_at": "TEXT",  # when its owner confirmed it; none: not mailed yet
}
_migrated: set[str] = set()
# Checked against when the name is unknown, so a wrong name costs as long as a wrong
# password and response times do not reveal which names exist.
_DUMMY_HASH = generate_password_hash("not a password")


class User(UserMixin):
    """A dashboard user as flask-login sees them: `get_id()` is the name."""

    def __init__(
        self, name: str, role: str, scope: Scope, created_at: str | None = None,
        active: bool = True, session_epoch: int = 0,
    ):  # fmt: skip
        self.name, self.role, self.scope, self.created_at = name, role, scope, created_at
        self.active, self.session_epoch = active, session_epoch

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
    _require_good_password(settings, name, password)
    scope = parse_scope(settings, scope_text)
    with closing(_connect(settings)) as connection, connection:
        if _row(connection, name) is not None:
            raise UserError(f"a user named {name!r} already exists")
        connection.execute(
            "INSERT INTO users (name, password_hash, role, scope_level, scope_code, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                name,
                generate_password_hash(password),
                role,
                scope.level,
                scope.code,
                side_store.now(),
            ),
        )
    return User(name, role, scope)


def set_password(settings: Settings, name: str, password: str) -> None:
    """Replaces a user's password and ends every session they have; raises UserError for
    an unknown user or a password the policy refuses (`check_password`)."""
    _require_good_password(settings, name, password)
    with closing(_connect(settings)) as connection, connection:
        updated = connection.execute(
            "UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1 WHERE name = ?",
            (generate_password_hash(password), name),
        ).rowcount
    if not updated:
        raise UserError(f"there is no user named {name!r}")
    api_tokens.revoke_all(settings, name, name)  # a new password ends the old tokens too
    record(settings, name, "password_changed", None)


EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def set_email(settings: Settings, name: str, email: str | None) -> str | None:
    """Sets (or, with None or "", clears) the address a user's alert digests are e-mailed
    to and returns it, cleaned; a new address awaits its owner's confirmation
    (`confirm_email`), the same one keeps it. Raises UserError, one sentence, for an
    address that is not one or an unknown user."""
    email = (email or "").strip() or None
    if email is not None and (len(email) > 254 or not EMAIL_PATTERN.fullmatch(email)):
        raise UserError(f"{email[:80]!r} is not an e-mail address like name@example.nhs.uk")
    with closing(_connect(settings)) as connection, connection:
        updated = connection.execute(
            "UPDATE users SET email_confirmed_at = CASE WHEN email IS ? THEN"
            " email_confirmed_at END, email = ? WHERE name = ?",
            (email, email, name),
        ).rowcount
    if not updated:
        raise UserError(f"there is no user named {name!r}")
    return email


def confirm_email(settings: Settings, name: str, email: str) -> bool:
    """Marks the user's address confirmed, if it is still `email`; False otherwise."""
    with closing(_connect(settings)) as connection, connection:
        return bool(
            connection.execute(
                "UPDATE users SET email_confirmed_at = ? WHERE name = ? AND email = ?",
                (side_store.now(), name, email),
            ).rowcount
        )


def confirmed_email_of(settings: Settings, name: str) -> str | None:
    """The user's address if they have confirmed it (the only one digests are sent to)."""
    with closing(_connect(settings)) as connection:
        row = _row(connection, name)
    return row["email"] if row is not None and row["email_confirmed_at"] else None


def email_of(settings: Settings, name: str) -> str | None:
    """The address a user's alert digests go to, or None."""
    with closing(_connect(settings)) as connection:
        row = _row(connection, name)
    return None if row is None else row["email"]


def end_sessions(settings: Settings, name: str) -> None:
    """Ends every session of this user at once: the next request from any cookie issued
    before now is refused. Raises UserError for an unknown user."""
    with closing(_connect(settings)) as connection, connection:
        updated = connection.execute(
            "UPDATE users SET session_epoch = session_epoch + 1 WHERE name = ?", (name,)
        ).rowcount
    if not updated:
        raise UserError(f"there is no user named {name!r}")


def check_password(name: str, password: str, settings: Settings | None = None) -> str | None:
    """Returns why the policy refuses this password for this user (one sentence), or None.

    The minimum length is `settings.password_min_length` (12 without settings).
    """
    min_length = settings.password_min_length if settings else passwords.DEFAULT_MIN_LENGTH
    return passwords.check_password(name, password, min_length)


def locked_accounts(settings: Settings, at: float | None = None) -> list[dict]:
    """Returns the user names and addresses locked out of signing in now (or at `at`,
    seconds since the epoch), each with `kind` ("account" or "address"), `key`, `until`
    (ISO time, UTC) and `failures`."""
    return throttle.locked(settings, throttle.now() if at is None else at)


def unlock_account(settings: Settings, name: str) -> None:
    """Lifts a sign-in lock on a user name and forgets its recent failures."""
    throttle.clear_account(settings, name)


def add_or_reset(settings: Settings, name: str, role: str, password: str) -> None:
    """Gives an existing user a new password, or adds them with the whole-system scope
    (the demo's admin)."""
    if get_user(settings, name) is None:
        add_user(settings, name, role, None, password)
    else:
        set_password(settings, name, password)


def new_password(name: str = "") -> str:
    """Returns a random password for the user `name`: 120 bits from `secrets`, as 20
    URL-safe characters, drawn again in the rare case the policy would refuse it (a run
    like "aaaa", or the user name in it)."""
    while True:
        password = secrets.token_urlsafe(15)
        if passwords.check_password(name, password) is None:
            return password


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
    """Returns the user when the password matches their hash and they are active, else
    None. An unknown name costs the same hashing work as a known one.

    Each outcome is audited (login_ok, login_failed or login_inactive), with the address.
    """
    with closing(_connect(settings)) as connection:
        row = _row(connection, name)
    stored = row["password_hash"] if row is not None else _DUMMY_HASH
    matched = check_password_hash(stored, password) and row is not None
    active = matched and bool(row["active"])
    event = "login_ok" if active else "login_inactive" if matched else "login_failed"
    record(settings, name, event, remote_address)
    return _user(row) if active else None


def record(settings: Settings, name: str, event: str, remote_address: str | None) -> None:
    """Appends one event (one of AUDIT_EVENTS) to the audit log."""
    if event not in AUDIT_EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    with closing(_connect(settings)) as connection, connection:
        connection.execute(
            "INSERT INTO audit VALUES (?, ?, ?, ?)",
            (side_store.now(), name[:200], event, remote_address),
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


def _require_good_password(settings: Settings, name: str, password: str) -> None:
    reason = check_password(name, password, settings)
    if reason is not None:
        raise UserError(reason)


def _connect(settings: Settings) -> sqlite3.Connection:
    connection = side_store.connect(settings, SCHEMA)
    if str(settings.users_path) not in _migrated:
        side_store.add_columns(connection, "users", ADDED_COLUMNS)
        _migrated.add(str(settings.users_path))
    return connection


def _row(connection: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    return connection.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()


def _user(row: sqlite3.Row) -> User:
    scope = Scope(row["scope_level"], row["scope_code"])
    return User(
        row["name"], row["role"], scope, row["created_at"],
        active=bool(row["active"]), session_epoch=row["session_epoch"],
    )  # fmt: skip


# User administration (the dashboard's Users page). Each change ends the user's sessions,
# so a new role, scope or deactivation holds from their next request, and is audited with
# who made it: the admin, the change, the user changed.
ADMIN_EVENTS = (
    "user_added", "role_set", "scope_set", "password_reset", "deactivated", "reactivated",
    "unlocked", "snapshot_released", "scheme_saved", "scheme_ended",
)  # fmt: skip
ADMIN_SCHEMA = """
CREATE TABLE IF NOT EXISTS admin_audit (
    time TEXT NOT NULL, actor TEXT NOT NULL, event TEXT NOT NULL, target TEXT NOT NULL,
    detail TEXT, remote_address TEXT);
"""


def create_user(
    settings: Settings, name: str, role: str, scope_text: str | None, by: str,
    remote_address: str | None = None,
) -> str:  # fmt: skip
    """Adds a user with a new random password and returns it, to be shown once (only its
    hash is stored). Raises UserError as `add_user` does."""
    password = new_password(name)
    user = add_user(settings, name, role, scope_text, password)
    _audit_change(settings, by, "user_added", name, f"{role}, {user.scope}", remote_address)
    return password


def set_role(
    settings: Settings, name: str, role: str, by: str, remote_address: str | None = None
) -> None:
    """Gives a user another role and ends their sessions. An admin cannot change their own
    role (so the last admin cannot demote themselves by mistake)."""
    _check_role(role)
    _refuse_self(name, by, "change your own role")
    old = _existing(settings, name)
    _update(settings, name, "role = ?", (role,))
    _audit_change(settings, by, "role_set", name, f"{old['role']} to {role}", remote_address)


def set_scope(
    settings: Settings, name: str, scope_text: str | None, by: str,
    remote_address: str | None = None,
) -> None:  # fmt: skip
    """Gives a user another scope (`LEVEL:CODE`, checked against the published snapshot;
    nothing for the whole system) and ends their sessions."""
    scope = parse_scope(settings, scope_text)
    old = _user(_existing(settings, name)).scope
    _update(settings, name, "scope_level = ?, scope_code = ?", (scope.level, scope.code))
    _audit_change(settings, by, "scope_set", name, f"{old} to {scope}", remote_address)


def deactivate(settings: Settings, name: str, by: str, remote_address: str | None = None) -> None:
    """Stops a user signing in and ends their sessions; an admin cannot deactivate
    themselves."""
    _refuse_self(name, by, "deactivate your own account")
    if not _existing(settings, name)["active"]:
        raise UserError(f"{name} is already deactivated")
    _update(settings, name, "active = 0", ())
    api_tokens.revoke_all(settings, name, by)  # so reactivating brings none back
    _audit_change(settings, by, "deactivated", name, None, remote_address)


def reactivate(settings: Settings, name: str, by: str, remote_address: str | None = None) -> None:
    """Lets a deactivated user sign in again (with their existing password)."""
    if _existing(settings, name)["active"]:
        raise UserError(f"{name} is already active")
    _update(settings, name, "active = 1", ())
    _audit_change(settings, by, "reactivated", name, None, remote_address)


def reset_password(
    settings: Settings, name: str, by: str, remote_address: str | None = None
) -> str:
    """Gives a user a new random password, ends their sessions (`set_password` does) and
    returns the password, to be shown once (only its hash is stored)."""
    _existing(settings, name)
    password = new_password(name)
    api_tokens.revoke_all(settings, name, by)  # before set_password's, to name the admin
    set_password(settings, name, password)
    _audit_change(settings, by, "password_reset", name, None, remote_address)
    return password


def unlock(settings: Settings, name: str, by: str, remote_address: str | None = None) -> None:
    """Lifts a sign-in lock on a user before it runs out."""
    _existing(settings, name)
    unlock_account(settings, name)
    _audit_change(settings, by, "unlocked", name, None, remote_address)


def user_table(settings: Settings) -> list[dict]:
    """Returns every user, by name: name, role, scope (a Scope), active (bool), created_at,
    last_sign_in (the latest successful sign-in's time, or None) and locked_until (the
    end of a sign-in lock on the name now, or None)."""
    locks = {lock["key"]: lock["until"] for lock in locked_accounts(settings)
             if lock["kind"] == "account"}  # fmt: skip
    with closing(_connect(settings)) as connection:
        rows = connection.execute("SELECT * FROM users ORDER BY name").fetchall()
        last = dict(
            connection.execute(
                "SELECT name, max(time) FROM audit WHERE event = 'login_ok' GROUP BY name"
            ).fetchall()
        )
    return [
        {"name": row["name"], "role": row["role"], "scope": _user(row).scope,
         "active": bool(row["active"]), "created_at": row["created_at"],
         "last_sign_in": last.get(row["name"]), "locked_until": locks.get(row["name"])}
        for row in rows
    ]  # fmt: skip


def sign_in_events(settings: Settings, name: str | None = None, limit: int = 100) -> list[dict]:
    """Returns the latest sign-in audit events, newest first (time, name, event,
    remote_address), of one user if `name` is given."""
    sql = "SELECT * FROM audit WHERE ? IS NULL OR name = ? ORDER BY rowid DESC LIMIT ?"
    with closing(_connect(settings)) as connection:
        rows = connection.execute(sql, (name, name, limit)).fetchall()
    return [dict(row) for row in rows]


def admin_events(settings: Settings, name: str | None = None, limit: int = 100) -> list[dict]:
    """Returns the latest changes made by admins, newest first (time, actor, event, target,
    detail, remote_address), by or to one user if `name` is given."""
    sql = """SELECT * FROM admin_audit WHERE ? IS NULL OR actor = ? OR target = ?
             ORDER BY rowid DESC LIMIT ?"""
    with closing(side_store.connect(settings, ADMIN_SCHEMA)) as connection:
        rows = connection.execute(sql, (name, name, name, limit)).fetchall()
    return [dict(row) for row in rows]


def audit_admin_action(
    settings: Settings, by: str, event: str, target: str, detail: str | None = None,
    remote_address: str | None = None,
) -> None:  # fmt: skip
    """Records an admin's action on something other than a user (one of ADMIN_EVENTS, such
    as releasing a snapshot: `target` is then its version) in the admins' audit."""
    _audit_change(settings, by, event, target, detail, remote_address)


def _refuse_self(name: str, by: str, what: str) -> None:
    if name == by:
        raise UserError(f"you cannot {what}; ask another admin")


def _existing(settings: Settings, name: str) -> sqlite3.Row:
    with closing(_connect(settings)) as connection:
        row = _row(connection, name)
    if row is None:
        raise UserError(f"there is no user named {name!r}")
    return row


def _update(settings: Settings, name: str, assignments: str, values: tuple) -> None:
    """Changes a user and, in the same statement, ends their sessions, so no request can
    pass with the old role, scope or state after the change is stored."""
    # `assignments` is one of this module's own literals, never text from a request.
    with closing(_connect(settings)) as connection, connection:
        connection.execute(
            f"UPDATE users SET {assignments}, session_epoch = session_epoch + 1 WHERE name = ?",
            (*values, name),
        )


def _audit_change(
    settings: Settings, by: str, event: str, target: str, detail: str | None,
    remote_address: str | None,
) -> None:  # fmt: skip
    if event not in ADMIN_EVENTS:
        raise ValueError(f"unknown admin event {event!r}")
    with closing(side_store.connect(settings, ADMIN_SCHEMA)) as connection, connection:
        connection.execute(
            "INSERT INTO admin_audit VALUES (?, ?, ?, ?, ?, ?)",
            (side_store.now(), by, event, target, detail, remote_address),
        )
