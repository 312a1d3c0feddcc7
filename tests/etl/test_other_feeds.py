"""Every other feed of the contract: a valid file loads with exactly these stored values, and
a row breaking the feed's own rule is quarantined under that rule."""

from __future__ import annotations

from datetime import date

import pytest

from tests.etl.conftest import table_rows, write_csv
from tests.etl.rows import (
    care_home_row,
    condition_row,
    death_row,
    gp_event_row,
    indicator_row,
    org_row,
    patient_row,
    quarantine,
    survey_row,
)


def load_with_one_bad_row(tmp_path, load, feed: str, good: list[dict], bad: dict):
    """Loads `good` then `bad` (on the last line); the bad row alone is quarantined."""
    [result] = load(write_csv(tmp_path / f"{feed}.csv", [*good, bad]))
    assert (result.outcome, result.feed) == ("loaded", feed), result.message
    counts = result.counts
    assert (counts.rows_read, counts.rows_accepted, counts.rows_quarantined) == (
        len(good) + 1, len(good), 1,
    )  # fmt: skip
    return len(good) + 2


def test_organisations(tmp_path, settings, load):
    rows = [org_row("A84005"), org_row("A84006", "U22222", valid_to="2025-03-31")]
    [result] = load(write_csv(tmp_path / "organisations.csv", rows))
    assert (result.feed, result.counts.rows_accepted) == ("organisations", 2)
    assert table_rows(settings, "organisations", "practice_code") == [
        ("A84005", "Practice A84005", "U11111", "Network U11111", "L1", "North", "AR1", "Leeds",
         "E08000035", date(2020, 4, 1), None, 1),
        ("A84006", "Practice A84006", "U22222", "Network U22222", "L1", "North", "AR1", "Leeds",
         "E08000035", date(2020, 4, 1), date(2025, 3, 31), 1),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "column", "value", "rule"),
    [
        (dict(valid_to="2019-01-01"), "valid_to", "2019-01-01", "valid_to_before_valid_from"),
        (dict(la_code="W06000001"), "la_code", "W06000001", "invalid_la_code"),
        (dict(practice_code="a84"), "practice_code", "a84", "invalid_practice_code"),
    ],
)
def test_organisations_rules(tmp_path, settings, load, changes, column, value, rule):
    good = [org_row(f"B{81000 + n}") for n in range(30)]
    line = load_with_one_bad_row(
        tmp_path, load, "organisations", good, org_row("C81000", **changes)
    )
    assert quarantine(settings) == [("organisations.csv", line, column, value, rule)]


def test_patients_recode_sex_and_read_the_birth_month(tmp_path, settings, load):
    rows = [
        patient_row("P1", sex="M", care_home_resident="yes", high_risk_register="N"),
        patient_row("P2", sex="f", birth_month="2001-12", registered_from="2002-01-01",
                    registered_to="2025-06-30",
                    frailty="Severe", risk_score="", lsoa="W01001234"),
        patient_row("P3", sex="9", care_home_resident="", frailty=""),
    ]  # fmt: skip
    [result] = load(write_csv(tmp_path / "patients.csv", rows))
    assert (result.feed, result.counts.rows_accepted) == ("patients", 3)
    assert table_rows(settings, "patients", "person_id") == [
        ("P1", "A84005", "1", date(1950, 3, 1), "E01000001", date(2000, 1, 1), None, True,
         "mild", 0.25, False, 1),
        ("P2", "A84005", "2", date(2001, 12, 1), "W01001234", date(2002, 1, 1),
         date(2025, 6, 30), False, "severe", None, True, 1),
        ("P3", "A84005", "9", date(1950, 3, 1), "E01000001", date(2000, 1, 1), None, None,
         None, 0.25, True, 1),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "column", "value", "rule"),
    [
        (dict(birth_month="1950-03-14"), "birth_month", "1950-03-14", "invalid_month"),
        (dict(birth_month="1950-13"), "birth_month", "1950-13", "invalid_month"),
        (dict(birth_month="2099-01", registered_from="2099-02-01"), "birth_month", "2099-01",
         "future_date"),
        (dict(sex="X"), "sex", "X", "invalid_code"),
        (dict(risk_score="1.5"), "risk_score", "1.5", "out_of_range"),
        (dict(registered_from="1949-12-01"), "registered_from", "1949-12-01",
         "registered_before_birth"),
        (dict(registered_to="1999-01-01"), "registered_to", "1999-01-01",
         "registered_to_before_registered_from"),
        (dict(care_home_resident="sometimes"), "care_home_resident", "sometimes",
         "invalid_boolean"),
        (dict(frailty="frail"), "frailty", "frail", "invalid_code"),
        (dict(lsoa="S01000001"), "lsoa", "S01000001", "invalid_lsoa"),
    ],
)  # fmt: skip
def test_patients_rules(tmp_path, settings, load, changes, column, value, rule):
    good = [patient_row(f"P{n}") for n in range(30)]
    bad = patient_row("PX", **changes)
    line = load_with_one_bad_row(tmp_path, load, "patients", good, bad)
    expected = [("patients.csv", line, column, value, rule)]
    if column == "birth_month" and rule == "future_date":
        expected.append(("patients.csv", line, "registered_from", "2099-02-01", "future_date"))
    assert quarantine(settings) == expected


