"""Spells derived from HES episodes (etl.spells): exact spells for multi-episode spells, a
transfer, unfinished episodes, SUSSPELLID present and absent, revisions and later episodes."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from etl.load import load_files
from tests.etl.conftest import apc_rows, write_csv
from tests.etl.hes_fixture import HES_APC_HEADER, episode, write_hes
from tests.metrics.conftest import FixtureSystem

SPELL_COLUMNS = (
    "spell_id, person_id, gpprac, procode3, admidate, disdate, admimeth, admisorc, disdest, "
    "classpat, startage, sex, diag_4_01, diag_4_concat, opertn_4_concat, tretspef"
)
NOT_DISCHARGED = dict(disdate="1800-01-01", disdest="98", dismeth="8")


def spell_episode(epikey: str, person: str, order: str, start: str, end: str, **fields):
    return episode(epikey, person, epiorder=order, epistart=start, epiend=end, **fields)


# A three-episode spell, written out of order; its last episode discharges to a care home.
SPELL_A = [
    spell_episode("103", "TESTA", "03", "2025-06-08", "2025-06-20", disdate="2025-06-20",
                  disdest="54", diag_4_01="J181", diag_4_concat="J181,I500",
                  opertn_4_concat="X401,U051", tretspef="340", startage="81.0"),
    spell_episode("101", "TESTA", "01", "2025-06-01", "2025-06-03", diag_4_01="J440",
                  diag_4_concat="J440,I10X", opertn_4_concat="-", **NOT_DISCHARGED),
    spell_episode("102", "TESTA", "02", "2025-06-03", "2025-06-08", diag_4_01="I500",
                  diag_4_concat="I500,J440,N179", opertn_4_concat="U051", tretspef="320",
                  **NOT_DISCHARGED),
]  # fmt: skip
# A transfer: discharged from RR8 to another NHS hospital (49), admitted to RAE from one.
TRANSFER = [
    spell_episode("201", "TESTB", "01", "2025-07-01", "2025-07-05", admidate="2025-07-01",
                  disdate="2025-07-05", disdest="49", dismeth="1"),
    spell_episode("202", "TESTB", "01", "2025-07-05", "2025-07-09", admidate="2025-07-05",
                  disdate="2025-07-09", procode3="RAE", admimeth="81", admisorc="49"),
]  # fmt: skip
# A finished episode followed by an unfinished one; and a spell of one unfinished episode.
UNFINISHED = [
    spell_episode("301", "TESTC", "01", "2025-08-01", "2025-08-04", admidate="2025-08-01",
                  **NOT_DISCHARGED),
    spell_episode("302", "TESTC", "02", "2025-08-04", "1800-01-01", admidate="2025-08-01",
                  epistat="1", diag_4_01="N390", diag_4_concat="N390", **NOT_DISCHARGED),
    spell_episode("401", "TESTD", "01", "2025-08-02", "1800-01-01", admidate="2025-08-02",
                  epistat="1", **NOT_DISCHARGED),
]  # fmt: skip
# SUSSPELLID groups episodes even where ADMIDATE disagrees; unknown EPIORDER (99) on both
# episodes, so EPISTART decides which comes first.
SUS_SPELL = [
    spell_episode("502", "TESTE", "99", "2025-09-03", "2025-09-06", admidate="2025-09-03",
                  susspellid="4455667788", disdate="2025-09-06", diag_4_01="K573",
                  diag_4_concat="K573", admimeth="2D"),
    spell_episode("501", "TESTE", "99", "2025-09-01", "2025-09-03", admidate="2025-09-01",
                  susspellid="4455667788", diag_4_01="K590", diag_4_concat="K590",
                  **NOT_DISCHARGED),
]  # fmt: skip

EXPECTED = {
    "HES:RR8:TESTA:2025-06-01": (
        "TESTA", "A84005", "RR8", date(2025, 6, 1), date(2025, 6, 20), "21", "19", "54", "1",
        80, "1", "J440", "J440,I10X,I500,N179,J181", "U051,X401", "300",
    ),
    "HES:RR8:TESTB:2025-07-01": (
        "TESTB", "A84005", "RR8", date(2025, 7, 1), date(2025, 7, 5), "21", "19", "49", "1",
        80, "1", "J440", "J440,I10X", None, "300",
    ),
    "HES:RAE:TESTB:2025-07-05": (
        "TESTB", "A84005", "RAE", date(2025, 7, 5), date(2025, 7, 9), "81", "49", "19", "1",
        80, "1", "J440", "J440,I10X", None, "300",
    ),
    "HES:RR8:TESTC:2025-08-01": (
        "TESTC", "A84005", "RR8", date(2025, 8, 1), None, "21", "19", None, "1", 80, "1",
        "J440", "J440,I10X", None, "300",
    ),
    "HES:S:4455667788": (
        "TESTE", "A84005", "RR8", date(2025, 9, 1), date(2025, 9, 6), "21", "19", "19", "1",
        80, "1", "K590", "K590,K573", None, "300",
    ),
}  # fmt: skip


def spells(settings) -> dict[str, tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        rows = connection.execute(f"SELECT {SPELL_COLUMNS} FROM apc_spells").fetchall()
    return {row[0]: row[1:] for row in rows}


@pytest.fixture
def first_load(tmp_path, settings, load):
    episodes = SPELL_A + TRANSFER + UNFINISHED + SUS_SPELL
    [result] = load(write_hes(tmp_path / "hes_2526_m06.csv", episodes))
    assert (result.outcome, result.counts.rows_quarantined) == ("loaded", 0)
    return result


def test_episodes_become_the_expected_spells(settings, first_load):
    assert spells(settings) == EXPECTED
    assert first_load.notes[:2] == [
        "5 spell(s) derived into apc_spells for 8 finished episode(s)",
        "2 unfinished episode(s) (EPISTAT not 3) are in no spell",
    ]


def test_a_revision_and_a_later_episode_rederive_only_their_spells(
    tmp_path, settings, load, first_load
):
    later = [
        # The last episode of spell A, revised: discharged a day later, home.
        {**SPELL_A[0], "DISDATE": "2025-06-21", "EPIEND": "2025-06-21", "DISDEST": "19"},
        # TESTC's unfinished episode, now finished and discharged.
        {**UNFINISHED[1], "EPISTAT": "3", "EPIEND": "2025-08-09", "DISDATE": "2025-08-09",
         "DISDEST": "19", "DISMETH": "1", "OPERTN_4_CONCAT": "M459"},
        # One episode of the SUS spell, revised to a spell of its own (no SUSSPELLID).
        {**SUS_SPELL[0], "SUSSPELLID": "-"},
    ]  # fmt: skip
    [result] = load(write_hes(tmp_path / "hes_2526_m07.csv", later))
    assert result.rows_replaced == 3
    expected = dict(EXPECTED)
    expected["HES:RR8:TESTA:2025-06-01"] = (
        *EXPECTED["HES:RR8:TESTA:2025-06-01"][:4], date(2025, 6, 21), "21", "19", "19",
        *EXPECTED["HES:RR8:TESTA:2025-06-01"][8:],
    )  # fmt: skip
    expected["HES:RR8:TESTC:2025-08-01"] = (
        "TESTC", "A84005", "RR8", date(2025, 8, 1), date(2025, 8, 9), "21", "19", "19", "1", 80,
        "1", "J440", "J440,I10X,N390", "M459", "300",
    )  # fmt: skip
    expected["HES:S:4455667788"] = (
        "TESTE", "A84005", "RR8", date(2025, 9, 1), None, "21", "19", None, "1", 80, "1",
        "K590", "K590", None, "300",
    )  # fmt: skip
    expected["HES:RR8:TESTE:2025-09-03"] = (
        "TESTE", "A84005", "RR8", date(2025, 9, 3), date(2025, 9, 6), "2D", "19", "19", "1",
        80, "1", "K573", "K573", None, "300",
    )  # fmt: skip
    assert spells(settings) == expected
    assert result.notes[0] == "4 spell(s) derived into apc_spells for 3 finished episode(s)"


def test_reloading_the_same_episodes_as_a_new_file_changes_no_spell(
    tmp_path, settings, load, first_load
):
    episodes = SPELL_A + TRANSFER + UNFINISHED + SUS_SPELL
    [result] = load(write_hes(tmp_path / "again.csv", list(reversed(episodes))))
    assert result.rows_replaced == 10
    assert spells(settings) == EXPECTED


def test_an_extract_without_susspellid_groups_by_person_provider_and_admission(
    tmp_path, settings, load
):
    header = [name for name in HES_APC_HEADER if name != "SUSSPELLID"]
    load(write_hes(tmp_path / "no_sus.csv", SPELL_A + TRANSFER, header))
    assert spells(settings) == {
        key: EXPECTED[key]
        for key in ("HES:RR8:TESTA:2025-06-01", "HES:RR8:TESTB:2025-07-01",
                    "HES:RAE:TESTB:2025-07-05")
    }  # fmt: skip


def test_spell_level_files_and_derived_spells_live_side_by_side(tmp_path, settings, load):
    load(write_csv(tmp_path / "spells.csv", apc_rows(2)))
    load(write_hes(tmp_path / "episodes.csv", SPELL_A))
    load(write_hes(tmp_path / "revised.csv", [{**SPELL_A[1], "ADMIMETH": "22"}]))
    assert sorted(spells(settings)) == ["HES:RR8:TESTA:2025-06-01", "S1", "S2"]
    assert spells(settings)["HES:RR8:TESTA:2025-06-01"][5] == "22"


def test_spells_of_pseudo_practices_count_in_no_practice_or_network(tmp_path):
    system = FixtureSystem(tmp_path, months=("2026-01", "2026-02", "2026-03"))
    system.load()  # the hierarchy and its populations
    admitted = dict(admidate="2026-02-02", epistart="2026-02-02", epiend="2026-02-05",
                    disdate="2026-02-05", fyear="2526")  # fmt: skip
    episodes = [
        episode("1", "TESTP1", gpprac="A00001", **admitted),
        episode("2", "TESTP2", gpprac="V81999", **admitted),
        episode("3", "TESTP3", gpprac="V81997", **admitted),
        episode("4", "TESTP4", gpprac="&", **admitted),
    ]
    hes = write_hes(tmp_path / "hes.csv", episodes)
    [result] = load_files([hes], system.settings, report=lambda message: None)
    assert result.outcome == "loaded"
    frame = system.compute()
    february = frame[
        (frame["metric_id"] == "emergency_admissions") & (frame["period_type"] == "month")
        & (frame["period_start"].astype(str).str[:10] == "2026-02-01")
        & (frame["segment"] == "all")
    ]  # fmt: skip
    orgs = february["level"] + ":" + february["org_code"]
    counts = dict(zip(orgs, february["numerator"], strict=True))
    assert counts == {
        "practice:A00001": 1, "practice:A00002": 0, "practice:A00003": 0, "practice:A00004": 0,
        "network:U00001": 1, "network:U00002": 0, "network:U00003": 0,
        "locality:L1": 1, "locality:L2": 0, "area:AR1": 1, "area:AR2": 0, "system:SYSTEM": 1,
    }  # fmt: skip
