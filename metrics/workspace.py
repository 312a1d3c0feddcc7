"""The publisher's workspace: a scratch DuckDB database with the warehouse attached read-only.

A large warehouse's intermediate tables live in a scratch file, because DuckDB keeps
persistent tables compressed and spills them under its memory limit; at 10 million spells
an in-memory workspace was no faster (154 s against 137-152 s) and its peak rose from
3.0-3.7 to 4.4 GB. A small warehouse's live in memory (IN_MEMORY_SHARE): on the default
sample that saved about 2.5 s of 21 (no compressing, no checkpoint) for about 750 MB more
at peak. The warehouse is never written: it is attached READ_ONLY and found through the
search path, so the SQL can name `apc_spells` as it would in the warehouse itself.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import duckdb

from wholesystem.errors import UserError
from wholesystem.setting_rules import size_in_bytes
from wholesystem.settings import Settings

# A warehouse file of at most this share of the publish memory limit gets its workspace in
# memory (the module docstring). In memory, the default sample's 56 MB warehouse raised the
# publish's peak by about 750 MB, 13 times its size, so 1/16 of the limit (128 MB of the
# 2 GB default) keeps the working tables within it.
IN_MEMORY_SHARE = 1 / 16


@contextmanager
def open_workspace(settings: Settings):
    """Yields a connection to a fresh scratch database with the warehouse attached as `wh`:
    in memory for a small warehouse (`in_memory`), else a file deleted afterwards, whatever
    happens. Either spills to the temporary directory under the memory limit."""
    if not settings.warehouse_path.exists():
        raise UserError(f"no warehouse at {settings.warehouse_path}; load some files first")
    settings.temp_dir.mkdir(parents=True, exist_ok=True)
    scratch = settings.temp_dir / f"publish-{os.getpid()}.duckdb"
    _remove(scratch)
    connection = duckdb.connect(":memory:" if in_memory(settings) else str(scratch))
    try:
        _attach_warehouse(connection, settings)
        connection.execute(f"SET memory_limit = {sql_text(settings.publish_memory_limit)}")
        connection.execute(f"SET temp_directory = {sql_text(settings.temp_dir)}")
        connection.execute("SET enable_progress_bar = false")
        yield connection
    finally:
        connection.close()
        _remove(scratch)


def in_memory(settings: Settings) -> bool:
    """Whether the workspace is kept in memory: the warehouse file is at most
    IN_MEMORY_SHARE of the publish memory limit."""
    limit = size_in_bytes(settings.publish_memory_limit)
    return settings.warehouse_path.stat().st_size <= limit * IN_MEMORY_SHARE


# The workspace's tables, its temporary ones included, with their schemas.
WORKSPACE_TABLES_SQL = """
SELECT database_name, schema_name, table_name FROM duckdb_tables()
WHERE database_name IN (current_database(), 'temp')
"""


def drop_tables_except(connection, kept: tuple[str, ...]) -> None:
    """Drops every table of the workspace (the attached warehouse aside) but those named in
    `kept`, so that the memory they hold is free for the statements that follow."""
    for database, schema, table in connection.execute(WORKSPACE_TABLES_SQL).fetchall():
        if table not in kept:
            connection.execute(f'DROP TABLE "{database}"."{schema}"."{table}"')


def drop_tables(connection, names: tuple[str, ...]) -> None:
    """Drops the workspace tables `names`, once nothing reads them."""
    for name in names:
        connection.execute(f"DROP TABLE {name}")


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
