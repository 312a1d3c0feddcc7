"""HES APC episodes load as NHS Digital publishes them, with every HES convention read, not
refused; bad input is refused in one sentence and leaves the warehouse as it was."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from etl.feeds import FEEDS_BY_NAME
from etl.source import inspect
from tests.etl.conftest import apc_rows, data_snapshot, table_rows, write_csv
from tests.etl.hes_fixture import HES_APC_HEADER, episode, write_hes
from tests.etl.rows import load_log, quarantine

KEPT = {name.upper() for name in ("fyear", "epikey", "pseudo_hesid", "susspellid")} | {
    column.name.upper() for column in FEEDS_BY_NAME["hes_apc_episodes"].columns
}
IGNORED = [name for name in HES_APC_HEADER if name not in KEPT]

# Every quirk of a real extract, each on a row HES itself treats as valid.
QUIRKS = [
    episode("300000000001"),  # integers written 80.0 and 2.0, EPIORDER 01, OPERTN_4_CONCAT '-'
    episode("300000000002", person="TEST2", gpprac="&", diag_4_concat="Z380,-",
            fyear="0102", admidate="2001-07-02", epistart="2001-07-02", epiend="2001-07-04",
            disdate="2001-07-04", disdest="19", opertn_4_concat="X401,-,-"),
    episode("300000000003", person="TEST3", startage="7003", sex="0", gpprac="V81997",
            diag_4_01="P599", diag_4_concat="P599", classpat="1", admimeth="82"),
    episode("12345678901234", person="TEST4", sex="9", disdate="1801-01-01",
            epiend="1801-01-01", gpprac="V81999", epiorder="1.0"),
    episode("00012345678", person="TEST5", disdate="1800-01-01", epiend="1800-01-01",
            susspellid="-   ", gpprac="-   ", epistat="1", dismeth="8", disdest="98"),
]  # fmt: skip


@pytest.fixture
def quirks(tmp_path):
    return write_hes(tmp_path / "hes_apc_2526.csv", QUIRKS)


def test_a_hes_header_is_detected_as_episodes_and_other_feeds_are_not_disturbed(tmp_path):
    hes = inspect(write_hes(tmp_path / "hes.csv", [episode("1")]), header_of_parquet=None)
    assert hes.feed.name == "hes_apc_episodes"
    assert list(hes.ignored) == IGNORED and len(IGNORED) > 30
    spells = inspect(write_csv(tmp_path / "spells.csv", apc_rows(1)), header_of_parquet=None)
    assert spells.feed.name == "apc_spells"


def test_every_hes_convention_loads_without_quarantine(settings, load, quirks):
    [result] = load(quirks)
    assert (result.outcome, result.counts.rows_accepted, result.counts.rows_quarantined) == (
        "loaded", 5, 0,
    )  # fmt: skip
    rows = {
        row[0]: row[1:]
        for row in table_rows_as(settings, "epikey, fyear, admidate, disdate, disdest, epiorder, "
                                 "epistat, startage, sex, gpprac, diag_4_concat, opertn_4_concat, "
                                 "susspellid, invalid_dates")
    }  # fmt: skip
    assert rows == {
        "300000000001": ("2526", date(2025, 6, 1), date(2025, 6, 10), "19", 1, "3", 80, "1",
                         "A84005", "J440,I10X", None, None, None),
        "300000000002": ("0102", date(2001, 7, 2), date(2001, 7, 4), "19", 1, "3", 80, "1",
                         None, "Z380", "X401", None, None),
        "300000000003": ("2526", date(2025, 6, 1), date(2025, 6, 10), "19", 1, "3", 0, "0",
                         "V81997", "P599", None, None, None),
        "12345678901234": ("2526", date(2025, 6, 1), None, "19", 1, "3", 80, "9", "V81999",
                           "J440,I10X", None, None, "disdate,epiend"),
        "00012345678": ("2526", date(2025, 6, 1), None, "98", 1, "1", 80, "1", None,
                        "J440,I10X", None, None, None),
    }  # fmt: skip
    assert quarantine(settings) == []


def test_the_load_notes_report_pseudo_practices_invalid_dates_and_ignored_columns(load, quirks):
    [result] = load(quirks)
    assert result.notes == [
        "4 spell(s) derived into apc_spells for 4 finished episode(s)",
        "1 unfinished episode(s) (EPISTAT not 3) are in no spell",
        "episodes with a pseudo practice code, kept but in no practice: "
        "V81997 (no registered practice) 1, V81999 (not known) 1",
        "dates given as invalid (1801-01-01) stored as no date, by episode column: "
        "disdate 1, epiend 1",
        f"columns not in the contract, ignored: {', '.join(IGNORED)}",
    ]


def test_pseudo_practices_reach_the_spells_unchanged(settings, load, quirks):
    load(quirks)
    practices = [row[0] for row in table_rows_as(settings, "gpprac", table="apc_spells")]
    assert practices == ["A84005", "V81997", "V81999", None]


def test_dashes_and_ampersands_inside_code_lists_are_dropped(tmp_path, settings, load):
    rows = [
        episode("1", diag_4_concat="-,J440,&,-,I10X,-", opertn_4_concat="&"),
        episode("2", person="TEST2", diag_4_concat="-", opertn_4_concat="X401,- ,Y532"),
    ]
    load(write_hes(tmp_path / "lists.csv", rows))
    assert table_rows_as(settings, "diag_4_concat, opertn_4_concat") == [
        ("J440,I10X", None), (None, "X401,Y532"),
    ]  # fmt: skip


def test_a_file_with_only_the_kept_columns_and_another_person_id_loads(tmp_path, settings, load):
    header = [name for name in HES_APC_HEADER if name in KEPT and name != "PSEUDO_HESID"]
    rows = [{**episode("1"), "PERSON_ID_DEID": "TOKEN1"}]
    [result] = load(write_hes(tmp_path / "local.csv", rows, [*header, "PERSON_ID_DEID"]))
    assert (result.outcome, result.feed) == ("loaded", "hes_apc_episodes")
    assert table_rows_as(settings, "person_id") == [("TOKEN1",)]


def test_a_bad_value_quarantines_its_episode_with_line_and_rule(tmp_path, settings, load):
    rows = [episode(str(n), person=f"TEST{n}") for n in range(1, 61)]
    rows[4]["DIAG_4_01"] = "J44.0"
    rows[7]["STARTAGE"] = "80.5"
    rows[9].update(DISDATE="2025-05-30", EPIEND="2025-05-30")
    [result] = load(write_hes(tmp_path / "bad_values.csv", rows))
    assert (result.outcome, result.counts.rows_quarantined) == ("loaded", 3)
    assert quarantine(settings) == [
        ("bad_values.csv", 6, "diag_4_01", "J44.0", "invalid_icd10"),
        ("bad_values.csv", 9, "startage", "80.5", "invalid_number"),
        ("bad_values.csv", 11, "disdate", "2025-05-30", "disdate_before_admidate"),
    ]
    assert len(table_rows(settings, "apc_spells")) == 57


# Files refused whole: one sentence, warehouse unchanged (spells and memberships included).


@pytest.fixture
def warehouse(tmp_path, settings, load):
    [result] = load(write_hes(tmp_path / "base.csv", [episode("900"), episode("901", "TEST9")]))
    assert result.outcome == "loaded"
    return settings


def memberships(settings) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute("SELECT * FROM hes_spell_episodes ORDER BY ALL").fetchall()


def assert_refused(settings, load, path, message: str, feed="hes_apc_episodes"):
    before, members = data_snapshot(settings), memberships(settings)
    assert len(before["apc_spells"]) == 2
    [result] = load(path)
    assert (result.outcome, result.feed, result.message) == ("rejected", feed, message)
    assert data_snapshot(settings) == before and memberships(settings) == members
    assert load_log(settings)[-1]["message"] == message


def test_a_real_nhs_number_as_person_id_is_refused(tmp_path, warehouse, load):
    path = write_hes(tmp_path / "nhs.csv", [episode("1"), episode("2", person="9434765919")])
    assert_refused(
        warehouse, load, path,
        f"{path} line 3: person_id holds a real NHS number (10 digits with a valid check digit); "
        "identifiable data must be pseudonymised before loading, so nothing was loaded",
    )  # fmt: skip


def test_a_repeated_episode_key_is_refused(tmp_path, warehouse, load):
    path = write_hes(tmp_path / "twice.csv", [episode("1"), episode("2"), episode("1")])
    assert_refused(
        warehouse,
        load,
        path,
        f"{path} lines 2 and 4: the key (epikey 1) appears twice; a file may hold each key once",
    )


def test_a_hes_file_without_epikey_names_the_missing_column(tmp_path, warehouse, load):
    header = [name for name in HES_APC_HEADER if name != "EPIKEY"]
    path = write_hes(tmp_path / "no_key.csv", [episode("1")], header)
    assert_refused(
        warehouse, load, path,
        f"{path}: looks like a hes_apc_episodes file but lacks the mandatory column epikey", None,
    )  # fmt: skip


def test_a_file_of_mostly_bad_episodes_is_refused(tmp_path, warehouse, load):
    rows = [episode(str(n), epistat="4") for n in range(1, 11)]
    path = write_hes(tmp_path / "bad.csv", rows)
    assert_refused(
        warehouse,
        load,
        path,
        f"{path}: 10 of 10 rows (100.0%) break row rules, above the 5% limit; most often "
        "invalid_code in epistat (10 rows, first at line 2: '4')",
    )


def table_rows_as(settings, columns: str, table: str = "hes_apc_episodes") -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(f"SELECT {columns} FROM {table} ORDER BY ALL").fetchall()
