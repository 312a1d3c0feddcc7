"""The Spark engine: the person-level part of publish on a Spark session.

`SparkConnection` gives the SQL modules the surface they use of a DuckDB connection
(`execute(sql, parameters)`, `fetchone`, `fetchall`, `df`, `fetchnumpy`, `register`,
`unregister`), running each statement as Spark SQL (metrics.spark_sql). A statement outside
the portable subset (metrics.portable) is refused, naming the construct. A table created in
a statement becomes a checkpointed temporary view, so later statements read its rows rather
than recompute them; an INSERT appends by position, by the columns named, or BY NAME, cast to
the target's types, as DuckDB does. Only the inserted rows are checkpointed: the table is the
union of its checkpointed parts, so the rows already in it are not copied again at each INSERT
(publish builds its units table in 15 of them).

The warehouse is read as Parquet from `WHOLESYSTEM_SPARK_WAREHOUSE` (one folder, or one
`.parquet` file, per warehouse table: `wholesystem warehouse-export --parquet DIR` writes
that from a DuckDB warehouse), or, when that is not a path, from the tables of the catalogue
database it names. At the hand-off the tables the aggregate part reads
(metrics.compute.HANDOFF_TABLES, aggregate and small) are brought to the driver as Arrow and
created in the DuckDB workspace: nothing is written to a folder the executors would have to
share with the driver.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import warnings
from pathlib import Path

import numpy as np

from metrics.portable import Catalog, problems
from metrics.spark_sql import Plan, translate
from wholesystem.errors import UserError

# What the SQL needs to mean what it means on DuckDB: x / 0 is NULL, a bad cast is NULL,
# size(NULL) is NULL. Set on publish's own session (a new session over a running one, so
# that the user's session keeps its settings).
SESSION_OPTIONS = {
    "spark.sql.ansi.enabled": "false",
    "spark.sql.legacy.sizeOfNull": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
LOCAL_OPTIONS = {  # a small local[n] session publish starts: few partitions, little shuffling
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.log.level": "FATAL",  # a failure is reported in one line (metrics.engine)
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    # With 2g the default sample's checkpoints are short of memory: its publish spent 29 s
    # collecting garbage, 7-12 s with 4g (bench/RESULTS.md, "Spark in CI").
    "spark.driver.memory": "4g",
    # The serial collector: on a small machine G1's concurrent threads compete with the tasks
    # for the cores; the default sample's JVM used about a tenth less CPU with it, and no more
    # time (bench/RESULTS.md, "CI time").
    "spark.driver.extraJavaOptions": "-XX:+UseSerialGC",
    "spark.sql.autoBroadcastJoinThreshold": str(64 * 1024 * 1024),
}
PANDAS_WARNING = "PySpark does not yet fully support pandas"


def spark_session(settings):
    """Returns the Spark session publish runs on: with `WHOLESYSTEM_SPARK_MASTER` a session
    on that master (a `local[n]` one set up small), else a new session over the running or
    default one (Databricks), its own settings left as they are."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UserError(
            "WHOLESYSTEM_ENGINE=spark needs PySpark: pip install 'wholesystem[spark]' "
            "(and Java 17 or newer)"
        ) from None
    warnings.filterwarnings("ignore", message=PANDAS_WARNING, category=FutureWarning)
    with contextlib.suppress(Exception):  # PySpark 4 logs each SQL error's JVM stack as JSON
        from pyspark.logger import PySparkLogger

        PySparkLogger.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    master = settings.spark_master
    remote = os.environ.get("SPARK_REMOTE")
    if SparkSession.getActiveSession() is None and not remote and not _java():
        raise UserError(
            "WHOLESYSTEM_ENGINE=spark needs a Java runtime (17 or newer) on the PATH or in "
            "JAVA_HOME, to start Spark"
        )
    builder = SparkSession.builder.appName("wholesystem publish")
    local = (master or "").startswith("local")
    if master:
        builder = builder.master(master)
    for key, value in ({**SESSION_OPTIONS, **LOCAL_OPTIONS} if local else {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    if not local:
        with contextlib.suppress(Exception):  # Spark Connect may not offer a new session
            session = session.newSession()
        for key, value in SESSION_OPTIONS.items():
            session.conf.set(key, value)
    if local:
        with contextlib.suppress(Exception):  # Spark Connect has no SparkContext
            session.sparkContext.setLogLevel("FATAL")
    return session


def _java() -> bool:
    home = os.environ.get("JAVA_HOME")
    return shutil.which("java") is not None or bool(home and Path(home, "bin", "java").exists())


class SparkConnection:
    """A DuckDB-connection-like adapter over a Spark session (see the module docstring)."""

    def __init__(self, session, warehouse_tables: list[str]):
        self.session = session
        self._result = None
        self._tables: dict[str, dict[str, str]] = {}  # name → {column: type}, for the lint
        self._parts: dict[str, list] = {}  # a table made here → its checkpointed parts
        for name in warehouse_tables:
            self._remember(name, session.table(name))

    def execute(self, sql: str, parameters=None):
        found = problems(sql, Catalog(dict(self._tables)))
        if found:
            raise UserError(f"this statement is not in the portable subset Spark runs: {found[0]}")
        for plan in translate(sql, parameters):
            self._run(plan)
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
        self._tables.pop(name.lower(), None)
        self._parts.pop(name.lower(), None)
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
        from pyspark.sql import DataFrame

        target = self.session.table(plan.name)
        rows = self.session.sql(plan.sql).localCheckpoint(eager=True)
        parts = self._parts.setdefault(plan.name.lower(), [target])
        parts.append(_as_target_rows(rows, target, plan))
        functools.reduce(DataFrame.union, parts).createOrReplaceTempView(plan.name)

    def _store(self, name: str, frame) -> None:
        frame = frame.localCheckpoint(eager=True)
        frame.createOrReplaceTempView(name)
        self._parts[name.lower()] = [frame]
        self._remember(name, frame)

    def _remember(self, name: str, frame) -> None:
        self._tables[name.lower()] = {
            field.name: _lint_type(field.dataType) for field in frame.schema.fields
        }


def _as_target_rows(rows, target, plan: Plan):
    """`rows` as `target`'s columns, in its order and types: matched by name (BY NAME), by the
    columns the INSERT names, or by position; a column not given is NULL, as on DuckDB."""
    from pyspark.sql import functions as F

    if plan.by_name:
        given = {column.lower(): column for column in rows.columns}
    else:
        names = plan.columns or tuple(target.columns[: len(rows.columns)])
        rows = rows.toDF(*names)
        given = {column.lower(): column for column in names}
    return rows.select(
        *[
            (F.col(given[field.name.lower()]) if field.name.lower() in given else F.lit(None))
            .cast(field.dataType)
            .alias(field.name)
            for field in target.schema.fields
        ]
    )


def _lint_type(kind) -> str:
    """A Spark type as the lint's DuckDB spelling (DATE, a list as ...[])."""
    if kind.typeName() == "array":
        return f"{_lint_type(kind.elementType)}[]"
    return {"date": "DATE", "string": "VARCHAR"}.get(kind.typeName(), kind.typeName().upper())


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


def hand_off(spark: SparkConnection, duckdb_connection, tables) -> None:
    """Brings each of `tables` (aggregate and small) from Spark to the driver as Arrow and
    creates it in the DuckDB workspace, DECIMAL columns as DOUBLE (what DuckDB's own sums
    give). Nothing is written to disk."""
    for name in tables:
        rows = spark.table(name).toArrow()
        duckdb_connection.register("_handoff_rows", rows)
        try:
            duckdb_connection.execute(f"CREATE OR REPLACE TABLE {name} AS FROM _handoff_rows")
        finally:
            duckdb_connection.unregister("_handoff_rows")
        _decimals_to_double(duckdb_connection, name)


def _decimals_to_double(connection, name: str) -> None:
    columns = connection.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
        "AND database_name = current_database() AND data_type LIKE 'DECIMAL%'",
        [name],
    ).fetchall()
    for (column,) in columns:
        connection.execute(f'ALTER TABLE {name} ALTER "{column}" TYPE DOUBLE')
