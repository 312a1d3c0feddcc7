"""End of life: emergency admissions in the last 100 days of life (METRICS.md, Northumbria).

nel_last_100_days counts emergency admissions with admidate in [dod − 100 days, dod] per
100 deaths; decedents_nel_last_100_days and decedents_3plus_nel_last_100_days are the % of
deaths with at least one (three) such admissions. Every expected value is worked by hand.
"""

from __future__ import annotations

import math

import pytest

from tests.metrics.conftest import FixtureSystem, value


def new_system(tmp_path_factory) -> FixtureSystem:
    """A fixture system for January to March 2026, shared by a module's tests."""
    return FixtureSystem(tmp_path_factory.mktemp("system"), ("2026-01", "2026-02", "2026-03"))


# 2026-02-20 − 100 days: 20 days back to 31 January, 31 more to 31 December, 31 more to
# 30 November, then 18 more (20 + 31 + 31 + 18 = 100) to 12 November 2025.
DOD = "2026-02-20"
DAY_100 = "2025-11-12"
DAY_101 = "2025-11-11"


def emergency(system, spell: str, person: str, admidate: str, admimeth: str = "21") -> None:
    """Adds a spell of `person` admitted on `admidate` (emergency unless admimeth says)."""
    system.add(
        "apc_spells", spell, person_id=person, gpprac="A00001", admidate=admidate,
        disdate=admidate, admimeth=admimeth,
    )  # fmt: skip


@pytest.fixture(scope="module")
def frame(tmp_path_factory):
    """February 2026: three deaths with 2, 3 and 0 emergency admissions in the window.

    - D1 died 20 Feb at A00001. Counted: S1 (exactly 100 days before) and S4 (on the day
      of death). Not counted: S2 (101 days before) and S3 (elective, admimeth 11).
    - D2 died 5 Feb at A00001, with three emergency admissions in January and February.
    - D3 died 10 Feb at A00002 with no admissions; S9 is someone else's admission.
    No one died in January or March.
    """
    system = new_system(tmp_path_factory)
    system.add("deaths", "D1", dod=DOD, gpprac="A00001")
    emergency(system, "S1", "D1", DAY_100)
    emergency(system, "S2", "D1", DAY_101)
    emergency(system, "S3", "D1", "2026-02-01", admimeth="11")
    emergency(system, "S4", "D1", DOD)
    system.add("deaths", "D2", dod="2026-02-05", gpprac="A00001")
    emergency(system, "S5", "D2", "2026-01-02")
    emergency(system, "S6", "D2", "2026-01-15")
    emergency(system, "S7", "D2", "2026-02-01")
    system.add("deaths", "D3", dod="2026-02-10", gpprac="A00002")
    emergency(system, "S9", "SOMEONE_ELSE", "2026-02-01")
    return system.compute()


def assert_row(row: dict, numerator: float, denominator: float, expected: float) -> None:
    assert (row["numerator"], row["denominator"]) == (numerator, denominator)
    assert row["value"] == pytest.approx(expected)


def test_an_admission_100_days_before_death_counts_and_101_days_does_not(frame):
    # D1: S1 (100 days) and S4 (day of death) count; S2 (101 days) and elective S3 do not.
    # D2: S5, S6, S7. Practice A00001: (2 + 3) admissions / 2 deaths × 100 = 250.
    row = value(frame, "nel_last_100_days", "practice", "A00001", "2026-02-01")
    assert_row(row, 5, 2, 5 / 2 * 100)


def test_nel_last_100_days_per_100_deaths_at_network_and_system(frame):
    # U00001 = A00001 + A00002: 5 admissions, 3 deaths → 5 / 3 × 100 = 166.67.
    assert_row(value(frame, "nel_last_100_days", "network", "U00001", "2026-02-01"),
               5, 3, 5 / 3 * 100)  # fmt: skip
    assert_row(value(frame, "nel_last_100_days", "system", "SYSTEM", "2026-02-01"),
               5, 3, 5 / 3 * 100)  # fmt: skip
    # A00002: D3 had no admissions (S9 is another person's): 0 / 1 → 0.
    assert_row(value(frame, "nel_last_100_days", "practice", "A00002", "2026-02-01"), 0, 1, 0)


def test_decedents_with_at_least_one_admission(frame):
    # A00001: D1 and D2 both had one or more → 2 / 2 = 100%.
    assert_row(value(frame, "decedents_nel_last_100_days", "practice", "A00001", "2026-02-01"),
               2, 2, 100)  # fmt: skip
    # U00001 adds D3 (none) → 2 / 3 = 66.67%.
    assert_row(value(frame, "decedents_nel_last_100_days", "network", "U00001", "2026-02-01"),
               2, 3, 2 / 3 * 100)  # fmt: skip


def test_decedents_with_three_or_more_admissions(frame):
    # Only D2 had three (D1 had two in the window) → A00001 1 / 2 = 50%, U00001 1 / 3.
    metric = "decedents_3plus_nel_last_100_days"
    assert_row(value(frame, metric, "practice", "A00001", "2026-02-01"), 1, 2, 50)
    assert_row(value(frame, metric, "network", "U00001", "2026-02-01"), 1, 3, 1 / 3 * 100)


@pytest.mark.parametrize(
    "metric",
    ["nel_last_100_days", "decedents_nel_last_100_days", "decedents_3plus_nel_last_100_days"],
)
@pytest.mark.parametrize("level, org", [("practice", "A00001"), ("system", "SYSTEM")])
def test_a_month_with_no_deaths_is_published_as_0_of_0_with_no_value(frame, metric, level, org):
    row = value(frame, metric, level, org, "2026-01-01")
    assert (row["numerator"], row["denominator"]) == (0, 0)
    assert math.isnan(row["value"])


def test_the_quarter_adds_up_its_months(frame):
    # Q1 2026 = January (0 of 0) + February (5 of 3) + March (0 of 0).
    row = value(frame, "nel_last_100_days", "system", "SYSTEM", "2026-01-01", "quarter")
    assert_row(row, 0 + 5 + 0, 0 + 3 + 0, 5 / 3 * 100)
