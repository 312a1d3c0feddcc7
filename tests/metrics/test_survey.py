"""Patient and carer survey measures: EQ-5D index, co-ordinated care and self-management.

eq5d_index is the mean index of patient responses with all five levels (3L: UK TTO, Dolan
1997; 5L: England value set, Devlin 2018), not shown under 10 responses. coordinated_care
(patients) and coordinated_care_carers count yes_definitely + yes_somewhat over answers
other than not_needed and dont_know; self_management counts very + fairly confident over
answers other than dont_know (METRICS.md). Index values are worked from METRICS.md's tables.
"""

from __future__ import annotations

import math
import statistics

import pytest

from tests.metrics.conftest import FixtureSystem, value


def new_system(tmp_path_factory) -> FixtureSystem:
    """A fixture system for January to March 2026, shared by a module's tests."""
    return FixtureSystem(tmp_path_factory.mktemp("system"), ("2026-01", "2026-02", "2026-03"))


# (version, state, index worked by hand)
STATES = [
    ("3L", "11111", 1.0),
    ("3L", "21111", 1 - 0.081 - 0.069),  # 0.850
    ("3L", "11122", 1 - 0.081 - 0.123 - 0.071),  # 0.725
    ("3L", "32211", 1 - 0.081 - 0.314 - 0.104 - 0.036 - 0.269),  # 0.196: a level 3
    ("5L", "11111", 1.0),
    ("5L", "12345", 1 - 0.050 - 0.063 - 0.276 - 0.289),  # 0.322
    ("5L", "21111", 1 - 0.058),  # 0.942
    ("5L", "55555", 1 - 0.274 - 0.203 - 0.184 - 0.335 - 0.289),  # -0.285
    ("5L", "13524", 1 - 0.080 - 0.184 - 0.063 - 0.285),  # 0.388
    ("5L", "22222", 1 - 0.058 - 0.050 - 0.050 - 0.063 - 0.078),  # 0.701
]
T_975_DF9 = 2.2621571628  # Student's t, 97.5th percentile, 9 degrees of freedom


def respond(system, response: str, practice: str = "A00001", respondent: str = "patient",
            version: str = "3L", state: str = "11111", **changes) -> None:  # fmt: skip
    """Adds a March 2026 response with the given EQ-5D state (levels MO, SC, UA, PD, AD)."""
    levels = dict(zip(("eq5d_mo", "eq5d_sc", "eq5d_ua", "eq5d_pd", "eq5d_ad"), state, strict=True))
    fields = dict(gpprac=practice, respondent=respondent, response_date="2026-03-10",
                  eq5d_version=version, **levels)  # fmt: skip
    system.add("survey_responses", response, **(fields | changes))


@pytest.fixture(scope="module")
def eq5d_frame(tmp_path_factory):
    """A00001: the ten patient responses of STATES, a carer's and an incomplete one.

    A00002: nine patient responses in full health (3L 11111).
    """
    system = new_system(tmp_path_factory)
    assert system.settings.eq5d_5l_value_set == "england"  # the default: Devlin 2018
    for number, (version, state, _) in enumerate(STATES):
        respond(system, f"R{number}", version=version, state=state)
    respond(system, "CARER", respondent="carer", state="33333")
    respond(system, "PART", state="11111", eq5d_ad="")
    for number in range(9):
        respond(system, f"B{number}", practice="A00002")
    return system.compute()


def test_eq5d_mean_of_3l_and_5l_patient_responses(eq5d_frame):
    indices = [index for *_, index in STATES]
    # 1 + 0.85 + 0.725 + 0.196 + 1 + 0.322 + 0.942 − 0.285 + 0.388 + 0.701 = 5.839 → 0.5839.
    assert sum(indices) == pytest.approx(5.839)
    row = value(eq5d_frame, "eq5d_index", "practice", "A00001", "2026-03-01")
    # The carer's response and the one without eq5d_ad are not counted: 10 responses.
    assert row["denominator"] == 10
    assert row["numerator"] == pytest.approx(5.839)
    assert row["value"] == pytest.approx(5.839 / 10)


