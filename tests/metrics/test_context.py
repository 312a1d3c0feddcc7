"""Context measures (METRICS.md, "Context measures"): registered population, age mix,
recorded prevalence, frailty, the high-risk register and the IMD quintile mix.

They are statuses at the period end, so a quarter shows its last month. The default
fixture population, per practice, is 10 men and 10 women at each single year of age 0–94
and 20 people at 95+:
    everyone: 95 × 20 + 20 = 1,920
    aged 65+: (94 − 65 + 1) × 20 + 20 = 620
    aged 75+: (94 − 75 + 1) × 20 + 20 = 420
"""

from __future__ import annotations

import pytest

from etl.load import load_files
from sample_data.deprivation import COLUMNS as IMD_COLUMNS
from tests.etl.conftest import write_csv
from tests.metrics.conftest import FixtureSystem, value


def new_system(tmp_path_factory) -> FixtureSystem:
    """A fixture system for January to March 2026, shared by a module's tests."""
    return FixtureSystem(tmp_path_factory.mktemp("system"), ("2026-01", "2026-02", "2026-03"))


EVERYONE = 95 * 20 + 20  # 1,920
AGED_65 = 30 * 20 + 20  # 620
AGED_75 = 20 * 20 + 20  # 420
MARCH = "2026-03-01"


def assert_share(row: dict, numerator: float, denominator: float) -> None:
    assert (row["numerator"], row["denominator"]) == (numerator, denominator)
    assert row["value"] == pytest.approx(numerator / denominator * 100)


def person(system, pid: str, practice: str = "A00001", **changes) -> None:
    fields = dict(gpprac=practice, birth_month="1980-01", frailty="fit", lsoa="",
                  high_risk_register="false", registered_from="2000-01-01")  # fmt: skip
    system.add("patients", pid, **(fields | changes))


@pytest.fixture(scope="module")
def population_frame(tmp_path_factory):
    """A00001–A00003 have the default population; A00004 has 60 men aged 30, 30 men aged
    70 and 10 women aged 80 (100 people, 40 aged 65+, 10 aged 75+)."""
    system = new_system(tmp_path_factory)
    system.set_population("A00004", {("MALE", "30"): 60, ("MALE", "70"): 30,
                                     ("FEMALE", "80"): 10})  # fmt: skip
    return system.compute()


def test_registered_population_is_the_extract_count(population_frame):
    row = value(population_frame, "registered_population", "practice", "A00001", MARCH)
    assert row["numerator"] == row["value"] == EVERYONE
    # System: 3 × 1,920 + 100 = 5,860; area AR2 is A00004 alone.
    row = value(population_frame, "registered_population", "system", "SYSTEM", MARCH)
    assert row["value"] == 3 * EVERYONE + 100
    assert value(population_frame, "registered_population", "area", "AR2", MARCH)["value"] == 100


def test_registered_population_of_a_quarter_is_its_last_month(population_frame):
    # Q1 2026 is March's 1,920, not January + February + March (5,760).
    row = value(population_frame, "registered_population", "practice", "A00001", "2026-01-01",
                "quarter")  # fmt: skip
    assert row["value"] == EVERYONE


def test_pct_aged_65plus(population_frame):
    # A00001: 620 / 1,920 = 32.29%; A00004: 40 / 100; system (3 × 620 + 40) / 5,860.
    frame = population_frame
    assert_share(value(frame, "pct_aged_65plus", "practice", "A00001", MARCH), AGED_65, EVERYONE)
    assert_share(value(frame, "pct_aged_65plus", "practice", "A00004", MARCH), 40, 100)
    assert_share(value(frame, "pct_aged_65plus", "system", "SYSTEM", MARCH),
                 3 * AGED_65 + 40, 3 * EVERYONE + 100)  # fmt: skip


