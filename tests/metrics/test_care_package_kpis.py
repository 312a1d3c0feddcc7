"""GP network care-package KPIs (Tower Hamlets style) and anticipatory care plans.

Each is a proportion of people registered at the period end with the condition or age
stated; "latest" is the latest value in the 12 months to period end (METRICS.md, "GP
network care-package KPIs"). They are statuses ("period_end"), so a quarter or financial
year takes the value at its last month. The fixture covers January to March 2026; unless
a test says otherwise the period is March 2026, ending 2026-03-31, whose 12-month window
is 1 April 2025 to 31 March 2026. Every person is registered at A00001.
"""

from __future__ import annotations

import pytest

from tests.metrics.conftest import FixtureSystem, value


def new_system(tmp_path_factory) -> FixtureSystem:
    """A fixture system for January to March 2026, shared by a module's tests."""
    return FixtureSystem(tmp_path_factory.mktemp("system"), ("2026-01", "2026-02", "2026-03"))


MARCH = "2026-03-01"


def person(system, pid: str, **changes) -> None:
    """A patient registered at A00001 since 2000, born March 1950, off the high-risk register."""
    fields = dict(gpprac="A00001", birth_month="1950-03", sex="1", frailty="mild",
                  high_risk_register="false", registered_from="2000-01-01")  # fmt: skip
    system.add("patients", pid, **(fields | changes))


def diabetic(system, pid: str, diagnosed: str = "2020-01-15", resolved: str = "",
             **changes) -> None:  # fmt: skip
    """A patient (as `person`) on the diabetes register."""
    person(system, pid, **changes)
    system.add("conditions", pid, condition="DM", diagnosed_on=diagnosed, resolved_on=resolved)


def event(system, pid: str, day: str, code: str, result: float | str = "") -> None:
    system.add("gp_events", pid, event_date=day, code=code, value=str(result))


def assert_proportion(row: dict, numerator: int, denominator: int) -> None:
    assert (row["numerator"], row["denominator"]) == (numerator, denominator)
    assert row["value"] == pytest.approx(numerator / denominator * 100)


def kpi(frame, metric: str, month: str = MARCH, period_type: str = "month",
        level: str = "practice", org: str = "A00001") -> dict:  # fmt: skip
    return value(frame, metric, level, org, month, period_type)


# --- dm_hba1c_control ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def hba1c_frame(tmp_path_factory):
    """H1 50 in January 2026; H2 50 in February 2025 (13 months before March's end);
    H3 50 in October 2025 then 70 in February 2026; H4 70 in October 2025 then 58 in
    February 2026; H5 40 but severely frail; H6 45 in December 2025, diabetes resolved
    15 February 2026; H7 no HbA1c; H8 moderately frail with no HbA1c."""
    system = new_system(tmp_path_factory)
    for pid in ("H1", "H2", "H3", "H4", "H6", "H7"):
        diabetic(system, pid, resolved="2026-02-15" if pid == "H6" else "")
    diabetic(system, "H5", frailty="severe")
    diabetic(system, "H8", frailty="moderate")
    event(system, "H1", "2026-01-10", "hba1c", 50)
    event(system, "H2", "2025-02-15", "hba1c", 50)
    event(system, "H3", "2025-10-01", "hba1c", 50)
    event(system, "H3", "2026-02-01", "hba1c", 70)
    event(system, "H4", "2025-10-01", "hba1c", 70)
    event(system, "H4", "2026-02-01", "hba1c", 58)
    event(system, "H5", "2026-01-10", "hba1c", 40)
    event(system, "H6", "2025-12-01", "hba1c", 45)
    return system.compute()


def test_hba1c_control_latest_value_in_12_months(hba1c_frame):
    # March (window from 1 April 2025): H1 (50) and H4 (latest 58, at the threshold) are
    # controlled; H2's HbA1c is 13 months old; H3's latest is 70; H7 has none.
    # H5 and H8 (moderate/severe frailty) are excluded; H6 left the register in February.
    assert_proportion(kpi(hba1c_frame, "dm_hba1c_control"), 2, 5)


