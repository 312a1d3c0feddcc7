"""A scratch DuckDB file where one file at a time is validated.

Validation keeps a row of flags for every row of the file. Held as a temp table, DuckDB
keeps it uncompressed and a 10-million-row file outgrows the load's memory limit; written
to a scratch database it is compressed and spills cleanly. The scratch file lives under
the data directory's tmp/, never touches the warehouse, and is removed after the load (or
at the next load, if a process was killed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from etl.validate import sql_literal
from wholesystem.settings import Settings

SCHEMA = "staging"


@contextmanager
def staging_database(connection, settings: Settings) -> Iterator[None]:
    """Attaches a fresh scratch database as `staging` for the duration of the block."""
    path = settings.temp_dir / "staging.duckdb"
    _remove(path)
    connection.execute(f"ATTACH {sql_literal(str(path))} AS {SCHEMA}")
    try:
        yield
    finally:
        connection.execute(f"DETACH {SCHEMA}")
        _remove(path)


def _remove(path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
