"""Who released which serving snapshot and when, kept beside the users in SQLite.

A release is an act by a person (an admin in the dashboard, or whoever runs
`wholesystem release`), so its record lives where the dashboard may write: the side store,
next to the users and the admin audit, never in the DuckDB snapshot files (which are
immutable once published and never written by the web tier). Each release adds a row, so
releasing an older snapshot again (to roll back) is recorded too; the pointer file
`serving/CURRENT` stays what readers follow (`metrics.serving.release` moves it).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime

from wholesystem import side_store
from wholesystem.settings import Settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshot_releases (
    id INTEGER PRIMARY KEY AUTOINCREMENT, version TEXT NOT NULL, released_at TEXT NOT NULL,
    released_by TEXT);
CREATE INDEX IF NOT EXISTS snapshot_releases_version ON snapshot_releases (version);
"""


@dataclass(frozen=True)
class Release:
    """One release of a snapshot (times in UTC, without a zone, as snapshots record them)."""

    version: str
    released_at: datetime
    released_by: str | None


def record_release(settings: Settings, version: str, released_by: str | None) -> Release:
    """Records that `version` was released now by `released_by`; returns the record."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with closing(side_store.connect(settings, SCHEMA)) as connection, connection:
        connection.execute(
            "INSERT INTO snapshot_releases (version, released_at, released_by) VALUES (?, ?, ?)",
            (version, now.isoformat(), released_by),
        )
    return Release(version, now, released_by)


def latest_releases(settings: Settings) -> dict[str, Release]:
    """The latest release of each snapshot ever released (by version); none before the
    side store exists (reading never creates it, nor its table)."""
    rows = side_store.read(
        settings, "SELECT version, released_at, released_by FROM snapshot_releases ORDER BY id"
    )
    return {row["version"]: _release(row) for row in rows}  # later rows win


def _release(row: sqlite3.Row) -> Release:
    return Release(row["version"], datetime.fromisoformat(row["released_at"]), row["released_by"])
