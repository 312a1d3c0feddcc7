"""Admission and discharge indicators on a hand-built system: emergency_admissions (with
its ISR at practice level), mean_los_emergency, discharge_to_care_home_from_home,
admissions_from_care_homes and readmission_30d_75plus (METRICS.md, "Other whole-system
indicators").

Unless a test sets its own, every practice has 1,920 registered patients (10 men and 10
women at each age 0–94 and at 95+: 100 people in each five-year band to 85–89). Spells are
emergency (admimeth 21), classpat 1, admitted from home (admisorc 19), aged 80, unless a
test says otherwise. Every expected value is worked by hand in the test.
"""

from __future__ import annotations

from math import sqrt
from statistics import NormalDist

import pytest
from scipy.stats import chi2, t

from tests.metrics.conftest import FixtureSystem, value
from tests.metrics.spells import computed, spell

EMERGENCY = ("21", "22", "23", "24", "25", "28", "2A", "2B", "2C", "2D")
Z95 = NormalDist().inv_cdf(0.975)


def test_emergency_admissions_count_only_emergency_methods(system):
    for admimeth in (*EMERGENCY, "11", "12", "13", "31", "32", "81", "82", "83"):
        spell(system, f"S{admimeth}", admimeth=admimeth, admidate="2026-01-10",
              disdate="2026-01-12")  # fmt: skip
    frame = computed(system)

    admissions = value(frame, "emergency_admissions", "practice", "A00001", "2026-01-01")
    assert admissions["numerator"] == 10
    assert admissions["denominator"] == 1920
    # All ten are aged 80, in the 80–84 band (ESP 2013 weight 2,500 of 100,000), of 100
    # people: 100 / 12 person-years in a month.
    assert admissions["value"] == pytest.approx(2500 / 100000 * 10 / (100 / 12) * 1000, rel=1e-9)


def test_emergency_admission_counts_in_the_month_of_admission(system):
    spell(system, "S1", admidate="2026-01-31", disdate="2026-02-02")
    frame = computed(system)

    january = value(frame, "emergency_admissions", "practice", "A00001", "2026-01-01")
    february = value(frame, "emergency_admissions", "practice", "A00001", "2026-02-01")
    assert january["numerator"] == 1
    assert february["numerator"] == 0


def test_isr_takes_expected_counts_from_the_system_age_sex_rates(system):
    populations = {
        "A00001": {("MALE", "30"): 300, ("MALE", "80"): 100, ("FEMALE", "80"): 100},
        "A00002": {("MALE", "30"): 100, ("MALE", "80"): 300, ("FEMALE", "80"): 100},
        "A00003": {("MALE", "30"): 100, ("MALE", "80"): 100, ("FEMALE", "80"): 100},
        "A00004": {("MALE", "30"): 100, ("MALE", "80"): 100, ("FEMALE", "80"): 100},
    }
    for practice, counts in populations.items():
        system.set_population(practice, counts)
    admissions = {"A00001": [("1", 30)] * 3 + [("1", 80)] * 2 + [("2", 80)],
                  "A00002": [("1", 30)] + [("1", 80)] * 5}  # fmt: skip
    for practice, people in admissions.items():
        for number, (sex, age) in enumerate(people):
            spell(system, f"{practice}-{number}", gpprac=practice, sex=sex, startage=str(age),
                  admidate="2026-01-10", disdate="2026-01-12")  # fmt: skip
    frame = computed(system)

    # System rates (events per person; the 12 of person-years cancels): men 30–34 4 of 600,
    # men 80–84 7 of 600, women 80–84 1 of 400.
    expected_1 = 300 * 4 / 600 + 100 * 7 / 600 + 100 * 1 / 400
    expected_2 = 100 * 4 / 600 + 300 * 7 / 600 + 100 * 1 / 400
    first = value(frame, "emergency_admissions", "practice", "A00001", "2026-01-01")
    second = value(frame, "emergency_admissions", "practice", "A00002", "2026-01-01")
    assert first["expected"] == pytest.approx(expected_1, rel=1e-9)
    assert first["isr"] == pytest.approx(6 / expected_1, rel=1e-9)
    assert first["isr_lower_95"] == pytest.approx(chi2.ppf(0.025, 12) / 2 / expected_1, rel=1e-9)
    assert first["isr_upper_95"] == pytest.approx(chi2.ppf(0.975, 14) / 2 / expected_1, rel=1e-9)
    assert second["expected"] == pytest.approx(expected_2, rel=1e-9)
    assert second["isr"] == pytest.approx(6 / expected_2, rel=1e-9)
    empty = value(frame, "emergency_admissions", "practice", "A00003", "2026-01-01")
    assert empty["expected"] == pytest.approx(100 * 4 / 600 + 100 * 7 / 600 + 100 / 400, rel=1e-9)
    assert empty["isr"] == 0


