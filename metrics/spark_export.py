"""`wholesystem warehouse-export --parquet DIR`: the warehouse's tables as Parquet for Spark.

Each table of the DuckDB warehouse becomes `DIR/<table>.parquet` (DuckDB's own COPY ...
FORMAT parquet), which is what `WHOLESYSTEM_SPARK_WAREHOUSE=DIR` reads (metrics.spark). On a
data platform the ETL would write these tables to the lake itself; this is for a local Spark
run, the tests and a first move of an existing warehouse. The files hold patient-level rows:
keep them where the warehouse is kept.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from metrics.workspace import sql_text
from wholesystem.errors import UserError

TABLES_SQL = (
    "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary "
    "ORDER BY table_name"
)


def export_parquet(settings, folder: Path) -> list[tuple[str, int]]:
    """Writes every warehouse table to `folder`/<table>.parquet; returns (table, rows). Each
    file is written under a temporary name and then renamed, so an interrupted export never
    leaves a truncated table where Spark would read it."""
    if not settings.warehouse_path.exists():
        raise UserError(f"no warehouse at {settings.warehouse_path}; load some files first")
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder} is a file; name a folder for the Parquet tables")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot make the folder {folder}: {error.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"cannot write to the folder {folder}")
    written = []
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        for (table,) in connection.execute(TABLES_SQL).fetchall():
            final = folder / f"{table}.parquet"
            partial = folder / f".{table}.parquet.partial"
            try:
                (rows,) = connection.execute(
                    f'COPY "{table}" TO {sql_text(partial)} (FORMAT parquet)'
                ).fetchone()
                os.replace(partial, final)
            except (OSError, duckdb.IOException) as error:
                raise UserError(f"cannot write {final}: {_first_line(error)}") from None
            finally:
                partial.unlink(missing_ok=True)
            written.append((table, rows))
    return written


def _first_line(error: BaseException) -> str:
    text = getattr(error, "strerror", None) or str(error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__
