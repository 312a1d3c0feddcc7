"""Disclosure control (metrics.disclosure): primary and complementary suppression.

Most tests build a tiny `indicator_values` table by hand and run `mark_suppressed` on it;
the last ones check a real publish of the end-of-life fixture (published_system.py).
"""

from __future__ import annotations

from typing import NamedTuple

import duckdb
import pytest

from metrics.disclosure import mark_suppressed
from metrics.segments import PARTITIONS
from metrics.serving import open_current
from tests.metrics.conftest import FixtureSystem
from tests.metrics.published_system import MONTHS, add_deaths

VALUES_TABLE = """
CREATE TABLE indicator_values (
    metric_id VARCHAR, period_type VARCHAR, period_start DATE, level VARCHAR,
    org_code VARCHAR, segment VARCHAR, parent_code VARCHAR, numerator DOUBLE,
    denominator DOUBLE, denominator_is_count BOOLEAN, method VARCHAR, accumulate VARCHAR
)
"""


class Row(NamedTuple):
    """One published row of indicator `m`, February 2026."""

    level: str
    org: str
    parent: str | None
    numerator: float | None
    denominator: float | None = 100.0
    segment: str = "all"
    method: str = "ratio"


def suppressed(rows: list[Row], threshold: int = 7) -> dict[tuple[str, str], bool]:
    """Runs mark_suppressed on the rows; returns {(org, segment): suppressed}."""
    with duckdb.connect() as connection:
        connection.execute(VALUES_TABLE)
        for row in rows:
            connection.execute(
                "INSERT INTO indicator_values VALUES ('m', 'month', DATE '2026-02-01', "
                "?, ?, ?, ?, ?, ?, ?, ?, 'sum')",
                [row.level, row.org, row.segment, row.parent, row.numerator, row.denominator,
                 row.method != "count", row.method],
            )  # fmt: skip
        mark_suppressed(connection, threshold)
        found = connection.execute("SELECT org_code, segment, suppressed FROM suppression")
        return {(org, segment): flag for org, segment, flag in found.fetchall()}


@pytest.mark.parametrize(
    ("numerator", "denominator", "method", "expected"),
    [
        (0, 0, "ratio", False),  # nothing to hide
        (1, 100, "ratio", True),
        (7, 100, "ratio", True),
        (8, 100, "ratio", False),
        (20, 3, "ratio", True),  # a count denominator (deaths) of 1-7
        (20, 8, "ratio", False),
        (9, 2.5, "rate", True),  # a mean population of 1-7 people
        (95, 100, "proportion", True),  # 5 without: the complement
        (92, 100, "proportion", False),
        (100, 100, "proportion", False),  # a complement of 0 hides nobody
        (5, None, "count", True),
        (5_000, None, "count", False),  # a count's denominator is not a count
        (20, None, "rate", False),  # no population: not suppressed, and never NULL
    ],
)
def test_primary_suppression(numerator, denominator, method, expected):
    flags = suppressed([Row("system", "SYSTEM", None, numerator, denominator, method=method)])
    assert flags == {("SYSTEM", "all"): expected}


def test_the_threshold_is_a_setting():
    rows = [Row("system", "SYSTEM", None, 9)]
    assert suppressed(rows, threshold=7) == {("SYSTEM", "all"): False}
    assert suppressed(rows, threshold=10) == {("SYSTEM", "all"): True}


def test_one_suppressed_practice_takes_the_next_smallest_sibling_with_it():
    flags = suppressed([
        Row("practice", "P1", "U1", 3),  # primary
        Row("practice", "P2", "U1", 50),
        Row("practice", "P3", "U1", 20),  # the smallest other: complementary
        Row("practice", "P4", "U1", 30),
        Row("practice", "P5", "U2", 12),  # another network: untouched
        Row("practice", "P6", "U2", 60),
        Row("system", "SYSTEM", None, 175),
    ])  # fmt: skip
    assert {org for (org, _), flag in flags.items() if flag} == {"P1", "P3"}


def test_ties_for_the_smallest_sibling_go_to_the_first_code():
    flags = suppressed([
        Row("network", "U1", "L1", 2), Row("network", "U3", "L1", 20),
        Row("network", "U2", "L1", 20),
    ])  # fmt: skip
    assert {org for (org, _), flag in flags.items() if flag} == {"U1", "U2"}


