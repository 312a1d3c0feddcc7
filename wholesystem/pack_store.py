"""The register of generated board packs, kept beside the users in SQLite.

Each pack is stored "as presented": its file under `data/packs/` and a row here naming the
snapshot version it was built from, the area (or 'ALL' for every area side by side), the
board date, the format, who generated it and when. A snapshot that a pack names is never
pruned (`referenced_versions`), so the pack can always be regenerated from the same
numbers and the dashboard can be opened as that snapshot showed them.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from wholesystem import side_store
from wholesystem.settings import Settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS packs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, version TEXT NOT NULL, area TEXT NOT NULL,
    board_date TEXT NOT NULL, format TEXT NOT NULL, file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL, created_by TEXT, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS packs_version ON packs (version);
"""
ALL_AREAS = "ALL"


@dataclass(frozen=True)
class PackRecord:
    """One generated pack: `file_name` lives in `packs_dir(settings)`."""

    id: int
    version: str
    area: str
    board_date: date
    format: str
    file_name: str
    sha256: str
    created_by: str | None
    created_at: str


def packs_dir(settings: Settings) -> Path:
    """The folder the generated packs are kept in (beside the users file)."""
    return settings.users_path.parent / "packs"


def record_pack(
    settings: Settings, *, version: str, area: str, board_date: date, format: str,
    file_name: str, sha256: str, created_by: str | None = None,
) -> PackRecord:  # fmt: skip
    """Registers a pack whose file is already in `packs_dir`; returns its record."""
    created = datetime.now(UTC).isoformat(timespec="seconds")
    row = (version, area, board_date.isoformat(), format, file_name, sha256, created_by, created)
    with closing(_connect(settings)) as connection, connection:
        cursor = connection.execute(
            "INSERT INTO packs (version, area, board_date, format, file_name, sha256, "
            "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )
    return PackRecord(cursor.lastrowid, *row[:2], board_date, *row[3:])


def list_packs(settings: Settings, version: str | None = None) -> list[PackRecord]:
    """The packs generated (of one snapshot version, or all), newest first."""
    if not settings.users_path.exists():
        return []
    where, parameters = ("WHERE version = ?", (version,)) if version else ("", ())
    with closing(_connect(settings)) as connection:
        rows = connection.execute(
            f"SELECT * FROM packs {where} ORDER BY created_at DESC, id DESC", parameters
        ).fetchall()
    return [_record(row) for row in rows]


def referenced_versions(settings: Settings) -> set[str]:
    """The snapshot versions that at least one kept pack was built from."""
    if not settings.users_path.exists():
        return set()
    with closing(_connect(settings)) as connection:
        return {row[0] for row in connection.execute("SELECT DISTINCT version FROM packs")}


def _connect(settings: Settings) -> sqlite3.Connection:
    return side_store.connect(settings, SCHEMA)


def _record(row: sqlite3.Row) -> PackRecord:
    return PackRecord(
        id=row["id"], version=row["version"], area=row["area"],
        board_date=date.fromisoformat(row["board_date"]), format=row["format"],
        file_name=row["file_name"], sha256=row["sha256"], created_by=row["created_by"],
        created_at=row["created_at"],
    )  # fmt: skip
