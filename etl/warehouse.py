"""Opens the warehouse for the ETL: one DuckDB file under the data directory.

The ETL is the warehouse's only writer. A second writer (another load running) gets a clear
message rather than DuckDB's lock error.
"""

from __future__ import annotations

import sys

import duckdb

from etl import left_out
from etl.schema import create_schema
from etl.snomed import install_mapping, read_mapping
from etl.validate import NHS_NUMBER_MACRO
from wholesystem.errors import UserError
from wholesystem.settings import Settings


def open_warehouse(settings: Settings, progress: bool = False, read_only: bool = False):
    """Returns a connection to the warehouse, creating it and its tables if missing.

    The memory limit makes large loads spill to `settings.temp_dir` rather than grow.
    """
    if read_only and not settings.warehouse_path.exists():
        raise UserError(f"no warehouse at {settings.warehouse_path}; load some files first")
    # Read before connecting, so a bad mapping file leaves no trace in the data directory.
    mapping = read_mapping(settings.snomed_map) if settings.snomed_map else {}
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.temp_dir.mkdir(parents=True, exist_ok=True)
    try:
        connection = duckdb.connect(str(settings.warehouse_path), read_only=read_only)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise UserError(
                f"the warehouse {settings.warehouse_path} is in use by another process "
                "(a load may be running); try again when it has finished"
            ) from None
        raise UserError(
            f"the warehouse {settings.warehouse_path} cannot be opened: {error}"
        ) from None
    _configure(connection, settings, progress and sys.stderr.isatty())
    install_mapping(connection, mapping)
    connection.execute(NHS_NUMBER_MACRO)
    if not read_only:
        create_schema(connection)
        left_out.install(connection)
    return connection


def _configure(connection, settings: Settings, progress: bool) -> None:
    connection.execute(f"SET memory_limit = '{settings.etl_memory_limit}'")
    connection.execute(f"SET temp_directory = '{settings.temp_dir}'")
    if settings.etl_threads:
        connection.execute(f"SET threads = {settings.etl_threads}")
    connection.execute(f"SET enable_progress_bar = {str(progress).lower()}")
