"""Standardisation, worked by hand on the fixture system.

Indirect standardisation month by month (a period's expected count is its months' sum, and
a segment's uses the system's rates in that segment); direct standardisation within a sex
or profile segment; and the crude age-specific rate of an age band segment.
"""

from __future__ import annotations

import numpy as np
import pytest

from metrics.serving import open_current
from tests.metrics.conftest import value


def test_a_quarters_expected_count_is_the_sum_of_its_months(system):
    # January: two emergency admissions aged 80 at A00001, one at A00004; February: one aged
    # 30 at A00002. Every practice has 10 men at each age, so the system's January rate for
    # men aged 80-84 is 3 / 200 person-months and February's for 30-34 is 1 / 200.
    spells = [
        ("S1", "A00001", "2026-01-05", "80"), ("S2", "A00001", "2026-01-09", "82"),
        ("S3", "A00004", "2026-01-20", "84"), ("S4", "A00002", "2026-02-11", "30"),
    ]  # fmt: skip
    for spell, practice, day, age in spells:
        system.add("apc_spells", spell, gpprac=practice, admidate=day, disdate=day,
                   startage=age, sex="1", diag_4_01="R69X", diag_4_concat="R69X")  # fmt: skip
    frame = system.compute()
    january = value(frame, "emergency_admissions", "practice", "A00001", "2026-01-01")
    february = value(frame, "emergency_admissions", "practice", "A00001", "2026-02-01")
    quarter = value(frame, "emergency_admissions", "practice", "A00001", "2026-01-01", "quarter")
    # Each practice has 50 men aged 80-84 (10 a year of age) of the system's 200.
    assert january["expected"] == pytest.approx(50 * 3 / 200, rel=1e-12)
    assert february["expected"] == pytest.approx(50 * 1 / 200, rel=1e-12)
    assert quarter["expected"] == pytest.approx(50 * 3 / 200 + 50 * 1 / 200, rel=1e-12)
    assert quarter["isr"] == pytest.approx(2 / 1.0, rel=1e-12)
    whole = value(frame, "emergency_admissions", "system", "SYSTEM", "2026-01-01", "quarter")
    assert (whole["numerator"], whole["expected"], whole["isr"]) == pytest.approx((4, 4, 1))


# ESP 2013 shares of the bands used below: 30-34 is 6,500 and 80-84 is 2,500 of 100,000.
# Byar's 95% limits for a count of 10 (PHE): 10 (1 − 1/90 − z/(3√10))³ and
# 11 (1 − 1/99 + z/(3√11))³ with z = 1.959964.
BYARS_10_95 = (4.787449913967563, 18.391458605756473)


def _admit(system, spells: list[tuple[str, str, str]], practice: str = "A00001") -> None:
    """Adds January emergency admissions of men: (spell id, person id, age)."""
    for spell, person, age in spells:
        system.add("apc_spells", spell, person_id=person, gpprac=practice,
                   admidate="2026-01-10", disdate="2026-01-12", startage=age, sex="1",
                   diag_4_01="R69X", diag_4_concat="R69X")  # fmt: skip


def _dobson(value: float, variance: float, events: int, count_limits) -> tuple[float, float]:
    spread = (variance / events) ** 0.5
    return tuple(value + spread * (limit - events) for limit in count_limits)


def test_a_sex_segment_is_standardised_by_age_within_the_segment(system):
    # L1 (three practices) has 30 men at each year of age: a five-year band is 150
    # person-months in January, 12.5 person-years. Six men aged 80 and four aged 30 are
    # admitted, so DSR = 1000 (0.025 × 6/12.5 + 0.065 × 4/12.5) = 32.8 per 1,000 a year,
    # variance 1000² (0.025² × 6 + 0.065² × 4) / 12.5² = 132.16.
    _admit(system, [(f"S{n}", f"P{n}", "80" if n < 6 else "30") for n in range(10)])
    frame = system.compute()
    male = value(frame, "emergency_admissions", "locality", "L1", "2026-01-01",
                 segment="sex:male")  # fmt: skip
    assert male["numerator"] == 10
    assert male["value"] == pytest.approx(32.8, rel=1e-12)
    lower, upper = _dobson(32.8, 132.16, 10, BYARS_10_95)
    assert (male["lower_95"], male["upper_95"]) == pytest.approx((lower, upper), rel=1e-9)
    # The segment's ISR uses the system's rates for men: L1 has 150 of the system's 200
    # men in each band, so 7.5 admissions are expected and the ratio is 10 / 7.5.
    assert male["expected"] == pytest.approx(7.5, rel=1e-12)
    assert male["isr"] == pytest.approx(4 / 3, rel=1e-12)
    system_male = value(frame, "emergency_admissions", "system", "SYSTEM", "2026-01-01",
                        segment="sex:male")  # fmt: skip
    assert system_male["isr"] == pytest.approx(1.0, rel=1e-12)


