"""Alert subscriptions and digests, kept beside the users in SQLite (the web tier never
writes DuckDB).

A subscription is a user's (indicator, org) pair. A digest is what turned for one user in
one release (`version`): its items as JSON (already disclosure-controlled when written),
when it was read on the Alerts page and when it was e-mailed, or why the e-mail failed.
There is at most one digest per (user, version), so writing one again changes nothing.
A pending e-mail confirmation is a user's new address with the SHA-256 hash of the random
one-time token its link carries (never the token itself) and when it expires (a day on).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from wholesystem import side_store
from wholesystem.settings import Settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, metric_id TEXT NOT NULL,
    org_code TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (user, metric_id, org_code));
CREATE TABLE IF NOT EXISTS alert_digests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, version TEXT NOT NULL,
    previous_version TEXT, last_month TEXT, created_at TEXT NOT NULL,
    items TEXT NOT NULL DEFAULT '[]', read_at TEXT, emailed_at TEXT, email_error TEXT,
    UNIQUE (user, version));
CREATE TABLE IF NOT EXISTS alert_email_confirmations (
    user TEXT PRIMARY KEY, address TEXT NOT NULL, token_hash TEXT NOT NULL,
    expires_at TEXT NOT NULL);
"""
CONFIRMATION_LIFETIME = timedelta(days=1)


@dataclass(frozen=True)
class Subscription:
    user: str
    metric_id: str
    org_code: str
    created_at: str


@dataclass(frozen=True)
class Digest:
    """One user's digest of one release; `items` are dicts (see `wholesystem.alerts`);
    `last_month` is the latest month of the release (ISO date)."""

    id: int
    user: str
    version: str
    previous_version: str | None
    last_month: str | None
    created_at: str
    items: list
    read_at: str | None
    emailed_at: str | None
    email_error: str | None

    @property
    def unread(self) -> bool:
        return self.read_at is None


def _connect(settings: Settings) -> sqlite3.Connection:
    return side_store.connect(settings, SCHEMA)


def subscribe(settings: Settings, user: str, metric_id: str, org_code: str) -> bool:
    """Adds a subscription (the caller has checked the indicator and the user's scope);
    False when the user already had it."""
    with closing(_connect(settings)) as connection, connection:
        added = connection.execute(
            "INSERT OR IGNORE INTO alert_subscriptions (user, metric_id, org_code, created_at)"
            " VALUES (?, ?, ?, ?)",
            (user, metric_id, org_code, side_store.now()),
        ).rowcount
    return bool(added)


def unsubscribe(settings: Settings, user: str, metric_id: str, org_code: str) -> bool:
    """Removes a subscription; False when there was none."""
    with closing(_connect(settings)) as connection, connection:
        removed = connection.execute(
            "DELETE FROM alert_subscriptions WHERE user = ? AND metric_id = ? AND org_code = ?",
            (user, metric_id, org_code),
        ).rowcount
    return bool(removed)


def subscriptions(settings: Settings, user: str | None = None) -> list[Subscription]:
    """A user's subscriptions (everyone's without `user`), by user, indicator and org."""
    where, parameters = ("WHERE user = ?", (user,)) if user is not None else ("", ())
    rows = side_store.read(
        settings,
        "SELECT user, metric_id, org_code, created_at FROM alert_subscriptions "
        f"{where} ORDER BY user, metric_id, org_code",
        parameters,
    )
    return [Subscription(**dict(row)) for row in rows]


def write_digest(
    settings: Settings, user: str, version: str, previous_version: str | None,
    last_month: str | None, items: list,
) -> int | None:  # fmt: skip
    """Writes a user's digest of a release; returns its id, or None when that user already
    has a digest of that version (nothing changes)."""
    with closing(_connect(settings)) as connection, connection:
        cursor = connection.execute(
            "INSERT OR IGNORE INTO alert_digests (user, version, previous_version, last_month,"
            " created_at, items) VALUES (?, ?, ?, ?, ?, ?)",
            (user, version, previous_version, last_month, side_store.now(), json.dumps(items)),
        )
        return cursor.lastrowid if cursor.rowcount else None


