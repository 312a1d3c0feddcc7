"""The Spark engine: the person-level part of publish on a Spark session.

`SparkConnection` gives the SQL modules the surface they use of a DuckDB connection
(`execute(sql, parameters)`, `fetchone`, `fetchall`, `df`, `fetchnumpy`, `register`,
`unregister`), running each statement as Spark SQL (metrics.spark_sql). A table created in
a statement becomes a checkpointed temporary view, so later statements read its rows rather
than recompute them; an INSERT appends by position, by the columns named, or BY NAME, cast to
the target's types, as DuckDB does.

The warehouse is read as Parquet from `WHOLESYSTEM_SPARK_WAREHOUSE` (one folder, or one
`.parquet` file, per warehouse table: `wholesystem warehouse-export --parquet DIR` writes
that from a DuckDB warehouse), or, when that is not a path, from the tables of the catalogue
database it names. At the hand-off the tables the aggregate part reads
(metrics.engine.handoff_tables) are written as Parquet and read into the DuckDB workspace.
"""

from __future__ import annotations

import re
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from metrics.spark_sql import Env, Plan, translate
from wholesystem.errors import UserError

SESSION_OPTIONS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # DuckDB's semantics: x / 0 is NULL, a bad cast is NULL, size(NULL) is NULL.
    "spark.sql.ansi.enabled": "false",
    "spark.sql.legacy.sizeOfNull": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
LOCAL_OPTIONS = {  # a small local[n] session: few partitions, little shuffling overhead
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    "spark.driver.memory": "2g",
    "spark.sql.autoBroadcastJoinThreshold": str(64 * 1024 * 1024),
}


def spark_session(settings):
    """Returns the Spark session publish runs on (`WHOLESYSTEM_SPARK_MASTER`); on a cluster
    (Databricks), the one already running."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UserError(
            "WHOLESYSTEM_ENGINE=spark needs PySpark: pip install 'wholesystem[spark]' "
            "(and Java 17 or newer)"
        ) from None
    builder = SparkSession.builder.appName("wholesystem publish")
    master = settings.spark_master
    if master:
        builder = builder.master(master)
    options = {**SESSION_OPTIONS, **(LOCAL_OPTIONS if (master or "").startswith("local") else {})}
    for key, value in options.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkConnection:
    """A DuckDB-connection-like adapter over a Spark session (see the module docstring)."""

    def __init__(self, session, warehouse_tables: list[str]):
        self.session = session
        self.env = Env(warehouse_tables=list(warehouse_tables))
        self._result = None
        self._views: set[str] = set()
        for name in warehouse_tables:
            self._remember(name, session.table(name))

    def execute(self, sql: str, parameters=None):
        lent = self._lend(sys._getframe(1), sql)
        try:
            for plan in translate(_rename(sql, lent), parameters, self.env):
                self._run(plan)
        finally:
            for name in lent.values():
                self.session.catalog.dropTempView(name)
        return self

    def fetchone(self):
        rows = self._result.take(1)
        return tuple(rows[0]) if rows else None

    def fetchall(self) -> list[tuple]:
        return [tuple(row) for row in self._result.collect()]

    def df(self):
        return self._result.toPandas()

    def fetchnumpy(self) -> dict:
        frame = self.df()
        return {column: np.asarray(frame[column]) for column in frame.columns}

    def register(self, name: str, frame):
        self._store(name, self.session.createDataFrame(frame))
        return self

    def unregister(self, name: str):
        self.session.catalog.dropTempView(name)
        self._views.discard(name.lower())
        return self

    def table(self, name: str):
        """The Spark DataFrame of a table or view made here (for the hand-off)."""
        return self.session.table(name)

    def _run(self, plan: Plan) -> None:
        if plan.kind == "table":
            self._store(plan.name, self.session.sql(plan.sql))
        elif plan.kind == "view":
            view = self.session.sql(plan.sql)
            view.createOrReplaceTempView(plan.name)
            self._remember(plan.name, view)
        elif plan.kind == "empty":
            self._store(plan.name, self.session.createDataFrame([], ", ".join(plan.columns)))
        elif plan.kind == "insert":
            self._insert(plan)
        elif plan.kind == "drop":
            self.unregister(plan.name)
        elif plan.kind == "query":
            self._result = self.session.sql(plan.sql)

    def _insert(self, plan: Plan) -> None:
        from pyspark.sql import functions as F

        target = self.session.table(plan.name)
        rows = self.session.sql(plan.sql)
        if plan.by_name:
            given = {column.lower(): column for column in rows.columns}
        else:
            names = plan.columns or tuple(target.columns[: len(rows.columns)])
            rows = rows.toDF(*names)
            given = {column.lower(): column for column in names}
        columns = [
            (F.col(given[field.name.lower()]) if field.name.lower() in given else F.lit(None))
            .cast(field.dataType)
            .alias(field.name)
            for field in target.schema.fields
        ]
        self._store(plan.name, target.unionByName(rows.select(*columns)))

    def _store(self, name: str, frame) -> None:
        frame = frame.localCheckpoint(eager=True)
        frame.createOrReplaceTempView(name)
        self._remember(name, frame)

    def _remember(self, name: str, frame) -> None:
        self._views.add(name.lower())
        self.env.columns[name.lower()] = list(frame.columns)
        for field in frame.schema.fields:
            if field.dataType.typeName() == "date":
                self.env.date_columns.add(field.name)

    def _lend(self, caller, sql: str) -> dict[str, str]:
        """DuckDB reads a pandas local named in a FROM (a replacement scan): lend the
        caller's such frames to Spark as views, under names that are never SQL keywords."""
        import pandas as pd

        lent = {}
        for name, value in caller.f_locals.items():
            named = re.search(rf"\b(FROM|JOIN)\s+{re.escape(name)}\b", sql, re.IGNORECASE)
            if isinstance(value, pd.DataFrame) and name.lower() not in self._views and named:
                view = f"_local_{name}"
                self.session.createDataFrame(value).createOrReplaceTempView(view)
                lent[name] = view
        return lent