def test_conditions(tmp_path, settings, load):
    rows = [condition_row("P1", condition="copd"), condition_row("P1", resolved_on="2024-01-01")]
    [result] = load(write_csv(tmp_path / "conditions.csv", rows))
    assert (result.feed, result.counts.rows_accepted) == ("conditions", 2)
    assert table_rows(settings, "conditions", "condition") == [
        ("P1", "COPD", date(2020, 1, 15), None, 1),
        ("P1", "DM", date(2020, 1, 15), date(2024, 1, 1), 1),
    ]
    good = [condition_row(f"P{n}") for n in range(30)]
    bad = condition_row("PX", condition="ASTHMA", resolved_on="2019-12-31")
    line = load_with_one_bad_row(tmp_path, load, "conditions", good, bad)
    assert quarantine(settings) == [
        ("conditions.csv", line, "condition", "ASTHMA", "invalid_code"),
        ("conditions.csv", line, "resolved_on", "2019-12-31", "resolved_before_diagnosed"),
    ]


def test_gp_events(tmp_path, settings, load):
    rows = [
        gp_event_row("P1", code="HbA1c", value="48.5"),
        gp_event_row("P1", code="foot_check", value=""),
        gp_event_row("P2", code="SBP", value="142"),
    ]
    [result] = load(write_csv(tmp_path / "gp_events.csv", rows))
    assert (result.feed, result.counts.rows_accepted) == ("gp_events", 3)
    assert table_rows(settings, "gp_events", "person_id, code") == [
        ("P1", date(2026, 2, 1), "foot_check", None, 1),
        ("P1", date(2026, 2, 1), "hba1c", 48.5, 1),
        ("P2", date(2026, 2, 1), "sbp", 142.0, 1),
    ]


@pytest.mark.parametrize(
    ("changes", "column", "value", "rule"),
    [
        (dict(code="dbp", value=""), "value", None, "measurement_without_value"),
        (dict(code="weight"), "code", "weight", "invalid_code"),
        (dict(value="-4"), "value", "-4", "out_of_range"),
        (dict(event_date="2099-12-31"), "event_date", "2099-12-31", "future_date"),
    ],
)
def test_gp_events_rules(tmp_path, settings, load, changes, column, value, rule):
    good = [gp_event_row(f"P{n}") for n in range(30)]
    line = load_with_one_bad_row(tmp_path, load, "gp_events", good, gp_event_row("PX", **changes))
    assert quarantine(settings) == [("gp_events.csv", line, column, value, rule)]


def test_deaths(tmp_path, settings, load):
    rows = [death_row("P1", sex="F", pod="Care_Home"), death_row("P2", gpprac="", pod="")]
    [result] = load(write_csv(tmp_path / "deaths.csv", rows))
    assert (result.feed, result.counts.rows_accepted) == ("deaths", 2)
    assert table_rows(settings, "deaths", "person_id") == [
        ("P1", date(2026, 3, 1), "2", 85, "A84005", "care_home", "I219", 1),
        ("P2", date(2026, 3, 1), "2", 85, None, None, "I219", 1),
    ]


@pytest.mark.parametrize(
    ("changes", "column", "value", "rule"),
    [
        (dict(age="-1"), "age", "-1", "out_of_range"),
        (dict(age="121"), "age", "121", "out_of_range"),
        (dict(pod="street"), "pod", "street", "invalid_code"),
        (dict(icd10u="I21.9"), "icd10u", "I21.9", "invalid_icd10"),
        (dict(dod="2099-01-01"), "dod", "2099-01-01", "future_date"),
    ],
)
def test_deaths_rules(tmp_path, settings, load, changes, column, value, rule):
    good = [death_row(f"P{n}") for n in range(30)]
    line = load_with_one_bad_row(tmp_path, load, "deaths", good, death_row("PX", **changes))
    assert quarantine(settings) == [("deaths.csv", line, column, value, rule)]


def test_care_home_admissions_allow_a_blank_person(tmp_path, settings, load):
    rows = [
        care_home_row("E1", setting="Residential", permanent="false"),
        care_home_row("E2", person_id="", sex=""),
    ]
    [result] = load(write_csv(tmp_path / "care_home_admissions.csv", rows))
    assert (result.feed, result.counts.rows_accepted) == ("care_home_admissions", 2)
    assert table_rows(settings, "care_home_admissions", "event_id") == [
        ("E1", "PE1", "E08000035", date(2026, 3, 1), "residential", False, 85, "2", 1),
        ("E2", None, "E08000035", date(2026, 3, 1), "nursing", True, 85, None, 1),
    ]
    good = [care_home_row(f"E{n}") for n in range(10, 40)]
    bad = care_home_row("EX", person_id="", la_code="", permanent="maybe")
    line = load_with_one_bad_row(tmp_path, load, "care_home_admissions", good, bad)
    assert quarantine(settings) == [
        ("care_home_admissions.csv", line, "la_code", None, "missing_value"),
        ("care_home_admissions.csv", line, "permanent", "maybe", "invalid_boolean"),
    ]


