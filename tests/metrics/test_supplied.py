"""Indicators supplied already counted (aggregate_indicators): GP Patient Survey, QOF, ASCOF.

Supplied counts are placed at their org's level (a local authority code counts as its
area) and added up the hierarchy: practice → network → locality → area → system. Where the
feed supplies a level itself, that row wins over the sum of the rows below it, and the
levels above it build on the supplied row (the rows it replaces are not counted twice).
Periods are typed by length: a month, an April–March financial year, a quarter.
"""

from __future__ import annotations

import pytest

from tests.metrics.conftest import FixtureSystem, value


def new_system(tmp_path_factory) -> FixtureSystem:
    """A fixture system for January to March 2026, shared by a module's tests."""
    return FixtureSystem(tmp_path_factory.mktemp("system"), ("2026-01", "2026-02", "2026-03"))


FY = "2025-04-01"


def supply(system, indicator: str, org: str, numerator: int, denominator: int,
           start: str = FY, end: str = "2026-03-31") -> None:  # fmt: skip
    system.add("aggregate_indicators", indicator, org_code=org, period_start=start,
               period_end=end, numerator=str(numerator), denominator=str(denominator))  # fmt: skip


def assert_proportion(row: dict, numerator: float, denominator: float) -> None:
    assert (row["numerator"], row["denominator"]) == (numerator, denominator)
    assert row["value"] == pytest.approx(numerator / denominator * 100)


@pytest.fixture(scope="module")
def practice_frame(tmp_path_factory):
    """QOF DM020 for 2025/26 from each practice: A00001 40/50, A00002 30/40, A00003 20/25,
    A00004 10/20."""
    system = new_system(tmp_path_factory)
    for practice, numerator, denominator in [("A00001", 40, 50), ("A00002", 30, 40),
                                             ("A00003", 20, 25), ("A00004", 10, 20)]:  # fmt: skip
        supply(system, "qof_dm020_achievement", practice, numerator, denominator)
    return system.compute()


def test_practice_rows_are_published_as_supplied(practice_frame):
    row = value(practice_frame, "qof_dm020_achievement", "practice", "A00002", FY, "fy")
    assert_proportion(row, 30, 40)


@pytest.mark.parametrize(
    "level, org, numerator, denominator",
    [
        ("network", "U00001", 40 + 30, 50 + 40),  # A00001 + A00002 = 77.78%
        ("network", "U00002", 20, 25),  # A00003
        ("network", "U00003", 10, 20),  # A00004
        ("locality", "L1", 40 + 30 + 20, 50 + 40 + 25),  # 90 / 115 = 78.26%
        ("area", "AR1", 40 + 30 + 20, 50 + 40 + 25),
        ("area", "AR2", 10, 20),
        ("system", "SYSTEM", 40 + 30 + 20 + 10, 50 + 40 + 25 + 20),  # 100 / 135 = 74.07%
    ],
)
def test_practice_rows_roll_up_the_hierarchy(practice_frame, level, org, numerator, denominator):
    row = value(practice_frame, "qof_dm020_achievement", level, org, FY, "fy")
    assert_proportion(row, numerator, denominator)


def test_supplied_rows_are_not_published_by_month(practice_frame):
    months = practice_frame[(practice_frame["metric_id"] == "qof_dm020_achievement")
                            & (practice_frame["period_type"] != "fy")]  # fmt: skip
    assert months.empty


@pytest.fixture(scope="module")
def area_frame(tmp_path_factory):
    """ASCOF 2B for Q1 2026: the council E06000001 (area AR1) supplies 80/100 for its area,
    and A00001 and A00004 supply 5/10 and 6/12 of their own."""
    system = new_system(tmp_path_factory)
    quarter = dict(start="2026-01-01", end="2026-03-31")
    supply(system, "ascof_2b_still_home_91_days", "E06000001", 80, 100, **quarter)
    supply(system, "ascof_2b_still_home_91_days", "A00001", 5, 10, **quarter)
    supply(system, "ascof_2b_still_home_91_days", "A00004", 6, 12, **quarter)
    return system.compute()


def test_a_supplied_area_row_wins_over_the_sum(area_frame):
    # AR1 is the council's 80 / 100, not 80 + 5 of 100 + 10, nor A00001's 5 / 10.
    row = value(area_frame, "ascof_2b_still_home_91_days", "area", "AR1", "2026-01-01",
                "quarter")  # fmt: skip
    assert_proportion(row, 80, 100)


def test_below_a_supplied_area_the_practice_rows_still_add_up(area_frame):
    metric = "ascof_2b_still_home_91_days"
    for level, org in [("practice", "A00001"), ("network", "U00001"), ("locality", "L1")]:
        assert_proportion(value(area_frame, metric, level, org, "2026-01-01", "quarter"), 5, 10)
    # AR2 has no area row: A00004's 6 / 12.
    assert_proportion(value(area_frame, metric, "area", "AR2", "2026-01-01", "quarter"), 6, 12)


def test_the_system_adds_the_winning_area_rows(area_frame):
    # System = AR1 (80 / 100, which already includes A00001) + AR2 (6 / 12) = 86 / 112.
    row = value(area_frame, "ascof_2b_still_home_91_days", "system", "SYSTEM", "2026-01-01",
                "quarter")  # fmt: skip
    assert_proportion(row, 80 + 6, 100 + 12)


def test_a_supplied_month_is_a_month(system):
    supply(system, "gpps_overall_experience", "A00003", 7, 9, "2026-02-01", "2026-02-28")
    frame = system.compute()
    row = value(frame, "gpps_overall_experience", "locality", "L1", "2026-02-01")
    assert_proportion(row, 7, 9)


def test_a_supplied_network_row_wins_and_its_locality_builds_on_it(system):
    # U00001 supplies 50 / 60; its practice A00001 5 / 10; A00003 (U00002) 7 / 8.
    # U00001 = 50 / 60; L1 = U00001 + U00002 = 57 / 68, not 62 / 78.
    for org, numerator, denominator in [("U00001", 50, 60), ("A00001", 5, 10),
                                        ("A00003", 7, 8)]:  # fmt: skip
        supply(system, "gpps_overall_experience", org, numerator, denominator)
    frame = system.compute()
    assert_proportion(value(frame, "gpps_overall_experience", "network", "U00001", FY, "fy"),
                      50, 60)  # fmt: skip
    assert_proportion(value(frame, "gpps_overall_experience", "locality", "L1", FY, "fy"),
                      50 + 7, 60 + 8)  # fmt: skip