def test_an_age_band_segment_has_the_crude_age_specific_rate(system):
    # L1 has 20 people at each age 75-84 in each of three practices: 600 person-months in
    # January, 50 person-years. Six admissions: 6 / 50 × 1000 = 120 per 1,000 a year, with
    # exact Poisson limits (under 10 events), chi²(0.025; 12)/2 and chi²(0.975; 14)/2 / 50.
    _admit(system, [(f"S{n}", f"P{n}", "80") for n in range(6)])
    frame = system.compute()
    aged = value(frame, "emergency_admissions", "locality", "L1", "2026-01-01",
                 segment="age_band:75-84")  # fmt: skip
    assert (aged["numerator"], aged["denominator"]) == (6, 600)
    assert aged["value"] == pytest.approx(120.0, rel=1e-12)
    assert aged["lower_95"] == pytest.approx(2.2018942534908508 / 50 * 1000, rel=1e-9)
    assert aged["upper_95"] == pytest.approx(13.059474022518685 / 50 * 1000, rel=1e-9)


def test_a_profile_segment_is_standardised_from_the_patient_index(system):
    # Twelve severely frail men aged 80 and twelve aged 30 are registered at A00001: each
    # band has 12 person-months in January, 1 person-year. Six of the older men and four of
    # the younger are admitted: DSR = 1000 (0.025 × 6 + 0.065 × 4) = 410 per 1,000 a year,
    # variance 1000² (0.025² × 6 + 0.065² × 4) = 20,650.
    for n in range(24):
        born = "1945-06" if n < 12 else "1995-06"  # 80 and 30 at the end of January 2026
        system.add("patients", f"P{n}", gpprac="A00001", sex="1", birth_month=born,
                   frailty="severe")  # fmt: skip
    _admit(system, [(f"S{n}", f"P{n}", "80") for n in range(6)])
    _admit(system, [(f"S{n}", f"P{n}", "30") for n in range(12, 16)])
    frame = system.compute()
    frail = value(frame, "emergency_admissions", "locality", "L1", "2026-01-01",
                  segment="frailty:severe")  # fmt: skip
    assert frail["numerator"] == 10
    assert frail["value"] == pytest.approx(410.0, rel=1e-12)
    lower, upper = _dobson(410.0, 20650.0, 10, BYARS_10_95)
    assert (frail["lower_95"], frail["upper_95"]) == pytest.approx((lower, upper), rel=1e-9)


def test_a_segment_dsr_is_not_computed_under_10_events(system):
    _admit(system, [(f"S{n}", f"P{n}", "80") for n in range(9)])
    frame = system.compute()
    male = value(frame, "emergency_admissions", "locality", "L1", "2026-01-01",
                 segment="sex:male")  # fmt: skip
    assert male["numerator"] == 9
    assert np.isnan(male["value"]) and np.isnan(male["lower_95"])


# Over the whole published sample: a row's count is its numerator (events, people), or for
# a mean its denominator (the responses or spells averaged). With 10 or more, the row has a
# value, whatever its method and segment, except where the value does not exist: a rate or
# proportion of no population (denominator 0 or missing), or a mean under its indicator's
# minimum number of responses (EQ-5D: 10, so never at 10 or more).
BLANK_ROWS_SQL = """
SELECT v.method, count(*) FILTER (v.value IS NULL OR isnan(v.value)) AS blank,
       count(*) AS counted,
       count(*) FILTER (v.segment <> 'all' AND v.value IS NOT NULL) AS segment_values
FROM indicator_values v JOIN indicators i ON i.id = v.metric_id
WHERE CASE WHEN v.method = 'mean' THEN v.denominator ELSE v.numerator END >= 10
  AND (v.method = 'count' OR v.denominator > 0)
  AND (v.method <> 'mean' OR v.denominator >= i.minimum_denominator)
GROUP BY v.method ORDER BY v.method
"""


def test_no_row_with_a_count_of_10_or_more_is_blank(published_sample):
    connection, _ = open_current(published_sample)
    try:
        found = connection.execute(BLANK_ROWS_SQL).df().set_index("method")
        exceptions = connection.execute(
            "SELECT count(*) FROM indicator_values WHERE numerator >= 10 AND method <> 'count' "
            "AND NOT coalesce(denominator > 0, false)"
        ).fetchone()[0]
    finally:
        connection.close()
    assert set(found.index) == {"count", "dsr", "mean", "proportion", "rate", "ratio"}
    assert found["blank"].to_dict() == dict.fromkeys(found.index, 0)
    assert found.loc["dsr", "segment_values"] > 10_000  # every segment is standardised
    assert exceptions == 0  # no count of 10 or more without a denominator in the sample