def test_survey_responses(tmp_path, settings, load):
    rows = [
        survey_row("R1"),
        survey_row("R2", eq5d_version="3l", eq5d_mo="3", eq5d_sc="1", eq5d_ua="1", eq5d_pd="2",
                   eq5d_ad="1", eq5d_vas="", respondent="Carer", coordinated_care=""),
        survey_row("R3", eq5d_version="", eq5d_mo="", eq5d_sc="", eq5d_ua="", eq5d_pd="",
                   eq5d_ad=""),
    ]  # fmt: skip
    [result] = load(write_csv(tmp_path / "survey_responses.csv", rows))
    assert (result.feed, result.counts.rows_accepted) == ("survey_responses", 3)
    assert table_rows(settings, "survey_responses", "response_id") == [
        ("R1", "A84005", "patient", date(2026, 3, 1), "5L", 1, 2, 3, 4, 5, 70,
         "yes_definitely", "very", 1),
        ("R2", "A84005", "carer", date(2026, 3, 1), "3L", 3, 1, 1, 2, 1, None, None, "very", 1),
        ("R3", "A84005", "patient", date(2026, 3, 1), None, None, None, None, None, None, 70,
         "yes_definitely", "very", 1),
    ]  # fmt: skip


def test_a_3l_response_above_level_3_is_quarantined(tmp_path, settings, load):
    good = [survey_row(f"R{n}") for n in range(30)]
    bad = survey_row("RX", eq5d_version="3L", eq5d_mo="1", eq5d_sc="1", eq5d_ua="1", eq5d_pd="4",
                     eq5d_ad="2")  # fmt: skip
    line = load_with_one_bad_row(tmp_path, load, "survey_responses", good, bad)
    assert quarantine(settings) == [
        ("survey_responses.csv", line, "eq5d_pd", "4", "eq5d_level_above_3l_range"),
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (dict(eq5d_version="", eq5d_mo="", eq5d_sc="", eq5d_ua="", eq5d_pd="", eq5d_ad="2"),
         [("eq5d_ad", "2", "eq5d_level_without_version")]),
        (dict(eq5d_mo="6"), [("eq5d_mo", "6", "out_of_range")]),
        (dict(eq5d_vas="101"), [("eq5d_vas", "101", "out_of_range")]),
        (dict(eq5d_version="4L"), [("eq5d_version", "4L", "invalid_code")]),
        (dict(respondent="friend"), [("respondent", "friend", "invalid_code")]),
        (dict(self_manage_confidence="somewhat"),
         [("self_manage_confidence", "somewhat", "invalid_code")]),
    ],
)  # fmt: skip
def test_survey_rules(tmp_path, settings, load, changes, expected):
    good = [survey_row(f"R{n}") for n in range(30)]
    line = load_with_one_bad_row(
        tmp_path, load, "survey_responses", good, survey_row("RX", **changes)
    )
    assert quarantine(settings) == [("survey_responses.csv", line, *item) for item in expected]


def test_aggregate_indicators(tmp_path, settings, load):
    rows = [indicator_row(), indicator_row("qof_dm_control", org_code="u11111", denominator="")]
    [result] = load(write_csv(tmp_path / "aggregate_indicators.csv", rows))
    assert (result.feed, result.counts.rows_accepted) == ("aggregate_indicators", 2)
    assert table_rows(settings, "aggregate_indicators", "indicator_id") == [
        ("gpps_overall", "A84005", date(2025, 1, 1), date(2025, 3, 31), 40.0, 50.0, 1),
        ("qof_dm_control", "U11111", date(2025, 1, 1), date(2025, 3, 31), 40.0, None, 1),
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (dict(numerator="51"), [("numerator", "51", "numerator_above_denominator")]),
        (dict(period_end="2024-12-31"),
         [("period_end", "2024-12-31", "period_end_before_period_start")]),
        (dict(indicator_id="GPPS Overall"),
         [("indicator_id", "GPPS Overall", "invalid_indicator_id")]),
        (dict(numerator=""), [("numerator", None, "missing_value")]),
    ],
)  # fmt: skip
def test_aggregate_indicator_rules(tmp_path, settings, load, changes, expected):
    good = [indicator_row(org_code=f"B{81000 + n}") for n in range(30)]
    bad = indicator_row(org_code="X", **changes)
    line = load_with_one_bad_row(tmp_path, load, "aggregate_indicators", good, bad)
    assert quarantine(settings) == [("aggregate_indicators.csv", line, *item) for item in expected]
