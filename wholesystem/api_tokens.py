"""Per-user API tokens and the API's request audit, kept beside the users in SQLite.

A token is `wsk_` followed by 43 characters of `secrets.token_urlsafe(32)` (256 random
bits). It is shown once, when it is made; only its SHA-256 digest is stored. A fast,
unsalted hash is the right choice here, unlike for passwords: a password is chosen by a
person and guessable, so it needs a slow salted hash (scrypt) against guessing; a token
has 256 bits of randomness, so no guessing can reach one from its digest however fast the
hash, and a fast hash lets every API request find its token with one indexed lookup.

A token belongs to one user and reads as that user does at the time of each request:
their role, scope and disclosure control now, not when the token was made. A token of an
inactive user is refused. The owner or an admin may revoke a token; nothing is deleted,
so who made each token, when, who revoked it and when stays readable (the audit of the
tokens themselves). A user has at most MAX_LIVE tokens at once. Setting or resetting
a user's password, and deactivating them, revokes all their tokens (`revoke_all`), so a
reactivated user starts with none.

Each API request is recorded in `api_requests` (time, user, token, method, path and
query, status, rows returned, the remote address), and the token's `last_used_at` is
moved on at most once a minute (a write per request would contend for the file's write
lock). A refusal before any token is known (no token, a wrong one) is counted instead:
one row per remote address per minute, whose `count` grows (`record_refusal`), so a
flood of bad requests cannot fill the disk.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta

from wholesystem import side_store
from wholesystem.errors import UserError
from wholesystem.settings import Settings

PREFIX = "wsk_"
TOKEN_PATTERN = re.compile(r"wsk_[A-Za-z0-9_-]{43}")
MAX_LABEL = 100
MAX_LIVE = 10
LAST_USED_EVERY = timedelta(minutes=1)
SCHEMA = """
CREATE TABLE IF NOT EXISTS api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user_name TEXT NOT NULL, label TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, created_by TEXT NOT NULL,
    last_used_at TEXT, revoked_at TEXT, revoked_by TEXT);
CREATE TABLE IF NOT EXISTS api_requests (
    time TEXT NOT NULL, user_name TEXT, token_id INTEGER, method TEXT NOT NULL,
    path TEXT NOT NULL, status INTEGER NOT NULL, rows INTEGER, remote_address TEXT,
    count INTEGER NOT NULL DEFAULT 1);
"""
# Made after an older file's api_requests has been given the columns it names.
REFUSALS_INDEX = """CREATE INDEX IF NOT EXISTS api_refusals_by_address
    ON api_requests (remote_address, time) WHERE user_name IS NULL"""
COLUMNS = "id, user_name, label, created_at, created_by, last_used_at, revoked_at, revoked_by"
# Columns of api_requests added after its first form (a file from before has 7).
ADDED_COLUMNS = {"remote_address": "TEXT", "count": "INTEGER NOT NULL DEFAULT 1"}
_migrated: set[str] = set()


@dataclass(frozen=True)
class Token:
    """One stored token (never its secret). `revoked_at` None means it may be used."""

    id: int
    user_name: str
    label: str
    created_at: str
    created_by: str
    last_used_at: str | None = None
    revoked_at: str | None = None
    revoked_by: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def digest(secret: str) -> str:
    """The stored form of a token: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create(settings: Settings, user_name: str, label: str, by: str) -> tuple[Token, str]:
    """Makes a token for a user and returns it with its secret, to be shown once.

    Raises UserError for an empty or overlong label, or when the user has MAX_LIVE
    tokens already. The caller checks that `by` may make a token for `user_name`
    (themselves, or an admin)."""
    label = " ".join(str(label or "").split())
    if not label or len(label) > MAX_LABEL:
        raise UserError(f"a token's label must be 1 to {MAX_LABEL} characters, e.g. 'notebook'")
    secret = PREFIX + secrets.token_urlsafe(32)
    with closing(_connect(settings)) as connection, connection:
        live = connection.execute(
            "SELECT count(*) FROM api_tokens WHERE user_name = ? AND revoked_at IS NULL",
            (user_name,),
        ).fetchone()[0]
        if live >= MAX_LIVE:
            raise UserError(
                f"{user_name} has {MAX_LIVE} API tokens already: revoke one before making another"
            )
        cursor = connection.execute(
            """INSERT INTO api_tokens (user_name, label, token_hash, created_at, created_by)
               VALUES (?, ?, ?, ?, ?)""",
            (user_name, label, digest(secret), side_store.now(), by),
        )
        row = _row(connection, cursor.lastrowid)
    return _token(row), secret


def lookup(settings: Settings, secret: str) -> Token | None:
    """Returns the unrevoked token with this secret, else None (a read, no write)."""
    if not TOKEN_PATTERN.fullmatch(secret or ""):
        return None
    rows = side_store.read(
        settings,
        f"SELECT {COLUMNS} FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
        (digest(secret),),
    )
    return _token(rows[0]) if rows else None


