"""Ambulatory care sensitive conditions on a hand-built system: acsc_chronic's rules a–i
(NHS Digital CCG OIS 2.6, as METRICS.md states them), the eligibility of a spell
(emergency, classpat 1, not a transfer in, sex 1 or 2), the broader acsc_all list, and the
directly standardised rate (ESP 2013, not computed under 10 events).

Each case is one spell, alone in its own practice and month of a system computed once,
so that the count in that cell says whether that spell was counted. Unless a test sets its
own, every practice has 1,920 registered patients: 10 men and 10 women at each age 0–94
and at 95+, so 100 people in each five-year band from 0–4 to 85–89.
"""

from __future__ import annotations

from math import sqrt
from statistics import NormalDist

import pandas as pd
import pytest

from tests.etl.rows import quarantine
from tests.metrics.conftest import FixtureSystem, value

PRACTICES = ("A00001", "A00002", "A00003", "A00004")
Z95 = NormalDist().inv_cdf(0.975)

# (case, fields of one emergency spell, counted in acsc_chronic, counted in acsc_all).
# None: not asserted. Spells are emergency, classpat 1, from home, aged 80, unless stated.
RULE_CASES = [
    ("a_B180_without_D57", dict(diag_4_01="B180", diag_4_concat="B180,I10X"), 1, 1),
    ("a_B181_with_no_secondary_diagnoses", dict(diag_4_01="B181", diag_4_concat=""), 1, 1),
    ("a_B180_with_D57_secondary", dict(diag_4_01="B180", diag_4_concat="B180,D571"), 0, 0),
    ("b_J45_asthma", dict(diag_4_01="J459", diag_4_concat="J459"), 1, 1),
    ("b_J46X_status_asthmaticus", dict(diag_4_01="J46X", diag_4_concat="J46X"), 1, 1),
    ("c_I50_no_procedure", dict(diag_4_01="I509", diag_4_concat="I509"), 1, 1),
    ("c_I50_with_K401", dict(diag_4_01="I509", opertn_4_concat="K401"), 0, 0),
    ("c_I50_with_unrelated_W401", dict(diag_4_01="I509", opertn_4_concat="W401"), 1, 1),
    ("c_I50_with_K401_second", dict(diag_4_01="I509", opertn_4_concat="W401,K401"), 0, 0),
    ("c_I50_with_K58_not_listed", dict(diag_4_01="I509", opertn_4_concat="K581"), 1, 1),
    ("c_I50_with_K74_listed", dict(diag_4_01="I509", opertn_4_concat="K741"), 0, 0),
    ("c_I110", dict(diag_4_01="I110", diag_4_concat="I110"), 1, 1),
    ("c_I110_with_K571", dict(diag_4_01="I110", opertn_4_concat="K571"), 0, 0),
    ("c_J81X", dict(diag_4_01="J81X", diag_4_concat="J81X"), 1, 1),
    ("c_I130", dict(diag_4_01="I130", diag_4_concat="I130"), 1, 1),
    ("d_E11_diabetes", dict(diag_4_01="E119", diag_4_concat="E119"), 1, 1),
    ("d_E10_diabetes", dict(diag_4_01="E109", diag_4_concat="E109"), 1, 1),
    ("d_E14_diabetes", dict(diag_4_01="E149", diag_4_concat="E149"), 1, 1),
    ("e_J44_copd", dict(diag_4_01="J449", diag_4_concat="J449"), 1, 1),
    ("e_J42X", dict(diag_4_01="J42X", diag_4_concat="J42X"), 1, 1),
    ("e_J47X", dict(diag_4_01="J47X", diag_4_concat="J47X"), 1, 1),
    ("e_J20_with_J44_secondary", dict(diag_4_01="J209", diag_4_concat="J209,J449"), 1, 1),
    ("e_J20_with_J47_secondary", dict(diag_4_01="J209", diag_4_concat="J209,J47X"), 1, 1),
    ("e_J20_with_J41_secondary", dict(diag_4_01="J209", diag_4_concat="J209,J410"), 1, 1),
    ("e_J20_with_J42_secondary", dict(diag_4_01="J209", diag_4_concat="J209,J42X"), 1, 1),
    ("e_J20_with_J43_secondary", dict(diag_4_01="J209", diag_4_concat="J209,J439"), 1, 1),
    ("e_J20_with_no_secondary_diagnoses", dict(diag_4_01="J209", diag_4_concat=""), 0, 0),
    ("e_J20_without_copd", dict(diag_4_01="J209", diag_4_concat="J209,J181"), 0, 0),
    ("f_I20_no_procedure", dict(diag_4_01="I209", diag_4_concat="I209"), 1, 1),
    ("f_I20_with_K401", dict(diag_4_01="I209", opertn_4_concat="K401"), 0, 0),
    ("f_I20_with_A011", dict(diag_4_01="I209", opertn_4_concat="A011"), 0, 0),
    ("f_I20_with_U051", dict(diag_4_01="I209", opertn_4_concat="U051"), 1, 1),
    ("f_I20_with_Y981", dict(diag_4_01="I209", opertn_4_concat="Y981"), 1, 1),
    ("f_I25_with_Z942", dict(diag_4_01="I251", opertn_4_concat="Z942"), 1, 1),
    ("f_I25_with_X403", dict(diag_4_01="I251", opertn_4_concat="X403"), 0, 0),
    ("f_I25_with_X301", dict(diag_4_01="I251", opertn_4_concat="X301"), 1, 1),
    ("f_I25_with_V251", dict(diag_4_01="I251", opertn_4_concat="V251"), 0, 0),
    ("g_D51", dict(diag_4_01="D510", diag_4_concat="D510"), 1, 1),
    ("g_D501", dict(diag_4_01="D501", diag_4_concat="D501"), 1, 1),
    ("g_D500_not_listed", dict(diag_4_01="D500", diag_4_concat="D500"), 0, 0),
    ("h_I10X", dict(diag_4_01="I10X", diag_4_concat="I10X"), 1, 1),
    ("h_I10X_with_K401", dict(diag_4_01="I10X", opertn_4_concat="K401"), 0, 0),
    ("h_I119", dict(diag_4_01="I119", diag_4_concat="I119"), 1, 1),
    ("h_I119_with_K601", dict(diag_4_01="I119", opertn_4_concat="K601"), 0, 0),
    ("h_I119_with_W401", dict(diag_4_01="I119", opertn_4_concat="W401"), 1, 1),
    ("i_I48_atrial_fibrillation", dict(diag_4_01="I489", diag_4_concat="I489"), 1, 1),
    ("i_G40_epilepsy", dict(diag_4_01="G409", diag_4_concat="G409"), 1, 1),
    ("i_F03_dementia", dict(diag_4_01="F03X", diag_4_concat="F03X"), 1, 1),
    ("acute_J181_pneumonia", dict(diag_4_01="J181", diag_4_concat="J181"), 0, 1),
    ("acute_N10X_pyelonephritis", dict(diag_4_01="N10X", diag_4_concat="N10X"), 0, 1),
    ("acute_L039_cellulitis", dict(diag_4_01="L039", diag_4_concat="L039"), 0, 1),
    ("not_acsc_I219_infarction", dict(diag_4_01="I219", diag_4_concat="I219"), 0, 0),
]

