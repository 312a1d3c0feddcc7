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
tokens themselves). Each API request is recorded in `api_requests` (time, user, token,
method, path and query, status, rows returned) with the token's `last_used_at`, in one
transaction.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from contextlib import closing
from dataclasses import dataclass

from wholesystem import side_store
from wholesystem.errors import UserError
from wholesystem.settings import Settings

PREFIX = "wsk_"
TOKEN_PATTERN = re.compile(r"wsk_[A-Za-z0-9_-]{43}")
MAX_LABEL = 100
SCHEMA = """
CREATE TABLE IF NOT EXISTS api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user_name TEXT NOT NULL, label TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, created_by TEXT NOT NULL,
    last_used_at TEXT, revoked_at TEXT, revoked_by TEXT);
CREATE TABLE IF NOT EXISTS api_requests (
    time TEXT NOT NULL, user_name TEXT, token_id INTEGER, method TEXT NOT NULL,
    path TEXT NOT NULL, status INTEGER NOT NULL, rows INTEGER);
"""
COLUMNS = "id, user_name, label, created_at, created_by, last_used_at, revoked_at, revoked_by"


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

    Raises UserError for an empty or overlong label. The caller checks that `by` may
    make a token for `user_name` (themselves, or an admin)."""
    label = " ".join(str(label or "").split())
    if not label or len(label) > MAX_LABEL:
        raise UserError(f"a token's label must be 1 to {MAX_LABEL} characters, e.g. 'notebook'")
    secret = PREFIX + secrets.token_urlsafe(32)
    with closing(_connect(settings)) as connection, connection:
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


def record_request(
    settings: Settings, user_name: str | None, token_id: int | None, method: str,
    path: str, status: int, rows: int | None,
) -> None:  # fmt: skip
    """Audits one API request and notes when its token was last used: one transaction."""
    now = side_store.now()
    with closing(_connect(settings)) as connection, connection:
        connection.execute(
            "INSERT INTO api_requests VALUES (?, ?, ?, ?, ?, ?, ?)",
            (now, user_name, token_id, method[:10], path[:2000], status, rows),
        )
        if token_id is not None:
            connection.execute(
                "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (now, token_id)
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
    return side_store.connect(settings, SCHEMA)


def _row(connection: sqlite3.Connection, token_id: int) -> sqlite3.Row | None:
    return connection.execute(
        f"SELECT {COLUMNS} FROM api_tokens WHERE id = ?", (token_id,)
    ).fetchone()


def _token(row: sqlite3.Row) -> Token:
    return Token(**dict(row))