def test_pct_aged_75plus(population_frame):
    # A00001: 420 / 1,920 = 21.875%; A00004: 10 / 100; system (3 × 420 + 10) / 5,860.
    frame = population_frame
    assert_share(value(frame, "pct_aged_75plus", "practice", "A00001", MARCH), AGED_75, EVERYONE)
    assert_share(value(frame, "pct_aged_75plus", "practice", "A00004", MARCH), 10, 100)
    assert_share(value(frame, "pct_aged_75plus", "system", "SYSTEM", MARCH),
                 3 * AGED_75 + 10, 3 * EVERYONE + 100)  # fmt: skip


@pytest.fixture(scope="module")
def register_frame(tmp_path_factory):
    """Five patients at A00001: N1 DM; N2 DM resolved 10 Feb 2026; N3 COPD and HF; N4 DEM
    diagnosed 15 Mar 2026; N5 nothing. N6 at A00002 has DM but left on 15 Jan 2026."""
    system = new_system(tmp_path_factory)
    for pid in ("N1", "N2", "N3", "N4", "N5"):
        person(system, pid)
    person(system, "N6", practice="A00002", registered_to="2026-01-15")
    for pid, condition, diagnosed, resolved in [
        ("N1", "DM", "2015-01-01", ""), ("N2", "DM", "2015-01-01", "2026-02-10"),
        ("N3", "COPD", "2015-01-01", ""), ("N3", "HF", "2018-01-01", ""),
        ("N4", "DEM", "2026-03-15", ""), ("N6", "DM", "2015-01-01", ""),
    ]:  # fmt: skip
        system.add("conditions", pid, condition=condition, diagnosed_on=diagnosed,
                   resolved_on=resolved)  # fmt: skip
    return system.compute()


def test_prevalence_at_the_month_end(register_frame):
    frame = register_frame
    # January: N1, N2 (resolved only in February) of 5 → 40%; DEM not yet diagnosed.
    assert_share(value(frame, "prevalence_dm", "practice", "A00001", "2026-01-01"), 2, 5)
    assert_share(value(frame, "prevalence_dem", "practice", "A00001", "2026-01-01"), 0, 5)
    # March: N1 → 1 / 5; COPD and HF N3 → 1 / 5 each; DEM N4 → 1 / 5.
    for metric in ("prevalence_dm", "prevalence_copd", "prevalence_hf", "prevalence_dem"):
        assert_share(value(frame, metric, "practice", "A00001", MARCH), 1, 5)


def test_a_resolved_diagnosis_leaves_the_prevalence_count(register_frame):
    # February: N2's diabetes was resolved on 10 February → N1 only, 1 / 5.
    assert_share(value(register_frame, "prevalence_dm", "practice", "A00001", "2026-02-01"),
                 1, 5)  # fmt: skip
    # Q1 takes March: 1 / 5, not (2 + 1 + 1) / 15.
    row = value(register_frame, "prevalence_dm", "practice", "A00001", "2026-01-01", "quarter")
    assert_share(row, 1, 5)


def test_prevalence_counts_only_people_registered_at_the_month_end(register_frame):
    # N6 left A00002 on 15 January: not registered at any month end, so 0 of 0 there and
    # the system has A00001's 2 / 5 in January.
    row = value(register_frame, "prevalence_dm", "practice", "A00002", "2026-01-01")
    assert (row["numerator"], row["denominator"]) == (0, 0)
    assert_share(value(register_frame, "prevalence_dm", "system", "SYSTEM", "2026-01-01"), 2, 5)


@pytest.fixture(scope="module")
def frailty_frame(tmp_path_factory):
    """Age at 31 March 2026 from the month of birth; frailty and high-risk flags."""
    system = new_system(tmp_path_factory)
    for pid, born, frailty, high_risk in [
        ("F1", "1955-06", "moderate", "true"),  # 70
        ("F2", "1945-06", "severe", "false"),  # 80
        ("F3", "1935-06", "mild", "false"),  # 90
        ("F4", "1959-06", "fit", "false"),  # 66
        ("F5", "1975-06", "severe", "true"),  # 50
        ("F6", "1961-03", "moderate", "false"),  # 65 in March 2026, 64 in February
    ]:  # fmt: skip
        person(system, pid, birth_month=born, frailty=frailty, high_risk_register=high_risk)
    return system.compute()