def digests(settings: Settings, user: str) -> list[Digest]:
    """A user's digests, newest first."""
    rows = side_store.read(
        settings, "SELECT * FROM alert_digests WHERE user = ? ORDER BY id DESC", (user,)
    )
    return [_digest(row) for row in rows]


def latest_digest(settings: Settings, user: str) -> Digest | None:
    """A user's newest digest, or None."""
    found = digests(settings, user)
    return found[0] if found else None


def digest(settings: Settings, user: str, digest_id: int) -> Digest | None:
    """One of the user's digests by id; None when it is not theirs or does not exist."""
    rows = side_store.read(
        settings, "SELECT * FROM alert_digests WHERE id = ? AND user = ?", (digest_id, user)
    )
    return _digest(rows[0]) if rows else None


def mark_read(settings: Settings, user: str, digest_id: int) -> None:
    """Marks one of the user's digests read (the first time only)."""
    with closing(_connect(settings)) as connection, connection:
        connection.execute(
            "UPDATE alert_digests SET read_at = ? WHERE id = ? AND user = ? AND read_at IS NULL",
            (side_store.now(), digest_id, user),
        )


def unread_count(settings: Settings, user: str) -> int:
    """How many of the user's digests are unread."""
    rows = side_store.read(
        settings,
        "SELECT count(*) AS n FROM alert_digests WHERE user = ? AND read_at IS NULL",
        (user,),
    )
    return int(rows[0]["n"]) if rows else 0


def unsent(settings: Settings, version: str | None = None) -> list[Digest]:
    """Digests not e-mailed yet (of one version, or all), oldest first."""
    where, parameters = ("AND version = ?", (version,)) if version else ("", ())
    rows = side_store.read(
        settings,
        f"SELECT * FROM alert_digests WHERE emailed_at IS NULL {where} ORDER BY id",
        parameters,
    )
    return [_digest(row) for row in rows]


def record_email(settings: Settings, digest_id: int, error: str | None) -> None:
    """Records a digest's e-mail: sent now (error None), or why it failed (kept unsent)."""
    sent_at = None if error else side_store.now()
    with closing(_connect(settings)) as connection, connection:
        connection.execute(
            "UPDATE alert_digests SET emailed_at = ?, email_error = ? WHERE id = ?",
            (sent_at, error, digest_id),
        )


def start_confirmation(settings: Settings, user: str, address: str) -> str:
    """Replaces the user's pending confirmation with one for `address`; returns the new
    one-time token for the link (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    expires = (datetime.now(UTC) + CONFIRMATION_LIFETIME).isoformat(timespec="seconds")
    with closing(_connect(settings)) as connection, connection:
        connection.execute(
            "INSERT OR REPLACE INTO alert_email_confirmations (user, address, token_hash,"
            " expires_at) VALUES (?, ?, ?, ?)",
            (user, address, _hash(token), expires),
        )
    return token


def take_confirmation(settings: Settings, user: str, token: str) -> str | None:
    """The address the user's pending confirmation is for when `token` is its token and
    has not expired, used up (deleted) at once; None otherwise, changing nothing."""
    with closing(_connect(settings)) as connection, connection:
        row = connection.execute(
            "SELECT address FROM alert_email_confirmations WHERE user = ? AND token_hash = ?"
            " AND expires_at > ?",
            (user, _hash(token), side_store.now()),
        ).fetchone()
        if row is not None:
            connection.execute("DELETE FROM alert_email_confirmations WHERE user = ?", (user,))
    return None if row is None else row["address"]


def pending_confirmation(settings: Settings, user: str) -> str | None:
    """The address awaiting the user's confirmation (unexpired), or None."""
    rows = side_store.read(
        settings,
        "SELECT address FROM alert_email_confirmations WHERE user = ? AND expires_at > ?",
        (user, side_store.now()),
    )
    return rows[0]["address"] if rows else None


def drop_confirmation(settings: Settings, user: str) -> None:
    """Forgets the user's pending confirmation, if any."""
    with closing(_connect(settings)) as connection, connection:
        connection.execute("DELETE FROM alert_email_confirmations WHERE user = ?", (user,))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _digest(row: sqlite3.Row) -> Digest:
    values = dict(row)
    values["items"] = json.loads(values["items"])
    return Digest(**values)
