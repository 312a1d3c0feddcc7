"""The DuckDB-to-Spark translation (metrics.spark_sql) and the Parquet export, without Spark:
parameters bound as literals, statements as plans, a statement outside the portable subset
refused, that a warehouse exports table for table, and the Spark engine's one-sentence
errors."""

from __future__ import annotations

import dataclasses
from datetime import date

import duckdb
import pytest

from metrics.engine import compute_on_engine
from metrics.spark_export import export_parquet
from metrics.spark_sql import literal, translate
from wholesystem.errors import UserError


def spark_sql(sql: str, parameters=None) -> str:
    (plan,) = translate(sql, parameters)
    return plan.sql


def test_parameters_are_bound_as_typed_literals():
    sql = spark_sql("SELECT * FROM t WHERE d <= $last_day AND m IN (SELECT unnest($ids))",
                    {"last_day": date(2026, 3, 31), "ids": ["a", "b"]})  # fmt: skip
    assert "d <= CAST('2026-03-31' AS DATE)" in sql
    assert "EXPLODE(ARRAY('a', 'b'))" in sql
    assert spark_sql("SELECT ? + 1", [41]) == "SELECT 41 + 1"
    assert literal(None).sql() == "NULL" and literal(True).sql() == "TRUE"


def test_a_statement_outside_the_portable_subset_is_refused_naming_it():
    from metrics.spark import SparkConnection

    connection = SparkConnection.__new__(SparkConnection)
    connection._tables = {"c": {"month_end": "DATE"}, "e": {"event_date": "DATE"}}
    with pytest.raises(UserError, match="not in the portable subset Spark runs: ASOF join"):
        connection.execute("SELECT * FROM c ASOF JOIN e ON e.event_date <= c.month_end")
    with pytest.raises(UserError, match="temporary macro"):
        connection.execute("CREATE TEMP MACRO m(d) AS year(d)")
    with pytest.raises(UserError, match="FROM frame names no table"):
        connection.execute("SELECT * FROM frame")


def test_statements_become_plans():
    plans = translate(
        "CREATE OR REPLACE TABLE units (metric_id VARCHAR, num DOUBLE); "
        "INSERT INTO units BY NAME SELECT 1.0 AS num; INSERT INTO units (num) SELECT 2; "
        "CREATE OR REPLACE TEMP VIEW v AS SELECT * FROM units", None
    )  # fmt: skip
    assert [(p.kind, p.name) for p in plans] == [
        ("empty", "units"), ("insert", "units"), ("insert", "units"), ("view", "v")
    ]  # fmt: skip
    assert plans[0].columns == ("metric_id STRING", "num DOUBLE")
    assert plans[1].by_name and plans[2].columns == ("num",)


def test_a_drop_becomes_a_plan_per_statement():
    plans = translate("DROP TABLE unit_cells; DROP TABLE segment_cells", None)
    assert [(p.kind, p.name) for p in plans] == [("drop", "unit_cells"), ("drop", "segment_cells")]


def test_the_warehouse_exports_as_one_parquet_file_per_table(system, tmp_path):
    system.load()
    written = dict(export_parquet(system.settings, tmp_path / "parquet"))
    assert written["organisations"] == 4 and written["population"] == 4 * 3 * 192
    with duckdb.connect() as connection:
        path = tmp_path / "parquet" / "organisations.parquet"
        codes = connection.execute(f"SELECT practice_code FROM '{path}' ORDER BY 1").fetchall()
    assert codes == [("A00001",), ("A00002",), ("A00003",), ("A00004",)]


def test_the_spark_engine_needs_a_warehouse_setting(system):
    spark = dataclasses.replace(system.settings, engine="spark")
    with pytest.raises(UserError, match="needs WHOLESYSTEM_SPARK_WAREHOUSE"):
        compute_on_engine(None, spark)


def test_an_export_leaves_no_partial_file(system, tmp_path):
    system.load()
    export_parquet(system.settings, tmp_path / "parquet")
    assert not [path for path in (tmp_path / "parquet").iterdir() if path.suffix != ".parquet"]


def test_a_missing_warehouse_path_is_refused_before_spark_starts(system, tmp_path):
    missing = str(tmp_path / "lake")
    spark = dataclasses.replace(system.settings, engine="spark", spark_warehouse=missing)
    with pytest.raises(UserError, match="does not exist"):
        compute_on_engine(None, spark)


def test_no_java_is_one_sentence(system, tmp_path, monkeypatch):
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    monkeypatch.setattr("metrics.spark._java", lambda: False)
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    # As on a machine where no Spark session runs yet (an earlier test may have started one).
    monkeypatch.setattr(SparkSession, "getActiveSession", classmethod(lambda cls: None))
    spark = dataclasses.replace(system.settings, engine="spark", spark_warehouse=str(tmp_path))
    with pytest.raises(UserError, match="needs a Java runtime"):
        compute_on_engine(None, spark)


def test_a_spark_failure_is_one_sentence(system, tmp_path, monkeypatch):
    errors = pytest.importorskip("pyspark.errors")

    def fail(_settings):
        raise errors.PySparkRuntimeError(errorClass="JAVA_GATEWAY_EXITED", messageParameters={})

    monkeypatch.setattr("metrics.spark.spark_session", fail)
    spark = dataclasses.replace(system.settings, engine="spark", spark_warehouse=str(tmp_path))
    with pytest.raises(UserError, match=r"^Spark: \[JAVA_GATEWAY_EXITED\] Java gateway"):
        compute_on_engine(None, spark)
