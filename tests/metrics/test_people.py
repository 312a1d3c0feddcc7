"""Person profiles' age keys (metrics.people): what standardised families add up by."""

import datetime

import duckdb
import pytest

from metrics.people import (
    AGE_KEYS_SQL,
    CONDITIONS,
    NO_DEPRIVATION,
    PROFILE_POP_SQL,
    age_key_sql,
    age_keys,
    has_table,
    person_labels_sql,
)
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


# Month numbers 24000..24011 (2000-01 to 2000-12). Two people of one profile turn 18 at
# 24005, one registered throughout, the other from 24003 to 24006; a third, aged 70, of
# another profile, is registered for 24000 and 24001 only.
REGISTRATIONS = """
CREATE TABLE month_numbers AS
SELECT (DATE '2000-01-01' + INTERVAL (n) MONTH)::DATE AS month, 24000 + n AS month_number
FROM range(12) t(n);
CREATE TABLE registrations AS SELECT * FROM (VALUES
    ('P1', '1', 1, false, NULL::BOOLEAN, 23789, 24000, 24011),
    ('P1', '1', 1, false, NULL, 23789, 24003, 24006),
    ('P1', '2', 2, NULL, true, 23160, 24000, 24001),
    ('P1', '2', 2, NULL, true, 23160, 24003, 24002)
) t(gpprac, sex, profile_id, care_home_resident, high_risk_register, birth_number,
    first_number, last_number);
"""


def test_profile_pop_counts_each_month_by_age_class_without_expanding_people():
    with duckdb.connect() as connection:
        connection.execute(REGISTRATIONS)
        connection.register("age_keys_frame", age_keys())
        connection.execute(AGE_KEYS_SQL)
        connection.execute(PROFILE_POP_SQL)
        rows = connection.execute(
            """
            SELECT m.month_number, p.age_lo, p.band, p.sex, p.profile_id, p.resident,
                   p.high_risk, p.persons
            FROM profile_pop p JOIN month_numbers m USING (month)
            ORDER BY p.profile_id, m.month_number
            """
        ).fetchall()
    teenagers = [(n, 0, 3, "1", 1, False, False, 1.0 + (n >= 24003)) for n in range(24000, 24005)]
    adults = [(n, 18, 3, "1", 1, False, False, 1.0 + (n <= 24006)) for n in range(24005, 24012)]
    aged_70 = [(n, 65, 14, "2", 2, False, True, 1.0) for n in (24000, 24001)]
    assert rows == teenagers + adults + aged_70