def test_mean_los_is_the_mean_stay_of_emergency_spells_discharged_in_the_month(system):
    spell(system, "S1", admidate="2026-01-31", disdate="2026-02-02")  # 2 days
    spell(system, "S2", admidate="2026-02-01", disdate="2026-02-06")  # 5
    spell(system, "S3", admidate="2026-02-10", disdate="2026-02-10")  # 0, same day
    spell(system, "S4", admidate="2026-02-03", disdate="2026-02-14")  # 11
    spell(system, "S5", admimeth="11", admidate="2026-02-03", disdate="2026-02-20")  # elective
    spell(system, "S6", admidate="2026-02-03", disdate="")  # still in hospital
    spell(system, "S7", admidate="2026-02-20", disdate="2026-03-02")  # discharged in March: 10
    frame = computed(system)

    february = value(frame, "mean_los_emergency", "practice", "A00001", "2026-02-01")
    assert february["numerator"] == 2 + 5 + 0 + 11
    assert february["denominator"] == 4
    assert february["value"] == pytest.approx(18 / 4, rel=1e-9)
    # Sample variance: ((2 - 4.5)² + (5 - 4.5)² + (0 - 4.5)² + (11 - 4.5)²) / 3 = 69 / 3.
    half_width = t.ppf(0.975, 3) * sqrt(69 / 3 / 4)
    assert february["lower_95"] == pytest.approx(4.5 - half_width, rel=1e-9)
    assert february["upper_95"] == pytest.approx(4.5 + half_width, rel=1e-9)
    assert february["lower_95"] < february["value"] < february["upper_95"]
    march = value(frame, "mean_los_emergency", "practice", "A00001", "2026-03-01")
    assert (march["numerator"], march["denominator"], march["value"]) == (10, 1, 10)


def test_discharge_to_care_home_from_home_is_a_share_of_discharges_at_65_and_over(system):
    spell(system, "S1", startage="70", admisorc="19", disdest="54",
          admidate="2026-01-28", disdate="2026-02-03")  # fmt: skip
    spell(system, "S2", startage="90", admisorc="19", disdest="65",
          admidate="2026-02-01", disdate="2026-02-05")  # fmt: skip
    spell(system, "S3", startage="65", admisorc="19", disdest="85",
          admidate="2026-02-01", disdate="2026-02-05")  # fmt: skip
    spell(system, "S4", startage="75", admimeth="11", admisorc="19", disdest="54",
          admidate="2026-02-01", disdate="2026-02-05")  # elective counts too  # fmt: skip
    spell(system, "S5", startage="80", admisorc="19", disdest="19",
          admidate="2026-02-01", disdate="2026-02-05")  # back home  # fmt: skip
    spell(system, "S6", startage="80", admisorc="54", disdest="54",
          admidate="2026-02-01", disdate="2026-02-05")  # from a care home  # fmt: skip
    spell(system, "S7", startage="64", admisorc="19", disdest="54",
          admidate="2026-02-01", disdate="2026-02-05")  # under 65  # fmt: skip
    spell(system, "S8", startage="80", admisorc="19", disdest="",
          admidate="2026-02-01", disdate="")  # not discharged  # fmt: skip
    frame = computed(system)

    february = value(frame, "discharge_to_care_home_from_home", "practice", "A00001",
                     "2026-02-01")  # fmt: skip
    assert february["numerator"] == 4  # S1 to S4
    assert february["denominator"] == 6  # S1 to S6
    assert february["value"] == pytest.approx(4 / 6 * 100, rel=1e-9)
    root = Z95 * sqrt(Z95**2 + 4 * 4 * (1 - 4 / 6))
    wilson_lower = (2 * 4 + Z95**2 - root) / (2 * (6 + Z95**2))
    wilson_upper = (2 * 4 + Z95**2 + root) / (2 * (6 + Z95**2))
    assert february["lower_95"] == pytest.approx(wilson_lower * 100, rel=1e-9)
    assert february["upper_95"] == pytest.approx(wilson_upper * 100, rel=1e-9)
    january = value(frame, "discharge_to_care_home_from_home", "practice", "A00001",
                    "2026-01-01")  # fmt: skip
    assert (january["numerator"], january["denominator"]) == (0, 0)


