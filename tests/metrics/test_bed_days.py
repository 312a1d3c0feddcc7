"""Bed days on a hand-built system: bed_days, its elective and emergency split,
emergency_bed_days_65plus and acsc_bed_days (METRICS.md, "Common conventions").

A spell adds the nights of [admidate, disdate) to the months they fall in; a day case
(classpat 2, or discharge on the day of admission) adds none; an open spell counts to the
end of the last month covered. Rates are per 1,000 registered patients per year: monthly
values are annualised (× 12 / months) and a quarter adds its months over the mean of its
monthly populations. At practice level the indirectly standardised ratio is compared with 1.

Unless a test sets its own, every practice has 1,920 registered patients (10 men and 10
women at each age 0–94 and at 95+), 620 of them aged 65 or over. Every expected value is
worked by hand in the test.
"""

from __future__ import annotations

from math import sqrt
from statistics import NormalDist

import pytest
from scipy.stats import chi2

from tests.metrics.conftest import value
from tests.metrics.spells import computed, spell

PRACTICE_POPULATION = 1920  # 2 sexes × 96 ages (0–94, 95+) × 10
POPULATION_65PLUS = 620  # 2 sexes × 31 ages (65–94, 95+) × 10
SYSTEM_POPULATION = 4 * PRACTICE_POPULATION
Z95 = NormalDist().inv_cdf(0.975)


def add_men_aged_40(system, practice: str, extract: str, extra: int) -> None:
    """Adds `extra` men aged 40 to one practice's population extract (e.g. '01FEB2026').

    The fixture gives every month the same counts; this wraps its population writer so
    that one month's extract differs.
    """
    write_rows = system._population_rows

    def rows() -> list[dict]:
        written = write_rows()
        for row in written:
            key = (row["CODE"], row["EXTRACT_DATE"], row["SEX"], row["AGE"])
            if key == (practice, extract, "MALE", "40"):
                row["NUMBER_OF_PATIENTS"] = str(int(row["NUMBER_OF_PATIENTS"]) + extra)
        return written

    system._population_rows = rows


def test_spell_across_a_month_end_splits_its_nights(system):
    spell(system, "S1", admidate="2026-01-29", disdate="2026-02-03")
    frame = computed(system)

    january = value(frame, "bed_days", "practice", "A00001", "2026-01-01")
    february = value(frame, "bed_days", "practice", "A00001", "2026-02-01")
    assert january["numerator"] == 3  # nights of 29, 30 and 31 January
    assert february["numerator"] == 2  # nights of 1 and 2 February
    assert january["denominator"] == PRACTICE_POPULATION
    assert january["value"] == pytest.approx(3 / 1920 * 12 * 1000, rel=1e-9)
    assert february["value"] == pytest.approx(2 / 1920 * 12 * 1000, rel=1e-9)


def test_spell_across_two_month_ends_counts_a_whole_month_between(system):
    spell(system, "S1", admidate="2026-01-30", disdate="2026-03-02")
    frame = computed(system)

    nights = [
        value(frame, "bed_days", "practice", "A00001", month)["numerator"]
        for month in ("2026-01-01", "2026-02-01", "2026-03-01")
    ]
    assert nights == [2, 28, 1]  # 30–31 January, all of February, 1 March


def test_spell_admitted_before_the_first_month_counts_its_nights_in_it(system):
    spell(system, "S1", admidate="2025-12-30", disdate="2026-01-03")
    frame = computed(system)

    january = value(frame, "bed_days", "practice", "A00001", "2026-01-01")
    assert january["numerator"] == 2  # 1 and 2 January; December is not covered


def test_day_cases_add_no_bed_days(system):
    spell(system, "S1", classpat="2", admidate="2026-01-10", disdate="2026-01-12")
    spell(system, "S2", admidate="2026-01-14", disdate="2026-01-14")  # same-day discharge
    frame = computed(system)

    bed_days = value(frame, "bed_days", "practice", "A00001", "2026-01-01")
    assert bed_days["numerator"] == 0
    assert bed_days["value"] == 0
    # Both spells are there: they count as emergency admissions.
    admissions = value(frame, "emergency_admissions", "practice", "A00001", "2026-01-01")
    assert admissions["numerator"] == 2


def test_open_spell_counts_nights_to_the_end_of_the_last_month(system):
    spell(system, "S1", admidate="2026-02-20", disdate="")
    frame = computed(system)

    february = value(frame, "bed_days", "practice", "A00001", "2026-02-01")
    march = value(frame, "bed_days", "practice", "A00001", "2026-03-01")
    quarter = value(frame, "bed_days", "practice", "A00001", "2026-01-01", "quarter")
    assert february["numerator"] == 9  # 20 to 28 February
    assert march["numerator"] == 31  # every night of March, the last month covered
    assert quarter["numerator"] == 9 + 31