def test_hba1c_a_later_high_value_overrides_an_earlier_low_one(hba1c_frame):
    # January (window from 1 February 2025): H3's latest is still October's 50, H4's is
    # October's 70; H2's February 2025 value is inside the window; H6 is on the register.
    # Controlled: H1, H2, H3, H6 of H1, H2, H3, H4, H6, H7 = 4 / 6.
    assert_proportion(kpi(hba1c_frame, "dm_hba1c_control", "2026-01-01"), 4, 6)
    # February (window from 1 March 2025): H2's value has dropped out, H3 is now 70, H4 58,
    # H6 resolved on 15 February. Controlled: H1, H4 of H1, H2, H3, H4, H7 = 2 / 5.
    assert_proportion(kpi(hba1c_frame, "dm_hba1c_control", "2026-02-01"), 2, 5)


def test_hba1c_quarter_takes_the_last_month(hba1c_frame):
    # Q1 2026 is March's 2 / 5, not the sum of the months (4 + 2 + 2) / (6 + 5 + 5).
    assert_proportion(kpi(hba1c_frame, "dm_hba1c_control", "2026-01-01", "quarter"), 2, 5)


def test_a_resolved_diabetes_diagnosis_leaves_the_register(hba1c_frame):
    # dm_care_plan's denominator is the whole register: 8 people in January, H6 gone from
    # February (resolved 15 February 2026) → 7.
    assert kpi(hba1c_frame, "dm_care_plan", "2026-01-01")["denominator"] == 8
    assert kpi(hba1c_frame, "dm_care_plan", "2026-02-01")["denominator"] == 7
    assert kpi(hba1c_frame, "dm_care_plan")["denominator"] == 7


def test_the_look_back_starts_after_the_month_end_a_year_before(tmp_path_factory):
    # February 2025's 12 months start after 28 February 2024 (its end less a year): an
    # HbA1c on 29 February 2024 (L1) is in them, one on 28 February 2024 (L2) is not.
    # January's start after 31 January 2024 (both in), March's after 31 March 2024 (none).
    system = FixtureSystem(tmp_path_factory.mktemp("system"), ("2025-01", "2025-02", "2025-03"))
    for pid, day in (("L1", "2024-02-29"), ("L2", "2024-02-28")):
        diabetic(system, pid)
        event(system, pid, day, "hba1c", 50)
    frame = system.compute()
    assert_proportion(kpi(frame, "dm_hba1c_control", "2025-01-01"), 2, 2)
    assert_proportion(kpi(frame, "dm_hba1c_control", "2025-02-01"), 1, 2)
    assert_proportion(kpi(frame, "dm_hba1c_control", "2025-03-01"), 0, 2)


# --- dm_bp_control, dm_cholesterol_control, dm_triple_target -------------------------------


def test_bp_control_needs_latest_sbp_140_and_dbp_80(system):
    # B1 140/80 (both at the threshold) → yes; B2 141/70 → no; B3 120/81 → no;
    # B4 sbp 130 in February 2025 (outside the window) with dbp 70 → no;
    # B5 sbp 150 in June 2025 then 130 in January 2026, dbp 75 → yes (latest);
    # B6 severely frail 120/70 → yes (frailty is not excluded here).
    readings = {"B1": [("2026-01-05", 140, 80)], "B2": [("2026-01-05", 141, 70)],
                "B3": [("2026-01-05", 120, 81)], "B4": [("2025-02-15", 130, 70)],
                "B5": [("2025-06-01", 150, 75), ("2026-01-05", 130, 75)],
                "B6": [("2026-01-05", 120, 70)]}  # fmt: skip
    for pid, taken in readings.items():
        diabetic(system, pid, frailty="severe" if pid == "B6" else "mild")
        for day, sbp, dbp in taken:
            event(system, pid, day, "sbp", sbp)
            event(system, pid, "2026-01-06" if pid == "B4" else day, "dbp", dbp)
    assert_proportion(kpi(system.compute(), "dm_bp_control"), 3, 6)


def test_cholesterol_control_threshold_4(system):
    # L1 4.0 → yes; L2 4.1 → no; L3 3.5 in February 2025 → too old; L4 none → no. 1 / 4.
    for pid in ("L1", "L2", "L3", "L4"):
        diabetic(system, pid)
    event(system, "L1", "2025-11-01", "cholesterol", 4.0)
    event(system, "L2", "2025-11-01", "cholesterol", 4.1)
    event(system, "L3", "2025-02-15", "cholesterol", 3.5)
    assert_proportion(kpi(system.compute(), "dm_cholesterol_control"), 1, 4)


