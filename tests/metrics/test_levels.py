"""Levels and segments: practice counts add up to network, locality, area and system; a
practice that changes network counts with the network it belonged to each month; segment
rows exist at locality level and above only (METRICS.md, "Attribution", "Segments").

The hierarchy: AR1 ─ L1 ─ U00001 (A00001, A00002), U00002 (A00003); AR2 ─ L2 ─ U00003
(A00004). Deaths are attributed to the practice at death, in the month of death.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from metrics.compute import HANDOFF_TABLES, compute_person_level
from metrics.workspace import open_workspace
from tests.metrics.conftest import FixtureSystem, value


def new_system(tmp_path_factory) -> FixtureSystem:
    """A fixture system for January to March 2026, shared by a module's tests."""
    return FixtureSystem(tmp_path_factory.mktemp("system"), ("2026-01", "2026-02", "2026-03"))


FEB = "2026-02-01"
JAN = "2026-01-01"


def death(system, pid: str, practice: str, dod: str = "2026-02-10", admissions: int = 0,
          **changes) -> None:  # fmt: skip
    """A death with `admissions` emergency admissions in the month before it."""
    system.add("deaths", pid, dod=dod, gpprac=practice, **changes)
    for number in range(admissions):
        day = f"2026-01-{10 + number:02d}"
        system.add("apc_spells", f"{pid}S{number}", person_id=pid, gpprac=practice,
                   admidate=day, disdate=day)  # fmt: skip


def counts(row: dict) -> tuple[float, float]:
    return row["numerator"], row["denominator"]


# --- practice numerators add up to every level ---------------------------------------------


@pytest.fixture(scope="module")
def spread_frame(tmp_path_factory):
    """February deaths (admissions in the last 100 days): A00001 2 and 0; A00002 1;
    A00003 3 and 1; A00004 1."""
    system = new_system(tmp_path_factory)
    for pid, practice, admissions in [("D1", "A00001", 2), ("D2", "A00001", 0),
                                      ("D3", "A00002", 1), ("D4", "A00003", 3),
                                      ("D5", "A00003", 1), ("D6", "A00004", 1)]:  # fmt: skip
        death(system, pid, practice, admissions=admissions)
    return system.compute()


PRACTICES = {"A00001": (2, 2), "A00002": (1, 1), "A00003": (4, 2), "A00004": (1, 1)}
LEVELS = [
    ("network", "U00001", ["A00001", "A00002"], (3, 3)),
    ("network", "U00002", ["A00003"], (4, 2)),
    ("network", "U00003", ["A00004"], (1, 1)),
    ("locality", "L1", ["A00001", "A00002", "A00003"], (7, 5)),
    ("locality", "L2", ["A00004"], (1, 1)),
    ("area", "AR1", ["A00001", "A00002", "A00003"], (7, 5)),
    ("area", "AR2", ["A00004"], (1, 1)),
    ("system", "SYSTEM", ["A00001", "A00002", "A00003", "A00004"], (8, 6)),
]


def test_practice_counts(spread_frame):
    # Admissions / deaths: A00001 2 + 0 of 2; A00002 1 of 1; A00003 3 + 1 of 2; A00004 1.
    for practice, expected in PRACTICES.items():
        row = value(spread_frame, "nel_last_100_days", "practice", practice, FEB)
        assert counts(row) == expected


@pytest.mark.parametrize("level, org, practices, expected", LEVELS)
def test_practice_numerators_add_up_to_each_level(spread_frame, level, org, practices, expected):
    row = value(spread_frame, "nel_last_100_days", level, org, FEB)
    assert counts(row) == expected
    summed = [value(spread_frame, "nel_last_100_days", "practice", p, FEB) for p in practices]
    assert counts(row) == (sum(r["numerator"] for r in summed),
                           sum(r["denominator"] for r in summed))  # fmt: skip
    # The rate is of the totals, never an average of the practices' rates.
    assert row["value"] == pytest.approx(expected[0] / expected[1] * 100)


# --- a practice that changes network ------------------------------------------------------


@pytest.fixture(scope="module")
def moved_frame(tmp_path_factory):
    """A00003 leaves U00002 on 31 January 2026 and joins U00001 on 1 February.

    Deaths: A00003 M1 in January (1 admission), M2 (1 admission) and M3 in February;
    A00001 M4 in January and M5 in February (no admissions).
    """
    system = new_system(tmp_path_factory)
    [old] = [row for row in system.rows["organisations"] if row["practice_code"] == "A00003"]
    old["valid_to"] = "2026-01-31"
    system.add("organisations", practice="A00003", network="U00001", locality_code="L1",
               locality_name="L1", area_code="AR1", area_name="AR1", la_code="E06000001",
               valid_from="2026-02-01")  # fmt: skip
    death(system, "M1", "A00003", dod="2026-01-20", admissions=1)
    death(system, "M2", "A00003", admissions=1)
    death(system, "M3", "A00003")
    death(system, "M4", "A00001", dod="2026-01-20")
    death(system, "M5", "A00001")
    return system.compute()


def test_a_moved_practice_counts_with_its_old_network_in_january(moved_frame):
    metric = "decedents_nel_last_100_days"
    assert counts(value(moved_frame, metric, "network", "U00002", JAN)) == (1, 1)  # M1
    assert counts(value(moved_frame, metric, "network", "U00001", JAN)) == (0, 1)  # M4
    assert value(moved_frame, metric, "practice", "A00003", JAN)["parent_code"] == "U00002"