def test_two_suppressed_siblings_need_no_third():
    flags = suppressed([
        Row("practice", "P1", "U1", 3), Row("practice", "P2", "U1", 6),
        Row("practice", "P3", "U1", 20), Row("practice", "P4", "U1", 30),
    ])  # fmt: skip
    assert {org for (org, _), flag in flags.items() if flag} == {"P1", "P2"}


def test_a_suppressed_system_row_has_no_siblings():
    flags = suppressed([Row("system", "SYSTEM", None, 4), Row("area", "AR1", "SYSTEM", 4)])
    assert flags == {("SYSTEM", "all"): True, ("AR1", "all"): True}


# Three values of each partitioning segment kind (two where there are only two), with
# numerators 5 (suppressed), 40 and 30: the 30 is the next smallest.
PARTITION_VALUES = {
    "age_band": ("0-17", "18-64", "65-74"),
    "sex": ("male", "female"),  # male + female = the whole, so one gives the other away
    "care_home": ("resident", "not_resident"),
    "deprivation": ("q1", "q2", "q3"),
    "frailty": ("fit", "mild", "severe"),
}


@pytest.mark.parametrize("kind", PARTITION_VALUES)
def test_a_partition_segment_takes_the_next_smallest_value_with_it(kind):
    values = PARTITION_VALUES[kind]
    rows = [Row("locality", "L1", "AR1", 75)] + [
        Row("locality", "L1", "AR1", numerator, segment=f"{kind}:{value}")
        for value, numerator in zip(values, (5, 40, 30), strict=False)
    ]  # fmt: skip
    flags = suppressed(rows)
    expected = {f"{kind}:{values[0]}", f"{kind}:{values[-1]}"}
    assert {segment for (_, segment), flag in flags.items() if flag} == expected


@pytest.mark.parametrize("kind", ["condition", "risk_tier"])
def test_overlapping_segments_are_not_partitions(kind):
    value = {"condition": ("DM", "COPD"), "risk_tier": ("top_0.5", "top_2")}[kind]
    flags = suppressed([
        Row("locality", "L1", "AR1", 75),
        Row("locality", "L1", "AR1", 5, segment=f"{kind}:{value[0]}"),
        Row("locality", "L1", "AR1", 40, segment=f"{kind}:{value[1]}"),
    ])  # fmt: skip
    assert {segment for (_, segment), flag in flags.items() if flag} == {f"{kind}:{value[0]}"}


def test_suppression_repeats_until_no_sibling_is_left_alone():
    # Round 1: the partition of AR1 takes 85+ with 18-64. Round 2: AR1's 85+ is then alone
    # among the areas (the system total less AR2's 85+ would give it), so AR2's goes too,
    # which leaves AR2's partition with one suppressed value, and so on.
    flags = suppressed([
        Row("area", "AR1", "SYSTEM", 3, segment="age_band:18-64"),
        Row("area", "AR1", "SYSTEM", 10, segment="age_band:85+"),
        Row("area", "AR1", "SYSTEM", 50, segment="age_band:75-84"),
        Row("area", "AR2", "SYSTEM", 40, segment="age_band:85+"),
        Row("area", "AR2", "SYSTEM", 60, segment="age_band:75-84"),
    ])  # fmt: skip
    assert all(flags.values()), flags


# --- a real publish ------------------------------------------------------------------


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    system = FixtureSystem(tmp_path_factory.mktemp("disclosure"), MONTHS)
    add_deaths(system)
    system.publish()
    connection, _ = open_current(system.settings)
    yield connection
    connection.close()


def flags_of(connection, where: str) -> dict[tuple[str, str], bool]:
    rows = connection.execute(
        "SELECT org_code, segment, suppressed FROM indicator_values "
        "WHERE metric_id = 'nel_last_100_days' AND period_type = 'month' "
        f"AND period_start = DATE '2026-02-01' AND {where}"
    ).fetchall()
    return {(org, segment): flag for org, segment, flag in rows}


def test_a_published_practice_with_three_deaths_hides_its_sibling(published):
    flags = flags_of(published, "level = 'practice'")
    assert flags == {
        ("A00001", "all"): True,  # 20 of 10: complementary (the only sibling)
        ("A00002", "all"): True,  # 0 of 3 deaths: primary
        ("A00003", "all"): False,
        ("A00004", "all"): False,
    }