def list_tokens(settings: Settings, user_name: str | None = None) -> list[Token]:
    """Returns the tokens of one user (every user's with None), newest first."""
    rows = side_store.read(
        settings,
        f"""SELECT {COLUMNS} FROM api_tokens WHERE ? IS NULL OR user_name = ?
            ORDER BY id DESC""",
        (user_name, user_name),
    )
    return [_token(row) for row in rows]


def revoke(settings: Settings, token_id: int, by: str, *, any_user: bool = False) -> Token:
    """Revokes a token of `by` (of anyone's when `any_user`: an admin) and returns it.

    Raises UserError for a token that is not there (or not theirs) or already revoked."""
    with closing(_connect(settings)) as connection, connection:
        row = _row(connection, token_id)
        if row is None or not (any_user or row["user_name"] == by):
            raise UserError(f"there is no API token {token_id} of yours to revoke")
        if row["revoked_at"] is not None:
            raise UserError(f"API token {token_id} was already revoked on {row['revoked_at']}")
        connection.execute(
            "UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ?",
            (side_store.now(), by, token_id),
        )
        return _token(_row(connection, token_id))


def revoke_all(settings: Settings, user_name: str, by: str) -> int:
    """Revokes every live token of a user (a password set or reset, a deactivation) and
    returns how many."""
    with closing(_connect(settings)) as connection, connection:
        return connection.execute(
            """UPDATE api_tokens SET revoked_at = ?, revoked_by = ?
               WHERE user_name = ? AND revoked_at IS NULL""",
            (side_store.now(), by, user_name),
        ).rowcount


def record_request(
    settings: Settings, user_name: str | None, token_id: int | None, method: str,
    path: str, status: int, rows: int | None, remote_address: str | None = None,
) -> None:  # fmt: skip
    """Audits one API request and, at most once a minute, notes when its token was last
    used: one transaction."""
    now = side_store.now()
    with closing(_audit_connect(settings)) as connection, connection:
        connection.execute(
            "INSERT INTO api_requests VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (now, user_name, token_id, method[:10], path[:2000], status, rows, remote_address),
        )
        if token_id is not None:
            connection.execute(
                """UPDATE api_tokens SET last_used_at = ?
                   WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)""",
                (now, token_id, _minute_before(now)),
            )


def record_refusal(
    settings: Settings, remote_address: str | None, method: str, path: str, status: int
) -> None:
    """Counts a refusal of a request with no known token: the first from an address in a
    minute is a row (its time, path and status); the rest of that minute add to its count."""
    now = side_store.now()
    with closing(_audit_connect(settings)) as connection, connection:
        counted = connection.execute(
            """UPDATE api_requests SET count = count + 1
               WHERE rowid = (SELECT max(rowid) FROM api_requests WHERE user_name IS NULL
                              AND remote_address IS ? AND time > ?)""",
            (remote_address, _minute_before(now)),
        ).rowcount
        if not counted:
            connection.execute(
                "INSERT INTO api_requests VALUES (?, NULL, NULL, ?, ?, ?, NULL, ?, 1)",
                (now, method[:10], path[:2000], status, remote_address),
            )


def requests(settings: Settings, user_name: str | None = None, limit: int = 100) -> list[dict]:
    """Returns the latest audited API requests, newest first, of one user if given."""
    rows = side_store.read(
        settings,
        """SELECT * FROM api_requests WHERE ? IS NULL OR user_name = ?
           ORDER BY rowid DESC LIMIT ?""",
        (user_name, user_name, limit),
    )
    return [dict(row) for row in rows]


def _connect(settings: Settings) -> sqlite3.Connection:
    connection = side_store.connect(settings, SCHEMA)
    if str(settings.users_path) not in _migrated:  # once per file and process
        side_store.add_columns(connection, "api_requests", ADDED_COLUMNS)
        with connection:
            connection.execute(REFUSALS_INDEX)
        _migrated.add(str(settings.users_path))
    return connection


def _audit_connect(settings: Settings) -> sqlite3.Connection:
    connection = _connect(settings)
    # In WAL mode (side_store.connect) NORMAL is safe from corruption; a power cut may
    # lose the last audit rows, not the file, and each request saves an fsync.
    connection.execute("PRAGMA synchronous = NORMAL")
    return connection


def _minute_before(stamp: str) -> str:
    return (datetime.fromisoformat(stamp) - LAST_USED_EVERY).isoformat(timespec="seconds")


def _row(connection: sqlite3.Connection, token_id: int) -> sqlite3.Row | None:
    return connection.execute(
        f"SELECT {COLUMNS} FROM api_tokens WHERE id = ?", (token_id,)
    ).fetchone()


def _token(row: sqlite3.Row) -> Token:
    return Token(**dict(row))