def test_admission_method_splits_bed_days_into_elective_and_emergency(system):
    methods_nights = [("21", 2), ("2D", 4), ("11", 3), ("13", 1), ("31", 5), ("81", 7)]
    for number, (admimeth, nights) in enumerate(methods_nights):
        spell(system, f"S{number}", admimeth=admimeth, admidate="2026-01-03",
              disdate=f"2026-01-{3 + nights:02d}")  # fmt: skip
    frame = computed(system)

    def january(metric):
        return value(frame, metric, "practice", "A00001", "2026-01-01")

    assert january("bed_days")["numerator"] == 2 + 4 + 3 + 1 + 5 + 7
    assert january("bed_days_elective")["numerator"] == 3 + 1  # admimeth 11, 13
    assert january("bed_days_emergency")["numerator"] == 2 + 4  # admimeth 21, 2D
    assert january("bed_days")["value"] == pytest.approx(22 / 1920 * 12 * 1000, rel=1e-9)
    assert january("bed_days_elective")["value"] == pytest.approx(4 / 1920 * 12 * 1000, rel=1e-9)
    assert january("bed_days_emergency")["value"] == pytest.approx(6 / 1920 * 12 * 1000, rel=1e-9)


def test_emergency_bed_days_65plus_counts_emergency_spells_from_65_over_the_65plus_population(
    system,
):
    spell(system, "S1", startage="65", admidate="2026-01-03", disdate="2026-01-06")  # 3
    spell(system, "S2", startage="64", admidate="2026-01-03", disdate="2026-01-08")  # too young
    spell(system, "S3", startage="80", admimeth="11", admidate="2026-01-03",
          disdate="2026-01-07")  # elective  # fmt: skip
    spell(system, "S4", startage="95", admidate="2026-01-03", disdate="2026-01-04")  # 1
    frame = computed(system)

    practice = value(frame, "emergency_bed_days_65plus", "practice", "A00001", "2026-01-01")
    whole = value(frame, "emergency_bed_days_65plus", "system", "SYSTEM", "2026-01-01")
    assert practice["numerator"] == 3 + 1
    assert practice["denominator"] == POPULATION_65PLUS
    assert practice["value"] == pytest.approx(4 / 620 * 12 * 1000, rel=1e-9)
    assert whole["denominator"] == 4 * POPULATION_65PLUS
    assert whole["value"] == pytest.approx(4 / (4 * 620) * 12 * 1000, rel=1e-9)


def test_acsc_bed_days_are_the_nights_of_acsc_all_spells(system):
    spell(system, "S1", diag_4_01="J181", diag_4_concat="J181", admidate="2026-01-03",
          disdate="2026-01-07")  # acute ACSC: 4  # fmt: skip
    spell(system, "S2", diag_4_01="J449", diag_4_concat="J449", admidate="2026-01-03",
          disdate="2026-01-05")  # chronic ACSC: 2  # fmt: skip
    spell(system, "S3", diag_4_01="J181", diag_4_concat="J181", admimeth="11",
          admidate="2026-01-03", disdate="2026-01-06")  # elective  # fmt: skip
    spell(system, "S4", diag_4_01="J181", diag_4_concat="J181", admisorc="51",
          admidate="2026-01-03", disdate="2026-01-08")  # transfer in  # fmt: skip
    spell(system, "S5", diag_4_01="I219", diag_4_concat="I219", admidate="2026-01-03",
          disdate="2026-01-10")  # not an ACSC  # fmt: skip
    frame = computed(system)

    acsc = value(frame, "acsc_bed_days", "practice", "A00001", "2026-01-01")
    assert acsc["numerator"] == 4 + 2
    assert acsc["value"] == pytest.approx(6 / 1920 * 12 * 1000, rel=1e-9)
    assert value(frame, "bed_days", "practice", "A00001", "2026-01-01")["numerator"] == 21


