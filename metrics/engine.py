"""Which engine runs the person-level part of publish: DuckDB (the default) or Spark.

Publish is split where the data becomes aggregate (docs/metrics.md, "The engine split"): the
person-level part (metrics.compute.compute_person_level: calendar, hierarchy, profiles,
family units, counts by level, denominators, period totals) runs on the engine
`WHOLESYSTEM_ENGINE` names; the aggregate part (compute_aggregate, then disclosure, SPC and
the snapshot in metrics.publish) always runs in the DuckDB workspace. With `spark`, the
warehouse is read as Parquet (or from a catalogue) named by `WHOLESYSTEM_SPARK_WAREHOUSE`,
and only metrics.compute.HANDOFF_TABLES come back to DuckDB, as Parquet (metrics.spark).
"""

from __future__ import annotations

from metrics import compute
from metrics.spark import SparkConnection, hand_off, handoff_folder, load_warehouse, spark_session
from wholesystem.errors import UserError


def compute_on_engine(connection, settings, today=None, report=None) -> compute.Context:
    """Creates `indicator_values` in the DuckDB workspace `connection`, running the
    person-level part on the engine the settings name; returns the Context."""
    if settings.engine != "spark":
        return compute.compute_tables(connection, settings, today, report)
    if not settings.spark_warehouse:
        raise UserError(
            "WHOLESYSTEM_ENGINE=spark needs WHOLESYSTEM_SPARK_WAREHOUSE: a folder of Parquet "
            "tables (wholesystem warehouse-export --parquet DIR) or a catalogue database"
        )
    with compute.stage(report, "starting Spark"):
        session = spark_session(settings)
        spark = SparkConnection(session, load_warehouse(session, settings.spark_warehouse))
    context = compute.compute_person_level(spark, settings, today, report)
    with compute.stage(report, "hand-off to DuckDB"), handoff_folder(settings) as folder:
        hand_off(spark, connection, compute.HANDOFF_TABLES, folder)
    compute.compute_aggregate(connection, context, report)
    return context
