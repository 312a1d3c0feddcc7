"""Person profiles' age keys (metrics.people): what standardised families add up by."""

import datetime

import duckdb
import pytest

from metrics.people import CONDITIONS, NO_DEPRIVATION, age_key_sql, has_table, person_labels_sql
from metrics.segments import age_band_sql


def key_of(age: int | None) -> int | None:
    with duckdb.connect() as connection:
        return connection.execute(f"SELECT {age_key_sql('$age')}", {"age": age}).fetchone()[0]


@pytest.mark.parametrize(
    ("age", "expected"),
    [(0, 0), (4, 0), (15, 15), (17, 15), (18, 18), (19, 18), (20, 20), (64, 60), (65, 65),
     (89, 85), (90, 90), (104, 90), (None, None)],
)  # fmt: skip
def test_age_key_is_the_five_year_band_split_at_18(age, expected):
    assert key_of(age) == expected


def test_age_key_keeps_the_standardisation_band_and_the_age_band_segment_of_every_age():
    with duckdb.connect() as connection:
        differing = connection.execute(
            f"""
            SELECT age FROM (SELECT range AS age, {age_key_sql("range")} AS age_key
                             FROM range(0, 121))
            WHERE least(age // 5, 18) <> least(age_key // 5, 18)
               OR {age_band_sql("age")} <> {age_band_sql("age_key")}
            """
        ).fetchall()
        keys = connection.execute(
            f"SELECT count(DISTINCT {age_key_sql('range')}) FROM range(0, 121)"
        ).fetchone()[0]
    assert differing == []
    assert keys == 20  # 19 five-year bands (90+ as one), with 15-19 split at 18


def test_has_table_is_false_only_for_a_missing_table():
    with duckdb.connect() as connection:
        connection.execute("CREATE TABLE present (x INTEGER)")
        assert has_table(connection, "present")
        assert not has_table(connection, "absent")


class AnalysisException(Exception):
    """Stands in for pyspark's, which has_table matches by class name."""


class FailingConnection:
    def __init__(self, error: Exception):
        self.error = error

    def execute(self, sql):
        raise self.error


def test_has_table_reads_spark_analysis_exception_as_missing():
    assert not has_table(FailingConnection(AnalysisException("TABLE_OR_VIEW_NOT_FOUND")), "t")


@pytest.mark.parametrize("error", [MemoryError(), OSError("disk"), duckdb.IOException("io")])
def test_has_table_raises_errors_other_than_a_missing_table(error):
    with pytest.raises(type(error)):
        has_table(FailingConnection(error), "t")


def test_condition_labels_follow_the_conditions():
    with duckdb.connect() as connection:
        connection.execute(
            """
            CREATE TABLE patients AS SELECT 1 AS person_id, 0.5 AS risk_score,
                NULL::DATE AS registered_to, 'fit' AS frailty, false AS care_home_resident,
                'E01' AS lsoa;
            CREATE TABLE conditions AS SELECT 1 AS person_id, 'HF' AS condition,
                DATE '2020-01-01' AS diagnosed_on, NULL::DATE AS resolved_on;
            """
        )
        connection.execute(
            person_labels_sql(NO_DEPRIVATION), {"snapshot": datetime.date(2024, 1, 1)}
        )
        row = connection.execute(
            "SELECT condition_dm, condition_copd, condition_hf, condition_dem, multimorbidity"
            " FROM person_labels"
        ).fetchone()
    assert CONDITIONS == ("DM", "COPD", "HF", "DEM")
    assert row == (None, None, "condition:HF", None, None)