def test_a_moved_practice_counts_with_its_new_network_in_february(moved_frame):
    # U00001 in February: M5 (A00001) + M2, M3 (A00003) → 1 of 3.
    metric = "decedents_nel_last_100_days"
    assert counts(value(moved_frame, metric, "network", "U00001", FEB)) == (1, 3)
    assert value(moved_frame, metric, "practice", "A00003", FEB)["parent_code"] == "U00001"
    # U00002 has no practice in February, so it has nothing that month.
    february = moved_frame[(moved_frame["metric_id"] == metric)
                           & (moved_frame["org_code"] == "U00002")
                           & (moved_frame["period_start"] == pd.Timestamp(FEB))]  # fmt: skip
    assert february["numerator"].sum() == 0


def test_the_quarter_splits_a_moved_practice_between_its_networks(moved_frame):
    # Q1: U00001 = January (0 of 1) + February (1 of 3) = 1 of 4; U00002 = January's 1 of 1.
    metric = "decedents_nel_last_100_days"
    assert counts(value(moved_frame, metric, "network", "U00001", JAN, "quarter")) == (1, 4)
    assert counts(value(moved_frame, metric, "network", "U00002", JAN, "quarter")) == (1, 1)
    # A network with no practice left at the quarter's end keeps its last parent.
    assert value(moved_frame, metric, "network", "U00002", JAN, "quarter")["parent_code"] == "L1"
    # The practice and its locality are not split: A00003 2 of 3; L1 2 of 5.
    assert counts(value(moved_frame, metric, "practice", "A00003", JAN, "quarter")) == (2, 3)
    assert counts(value(moved_frame, metric, "locality", "L1", JAN, "quarter")) == (2, 5)


def test_a_moved_practice_population_follows_it(moved_frame):
    # 1,920 registered per practice: U00001 has 2 practices in January and 3 in February.
    row = value(moved_frame, "registered_population", "network", "U00001", JAN)
    assert row["value"] == 2 * 1920
    row = value(moved_frame, "registered_population", "network", "U00001", FEB)
    assert row["value"] == 3 * 1920


# --- segments ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def segment_frame(tmp_path_factory):
    """February deaths: G1 A00001, 70, female, DM, 1 admission; G2 A00002, 80, male;
    G3 A00004, 68, female, DM; G4 A00003, 90, female, COPD, 1 admission."""
    system = new_system(tmp_path_factory)
    people = [
        ("G1", "A00001", "70", "2", "DM", 1), ("G2", "A00002", "80", "1", "", 0),
        ("G3", "A00004", "68", "2", "DM", 0), ("G4", "A00003", "90", "2", "COPD", 1),
    ]  # fmt: skip
    for pid, practice, age, sex, condition, admissions in people:
        system.add("patients", pid, gpprac=practice, sex=sex, birth_month="1950-01")
        if condition:
            system.add("conditions", pid, condition=condition)
        death(system, pid, practice, admissions=admissions, age=age, sex=sex)
    return system.compute()


@pytest.mark.parametrize(
    "segment, level, org, expected",
    [
        ("condition:DM", "locality", "L1", (1, 1)),  # G1
        ("condition:DM", "locality", "L2", (0, 1)),  # G3
        ("condition:DM", "area", "AR1", (1, 1)),
        ("condition:DM", "system", "SYSTEM", (1, 2)),  # G1, G3
        ("age_band:65-74", "system", "SYSTEM", (1, 2)),  # G1 (70), G3 (68)
        ("age_band:65-74", "locality", "L1", (1, 1)),
        ("age_band:85+", "area", "AR1", (1, 1)),  # G4 (90)
        ("sex:female", "system", "SYSTEM", (2, 3)),  # G1, G3, G4
        ("sex:female", "locality", "L1", (2, 2)),  # G1, G4
        ("sex:male", "locality", "L1", (0, 1)),  # G2
    ],
)
def test_segment_counts_at_locality_and_above(segment_frame, segment, level, org, expected):
    row = value(segment_frame, "decedents_nel_last_100_days", level, org, FEB, segment=segment)
    assert counts(row) == expected
    assert row["value"] == pytest.approx(expected[0] / expected[1] * 100)


def test_no_segment_rows_below_locality(segment_frame):
    below = segment_frame[segment_frame["level"].isin(["practice", "network"])]
    assert set(below["segment"]) == {"all"}
    segmented = segment_frame[(segment_frame["metric_id"] == "decedents_nel_last_100_days")
                              & (segment_frame["segment"] == "condition:DM")]  # fmt: skip
    assert set(segmented["level"]) == {"locality", "area", "system"}


# --- the counting stages' working tables ----------------------------------------------------

WORKING_TABLES = {
    "unit_cells", "mask_segments", "segment_cells", "population_cells", "patient_cells",
    "monthly_cells", "period_cells", "standardised",
}  # fmt: skip
TOTALS_SQL = """SELECT num, den FROM period_totals
WHERE metric_id = 'nel_last_100_days' AND org_code = 'A00001' AND period_type = 'month'
  AND period_start = DATE '2026-02-01' AND segment = 'all'"""


def test_the_counting_stages_drop_their_working_tables(tmp_path_factory):
    """They are temporary, so held in memory (metrics.cells): dropped once read, while the
    hand-off tables stay with the counts."""
    system = new_system(tmp_path_factory)
    death(system, "D1", "A00001", admissions=2)
    system.load()
    with open_workspace(system.settings) as connection:
        compute_person_level(connection, system.settings, date(2026, 11, 22))
        listed = connection.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        tables = {name for (name,) in listed}
        totals = connection.execute(TOTALS_SQL).fetchone()
    assert not tables & WORKING_TABLES
    assert set(HANDOFF_TABLES) <= tables
    assert totals == (2, 1)
