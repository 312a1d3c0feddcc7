"""Sign-in throttling: growing delays, then a temporary lock, per user name and per address.

Failed sign-ins are kept for a 15-minute window in the users database (shared by every
web worker). Past a few free failures each one makes the next attempt wait longer
(1, 2, 4 ... 60 seconds for a name, up to 10 for an address, which may be a whole trust
behind one proxy); attempts inside the wait are refused at once, without checking the
password, so no worker sleeps. Ten failures for one name, or fifty from one address, in
15 minutes lock it for 15 minutes. Names are throttled
whether or not they exist, so the answers never tell an attacker which names are real.
Times are seconds since the epoch, passed in by the caller so tests can use a fake clock.
"""

from __future__ import annotations

import math
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime

from wholesystem import side_store
from wholesystem.settings import Settings

WINDOW_SECONDS = 15 * 60
LOCK_SECONDS = 15 * 60
SCHEMA = """
CREATE TABLE IF NOT EXISTS login_failures (
    kind TEXT NOT NULL, key TEXT NOT NULL, time REAL NOT NULL);
CREATE INDEX IF NOT EXISTS login_failures_by_key ON login_failures (kind, key, time);
CREATE TABLE IF NOT EXISTS login_locks (
    kind TEXT NOT NULL, key TEXT NOT NULL, until REAL NOT NULL, failures INTEGER NOT NULL,
    PRIMARY KEY (kind, key));
"""


@dataclass(frozen=True)
class Policy:
    """How many failures in the window are free, the longest wait, and how many failures
    lock the key."""

    free: int
    max_delay: int
    lock_after: int


POLICIES = {
    "account": Policy(free=3, max_delay=60, lock_after=10),
    "address": Policy(free=20, max_delay=10, lock_after=50),
}


def now() -> float:
    """The real clock (tests pass their own times instead)."""
    return time.time()


def delay_after(kind: str, failures: int) -> int:
    """Seconds the next attempt must wait after this many failures in the window."""
    policy = POLICIES[kind]
    return 0 if failures < policy.free else min(2 ** (failures - policy.free), policy.max_delay)


def wait_seconds(settings: Settings, name: str, address: str | None, at: float) -> int:
    """Returns how many seconds to wait before this name may try again from this address
    (0: go ahead), the longer of the two keys' waits."""
    with closing(_connect(settings)) as connection:
        waits = [_wait(connection, kind, key, at) for kind, key in _keys(name, address)]
    return math.ceil(max(waits))


def record_failure(settings: Settings, name: str, address: str | None, at: float) -> list[str]:
    """Counts a failed sign-in; returns the kinds ("account", "address") it locked now."""
    locked = []
    with closing(_connect(settings)) as connection, connection:
        connection.execute("DELETE FROM login_failures WHERE time < ?", (at - WINDOW_SECONDS,))
        for kind, key in _keys(name, address):
            connection.execute("INSERT INTO login_failures VALUES (?, ?, ?)", (kind, key, at))
            failures, _ = _failures(connection, kind, key, at)
            if failures >= POLICIES[kind].lock_after and _lock_until(connection, kind, key) <= at:
                connection.execute(
                    "INSERT OR REPLACE INTO login_locks VALUES (?, ?, ?, ?)",
                    (kind, key, at + LOCK_SECONDS, failures),
                )
                locked.append(kind)
    return locked


def clear_account(settings: Settings, name: str) -> None:
    """Forgets a name's failures and lifts its lock (after a good sign-in, or by an admin)."""
    with closing(_connect(settings)) as connection, connection:
        for table in ("login_failures", "login_locks"):
            connection.execute(f"DELETE FROM {table} WHERE kind = 'account' AND key = ?", (name,))


def locked(settings: Settings, at: float) -> list[dict]:
    """Returns the locks in force at `at`, soonest to end first: kind, key (the user
    name or address), until (ISO time, UTC) and the failures that caused it."""
    with closing(_connect(settings)) as connection:
        rows = connection.execute(
            "SELECT * FROM login_locks WHERE until > ? ORDER BY until, kind, key", (at,)
        ).fetchall()
    return [dict(row) | {"until": _iso(row["until"])} for row in rows]


def _keys(name: str, address: str | None) -> list[tuple[str, str]]:
    return [("account", (name or "")[:200]), ("address", address or "unknown")]


def _wait(connection: sqlite3.Connection, kind: str, key: str, at: float) -> float:
    lock_wait = _lock_until(connection, kind, key) - at
    if lock_wait > 0:
        return lock_wait
    failures, last = _failures(connection, kind, key, at)
    return max(0.0, last + delay_after(kind, failures) - at) if failures else 0.0


def _failures(connection: sqlite3.Connection, kind: str, key: str, at: float):
    return connection.execute(
        "SELECT count(*), max(time) FROM login_failures WHERE kind = ? AND key = ? AND time > ?",
        (kind, key, at - WINDOW_SECONDS),
    ).fetchone()


def _lock_until(connection: sqlite3.Connection, kind: str, key: str) -> float:
    row = connection.execute(
        "SELECT until FROM login_locks WHERE kind = ? AND key = ?", (kind, key)
    ).fetchone()
    return row["until"] if row else 0.0


def _connect(settings: Settings) -> sqlite3.Connection:
    return side_store.connect(settings, SCHEMA)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
