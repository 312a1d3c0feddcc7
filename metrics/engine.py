"""Which engine runs the person-level part of publish: DuckDB (the default) or Spark.

Publish is split where the data becomes aggregate (docs/metrics.md, "The engine split"): the
person-level part (metrics.compute.compute_person_level: calendar, hierarchy, profiles,
family units, counts by level, denominators, period totals) runs on the engine
`WHOLESYSTEM_ENGINE` names; the aggregate part (compute_aggregate, then disclosure, SPC and
the snapshot in metrics.publish) always runs in the DuckDB workspace. With `spark`, the
warehouse is read as Parquet (or from a catalogue) named by `WHOLESYSTEM_SPARK_WAREHOUSE`,
and only metrics.compute.HANDOFF_TABLES come back to DuckDB, as Arrow (metrics.spark). A
Spark failure becomes one sentence (`UserError`), not a JVM traceback.
"""

from __future__ import annotations

from pathlib import Path

from metrics import compute
from metrics.incremental import NOTE_TABLE
from metrics.workspace import drop_tables, drop_tables_except
from wholesystem.errors import UserError


def compute_on_engine(
    connection, settings, today=None, report=None, incremental=False
) -> compute.Context:
    """Creates `indicator_values` in the DuckDB workspace `connection`, running the
    person-level part on the engine the settings name; returns the Context. `incremental`
    (metrics.incremental) is for the DuckDB engine only."""
    check_engine_settings(settings, incremental)
    if settings.engine != "spark":
        context = compute.compute_person_level(connection, settings, today, report, incremental)
        # Only the hand-off crosses into the aggregate part, as from Spark; the rest (units,
        # profiles, working tables: about 1 GB at the default sample) would otherwise be held
        # to the end of the publish and push disclosure control's tables out to disk.
        drop_tables_except(connection, (*compute.HANDOFF_TABLES, NOTE_TABLE))
    else:
        context = _person_level_on_spark(connection, settings, today, report)
    compute.compute_aggregate(connection, context, report)
    drop_tables(connection, compute.AGGREGATE_WORKING_TABLES)
    return context


def _person_level_on_spark(connection, settings, today, report) -> compute.Context:
    """Runs the person-level part on Spark and hands its tables to `connection`; a Spark
    failure becomes one sentence."""
    from metrics.spark import SparkConnection, hand_off, load_warehouse, spark_session

    try:
        with compute.stage(report, "starting Spark"):
            session = spark_session(settings)
            spark = SparkConnection(session, load_warehouse(session, settings.spark_warehouse))
        context = compute.compute_person_level(spark, settings, today, report)
        with compute.stage(report, "hand-off to DuckDB"):
            hand_off(spark, connection, compute.HANDOFF_TABLES)
    except Exception as error:
        if not _from_spark(error):
            raise
        raise UserError(f"Spark: {_first_line(error)}") from None
    return context


def check_engine_settings(settings, incremental: bool) -> None:
    """Refuses, in one sentence, engine settings that cannot run: an incremental publish on
    Spark (its units cache is kept and read in DuckDB), or a missing Spark warehouse.
    `metrics.publish.publish` asks before taking the publish lock, so a usage error writes
    nothing (no building marker, no failed LAST_PUBLISH.json)."""
    if incremental and settings.engine == "spark":
        raise UserError(
            "an incremental publish runs on the DuckDB engine only: publish without "
            "--incremental, or with WHOLESYSTEM_ENGINE=duckdb"
        )
    if settings.engine == "spark":
        check_spark_warehouse(settings.spark_warehouse)


def check_spark_warehouse(location: str | None) -> None:
    """Refuses, in one sentence, a Spark warehouse setting that is missing, or a path that is
    not there (checked before any Spark session starts)."""
    if not location:
        raise UserError(
            "WHOLESYSTEM_ENGINE=spark needs WHOLESYSTEM_SPARK_WAREHOUSE: a folder of Parquet "
            "tables (wholesystem warehouse-export --parquet DIR) or a catalogue database"
        )
    looks_like_path = "/" in location or "\\" in location or location.startswith(".")
    if looks_like_path and "://" not in location and not Path(location).exists():
        raise UserError(
            f"WHOLESYSTEM_SPARK_WAREHOUSE {location} does not exist: export the warehouse "
            "there first (wholesystem warehouse-export --parquet DIR)"
        )


def _from_spark(error: BaseException) -> bool:
    """Whether `error` is PySpark's or Py4J's (a JVM error, an analysis error, the gateway)."""
    return any(
        (kind.__module__ or "").startswith(("pyspark", "py4j")) for kind in type(error).__mro__
    )


def _first_line(error: BaseException) -> str:
    lines = [line.strip(" :") for line in str(error).splitlines() if line.strip(" :")]
    if len(lines) > 1 and lines[0].startswith("An error occurred while calling"):
        lines = lines[1:]  # Py4J's own first line names only the Java method
    return lines[0] if lines else type(error).__name__