def test_triple_target_needs_all_three_and_keeps_the_frail(system):
    # T1 HbA1c 50, 130/70, cholesterol 3.9 → yes; T2 as T1 but cholesterol 4.5 → no;
    # T3 as T1 but HbA1c 60 → no; T4 as T1, severely frail → yes (not excluded). 2 / 4.
    results = {"T1": (50, 3.9), "T2": (50, 4.5), "T3": (60, 3.9), "T4": (50, 3.9)}
    for pid, (hba1c, cholesterol) in results.items():
        diabetic(system, pid, frailty="severe" if pid == "T4" else "fit")
        event(system, pid, "2026-01-05", "hba1c", hba1c)
        event(system, pid, "2026-01-05", "sbp", 130)
        event(system, pid, "2026-01-05", "dbp", 70)
        event(system, pid, "2026-01-05", "cholesterol", cholesterol)
    frame = system.compute()
    assert_proportion(kpi(frame, "dm_triple_target"), 2, 4)
    # The same people for dm_hba1c_control: T4 is excluded, T1 and T2 pass → 2 / 3.
    assert_proportion(kpi(frame, "dm_hba1c_control"), 2, 3)


# --- dm_care_plan, dm_retinal_screening ---------------------------------------------------


def test_care_plan_and_retinal_screening_in_12_months(system):
    # March window: 1 April 2025 – 31 March 2026.
    # Care plans: G1 1 April 2025 → in; G2 15 March 2025 → out; G3 none. 1 / 3.
    # Retinal screening: G1 31 March 2026 (the period end) → in; G2 20 January 2025 → out;
    # G3 1 June 2025 → in. 2 / 3.
    for pid in ("G1", "G2", "G3"):
        diabetic(system, pid)
    event(system, "G1", "2025-04-01", "care_plan")
    event(system, "G2", "2025-03-15", "care_plan")
    event(system, "G1", "2026-03-31", "retinal_screening")
    event(system, "G2", "2025-01-20", "retinal_screening")
    event(system, "G3", "2025-06-01", "retinal_screening")
    frame = system.compute()
    assert_proportion(kpi(frame, "dm_care_plan"), 1, 3)
    assert_proportion(kpi(frame, "dm_retinal_screening"), 2, 3)


# --- dm_structured_education --------------------------------------------------------------


def test_structured_education_cohort_and_9_month_referral(system):
    # March 2026: the cohort was diagnosed after 30 June 2024 (21 months before 31 March
    # 2026) and on or before 30 June 2025 (9 months before).
    # E1 diagnosed 1 Sep 2024, referred 15 Jan 2025 (4½ months) → yes.
    # E2 diagnosed 1 Sep 2024, referred 1 Jul 2025 (10 months) → no.
    # E3 diagnosed 10 May 2025, no referral → no.
    # E4 diagnosed 1 Sep 2024, referred 20 Aug 2024 (before diagnosis) → no.
    # E5 diagnosed 1 Aug 2025 (8 months before): not yet in the cohort.
    # E6 diagnosed 1 May 2024 (23 months before): no longer in the cohort.
    diagnosed = {"E1": "2024-09-01", "E2": "2024-09-01", "E3": "2025-05-10",
                 "E4": "2024-09-01", "E5": "2025-08-01", "E6": "2024-05-01"}  # fmt: skip
    for pid, day in diagnosed.items():
        diabetic(system, pid, diagnosed=day)
    event(system, "E1", "2025-01-15", "structured_education_referral")
    event(system, "E2", "2025-07-01", "structured_education_referral")
    event(system, "E4", "2024-08-20", "structured_education_referral")
    event(system, "E5", "2025-09-01", "structured_education_referral")
    event(system, "E6", "2024-06-01", "structured_education_referral")
    assert_proportion(kpi(system.compute(), "dm_structured_education"), 1, 4)