def test_a_published_age_band_partition_hides_the_smallest_other_band(published):
    flags = flags_of(published, "level = 'locality' AND segment LIKE 'age_band:%'")
    assert flags == {
        ("L1", "age_band:18-64"): True,  # 0 of 2 deaths: primary
        ("L1", "age_band:85+"): True,  # 12 admissions, the smallest other: complementary
        ("L1", "age_band:75-84"): False,  # 20 admissions
        ("L2", "age_band:75-84"): False,
    }


def test_no_published_group_is_left_with_one_suppressed_row(published):
    groups = {
        "org": "metric_id, period_type, period_start, level, parent_code, segment",
        "partition": "metric_id, period_type, period_start, level, org_code, "
        "split_part(segment, ':', 1)",
    }
    kinds = ", ".join(f"'{kind}'" for kind in PARTITIONS)
    wheres = {"org": "level <> 'system'", "partition": f"split_part(segment, ':', 1) IN ({kinds})"}
    for name, group in groups.items():
        alone = published.execute(
            f"SELECT {group}, count(*) FILTER (suppressed) AS hidden, count(*) AS rows "
            f"FROM indicator_values WHERE {wheres[name]} GROUP BY ALL "
            "HAVING hidden = 1 AND rows > 1"
        ).fetchall()
        assert alone == [], name
    assert published.execute(
        "SELECT count(*) FROM indicator_values WHERE suppressed IS NULL"
    ).fetchone() == (0,)


def month_flags(numerators: dict[str, float], accumulate: str = "sum") -> dict[str, bool]:
    """Runs mark_suppressed on one system's months; returns {month: suppressed}."""
    with duckdb.connect() as connection:
        connection.execute(VALUES_TABLE)
        for month, numerator in numerators.items():
            connection.execute(
                "INSERT INTO indicator_values VALUES ('m', 'month', ?::DATE, 'system', 'SYSTEM',"
                " 'all', NULL, ?, 100, true, 'ratio', ?)",
                [month, numerator, accumulate],
            )
        mark_suppressed(connection, 7)
        found = connection.execute(
            "SELECT strftime(period_start, '%Y-%m'), suppressed FROM suppression"
        )
        return dict(found.fetchall())


def test_one_suppressed_month_of_a_quarter_takes_the_smallest_other_month_with_it():
    # February (3) alone would be the quarter (Jan-Mar) less January and March, so the
    # smaller of those, January (10), is hidden; it would also be the board period Feb-Mar
    # less March, so March goes too. Then the board period Dec-Jan has January alone, so
    # December follows. Q4 2025 holds only December here, so April-November are not needed.
    flags = month_flags({"2025-12-01": 40, "2026-01-01": 10, "2026-02-01": 3, "2026-03-01": 20})
    assert flags == {"2025-12": True, "2026-01": True, "2026-02": True, "2026-03": True}


def test_a_suppressed_month_in_a_quarter_takes_only_its_complement():
    # Q1 2026 without December: January is hidden for the quarter, March for Feb-Mar.
    flags = month_flags({"2026-01-01": 10, "2026-02-01": 3, "2026-03-01": 20})
    assert flags == {"2026-01": True, "2026-02": True, "2026-03": True}


def test_months_of_a_status_indicator_are_not_siblings():
    flags = month_flags({"2026-01-01": 10, "2026-02-01": 3, "2026-03-01": 20}, "period_end")
    assert flags == {"2026-01": False, "2026-02": True, "2026-03": False}


def test_one_suppressed_quarter_of_a_year_takes_the_smallest_other_quarter_with_it():
    with duckdb.connect() as connection:
        connection.execute(VALUES_TABLE)
        quarters = {"2025-04-01": 40, "2025-07-01": 3, "2025-10-01": 20, "2026-01-01": 30}
        for start, numerator in quarters.items():
            connection.execute(
                "INSERT INTO indicator_values VALUES ('m', 'quarter', ?::DATE, 'system', "
                "'SYSTEM', 'all', NULL, ?, 100, true, 'ratio', 'sum')",
                [start, numerator],
            )
        mark_suppressed(connection, 7)
        found = connection.execute(
            "SELECT strftime(period_start, '%Y-%m'), suppressed FROM suppression"
        ).fetchall()
    # July (3) would be the year less the other three quarters: October (20) goes too.
    assert dict(found) == {"2025-04": False, "2025-07": True, "2025-10": True, "2026-01": False}
