"""Column maps in wholesystem.toml (`[feeds.<feed>.columns]`): a local extract whose headers
differ loads without code changes; a map naming no feed or column is one clear sentence."""

from __future__ import annotations

from datetime import date

import pytest

from etl.feeds import FEEDS_BY_NAME
from etl.load import load_files
from tests.etl.conftest import data_snapshot, table_rows
from wholesystem.errors import UserError
from wholesystem.settings import Settings, load_settings

# A local SUS extract as a trust's information team sends it: its own headers, dates in ISO.
SUS_HEADER = (
    "Spell Ref,Pseudo Patient ID,Registered Practice,Provider,Admission Date,Discharge Date,"
    "Admission Method,Admission Source,Discharge Destination,Patient Classification,"
    "Age on Admission,Gender,Primary Diagnosis,All Diagnoses,All Procedures,Main Specialty,"
    "Ward"
)
SUS_ROWS = (
    "SP001,PX91,B82005,RCB,2026-02-01,2026-02-04,21,19,19,1,83,2,J440,J440;I10X,,300,Ward 9",
    "SP002,PX92,B82005,RCB,2026-02-03,2026-02-03,11,19,19,2,54,1,K802,K802,J183,100,DCU",
)
SUS_MAP = {
    "Spell Ref": "spell_id", "Pseudo Patient ID": "person_id",
    "Registered Practice": "gpprac", "Provider": "procode3", "Admission Date": "admidate",
    "Discharge Date": "disdate", "Admission Method": "admimeth",
    "Admission Source": "admisorc", "Discharge Destination": "disdest",
    "Patient Classification": "classpat", "Age on Admission": "startage", "Gender": "sex",
    "Primary Diagnosis": "diag_4_01", "All Diagnoses": "diag_4_concat",
    "All Procedures": "opertn_4_concat", "Main Specialty": "tretspef",
}  # fmt: skip

# A council's care home placements extract (adult social care case management system).
COUNCIL_TOML = """
[feeds.care_home_admissions.columns]
"Placement ID" = "event_id"
"Person (pseudonymised)" = "person_id"
"LA Code" = "la_code"
"Placement Start" = "admission_date"
"Care Type" = "setting"
"Permanent?" = "permanent"
"Age at Start" = "age"
"Gender" = "sex"
"""
COUNCIL_CSV = (
    "Placement ID,Person (pseudonymised),LA Code,Placement Start,Care Type,Permanent?,"
    "Age at Start,Gender,Team\n"
    "CP-1001,PX91,E08000035,2026-03-02,Nursing,Yes,88,F,North\n"
    "CP-1002,PX93,E08000035,2026-03-09,Residential,No,79,M,South\n"
)


def sus_file(path):
    path.write_text("\n".join((SUS_HEADER, *SUS_ROWS)) + "\n", encoding="utf-8")
    return path


def load(settings, *paths):
    return load_files(list(paths), settings, report=lambda message: None)