def test_structured_education_leaves_out_a_resolved_diagnosis(system):
    # R1 and R2 diagnosed 1 Sep 2024 and referred in time; R2's diabetes was resolved on
    # 1 Dec 2025, so R2 is not on the register at 31 March 2026 and not in the
    # denominator ("diabetes register (DM, not resolved)"). 1 / 1.
    diabetic(system, "R1", diagnosed="2024-09-01")
    diabetic(system, "R2", diagnosed="2024-09-01", resolved="2025-12-01")
    event(system, "R1", "2024-10-01", "structured_education_referral")
    event(system, "R2", "2024-10-01", "structured_education_referral")
    assert_proportion(kpi(system.compute(), "dm_structured_education"), 1, 1)


# --- immunisations ------------------------------------------------------------------------


def child(system, pid: str, born: str) -> None:
    person(system, pid, birth_month=born, registered_from=f"{born}-01")


def test_dtap_three_doses_by_8_months(system):
    # Reached 8 months in April 2025 – March 2026: born August 2024 – July 2025.
    # K1 born Jan 2025, doses Mar, Apr, May 2025 → yes.
    # K2 born Jan 2025, two doses → no.
    # K3 born Aug 2024, third dose 15 May 2025 (9 months old) → no.
    # K4 born Jul 2025, doses Sep, Oct, Nov 2025 → yes.
    # K5 born Jul 2024 (8 months in March 2025) and K6 born Aug 2025 (8 months in April
    # 2026): not in the cohort, though both are fully vaccinated.
    doses = {"K1": ("2025-01", ["2025-03-10", "2025-04-10", "2025-05-10"]),
             "K2": ("2025-01", ["2025-03-10", "2025-04-10"]),
             "K3": ("2024-08", ["2024-10-10", "2024-11-10", "2025-05-15"]),
             "K4": ("2025-07", ["2025-09-10", "2025-10-10", "2025-11-10"]),
             "K5": ("2024-07", ["2024-09-10", "2024-10-10", "2024-11-10"]),
             "K6": ("2025-08", ["2025-10-10", "2025-11-10", "2025-12-10"])}  # fmt: skip
    for pid, (born, days) in doses.items():
        child(system, pid, born)
        for day in days:
            event(system, pid, day, "dtap_ipv_hib_hepb")
    assert_proportion(kpi(system.compute(), "imm_dtap_8m"), 2, 4)


def test_mmr_between_12_and_18_months(system):
    # Reached 18 months in April 2025 – March 2026: born October 2023 – September 2024.
    # M1 born Jan 2024, MMR 10 Feb 2025 (13 months) → yes.
    # M2 born Jan 2024, MMR 10 Dec 2024 (11 months: too early) → no.
    # M3 born Oct 2023, MMR 10 Jun 2025 (20 months: too late) → no.
    # M4 born Jan 2024, no MMR → no.
    # M5 born Aug 2023 (18 months in February 2025): not in the cohort.
    doses = {"M1": ("2024-01", "2025-02-10"), "M2": ("2024-01", "2024-12-10"),
             "M3": ("2023-10", "2025-06-10"), "M4": ("2024-01", ""),
             "M5": ("2023-08", "2024-10-10")}  # fmt: skip
    for pid, (born, day) in doses.items():
        child(system, pid, born)
        if day:
            event(system, pid, day, "mmr")
    assert_proportion(kpi(system.compute(), "imm_mmr1_18m"), 1, 4)


# --- cervical screening -------------------------------------------------------------------


def test_cervical_screening_25_49_in_42_months(system):
    # 42 months before 31 March 2026 is 30 September 2022. Women born March 1990 are 36.
    # W1 screened 10 Jan 2023 → yes; W2 10 Aug 2022 (43 months) → no; W3 never → no.
    # W4 a man; W5 born April 2001, 24 at the period end: not in the denominator.
    for pid, born, sex in [("W1", "1990-03", "2"), ("W2", "1990-03", "2"),
                           ("W3", "1990-03", "2"), ("W4", "1990-03", "1"),
                           ("W5", "2001-04", "2")]:  # fmt: skip
        person(system, pid, birth_month=born, sex=sex, registered_from="2005-01-01")
    event(system, "W1", "2023-01-10", "cervical_screening")
    event(system, "W2", "2022-08-10", "cervical_screening")
    event(system, "W4", "2023-01-10", "cervical_screening")
    event(system, "W5", "2023-01-10", "cervical_screening")
    assert_proportion(kpi(system.compute(), "cervical_screening_25_49"), 1, 3)


