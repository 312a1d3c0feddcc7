"""The register of generated board packs, kept beside the users in SQLite.

Each pack is stored "as presented": its file under `data/packs/` and a row here naming the
snapshot version it was built from, the area (or 'ALL' for every area side by side), the
board date, the format, whose scope it was made in (it holds every area that scope could
see), a fingerprint of what it shows, who generated it and when. A snapshot that a pack
names is never pruned (`referenced_versions`), so the pack can always be regenerated from
the same numbers and the dashboard can be opened as that snapshot showed them.

Reads go through `side_store.read` (read-only, no DDL); writes through `_connect`, which
also adds the columns a users file made before them lacks.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from wholesystem import side_store
from wholesystem.settings import Settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS packs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, version TEXT NOT NULL, area TEXT NOT NULL,
    board_date TEXT NOT NULL, format TEXT NOT NULL, file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL, created_by TEXT, created_at TEXT NOT NULL, scope TEXT,
    inputs TEXT);
CREATE INDEX IF NOT EXISTS packs_version ON packs (version);
"""
# Columns added after the table was first made: (name, type), added when missing.
ADDED_COLUMNS = {"scope": "TEXT", "inputs": "TEXT"}  # since the first packs tables
ALL_AREAS = "ALL"
_migrated: set[str] = set()  # users files whose packs table this process has brought up to date


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
    scope: str | None = None  # the maker's scope (`str(Scope)`); None: made before it was kept
    inputs: str | None = None  # the fingerprint of what it shows (`render.fingerprint`)


def packs_dir(settings: Settings) -> Path:
    """The folder the generated packs are kept in (beside the users file)."""
    return settings.users_path.parent / "packs"


def record_pack(
    settings: Settings, *, version: str, area: str, board_date: date, format: str,
    file_name: str, sha256: str, created_by: str | None = None, scope: str | None = None,
    inputs: str | None = None,
) -> PackRecord:  # fmt: skip
    """Registers a pack whose file is already in `packs_dir`; returns its record."""
    created = side_store.now()
    row = (
        version, area, board_date.isoformat(), format, file_name, sha256, created_by, created,
        scope, inputs,
    )  # fmt: skip
    with closing(_connect(settings)) as connection, connection:
        cursor = connection.execute(
            "INSERT INTO packs (version, area, board_date, format, file_name, sha256, "
            "created_by, created_at, scope, inputs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )
    return PackRecord(cursor.lastrowid, *row[:2], board_date, *row[3:])


def list_packs(settings: Settings, version: str | None = None) -> list[PackRecord]:
    """The packs generated (of one snapshot version, or all), newest first."""
    where, parameters = ("WHERE version = ?", (version,)) if version else ("", ())
    rows = side_store.read(
        settings, f"SELECT * FROM packs {where} ORDER BY created_at DESC, id DESC", parameters
    )
    return [_record(row) for row in rows]


def packs_by_version(settings: Settings) -> dict[str, list[PackRecord]]:
    """Every pack generated, grouped by snapshot version (one read), newest first in each."""
    grouped: dict[str, list[PackRecord]] = {}
    for record in list_packs(settings):
        grouped.setdefault(record.version, []).append(record)
    return grouped


def get_pack(settings: Settings, pack_id: int) -> PackRecord | None:
    """The pack with this id, or None."""
    rows = side_store.read(settings, "SELECT * FROM packs WHERE id = ?", (pack_id,))
    return _record(rows[0]) if rows else None


def find_pack(
    settings: Settings, *, version: str, area: str, board_date: date, format: str, scope: str,
    inputs: str,
) -> PackRecord | None:  # fmt: skip
    """The newest pack made already of this version, area, board date and format in this
    scope and showing the same (`inputs`), whose file is still there; else None."""
    # Through `_connect` (not a read-only read): asked just before a pack is stored, on a
    # file that may not have the columns yet.
    with closing(_connect(settings)) as connection:
        rows = connection.execute(
            "SELECT * FROM packs WHERE version = ? AND area = ? AND board_date = ? "
            "AND format = ? AND scope = ? AND inputs = ? ORDER BY id DESC",
            (version, area, board_date.isoformat(), format, scope, inputs),
        ).fetchall()
    found = (_record(row) for row in rows)
    return next((r for r in found if (packs_dir(settings) / r.file_name).is_file()), None)


def referenced_versions(settings: Settings) -> set[str]:
    """The snapshot versions that at least one kept pack was built from."""
    return {row[0] for row in side_store.read(settings, "SELECT DISTINCT version FROM packs")}


def _connect(settings: Settings) -> sqlite3.Connection:
    connection = side_store.connect(settings, SCHEMA)
    key = str(settings.users_path)
    if key not in _migrated:
        side_store.add_columns(connection, "packs", ADDED_COLUMNS)
        _migrated.add(key)
    return connection


def _record(row: sqlite3.Row) -> PackRecord:
    names = row.keys()  # a file not yet migrated (read-only reads) lacks the added columns
    return PackRecord(
        id=row["id"], version=row["version"], area=row["area"],
        board_date=date.fromisoformat(row["board_date"]), format=row["format"],
        file_name=row["file_name"], sha256=row["sha256"], created_by=row["created_by"],
        created_at=row["created_at"],
        **{name: row[name] for name in ADDED_COLUMNS if name in names},
    )  # fmt: skip
