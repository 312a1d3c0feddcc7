"""Permanent care home admissions, 65+ and 18–64 (ASCOF 2C / 2B style, METRICS.md).

A person counts once, at their first permanent admission; a move between residential and
nursing care is not a new admission. A record the council could not match (no person_id)
counts at area and system level only, placed through its la_code. The value is per
100,000 registered population of the ages, per year (annualised × 12 / months).

The default fixture population is 10 men and 10 women at each single year of age 0–94
and 20 people at 95+, per practice, so each practice has:
    aged 65+:   (94 − 65 + 1) × 20 + 20 = 30 × 20 + 20 = 620
    aged 18–64: (64 − 18 + 1) × 20 = 47 × 20 = 940
"""

from __future__ import annotations

import pytest

from tests.metrics.conftest import FixtureSystem, value


def new_system(tmp_path_factory) -> FixtureSystem:
    """A fixture system for January to March 2026, shared by a module's tests."""
    return FixtureSystem(tmp_path_factory.mktemp("system"), ("2026-01", "2026-02", "2026-03"))


POP_65PLUS = 30 * 20 + 20  # 620 per practice
POP_18_64 = 47 * 20  # 940 per practice
OLD = "care_home_admissions_65plus"
WORKING_AGE = "care_home_admissions_18_64"


def per_100k_per_year(admissions: int, population: float, months: int = 1) -> float:
    """admissions / (population × months / 12 person-years) × 100,000."""
    return admissions / (population * months / 12) * 100_000


@pytest.fixture(scope="module")
def frame(tmp_path_factory):
    """Care home admissions in January to March 2026 (practices in brackets):

    - C1 (A00001), 85: residential 10 Jan, then a move to nursing 15 Feb (not a new one).
    - C2 (A00001), 70: nursing 3 Feb.
    - C3 (A00001), 50: residential 5 Feb (18–64).
    - C4 (A00002), 80: first admitted in June 2025; a move on 20 Feb is not counted.
    - C5 (A00003), 75: a respite stay (permanent false) on 7 Feb is not counted.
    - C6 (A00004), 16: under 18, in neither indicator.
    - E9: no person_id, la_code E06000001 (AR1), 80, 10 Feb: area and system only.
    """
    system = new_system(tmp_path_factory)
    people = {"C1": "A00001", "C2": "A00001", "C3": "A00001", "C4": "A00002", "C5": "A00003",
              "C6": "A00004"}  # fmt: skip
    for person, practice in people.items():
        system.add("patients", person, gpprac=practice, registered_from="2010-01-01",
                   birth_month="1940-01")  # fmt: skip
    events = [
        ("E1", "C1", "2026-01-10", "residential", "true", 85),
        ("E2", "C1", "2026-02-15", "nursing", "true", 85),
        ("E3", "C2", "2026-02-03", "nursing", "true", 70),
        ("E4", "C3", "2026-02-05", "residential", "true", 50),
        ("E5", "C4", "2025-06-01", "residential", "true", 80),
        ("E6", "C4", "2026-02-20", "nursing", "true", 80),
        ("E7", "C5", "2026-02-07", "residential", "false", 75),
        ("E8", "C6", "2026-02-08", "residential", "true", 16),
        ("E9", "", "2026-02-10", "nursing", "true", 80),
    ]
    for event, person, day, setting, permanent, age in events:
        system.add("care_home_admissions", event, person_id=person, la_code="E06000001",
                   admission_date=day, setting=setting, permanent=permanent,
                   age=str(age))  # fmt: skip
    return system.compute()


def assert_rate(row: dict, admissions: int, population: float, months: int = 1) -> None:
    assert row["numerator"] == admissions
    assert row["denominator"] == pytest.approx(population)
    assert row["value"] == pytest.approx(per_100k_per_year(admissions, population, months))


def test_the_first_permanent_admission_counts_in_its_month(frame):
    # January: C1's residential admission; 1 × 12 / 620 × 100,000 = 1,935.48.
    assert_rate(value(frame, OLD, "practice", "A00001", "2026-01-01"), 1, POP_65PLUS)


def test_a_move_from_residential_to_nursing_is_not_a_second_admission(frame):
    # February at A00001: C2 only (C1's move to nursing is not new) → 1 / 620.
    assert_rate(value(frame, OLD, "practice", "A00001", "2026-02-01"), 1, POP_65PLUS)
    # C4's first admission was in June 2025, before the months covered: the move in
    # February counts nowhere → 0 / 620 at A00002.
    assert_rate(value(frame, OLD, "practice", "A00002", "2026-02-01"), 0, POP_65PLUS)


def test_a_respite_stay_is_not_a_permanent_admission(frame):
    assert_rate(value(frame, OLD, "practice", "A00003", "2026-02-01"), 0, POP_65PLUS)


def test_an_unmatched_record_counts_at_area_and_system_only(frame):
    # February 65+: C2 (A00001) and E9 (no person, la E06000001 → AR1).
    # Network U00001 and locality L1: C2 only; their populations are 2 and 3 practices.
    assert_rate(value(frame, OLD, "network", "U00001", "2026-02-01"), 1, 2 * POP_65PLUS)
    assert_rate(value(frame, OLD, "locality", "L1", "2026-02-01"), 1, 3 * POP_65PLUS)
    # Area AR1 (A00001–A00003) and the system (4 practices): C2 + E9 = 2.
    assert_rate(value(frame, OLD, "area", "AR1", "2026-02-01"), 2, 3 * POP_65PLUS)
    assert_rate(value(frame, OLD, "system", "SYSTEM", "2026-02-01"), 2, 4 * POP_65PLUS)
    # AR2 gets nothing from an AR1 council's record.
    assert_rate(value(frame, OLD, "area", "AR2", "2026-02-01"), 0, POP_65PLUS)


def test_18_to_64_is_counted_separately_over_its_own_population(frame):
    # C3 (50) at A00001 in February: 1 × 12 / 940 × 100,000 = 1,276.60 — and not in 65+.
    assert_rate(value(frame, WORKING_AGE, "practice", "A00001", "2026-02-01"), 1, POP_18_64)
    # C6 is 16: counted in neither indicator, so A00004 has 0 of each.
    assert_rate(value(frame, WORKING_AGE, "practice", "A00004", "2026-02-01"), 0, POP_18_64)
    assert_rate(value(frame, OLD, "practice", "A00004", "2026-02-01"), 0, POP_65PLUS)
    # System 18–64 in February: C3 only, over 4 × 940.
    assert_rate(value(frame, WORKING_AGE, "system", "SYSTEM", "2026-02-01"), 1, 4 * POP_18_64)


def test_the_quarter_rate_is_annualised_over_the_mean_population(frame):
    # Q1 2026, system 65+: January C1 + February C2, E9 + March none = 3 admissions.
    # Mean population 4 × 620 = 2,480; person-years 2,480 × 3 / 12 = 620;
    # 3 / 620 × 100,000 = 483.87 per 100,000 per year.
    row = value(frame, OLD, "system", "SYSTEM", "2026-01-01", "quarter")
    assert_rate(row, 3, 4 * POP_65PLUS, months=3)
    assert row["value"] == pytest.approx(3 / 620 * 100_000)
