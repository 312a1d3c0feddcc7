"""`wholesystem warehouse-export --parquet DIR`: the warehouse's tables as Parquet for Spark.

Each table of the DuckDB warehouse becomes `DIR/<table>.parquet` (DuckDB's own COPY ...
FORMAT parquet), which is what `WHOLESYSTEM_SPARK_WAREHOUSE=DIR` reads (metrics.spark). On a
data platform the ETL would write these tables to the lake itself; this is for a local Spark
run, the tests and a first move of an existing warehouse. The files hold patient-level rows:
keep them where the warehouse is kept.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from metrics.workspace import sql_text
from wholesystem.errors import UserError

TABLES_SQL = (
    "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary "
    "ORDER BY table_name"
)


def export_parquet(settings, folder: Path) -> list[tuple[str, int]]:
    """Writes every warehouse table to `folder`/<table>.parquet; returns (table, rows)."""
    if not settings.warehouse_path.exists():
        raise UserError(f"no warehouse at {settings.warehouse_path}; load some files first")
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder} is a file; name a folder for the Parquet tables")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        for (table,) in connection.execute(TABLES_SQL).fetchall():
            target = sql_text(folder / f"{table}.parquet")
            connection.execute(f'COPY "{table}" TO {target} (FORMAT parquet)')
            rows = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            written.append((table, rows))
    return written
