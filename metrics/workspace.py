"""The publisher's workspace: a scratch DuckDB file with the warehouse attached read-only.

Intermediate tables live in the scratch file rather than in memory, because DuckDB keeps
persistent tables compressed and spills them under its memory limit. The warehouse is
never written: it is attached READ_ONLY and found through the search path, so the SQL can
name `apc_spells` as it would in the warehouse itself.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import duckdb

from wholesystem.errors import UserError
from wholesystem.settings import Settings


@contextmanager
def open_workspace(settings: Settings):
    """Yields a connection to a fresh scratch database with the warehouse attached as `wh`.

    The scratch file is deleted afterwards, whatever happens.
    """
    if not settings.warehouse_path.exists():
        raise UserError(f"no warehouse at {settings.warehouse_path}; load some files first")
    settings.temp_dir.mkdir(parents=True, exist_ok=True)
    scratch = settings.temp_dir / f"publish-{os.getpid()}.duckdb"
    _remove(scratch)
    connection = duckdb.connect(str(scratch))
    try:
        _attach_warehouse(connection, settings)
        connection.execute(f"SET memory_limit = {sql_text(settings.publish_memory_limit)}")
        connection.execute(f"SET temp_directory = {sql_text(settings.temp_dir)}")
        connection.execute("SET enable_progress_bar = false")
        yield connection
    finally:
        connection.close()
        _remove(scratch)


def sql_text(value) -> str:
    """Returns `value` as a SQL string literal (for paths in ATTACH and SET, which take none
    as parameters)."""
    return "'" + str(value).replace("'", "''") + "'"


def _attach_warehouse(connection, settings: Settings) -> None:
    try:
        connection.execute(f"ATTACH {sql_text(settings.warehouse_path)} AS wh (READ_ONLY)")
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise UserError(
                f"the warehouse {settings.warehouse_path} is being written by a load; "
                "publish again when it has finished"
            ) from None
        raise UserError(
            f"the warehouse {settings.warehouse_path} cannot be read: {error}"
        ) from None
    connection.execute("SET search_path = 'main,wh.main'")


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