def test_eq5d_limits_are_the_t_interval(eq5d_frame):
    indices = [index for *_, index in STATES]
    half = T_975_DF9 * statistics.stdev(indices) / math.sqrt(10)
    row = value(eq5d_frame, "eq5d_index", "practice", "A00001", "2026-03-01")
    assert row["lower_95"] == pytest.approx(0.5839 - half)
    assert row["upper_95"] == pytest.approx(0.5839 + half)


def test_eq5d_is_not_shown_under_10_responses(eq5d_frame):
    row = value(eq5d_frame, "eq5d_index", "practice", "A00002", "2026-03-01")
    assert (row["numerator"], row["denominator"]) == (9, 9)
    assert math.isnan(row["value"])
    assert math.isnan(row["lower_95"])


def test_eq5d_is_shown_when_the_network_has_enough(eq5d_frame):
    # U00001 = A00001 (10 responses, sum 5.839) + A00002 (9 × 1.0): 14.839 / 19.
    row = value(eq5d_frame, "eq5d_index", "network", "U00001", "2026-03-01")
    assert row["denominator"] == 19
    assert row["value"] == pytest.approx((5.839 + 9) / 19)


def test_carers_are_excluded_from_eq5d(system):
    # Ten carers in full health and one patient at 3L 32211 (0.196): the mean is the
    # patient's alone, 1 response, so no value is shown.
    for number in range(10):
        respond(system, f"C{number}", respondent="carer")
    respond(system, "P", state="32211")
    row = value(system.compute(), "eq5d_index", "practice", "A00001", "2026-03-01")
    assert (row["numerator"], row["denominator"]) == (pytest.approx(0.196), 1)
    assert math.isnan(row["value"])


@pytest.fixture(scope="module")
def experience_frame(tmp_path_factory):
    """Six patient and six carer answers to each question at A00001 in March 2026."""
    system = new_system(tmp_path_factory)
    patients = [("yes_definitely", "very"), ("yes_somewhat", "fairly"), ("no", "not_very"),
                ("not_needed", "not_at_all"), ("dont_know", "dont_know"), ("", "")]  # fmt: skip
    carers = [("yes_definitely", "very"), ("yes_somewhat", "very"), ("no", "very"),
              ("no", "very"), ("not_needed", ""), ("dont_know", "")]  # fmt: skip
    for who, answers in (("patient", patients), ("carer", carers)):
        for number, (coordinated, confidence) in enumerate(answers):
            respond(system, f"{who}{number}", respondent=who, coordinated_care=coordinated,
                    self_manage_confidence=confidence)  # fmt: skip
    return system.compute()


def test_coordinated_care_excludes_not_needed_and_dont_know(experience_frame):
    # Patients: yes_definitely, yes_somewhat of {yes_definitely, yes_somewhat, no} = 2 / 3;
    # not_needed, dont_know and the blank are out, and carers are not counted.
    row = value(experience_frame, "coordinated_care", "practice", "A00001", "2026-03-01")
    assert (row["numerator"], row["denominator"]) == (2, 3)
    assert row["value"] == pytest.approx(2 / 3 * 100)


def test_carers_are_reported_in_coordinated_care_carers(experience_frame):
    # Carers: yes_definitely, yes_somewhat of {those, no, no} = 2 / 4 = 50%.
    row = value(experience_frame, "coordinated_care_carers", "practice", "A00001", "2026-03-01")
    assert (row["numerator"], row["denominator"]) == (2, 4)
    assert row["value"] == pytest.approx(50)


def test_self_management_excludes_dont_know(experience_frame):
    # Patients: very, fairly of {very, fairly, not_very, not_at_all} = 2 / 4 = 50%;
    # dont_know and the blank are out, and the carers' four "very" are not counted.
    row = value(experience_frame, "self_management", "practice", "A00001", "2026-03-01")
    assert (row["numerator"], row["denominator"]) == (2, 4)
    assert row["value"] == pytest.approx(50)


def test_survey_measures_roll_up_to_the_system(experience_frame):
    row = value(experience_frame, "coordinated_care", "system", "SYSTEM", "2026-03-01")
    assert (row["numerator"], row["denominator"]) == (2, 3)
    row = value(experience_frame, "coordinated_care", "practice", "A00002", "2026-03-01")
    assert (row["numerator"], row["denominator"]) == (0, 0)
    assert math.isnan(row["value"])
