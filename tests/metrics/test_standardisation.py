"""Indirect standardisation month by month: a period's expected count is its months' sum."""

from __future__ import annotations

import pytest

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
