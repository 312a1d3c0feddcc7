"""The small SQLite file beside the data (`data/users.sqlite`): users, the sign-in audit
and the analysts' SPC change points live there, because the web tier never writes DuckDB.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime

from wholesystem.settings import Settings

# (path, schema) pairs whose tables this process has already made sure of.
_schema_ready: set[tuple[str, str]] = set()


def connect(settings: Settings, schema: str) -> sqlite3.Connection:
    """Returns a connection to the users file with `schema` (CREATE ... IF NOT EXISTS
    statements) applied, rows as sqlite3.Row."""
    path = settings.users_path
    # Each schema is run once per file and process: DDL on every request would contend
    # with the other web workers for SQLite's write lock.
    key = (str(path), schema)
    fresh = key not in _schema_ready or not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=10)
    connection.row_factory = sqlite3.Row
    if fresh:
        # WAL (kept in the file): readers never wait for the writer, and a commit is
        # one append, not a rewrite of the journal; set before the schema, once per
        # file and process like it.
        connection.execute("PRAGMA journal_mode = WAL")
        connection.executescript(schema)
        _schema_ready.add(key)
    return connection


def add_columns(connection: sqlite3.Connection, table: str, columns: dict[str, str]) -> None:
    """Adds to `table` any of `columns` (name: definition) it lacks: a table made by an
    older release is brought up to date in place, its rows kept."""
    present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
    for column, definition in columns.items():
        if column in present:
            continue
        try:
            with connection:
                connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        except sqlite3.OperationalError as error:
            if "duplicate column" not in str(error):  # another worker added it first
                raise


def read(settings: Settings, sql: str, parameters: tuple = ()) -> list[sqlite3.Row]:
    """Rows of one query on a read-only connection to the users file: a page load never
    writes (nor takes the write lock, nor runs DDL), and a file or table not made yet
    simply holds no rows."""
    path = settings.users_path
    if not path.exists():
        return []
    uri = f"{path.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=10)) as connection:
        connection.row_factory = sqlite3.Row
        try:
            return connection.execute(sql, parameters).fetchall()
        except sqlite3.OperationalError as error:
            if str(error).startswith("no such table"):
                return []
            raise


def now() -> str:
    """The time a side-store row is written: UTC, to the second, ISO 8601 text (so rows
    of every table sort and compare alike)."""
    return datetime.now(UTC).isoformat(timespec="seconds")