def _rename(sql: str, lent: dict[str, str]) -> str:
    for name, view in lent.items():
        sql = re.sub(rf"\b(FROM|JOIN)(\s+){re.escape(name)}\b", rf"\1\2{view}", sql, flags=re.I)
    return sql


def load_warehouse(session, location: str) -> list[str]:
    """Makes each warehouse table a view; returns their names. `location` is a folder of
    Parquet tables (a folder or a .parquet file each) or a catalogue database name."""
    path = Path(location)
    if path.is_dir():
        tables = {}
        for entry in sorted(path.iterdir()):
            if entry.is_dir() or entry.suffix == ".parquet":
                tables[entry.name.removesuffix(".parquet")] = str(entry)
        if not tables:
            raise UserError(f"WHOLESYSTEM_SPARK_WAREHOUSE {location} holds no Parquet tables")
        for name, source in tables.items():
            session.read.parquet(source).createOrReplaceTempView(name)
        return sorted(tables)
    if "/" in location or not session.catalog.databaseExists(location):
        raise UserError(
            f"WHOLESYSTEM_SPARK_WAREHOUSE {location} is neither a folder of Parquet tables nor "
            "a database in the Spark catalogue"
        )
    names = [table.name for table in session.catalog.listTables(location)]
    for name in names:
        session.table(f"{location}.{name}").createOrReplaceTempView(name)
    return sorted(names)


def hand_off(spark: SparkConnection, duckdb_connection, tables, folder: Path) -> None:
    """Writes each of `tables` from Spark as Parquet under `folder` and creates it in the
    DuckDB workspace, DECIMAL columns as DOUBLE (what DuckDB's own sums give)."""
    from metrics.workspace import sql_text

    for name in tables:
        target = folder / name
        spark.table(name).write.mode("overwrite").parquet(str(target))
        files = sql_text(str(target / "*.parquet"))
        duckdb_connection.execute(
            f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_parquet({files})"
        )
        _decimals_to_double(duckdb_connection, name)


def _decimals_to_double(connection, name: str) -> None:
    columns = connection.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
        "AND database_name = current_database() AND data_type LIKE 'DECIMAL%'",
        [name],
    ).fetchall()
    for (column,) in columns:
        connection.execute(f'ALTER TABLE {name} ALTER "{column}" TYPE DOUBLE')


@contextmanager
def handoff_folder(settings):
    """A scratch folder for the hand-off's Parquet, removed afterwards."""
    import os

    folder = settings.temp_dir / f"handoff-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