def test_a_local_sus_extract_loads_through_its_column_map(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", feeds={"apc_spells": {"columns": SUS_MAP}})
    [result] = load(settings, sus_file(tmp_path / "sus_feb.csv"))
    assert (result.outcome, result.feed, result.counts.rows_accepted) == (
        "loaded", "apc_spells", 2,
    )  # fmt: skip
    pairs = ", ".join(f"{local} -> {column}" for local, column in SUS_MAP.items())
    assert result.notes == [
        f"columns mapped by wholesystem.toml: {pairs}",
        "columns not in the contract, ignored: Ward",
    ]
    rows = table_rows(settings, "apc_spells", "spell_id")
    assert [row[:8] for row in rows] == [
        ("SP001", "PX91", "B82005", "RCB", date(2026, 2, 1), date(2026, 2, 4), "21", "19"),
        ("SP002", "PX92", "B82005", "RCB", date(2026, 2, 3), date(2026, 2, 3), "11", "19"),
    ]
    assert [row[8:16] for row in rows] == [
        ("19", "1", 83, "2", "J440", "J440,I10X", None, "300"),
        ("19", "2", 54, "1", "K802", "K802", "J183", "100"),
    ]


def test_without_the_map_the_same_extract_is_an_unknown_feed(tmp_path, settings):
    path = sus_file(tmp_path / "sus_feb.csv")
    [result] = load(settings, path)
    assert result.message == (
        f"{path}: unknown feed; the header (Spell Ref, Pseudo Patient ID, Registered Practice, "
        "Provider, Admission Date, Discharge Date, Admission Method, Admission Source, …) "
        "matches none of the data contract's feeds (name one with --feed)"
    )


def test_a_council_care_home_extract_loads_with_the_map_in_wholesystem_toml(tmp_path):
    config = tmp_path / "wholesystem.toml"
    config.write_text(COUNCIL_TOML, encoding="utf-8")
    settings = load_settings(
        {"WHOLESYSTEM_CONFIG": str(config), "WHOLESYSTEM_DATA_DIR": str(tmp_path / "data")}
    )
    path = tmp_path / "placements.csv"
    path.write_text(COUNCIL_CSV, encoding="utf-8")
    [result] = load(settings, path)
    assert (result.outcome, result.feed, result.counts.rows_accepted) == (
        "loaded", "care_home_admissions", 2,
    )  # fmt: skip
    assert result.notes[-1] == "columns not in the contract, ignored: Team"
    assert [row[:8] for row in table_rows(settings, "care_home_admissions", "event_id")] == [
        ("CP-1001", "PX91", "E08000035", date(2026, 3, 2), "nursing", True, 88, "2"),
        ("CP-1002", "PX93", "E08000035", date(2026, 3, 9), "residential", False, 79, "1"),
    ]


def test_map_keys_compare_like_headers_ignoring_case_and_spaces(tmp_path):
    local = {name.upper().replace(" ", "_"): column for name, column in SUS_MAP.items()}
    settings = Settings(data_dir=tmp_path / "data", feeds={"apc_spells": {"columns": local}})
    [result] = load(settings, sus_file(tmp_path / "sus.csv"))
    assert (result.outcome, result.counts.rows_accepted) == ("loaded", 2)


def test_a_mapped_column_and_a_contract_column_giving_the_same_column_are_refused(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", feeds={"apc_spells": {"columns": SUS_MAP}})
    path = tmp_path / "both.csv"
    path.write_text(SUS_HEADER + ",admidate\n" + SUS_ROWS[0] + ",2026-02-01\n", encoding="utf-8")
    load(settings, sus_file(tmp_path / "first.csv"))
    before = data_snapshot(settings)
    [result] = load(settings, path)
    assert result.message == (
        f"{path}: columns 'Admission Date' and 'admidate' both give apc_spells.admidate"
    )
    assert data_snapshot(settings) == before


def toml_error(tmp_path, text: str) -> str:
    config = tmp_path / "wholesystem.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as raised:
        load_settings({"WHOLESYSTEM_CONFIG": str(config)})
    return str(raised.value).replace(str(config), "wholesystem.toml")


def test_a_map_for_an_unknown_feed_is_one_sentence(tmp_path):
    message = toml_error(tmp_path, '[feeds.sus.columns]\n"Spell Ref" = "spell_id"\n')
    assert message == (
        "configuration file wholesystem.toml: [feeds.sus] is not a feed; the feeds are "
        f"{', '.join(sorted(FEEDS_BY_NAME))}"
    )


def test_a_map_to_an_unknown_contract_column_is_one_sentence(tmp_path):
    message = toml_error(tmp_path, '[feeds.care_home_admissions.columns]\n"Start" = "start_date"\n')
    assert message == (
        "configuration file wholesystem.toml: feeds.care_home_admissions.columns.Start maps "
        "to 'start_date', which is not a column of care_home_admissions (its columns are "
        "event_id, person_id, la_code, admission_date, setting, permanent, age, sex)"
    )


def test_two_local_names_for_one_column_are_one_sentence(tmp_path):
    message = toml_error(
        tmp_path, '[feeds.deaths.columns]\n"Date of death" = "dod"\n"DOD2" = "dod"\n'
    )
    assert message == (
        "configuration file wholesystem.toml: feeds.deaths.columns maps more than one local "
        "name to dod"
    )


def test_anything_but_a_columns_table_under_a_feed_is_one_sentence(tmp_path):
    message = toml_error(tmp_path, '[feeds.deaths]\ndelimiter = ";"\n')
    assert message == (
        "configuration file wholesystem.toml: [feeds.deaths] may hold only a columns table "
        '(local header name = "contract column")'
    )


def test_a_parquet_extract_is_mapped_the_same_way(tmp_path):
    """Parquet headers go through the same map (and only the file's own columns are read:
    not the footer schema's root element)."""
    import duckdb

    config = tmp_path / "wholesystem.toml"
    config.write_text(COUNCIL_TOML, encoding="utf-8")
    settings = load_settings(
        {"WHOLESYSTEM_CONFIG": str(config), "WHOLESYSTEM_DATA_DIR": str(tmp_path / "data")}
    )
    csv_path = tmp_path / "placements.csv"
    csv_path.write_text(COUNCIL_CSV, encoding="utf-8")
    path = tmp_path / "placements.parquet"
    duckdb.execute(f"COPY (FROM read_csv('{csv_path}', all_varchar = true)) TO '{path}'")
    [result] = load(settings, path)
    assert (result.outcome, result.counts.rows_accepted) == ("loaded", 2)
    assert result.notes[-1] == "columns not in the contract, ignored: Team"