# The same, for what makes a spell eligible at all (apc_row's chronic COPD diagnosis, J44X,
# unless stated).
ELIGIBILITY_CASES = [
    ("from_home_19", dict(admisorc="19"), 1, 1),
    ("admisorc_blank", dict(admisorc=""), 1, 1),
    ("transfer_in_51", dict(admisorc="51"), 0, 0),
    ("transfer_in_52", dict(admisorc="52"), 0, 0),
    ("transfer_in_53", dict(admisorc="53"), 0, 0),
    ("transfer_in_53_pneumonia", dict(admisorc="53", diag_4_01="J181"), 0, 0),
    ("day_case_classpat_2", dict(classpat="2"), 0, 0),
    ("regular_attender_classpat_3", dict(classpat="3"), 0, 0),
    ("sex_9", dict(sex="9"), 0, 0),
    ("elective_11", dict(admimeth="11"), 0, 0),
    ("maternity_31", dict(admimeth="31"), 0, 0),
    ("emergency_2A_aged_0", dict(admimeth="2A", startage="0"), 1, 1),
]


def place_cases(root, cases, months) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    """Computes a system with one spell per case, each in its own practice and month.

    A case that gives no diag_4_concat has its primary diagnosis as its only diagnosis.
    Returns the frame and, for each case, its (practice, month start).
    """
    system = FixtureSystem(root, months=months)
    cells = {}
    for number, (case, fields, *_) in enumerate(cases):
        practice, month = PRACTICES[number % 4], months[number // 4]
        row = dict(gpprac=practice, admidate=f"{month}-10", disdate=f"{month}-12")
        row |= fields
        row.setdefault("diag_4_concat", row.get("diag_4_01", "J44X"))  # no other diagnosis
        system.add("apc_spells", f"S{number}", **row)
        cells[case] = (practice, f"{month}-01")
    frame = system.compute()
    assert quarantine(system.settings) == []
    return frame, cells


def months_from(first: str) -> tuple[str, ...]:
    """The months from `first` to March 2026, as 'YYYY-MM'."""
    return tuple(str(month) for month in pd.period_range(first, "2026-03", freq="M"))


@pytest.fixture(scope="module")
def rule_cells(tmp_path_factory):
    """The rule cases computed once (15 months × 4 practices: 60 cells)."""
    months = months_from("2025-01")
    assert len(RULE_CASES) <= 4 * len(months)
    return place_cases(tmp_path_factory.mktemp("acsc_rules"), RULE_CASES, months)


@pytest.fixture(scope="module")
def eligibility_cells(tmp_path_factory):
    """The eligibility cases computed once (3 months × 4 practices: 12 cells)."""
    months = months_from("2026-01")
    assert len(ELIGIBILITY_CASES) <= 4 * len(months)
    return place_cases(tmp_path_factory.mktemp("acsc_eligibility"), ELIGIBILITY_CASES, months)


def assert_counted(frame, cell, chronic, broad) -> None:
    practice, month = cell
    assert value(frame, "acsc_chronic", "practice", practice, month)["numerator"] == chronic
    if broad is not None:
        assert value(frame, "acsc_all", "practice", practice, month)["numerator"] == broad


@pytest.mark.parametrize(
    "case, fields, chronic, broad", RULE_CASES, ids=[case[0] for case in RULE_CASES]
)
def test_primary_diagnosis_rules(rule_cells, case, fields, chronic, broad):
    frame, cells = rule_cells
    assert_counted(frame, cells[case], chronic, broad)


@pytest.mark.parametrize(
    "case, fields, chronic, broad", ELIGIBILITY_CASES, ids=[case[0] for case in ELIGIBILITY_CASES]
)
def test_spell_eligibility(eligibility_cells, case, fields, chronic, broad):
    frame, cells = eligibility_cells
    assert_counted(frame, cells[case], chronic, broad)


def test_transfers_in_still_count_as_emergency_admissions(eligibility_cells):
    frame, cells = eligibility_cells
    for case in ("transfer_in_51", "transfer_in_52", "transfer_in_53"):
        practice, month = cells[case]
        admissions = value(frame, "emergency_admissions", "practice", practice, month)
        assert admissions["numerator"] == 1


def add_copd_admissions(system, practice: str, ages: list[int]) -> None:
    for number, age in enumerate(ages):
        system.add(
            "apc_spells", f"{practice}-{number}", gpprac=practice, startage=str(age),
            admidate="2026-01-10", disdate="2026-01-12", diag_4_01="J449",
        )  # fmt: skip


def test_dsr_uses_esp2013_weights_over_annual_person_years(system):
    add_copd_admissions(system, "A00001", [80] * 6 + [30] * 4)  # 10 events
    frame = system.compute()

    # Each five-year band has 100 people: 100 / 12 person-years in a month. The ESP 2013
    # weights are 2,500 for 80–84 and 6,500 for 30–34, of 100,000.
    rate = 2500 / 100000 * 6 / (100 / 12) + 6500 / 100000 * 4 / (100 / 12)
    chronic = value(frame, "acsc_chronic", "practice", "A00001", "2026-01-01")
    assert chronic["numerator"] == 10
    assert chronic["denominator"] == 1920
    assert chronic["value"] == pytest.approx(rate * 100000, rel=1e-9)  # 4,920 per 100,000
    admissions = value(frame, "emergency_admissions", "practice", "A00001", "2026-01-01")
    assert admissions["value"] == pytest.approx(rate * 1000, rel=1e-9)  # 49.2 per 1,000


def test_dsr_limits_are_dobson_with_byars_limits_on_the_total(system):
    add_copd_admissions(system, "A00001", [80] * 6 + [30] * 4)
    add_copd_admissions(system, "A00002", [80] * 5 + [30] * 4)
    frame = system.compute()

    # System: 400 people per band, 11 events at 80–84 and 8 at 30–34.
    weights_events = [(2500 / 100000, 11), (6500 / 100000, 8)]
    person_years = 400 / 12
    rate = sum(w * events / person_years for w, events in weights_events) * 100000
    variance = sum(w * w * events / person_years**2 for w, events in weights_events) * 100000**2
    count = 19
    byars_lower = count * (1 - 1 / (9 * count) - Z95 / (3 * sqrt(count))) ** 3
    byars_upper = (count + 1) * (1 - 1 / (9 * (count + 1)) + Z95 / (3 * sqrt(count + 1))) ** 3
    whole = value(frame, "acsc_chronic", "system", "SYSTEM", "2026-01-01")
    assert whole["numerator"] == count
    assert whole["value"] == pytest.approx(rate, rel=1e-9)
    spread = sqrt(variance / count)
    assert whole["lower_95"] == pytest.approx(rate + spread * (byars_lower - count), rel=1e-9)
    assert whole["upper_95"] == pytest.approx(rate + spread * (byars_upper - count), rel=1e-9)


def test_dsr_is_not_computed_under_10_events(system):
    add_copd_admissions(system, "A00002", [80] * 5 + [30] * 4)  # 9 events
    frame = system.compute()

    chronic = value(frame, "acsc_chronic", "practice", "A00002", "2026-01-01")
    assert chronic["numerator"] == 9
    assert chronic["denominator"] == 1920
    assert pd.isna(chronic["value"])
    assert pd.isna(chronic["lower_95"]) and pd.isna(chronic["upper_95"])