def test_admissions_from_care_homes_are_per_registered_care_home_resident(system):
    for number in range(4):
        system.add("patients", f"R{number}", gpprac="A00001", care_home_resident="true")
    system.add("patients", "R9", gpprac="A00002", care_home_resident="true")
    for number in range(2):
        system.add("patients", f"N{number}", gpprac="A00001", care_home_resident="false")
    spell(system, "S1", admisorc="54", admidate="2026-01-10", disdate="2026-01-12")
    spell(system, "S2", admisorc="65", admidate="2026-01-10", disdate="2026-01-12")
    spell(system, "S3", admisorc="85", admidate="2026-01-10", disdate="2026-01-12")
    spell(system, "S4", admisorc="54", admimeth="11", admidate="2026-01-10",
          disdate="2026-01-12")  # elective  # fmt: skip
    spell(system, "S5", admisorc="19", admidate="2026-01-10", disdate="2026-01-12")  # home
    frame = computed(system)

    practice = value(frame, "admissions_from_care_homes", "practice", "A00001", "2026-01-01")
    assert practice["numerator"] == 3
    assert practice["denominator"] == 4
    assert practice["value"] == pytest.approx(3 / 4 * 12 * 1000, rel=1e-9)
    whole = value(frame, "admissions_from_care_homes", "system", "SYSTEM", "2026-01-01")
    assert whole["denominator"] == 4 + 1
    assert whole["value"] == pytest.approx(3 / 5 * 12 * 1000, rel=1e-9)
    quarter = value(frame, "admissions_from_care_homes", "practice", "A00001", "2026-01-01",
                    "quarter")  # fmt: skip
    assert quarter["denominator"] == 4
    assert quarter["value"] == pytest.approx(3 / 4 * 12 / 3 * 1000, rel=1e-9)


# Readmission scenarios, each in its own practice and month. A later spell is left open,
# so that it is not itself a discharge in the denominator.
READMISSIONS = {
    "day_30": ("A00001", "2026-01", [
        dict(admidate="2026-01-02", disdate="2026-01-05"),
        dict(admidate="2026-02-04", disdate=""),  # 5 January + 30 days
    ]),
    "day_31": ("A00002", "2026-01", [
        dict(admidate="2026-01-02", disdate="2026-01-05"),
        dict(admidate="2026-02-05", disdate=""),
    ]),
    "transfer": ("A00003", "2026-01", [
        dict(admidate="2026-01-05", disdate="2026-01-10"),
        dict(admidate="2026-01-12", disdate="", admisorc="51"),
    ]),
    "died": ("A00004", "2026-01", [
        dict(admidate="2026-01-05", disdate="2026-01-10", disdest="79"),
    ]),
    "elective_return": ("A00001", "2026-02", [
        dict(admidate="2026-02-05", disdate="2026-02-10"),
        dict(admidate="2026-02-15", disdate="", admimeth="11"),
    ]),
    "same_day": ("A00002", "2026-02", [
        dict(admidate="2026-02-05", disdate="2026-02-10"),
        dict(admidate="2026-02-10", disdate=""),
    ]),
    "aged_74": ("A00003", "2026-02", [
        dict(admidate="2026-02-05", disdate="2026-02-10", startage="74"),
        dict(admidate="2026-02-12", disdate="", startage="74"),
    ]),
    "aged_75": ("A00004", "2026-02", [
        dict(admidate="2026-02-05", disdate="2026-02-10", startage="75"),
        dict(admidate="2026-02-12", disdate="", startage="75"),
    ]),
}  # fmt: skip


@pytest.fixture(scope="module")
def readmissions(tmp_path_factory):
    """The readmission scenarios, computed once: one person each."""
    system = FixtureSystem(tmp_path_factory.mktemp("readmissions"),
                           months=("2026-01", "2026-02", "2026-03"))  # fmt: skip
    for scenario, (practice, _, spells) in READMISSIONS.items():
        for number, fields in enumerate(spells):
            spell(system, f"{scenario}-{number}", person_id=scenario, gpprac=practice, **fields)
    return computed(system)


def readmission(frame, scenario: str) -> tuple[float, float]:
    """(numerator, denominator) of readmission_30d_75plus in the scenario's cell."""
    practice, month, _ = READMISSIONS[scenario]
    row = value(frame, "readmission_30d_75plus", "practice", practice, f"{month}-01")
    return row["numerator"], row["denominator"]


def test_readmission_on_day_30_counts(readmissions):
    assert readmission(readmissions, "day_30") == (1, 1)


def test_readmission_on_day_31_does_not_count(readmissions):
    assert readmission(readmissions, "day_31") == (0, 1)


def test_transfer_from_another_hospital_is_not_a_readmission(readmissions):
    assert readmission(readmissions, "transfer") == (0, 1)


def test_discharge_by_death_is_not_in_the_denominator(readmissions):
    assert readmission(readmissions, "died") == (0, 0)


def test_elective_return_is_not_a_readmission(readmissions):
    assert readmission(readmissions, "elective_return") == (0, 1)


def test_emergency_admission_on_the_day_of_discharge_is_a_readmission(readmissions):
    assert readmission(readmissions, "same_day") == (1, 1)


def test_readmission_counts_discharges_from_75(readmissions):
    assert readmission(readmissions, "aged_74") == (0, 0)
    assert readmission(readmissions, "aged_75") == (1, 1)


def test_readmission_rate_is_a_percentage_of_discharges(readmissions):
    # January: day_30, day_31 and transfer are discharges of people 75+; day_30 returned.
    whole = value(readmissions, "readmission_30d_75plus", "system", "SYSTEM", "2026-01-01")
    assert (whole["numerator"], whole["denominator"]) == (1, 3)
    assert whole["value"] == pytest.approx(1 / 3 * 100, rel=1e-9)
