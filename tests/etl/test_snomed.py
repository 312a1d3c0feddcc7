"""gp_events with SNOMED CT concept ids, translated through the board's mapping file."""

from __future__ import annotations

import dataclasses

import pytest

from etl.load import load_files
from etl.snomed import read_mapping
from tests.etl.conftest import table_rows, write_csv
from tests.etl.rows import quarantine
from wholesystem.errors import UserError

# Made-up concept ids: the mapping is the board's own, so the tests need no real ones.
MAPPING = [
    {"code": "sbp", "snomed_concept_id": "100000001"},
    {"code": "SBP", "snomed_concept_id": "100000002"},
    {"code": "mmr", "snomed_concept_id": "100000003"},
]


def events(codes: list[str]) -> list[dict]:
    return [
        {"person_id": f"P{n}", "event_date": "2026-03-01", "code": code, "value": "120"}
        for n, code in enumerate(codes)
    ]


def load_events(tmp_path, settings, codes):
    mapped = dataclasses.replace(settings, snomed_map=write_csv(tmp_path / "map.csv", MAPPING))
    path = write_csv(tmp_path / "events.csv", events(codes))
    return load_files([path], mapped, report=lambda message: None)


def test_concept_ids_are_stored_as_the_vocabulary_codes(tmp_path, settings):
    codes = ["100000001", "100000002", " 100000003 ", "hba1c"] + ["dbp"] * 30
    [result] = load_events(tmp_path, settings, codes)
    assert (result.outcome, result.counts.rows_accepted) == ("loaded", 34)
    stored = [(row[0], row[2]) for row in table_rows(settings, "gp_events", "person_id")[:4]]
    assert stored == [("P0", "sbp"), ("P1", "sbp"), ("P10", "dbp"), ("P11", "dbp")]
    codes_by_person = {row[0]: row[2] for row in table_rows(settings, "gp_events")}
    assert [codes_by_person[f"P{n}"] for n in range(4)] == ["sbp", "sbp", "mmr", "hba1c"]


def test_a_concept_missing_from_the_mapping_is_quarantined(tmp_path, settings):
    [result] = load_events(tmp_path, settings, ["999999999"] + ["dbp"] * 30)
    assert result.counts.rows_quarantined == 1
    assert quarantine(settings) == [("events.csv", 2, "code", "999999999", "invalid_code")]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"code": "bmi", "snomed_concept_id": "60621009"}],
         "line 2: 'bmi' is not a gp_events code"),
        ([{"code": "sbp", "snomed_concept_id": "SBP1"}], "line 2: 'SBP1' is not a concept id"),
        (
            [{"code": "sbp", "snomed_concept_id": "100000001"},
             {"code": "dbp", "snomed_concept_id": "100000001"}],
            "line 3: concept 100000001 maps to both sbp and dbp",
        ),
    ],
)  # fmt: skip
def test_a_bad_mapping_file_is_refused_naming_the_line(tmp_path, rows, message):
    path = write_csv(tmp_path / "map.csv", rows)
    with pytest.raises(UserError, match=f"SNOMED mapping {path} {message}"):
        read_mapping(path)


def test_a_bad_mapping_stops_the_load_before_the_warehouse_changes(tmp_path, settings):
    bad = dataclasses.replace(
        settings,
        snomed_map=write_csv(tmp_path / "map.csv", [{"code": "bmi", "snomed_concept_id": "1"}]),
    )
    with pytest.raises(UserError, match="'bmi' is not a gp_events code"):
        load_files([write_csv(tmp_path / "e.csv", events(["sbp"]))], bad, report=print)
    assert not settings.data_dir.exists()
