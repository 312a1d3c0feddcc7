"""The small SQLite file beside the data (`data/users.sqlite`): users, the sign-in audit
and the analysts' SPC change points live there, because the web tier never writes DuckDB.
"""

from __future__ import annotations

import sqlite3

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
        connection.executescript(schema)
        _schema_ready.add(key)
    return connection
