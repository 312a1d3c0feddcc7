"""Disclosure control (metrics.disclosure): primary and complementary suppression.

Most tests build a tiny `indicator_values` table by hand and run `mark_suppressed` on it;
the last ones check a real publish of the end-of-life fixture (published_system.py). The
attack on the whole published sample is in test_disclosure_attack.py.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import duckdb
import pytest

from metrics.calendar import build_calendar
from metrics.disclosure import mark_suppressed
from metrics.disclosure_relations import build_relations
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
        build_calendar(connection, date(2026, 2, 1), date(2026, 2, 1))
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


def test_suppression_carries_the_columns_asked_for_and_drops_the_relations():
    # publish carries each row's value_row, to find its values row by number.
    with duckdb.connect() as connection:
        connection.execute(VALUES_TABLE)
        connection.execute("ALTER TABLE indicator_values ADD COLUMN value_row BIGINT")
        build_calendar(connection, date(2026, 2, 1), date(2026, 2, 1))
        connection.execute(
            "INSERT INTO indicator_values VALUES "
            "('m', 'month', DATE '2026-02-01', 'practice', 'P1', 'all', 'N', 3, 100, true, "
            "'ratio', 'sum', 11), "
            "('m', 'month', DATE '2026-02-01', 'practice', 'P2', 'all', 'N', 40, 100, true, "
            "'ratio', 'sum', 12), "
            "('m', 'month', DATE '2026-02-01', 'network', 'N', 'all', NULL, 43, 100, true, "
            "'ratio', 'sum', 10)"
        )
        mark_suppressed(connection, 7, carry=("value_row",))
        found = connection.execute(
            "SELECT org_code, value_row, suppressed FROM suppression ORDER BY org_code"
        ).fetchall()
        tables = connection.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    assert found == [("N", 10, False), ("P1", 11, True), ("P2", 12, True)]
    assert ("relation_members",) not in tables


def test_one_suppressed_practice_takes_the_next_smallest_sibling_with_it():
    flags = suppressed([
        Row("practice", "P1", "U1", 3),  # primary
        Row("practice", "P2", "U1", 50),
        Row("practice", "P3", "U1", 20),  # the smallest other: complementary
        Row("practice", "P4", "U1", 30),
        Row("practice", "P5", "U2", 12),  # another network: untouched
        Row("practice", "P6", "U2", 60),
        Row("network", "U1", "L1", 103),  # the total is kept: a practice loses less
        Row("network", "U2", "L1", 72),
    ])  # fmt: skip
    assert {org for (org, _), flag in flags.items() if flag} == {"P1", "P3"}


def test_ties_for_the_smallest_sibling_go_to_the_first_code():
    flags = suppressed([
        Row("network", "U1", "L1", 2), Row("network", "U3", "L1", 20),
        Row("network", "U2", "L1", 20), Row("locality", "L1", "AR1", 42),
    ])  # fmt: skip
    assert {org for (org, _), flag in flags.items() if flag} == {"U1", "U2"}


def test_two_suppressed_siblings_need_no_third():
    flags = suppressed([
        Row("practice", "P1", "U1", 3), Row("practice", "P2", "U1", 6),
        Row("practice", "P3", "U1", 20), Row("practice", "P4", "U1", 30),
        Row("network", "U1", "L1", 59),
    ])  # fmt: skip
    assert {org for (org, _), flag in flags.items() if flag} == {"P1", "P2"}


def test_rows_without_their_total_published_are_not_related():
    # Nothing adds the practices up, so one suppressed practice gives nothing away.
    flags = suppressed([Row("practice", "P1", "U1", 3), Row("practice", "P2", "U1", 50)])
    assert flags == {("P1", "all"): True, ("P2", "all"): False}


def test_a_suppressed_system_row_hides_one_of_its_areas():
    flags = suppressed([
        Row("system", "SYSTEM", None, 4), Row("area", "AR1", "SYSTEM", 4),
        Row("area", "AR2", "SYSTEM", 0),
    ])  # fmt: skip
    assert flags == {("SYSTEM", "all"): True, ("AR1", "all"): True, ("AR2", "all"): False}


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


def test_suppression_repeats_until_no_relation_has_one_hidden_row():
    # AR1's age bands take 85+ with 18-64 (3). The system's 18-64 (3) takes the system's
    # 85+ with it, which leaves the system's 85+ with AR1's hidden: AR2's 85+ stays shown.
    flags = suppressed([
        Row("area", "AR1", "SYSTEM", 63), Row("area", "AR2", "SYSTEM", 100),
        Row("system", "SYSTEM", None, 163),
        Row("area", "AR1", "SYSTEM", 3, segment="age_band:18-64"),
        Row("area", "AR1", "SYSTEM", 10, segment="age_band:85+"),
        Row("area", "AR1", "SYSTEM", 50, segment="age_band:75-84"),
        Row("area", "AR2", "SYSTEM", 40, segment="age_band:85+"),
        Row("area", "AR2", "SYSTEM", 60, segment="age_band:75-84"),
        Row("system", "SYSTEM", None, 3, segment="age_band:18-64"),
        Row("system", "SYSTEM", None, 50, segment="age_band:85+"),
        Row("system", "SYSTEM", None, 110, segment="age_band:75-84"),
    ])  # fmt: skip
    assert {key for key, flag in flags.items() if flag} == {
        ("AR1", "age_band:18-64"), ("AR1", "age_band:85+"),
        ("SYSTEM", "age_band:18-64"), ("SYSTEM", "age_band:85+"),
    }  # fmt: skip


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
    # A relation is the total's row and its parts' rows: none may have one hidden row.
    published.execute(
        "CREATE TEMP TABLE period_months AS SELECT * FROM period_months;"
        "CREATE TEMP TABLE keyed AS SELECT v.*, row_number() OVER () AS row_key, i.accumulate "
        "FROM indicator_values v JOIN indicators i ON i.id = v.metric_id"
    )
    build_relations(published, "keyed")
    alone = published.execute(
        "SELECT relation FROM relation_members JOIN keyed USING (row_key) GROUP BY relation "
        "HAVING count(*) FILTER (suppressed) = 1"
    ).fetchall()
    assert alone == []
    assert published.execute(
        "SELECT count(*) FROM indicator_values WHERE suppressed IS NULL"
    ).fetchone() == (0,)


def period_flags(values: dict[tuple[str, str], float], accumulate: str = "sum"):
    """Runs mark_suppressed on one system's periods, {(period_type, 'YYYY-MM'): numerator},
    with a calendar of the months given; returns {(period_type, 'YYYY-MM'): suppressed}."""
    months = sorted(date.fromisoformat(f"{start}-01") for kind, start in values if kind == "month")
    with duckdb.connect() as connection:
        connection.execute(VALUES_TABLE)
        build_calendar(connection, months[0], months[-1])
        for (period_type, start), numerator in values.items():
            connection.execute(
                "INSERT INTO indicator_values VALUES ('m', ?, ?::DATE, 'system', 'SYSTEM',"
                " 'all', NULL, ?, 100, true, 'ratio', ?)",
                [period_type, f"{start}-01", numerator, accumulate],
            )
        mark_suppressed(connection, 7)
        found = connection.execute(
            "SELECT period_type, strftime(period_start, '%Y-%m'), suppressed FROM suppression"
        )
        return {(kind, start): flag for kind, start, flag in found.fetchall()}


def test_a_month_alone_hidden_in_its_quarter_takes_the_quarter_with_it():
    # February (3) alone would be the quarter less January and March: the quarter goes too,
    # one value rather than a month that would also punch a hole in the SPC series; the
    # board periods are not published here.
    flags = period_flags({
        ("month", "2026-01"): 10, ("month", "2026-02"): 3, ("month", "2026-03"): 20,
        ("quarter", "2026-01"): 33,
    })  # fmt: skip
    assert flags == {
        ("month", "2026-01"): False,
        ("month", "2026-02"): True,
        ("month", "2026-03"): False,
        ("quarter", "2026-01"): True,
    }


def test_months_of_an_unpublished_period_are_not_related():
    # No quarter or board row: nothing adds the months up, so nothing more is hidden.
    flags = period_flags({("month", "2026-01"): 10, ("month", "2026-02"): 3})
    assert flags == {("month", "2026-01"): False, ("month", "2026-02"): True}


def test_a_quarter_less_an_overlapping_board_period_does_not_give_a_month_away():
    # The case: April-June 39 and April-May 32 would give June's 7. Each relation
    # alone is closed after complementary suppression (June takes May for the quarter and
    # July for June-July; April follows for April-May), but the quarter less the board
    # period is still June, so the audit hides more until no combination gives it.
    flags = period_flags({
        ("month", "2024-04"): 20, ("month", "2024-05"): 12, ("month", "2024-06"): 7,
        ("month", "2024-07"): 15, ("quarter", "2024-04"): 39, ("board", "2024-04"): 32,
        ("board", "2024-06"): 22,
    })  # fmt: skip
    assert flags[("month", "2024-06")]
    assert flags[("quarter", "2024-04")] or flags[("board", "2024-04")]


def test_months_of_a_status_indicator_are_their_period_only_at_its_end():
    # A period-end indicator's quarter is its last month: March, not February.
    flags = period_flags(
        {("month", "2026-01"): 10, ("month", "2026-02"): 3, ("month", "2026-03"): 5,
         ("quarter", "2026-01"): 5},
        "period_end",
    )  # fmt: skip
    assert flags == {
        ("month", "2026-01"): False,
        ("month", "2026-02"): True,
        ("month", "2026-03"): True,
        ("quarter", "2026-01"): True,
    }


def test_one_suppressed_quarter_of_a_year_takes_the_smallest_other_quarter_with_it():
    quarters = {"2025-04": 40, "2025-07": 3, "2025-10": 20, "2026-01": 30}
    values = {("quarter", start): numerator for start, numerator in quarters.items()}
    values[("fy", "2025-04")] = 93
    values[("month", "2025-04")] = 10  # the calendar's first month
    values[("month", "2026-03")] = 10  # and its last
    flags = period_flags(values)
    # July (3) would be the year less the other three quarters: October (20) goes too.
    assert {key for key, flag in flags.items() if flag} == {
        ("quarter", "2025-07"),
        ("quarter", "2025-10"),
    }


def test_each_relation_names_its_kind_and_its_total():
    # The kinds are numbered in the SQL and named at the end: the names and totals must
    # come back right from the relation's number.
    rows = [  # row key: (period_type, month, level, org, parent, segment)
        ("month", 2, "system", "SYSTEM", None, "all"),
        ("month", 2, "area", "A1", "SYSTEM", "all"),
        ("month", 2, "area", "A2", "SYSTEM", "all"),
        ("month", 2, "system", "SYSTEM", None, "sex:F"),
        ("month", 2, "system", "SYSTEM", None, "sex:M"),
        ("quarter", 1, "system", "SYSTEM", None, "all"),
        ("month", 1, "system", "SYSTEM", None, "all"),
        ("month", 3, "system", "SYSTEM", None, "all"),
    ]
    with duckdb.connect() as connection:
        build_calendar(connection, date(2026, 1, 1), date(2026, 3, 1))
        connection.execute(
            "CREATE TABLE keyed (row_key BIGINT, metric_id VARCHAR, period_type VARCHAR, "
            "period_start DATE, level VARCHAR, org_code VARCHAR, parent_code VARCHAR, "
            "segment VARCHAR, accumulate VARCHAR)"
        )
        for key, (period_type, month, level, org, parent, segment) in enumerate(rows):
            connection.execute(
                "INSERT INTO keyed VALUES (?, 'm', ?, make_date(2026, ?, 1), ?, ?, ?, ?, 'sum')",
                [key, period_type, month, level, org, parent, segment],
            )
        build_relations(connection, "keyed")
        found = connection.execute(
            "SELECT kind, list((row_key, coefficient) ORDER BY row_key) "
            "FROM relation_members GROUP BY relation, kind ORDER BY kind"
        ).fetchall()
    assert found == [
        ("months", [(0, -1), (5, 1), (6, -1), (7, -1)]),  # the quarter less its months
        ("org", [(0, 1), (1, -1), (2, -1)]),
        ("segment sex", [(0, 1), (3, -1), (4, -1)]),
    ]
