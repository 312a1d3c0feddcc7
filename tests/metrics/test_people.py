"""Person profiles' age keys (metrics.people): what standardised families add up by."""

import duckdb
import pytest

from metrics.people import age_key_sql
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
