"""The DuckDB-to-Spark translation (metrics.spark_sql) and the Parquet export, without Spark:
what each project rewrite writes, and that a warehouse exports table for table."""

from __future__ import annotations

import dataclasses
from datetime import date

import duckdb
import pytest

from metrics.engine import compute_on_engine
from metrics.spark_export import export_parquet
from metrics.spark_sql import Env, literal, translate
from wholesystem.errors import UserError


def spark_sql(sql: str, parameters=None, env: Env | None = None) -> str:
    (plan,) = translate(sql, parameters, env or Env())
    return plan.sql


def test_parameters_are_bound_as_typed_literals():
    sql = spark_sql("SELECT * FROM t WHERE d <= $last_day AND m IN (SELECT unnest($ids))",
                    {"last_day": date(2026, 3, 31), "ids": ["a", "b"]})  # fmt: skip
    assert "d <= CAST('2026-03-31' AS DATE)" in sql
    assert "EXPLODE(ARRAY('a', 'b'))" in sql
    assert spark_sql("SELECT ? + 1", [41]) == "SELECT 41 + 1"
    assert literal(None).sql() == "NULL" and literal(True).sql() == "TRUE"


def test_a_macro_is_kept_and_expanded_where_it_is_called():
    env = Env()
    (plan,) = translate("CREATE TEMP MACRO month_index(d) AS year(d) * 12 + month(d) - 1",
                        None, env)  # fmt: skip
    assert plan.kind == "macro" and "month_index" in env.macros
    sql = spark_sql("SELECT month_index(p.registered_from) FROM patients p", env=env)
    assert sql == ("SELECT (YEAR((p.registered_from)) * 12 + MONTH((p.registered_from)) - 1) "
                   "FROM patients AS p")  # fmt: skip


@pytest.mark.parametrize(
    ("duckdb_sql", "spark"),
    [
        ("SELECT (m + to_months(n - 1))::DATE FROM p", "CAST((ADD_MONTHS(m, n - 1)) AS DATE)"),
        ("SELECT m - to_months(2) FROM p", "ADD_MONTHS(m, -(2))"),
        ("SELECT len(l) FROM p", "SIZE(l)"),
        ("SELECT list_position(['a', 'b'], x) FROM p",
         "NULLIF(ARRAY_POSITION(ARRAY('a', 'b'), x), 0)"),
        ("SELECT list_has_any(l, ['a']) FROM p", "ARRAYS_OVERLAP(l, ARRAY('a'))"),
        ("SELECT (disdate - admidate)::DOUBLE FROM s", "CAST((DATEDIFF(DAY, admidate, disdate))"),
        ("SELECT unnest(generate_series(a, b, INTERVAL 1 MONTH))::DATE FROM s",
         "EXPLODE(TRANSFORM(SEQUENCE(a, b, INTERVAL '1' MONTH), v -> CAST(v AS DATE)))"),
        ("SELECT row_number() OVER () AS k FROM s", "(MONOTONICALLY_INCREASING_ID() + 1) AS k"),
    ],
)  # fmt: skip
def test_each_rewrite(duckdb_sql, spark):
    assert spark in spark_sql(duckdb_sql)


def test_range_as_a_table_leaves_out_its_end():
    sql = spark_sql("SELECT month FROM range(DATE '2026-01-01', DATE '2026-04-01', "
                    "INTERVAL 1 MONTH) AS r(month)")  # fmt: skip
    assert sql == (
        "SELECT month FROM (SELECT month FROM (SELECT EXPLODE(SEQUENCE(CAST('2026-01-01' AS "
        "DATE), CAST('2026-04-01' AS DATE), INTERVAL '1' MONTH)) AS month) AS s WHERE month < "
        "CAST('2026-04-01' AS DATE)) AS r"
    )


def test_an_asof_join_becomes_a_join_to_intervals_of_the_right_rows():
    sql = spark_sql(
        "SELECT c.*, h FROM c ASOF LEFT JOIN (SELECT person_id, event_date AS h_date, value AS h "
        "FROM e) h ON h.person_id = c.person_id AND c.month_end >= h.h_date"
    )
    assert "LEFT JOIN (SELECT *, LEAD(h_date) OVER (PARTITION BY person_id ORDER BY h_date" in sql
    assert sql.endswith(
        "ON h.person_id = c.person_id AND c.month_end >= h.h_date AND (h._asof_next IS NULL OR "
        "c.month_end < h._asof_next)"
    )
    # Without a key to partition by, the first row on or after, by a lateral join.
    sql = spark_sql("SELECT * FROM c ASOF JOIN e ON e.event_date >= c.month_end")
    assert "JOIN LATERAL (SELECT * FROM e WHERE e.event_date >= c.month_end ORDER BY " in sql
    assert "e.event_date ASC NULLS LAST LIMIT 1) AS e ON TRUE" in sql


def test_qualify_over_a_star_names_the_columns_and_duckdb_tables_names_the_warehouse():
    env = Env(columns={"admissions": ["person_id", "admission_date"]}, warehouse_tables=["x"])
    sql = spark_sql("SELECT * FROM admissions QUALIFY row_number() OVER "
                    "(PARTITION BY person_id ORDER BY admission_date) = 1", env=env)  # fmt: skip
    assert sql.startswith("SELECT person_id, admission_date FROM (SELECT person_id, admission_date")
    sql = spark_sql("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", ["x"], env)
    assert "VALUES ('wh', 'main', 'x')" in sql


def test_statements_become_plans():
    plans = translate(
        "CREATE OR REPLACE TABLE units (metric_id VARCHAR, num DOUBLE); "
        "INSERT INTO units BY NAME SELECT 1.0 AS num; INSERT INTO units (num) SELECT 2; "
        "CREATE OR REPLACE TEMP VIEW v AS SELECT * FROM units", None, Env()
    )  # fmt: skip
    assert [(p.kind, p.name) for p in plans] == [
        ("empty", "units"), ("insert", "units"), ("insert", "units"), ("view", "v")
    ]  # fmt: skip
    assert plans[0].columns == ("metric_id STRING", "num DOUBLE")
    assert plans[1].by_name and plans[2].columns == ("num",)


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