def test_quarter_adds_its_months_over_the_mean_monthly_population(system):
    add_men_aged_40(system, "A00001", "01FEB2026", 60)
    add_men_aged_40(system, "A00001", "01MAR2026", 120)
    spell(system, "S1", admidate="2026-01-03", disdate="2026-01-06")  # 3
    spell(system, "S2", admidate="2026-02-03", disdate="2026-02-05")  # 2
    spell(system, "S3", admidate="2026-03-03", disdate="2026-03-08")  # 5
    frame = computed(system)

    february = value(frame, "bed_days", "practice", "A00001", "2026-02-01")
    quarter = value(frame, "bed_days", "practice", "A00001", "2026-01-01", "quarter")
    assert february["denominator"] == 1980
    assert february["value"] == pytest.approx(2 / 1980 * 12 * 1000, rel=1e-9)
    assert quarter["numerator"] == 3 + 2 + 5
    assert quarter["denominator"] == (1920 + 1980 + 2040) / 3
    assert quarter["value"] == pytest.approx(10 / ((1920 + 1980 + 2040) / 3) * 12 / 3 * 1000,
                                             rel=1e-9)  # fmt: skip


def test_financial_year_is_not_scaled_and_its_months_are_scaled_by_12(year_system):
    spell(year_system, "S1", admidate="2025-06-10", disdate="2025-06-13")
    frame = computed(year_system)

    june = value(frame, "bed_days", "practice", "A00001", "2025-06-01")
    year = value(frame, "bed_days", "practice", "A00001", "2025-04-01", "fy")
    assert june["value"] == pytest.approx(3 / 1920 * 12 / 1 * 1000, rel=1e-9)
    assert year["numerator"] == 3
    assert year["denominator"] == PRACTICE_POPULATION
    assert year["value"] == pytest.approx(3 / 1920 * 12 / 12 * 1000, rel=1e-9)


def test_rate_limits_are_exact_poisson_under_10_and_byars_from_10(system):
    spell(system, "S1", admidate="2026-01-03", disdate="2026-01-06")  # 3 nights
    spell(system, "S2", gpprac="A00002", admidate="2026-01-03", disdate="2026-01-15")  # 12
    frame = computed(system)

    person_years = 1920 / 12
    small = value(frame, "bed_days", "practice", "A00001", "2026-01-01")
    assert small["lower_95"] == pytest.approx(chi2.ppf(0.025, 6) / 2 / person_years * 1000,
                                              rel=1e-9)  # fmt: skip
    assert small["upper_95"] == pytest.approx(chi2.ppf(0.975, 8) / 2 / person_years * 1000,
                                              rel=1e-9)  # fmt: skip
    large = value(frame, "bed_days", "practice", "A00002", "2026-01-01")
    byars_lower = 12 * (1 - 1 / (9 * 12) - Z95 / (3 * sqrt(12))) ** 3
    byars_upper = 13 * (1 - 1 / (9 * 13) + Z95 / (3 * sqrt(13))) ** 3
    assert large["lower_95"] == pytest.approx(byars_lower / person_years * 1000, rel=1e-9)
    assert large["upper_95"] == pytest.approx(byars_upper / person_years * 1000, rel=1e-9)


def test_practices_are_compared_with_the_system_through_their_isr(system):
    spell(system, "S1", admidate="2026-01-01", disdate="2026-01-31")  # 30 nights
    spell(system, "S2", gpprac="A00003", admidate="2026-01-10", disdate="2026-01-16")  # 6
    frame = computed(system)

    # Equal age-sex structures, so each practice expects a quarter of the system's nights.
    expected = 36 * 1920 / 7680
    high = value(frame, "bed_days", "practice", "A00001", "2026-01-01")
    none = value(frame, "bed_days", "practice", "A00002", "2026-01-01")
    middle = value(frame, "bed_days", "practice", "A00003", "2026-01-01")
    assert high["expected"] == pytest.approx(expected, rel=1e-9)
    assert high["isr"] == pytest.approx(30 / expected, rel=1e-9)
    byars_lower = 30 * (1 - 1 / (9 * 30) - Z95 / (3 * sqrt(30))) ** 3
    assert high["isr_lower_95"] == pytest.approx(byars_lower / expected, rel=1e-9)
    assert byars_lower / expected > 1
    assert high["comparison_system"] == "worse"
    assert none["isr_upper_95"] == pytest.approx(chi2.ppf(0.975, 2) / 2 / expected, rel=1e-9)
    assert none["comparison_system"] == "better"  # upper limit 0.41 < 1
    assert middle["isr"] == pytest.approx(6 / expected, rel=1e-9)
    assert middle["comparison_system"] == "similar"  # 0.24 to 1.45
    system_row = value(frame, "bed_days", "system", "SYSTEM", "2026-01-01")
    assert system_row["value"] == pytest.approx(36 / SYSTEM_POPULATION * 12 * 1000, rel=1e-9)