def test_cervical_screening_50_64_in_66_months(system):
    # 66 months before 31 March 2026 is 30 September 2020.
    # V1 (born March 1970, 56) screened 10 Jan 2021 (62 months: in 66, not 42) → yes.
    # V2 (56) screened 10 Jun 2020 (69 months) → no.
    # V3 born March 1960 (66): too old. V4 born April 1961 (64), never screened → no.
    for pid, born in [("V1", "1970-03"), ("V2", "1970-03"), ("V3", "1960-03"),
                      ("V4", "1961-04")]:  # fmt: skip
        person(system, pid, birth_month=born, sex="2")
    event(system, "V1", "2021-01-10", "cervical_screening")
    event(system, "V2", "2020-06-10", "cervical_screening")
    event(system, "V3", "2021-01-10", "cervical_screening")
    frame = system.compute()
    assert_proportion(kpi(frame, "cervical_screening_50_64"), 1, 3)
    # None of them is 25–49.
    row = kpi(frame, "cervical_screening_25_49")
    assert (row["numerator"], row["denominator"]) == (0, 0)


# --- high-risk register ------------------------------------------------------------------


def test_high_risk_register_coverage_of_adults(system):
    # Adults at 31 March 2026: X1 (76, on), X2 (40), X3 (30), X4 (born March 2008: 18, on).
    # X5 (10, on) and X6 (born April 2008: 17, on) are children. 2 / 4 = 50%.
    for pid, born, on in [("X1", "1950-03", "true"), ("X2", "1986-01", "false"),
                          ("X3", "1996-01", "false"), ("X4", "2008-03", "true"),
                          ("X5", "2016-01", "true"), ("X6", "2008-04", "true")]:  # fmt: skip
        person(system, pid, birth_month=born, high_risk_register=on,
               registered_from="2016-02-01")  # fmt: skip
    assert_proportion(kpi(system.compute(), "high_risk_register_coverage"), 2, 4)


def test_anticipatory_care_plans_of_the_high_risk_register(system):
    # On the register and registered at 31 March 2026: A1 (plan 1 Jun 2025 → yes),
    # A2 (plan 1 Feb 2025, too old → no), A3 (no plan → no). 1 / 3.
    # A4 has a plan but is not on the register; A5 is on it but left on 20 February 2026.
    for pid in ("A1", "A2", "A3"):
        person(system, pid, high_risk_register="true")
    person(system, "A4", high_risk_register="false")
    person(system, "A5", high_risk_register="true", registered_to="2026-02-20")
    for pid, day in [("A1", "2025-06-01"), ("A2", "2025-02-01"), ("A4", "2025-06-01"),
                     ("A5", "2025-06-01")]:  # fmt: skip
        event(system, pid, day, "anticipatory_care_plan")
    frame = system.compute()
    assert_proportion(kpi(frame, "anticipatory_care_plans"), 1, 3)
    # January: A5 is still registered and A2's plan (1 Feb 2025) is inside the window from
    # 1 February 2025: A1, A2, A5 of A1, A2, A3, A5 = 3 / 4.
    assert_proportion(kpi(frame, "anticipatory_care_plans", "2026-01-01"), 3, 4)
    # The quarter is March's value, not (3 + 2 + 1) / (4 + 4 + 3) summed over the months.
    assert_proportion(kpi(frame, "anticipatory_care_plans", "2026-01-01", "quarter"), 1, 3)


def test_the_financial_year_takes_its_last_month(year_system):
    # April 2025 – March 2026. P1 on the register all year, plan 1 June 2025: in every
    # month from June. P2 joins the practice on 1 January 2026, no plan. March: 1 / 2.
    person(year_system, "P1", high_risk_register="true")
    person(year_system, "P2", high_risk_register="true", registered_from="2026-01-01")
    event(year_system, "P1", "2025-06-01", "anticipatory_care_plan")
    frame = year_system.compute()
    assert_proportion(kpi(frame, "anticipatory_care_plans", "2025-04-01", "fy"), 1, 2)
    assert_proportion(kpi(frame, "anticipatory_care_plans", "2025-05-01"), 0, 1)