def test_pct_frailty_moderate_severe_of_people_65_and_over(frailty_frame):
    # March: aged 65+ are F1, F2, F3, F4, F6; moderate or severe F1, F2, F6 → 3 / 5.
    # F5 is severely frail but 50.
    assert_share(value(frailty_frame, "pct_frailty_moderate_severe", "practice", "A00001",
                       MARCH), 3, 5)  # fmt: skip
    # February: F6 is 64 → F1, F2 of F1, F2, F3, F4 = 2 / 4.
    assert_share(value(frailty_frame, "pct_frailty_moderate_severe", "practice", "A00001",
                       "2026-02-01"), 2, 4)  # fmt: skip


def test_pct_high_risk_register_of_all_ages(frailty_frame):
    # F1 and F5 of the 6 registered → 33.33%.
    assert_share(value(frailty_frame, "pct_high_risk_register", "practice", "A00001", MARCH),
                 2, 6)  # fmt: skip


def load_deprivation(system, deciles: dict[str, int]) -> None:
    """Loads an lsoa_deprivation file with MHCLG's File 1 header before compute()."""
    header = IMD_COLUMNS
    rows = [
        dict(zip(header, [code, f"Place {code[-3:]}", "E06000001", "Place", str(rank), str(decile)],
                 strict=True))
        for rank, (code, decile) in enumerate(sorted(deciles.items()), start=1)
    ]  # fmt: skip
    path = write_csv(system.root / "File_1_IoD2025.csv", rows, header)
    [result] = load_files([path], system.settings, report=lambda message: None)
    assert (result.outcome, result.feed) == ("loaded", "lsoa_deprivation"), result.message


@pytest.fixture(scope="module")
def imd_frame(tmp_path_factory):
    """Deciles: E01000001 1, E01000002 2, E01000003 3, E01000006 6, E01000010 10.

    A00001: I1 (decile 1), I2 (2), I3 (3), I4 (10), I5 (an LSOA not in the file), I6 (no
    LSOA). A00002: I7 (decile 6).
    """
    system = new_system(tmp_path_factory)
    load_deprivation(system, {"E01000001": 1, "E01000002": 2, "E01000003": 3,
                              "E01000006": 6, "E01000010": 10})  # fmt: skip
    for pid, lsoa, practice in [
        ("I1", "E01000001", "A00001"), ("I2", "E01000002", "A00001"),
        ("I3", "E01000003", "A00001"), ("I4", "E01000010", "A00001"),
        ("I5", "E01000099", "A00001"), ("I6", "", "A00001"), ("I7", "E01000006", "A00002"),
    ]:  # fmt: skip
        person(system, pid, lsoa=lsoa, practice=practice)
    return system.compute()


def test_imd_quintile_mix_of_people_with_a_known_decile(imd_frame):
    # Quintile = (decile + 1) // 2. A00001 has 4 people with a known decile (I5, I6 out):
    # q1 = deciles 1, 2 (I1, I2) → 2 / 4; q2 = decile 3 (I3) → 1 / 4; q3, q4 none;
    # q5 = decile 10 (I4) → 1 / 4.
    expected = {1: 2, 2: 1, 3: 0, 4: 0, 5: 1}
    for quintile, count in expected.items():
        row = value(imd_frame, f"pct_imd_q{quintile}", "practice", "A00001", MARCH)
        assert_share(row, count, 4)


def test_imd_quintile_mix_adds_up_over_practices(imd_frame):
    # System: A00001's 4 and I7 (decile 6 → q3) = 5; q1 2 / 5, q3 1 / 5.
    assert_share(value(imd_frame, "pct_imd_q1", "system", "SYSTEM", MARCH), 2, 5)
    assert_share(value(imd_frame, "pct_imd_q3", "system", "SYSTEM", MARCH), 1, 5)
    assert_share(value(imd_frame, "pct_imd_q3", "practice", "A00002", MARCH), 1, 1)
