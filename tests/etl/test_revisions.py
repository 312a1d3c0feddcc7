"""Loading again: the same bytes are skipped, a revised key replaces the stored row, and the
patient index is a snapshot that each load replaces whole."""

from __future__ import annotations

from datetime import date

from tests.etl.conftest import (
    apc_row,
    apc_rows,
    data_snapshot,
    log_outcomes,
    table_rows,
    write_csv,
)
from tests.etl.rows import death_row, load_log, patient_row


def test_the_same_file_twice_is_skipped_and_both_attempts_are_logged(tmp_path, settings, load):
    path = write_csv(tmp_path / "apc.csv", apc_rows(40) + [apc_row("B1", sex="0")])
    [first] = load(path)
    before = data_snapshot(settings)
    [second] = load(path)
    assert (first.outcome, second.outcome, second.feed) == ("loaded", "skipped", "apc_spells")
    assert second.message.startswith(f"{path}: already loaded (load 1, ")
    assert second.message.endswith("); skipped")
    assert data_snapshot(settings) == before
    log = load_log(settings)
    assert [(row["load_id"], row["outcome"], row["file"]) for row in log] == [
        (1, "loaded", str(path)),
        (2, "skipped", str(path)),
    ]
    assert log[0]["sha256"] == log[1]["sha256"] and len(log[0]["sha256"]) == 64
    assert (log[1]["rows_read"], log[1]["message"]) == (None, second.message)


def test_the_same_bytes_under_another_name_are_skipped(tmp_path, settings, load):
    rows = apc_rows(5)
    load(write_csv(tmp_path / "m1.csv", rows))
    [again] = load(write_csv(tmp_path / "m1_copy.csv", rows))
    assert again.outcome == "skipped"
    assert again.message.startswith(f"{tmp_path / 'm1_copy.csv'}: already loaded (load 1, ")
    assert log_outcomes(settings) == [("loaded", "apc_spells"), ("skipped", "apc_spells")]


def test_a_rejected_file_can_be_loaded_once_corrected(tmp_path, settings, load):
    path = tmp_path / "apc.csv"
    write_csv(path, apc_rows(3) + [apc_row("S1")])
    [rejected] = load(path)
    write_csv(path, apc_rows(3))
    [loaded] = load(path)
    assert (rejected.outcome, loaded.outcome) == ("rejected", "loaded")


def test_a_revised_spell_replaces_only_itself(tmp_path, settings, load):
    load(write_csv(tmp_path / "m1.csv", apc_rows(40)))
    untouched = {row[0]: row for row in table_rows(settings, "apc_spells") if row[0] != "S7"}
    revision = [apc_row("S7", disdate="2026-02-01", diag_4_01="I500", startage="81")]
    [result] = load(write_csv(tmp_path / "m2.csv", revision + apc_rows(2, start=41)))
    assert (result.rows_replaced, result.counts.rows_accepted) == (1, 3)
    stored = {row[0]: row for row in table_rows(settings, "apc_spells")}
    assert len(stored) == 42
    s7 = stored.pop("S7")
    assert (s7[5], s7[10], s7[12], s7[-1]) == (date(2026, 2, 1), 81, "I500", 2)
    assert {key: stored[key] for key in untouched} == untouched
    assert [stored["S41"][-1], stored["S42"][-1]] == [2, 2]
    assert load_log(settings)[-1]["rows_replaced"] == 1


def test_a_second_death_row_for_a_person_is_a_revision(tmp_path, settings, load):
    deaths = [death_row(f"P{number}") for number in range(1, 6)]
    load(write_csv(tmp_path / "deaths_1.csv", deaths))
    revised = [death_row("P3", dod="2026-03-04", icd10u="C349", pod="home")]
    [result] = load(write_csv(tmp_path / "deaths_2.csv", revised))
    assert (result.outcome, result.rows_replaced) == ("loaded", 1)
    stored = table_rows(settings, "deaths", "person_id")
    assert [(row[0], row[1], row[5], row[6], row[7]) for row in stored] == [
        ("P1", date(2026, 3, 1), "hospital", "I219", 1),
        ("P2", date(2026, 3, 1), "hospital", "I219", 1),
        ("P3", date(2026, 3, 4), "home", "C349", 2),
        ("P4", date(2026, 3, 1), "hospital", "I219", 1),
        ("P5", date(2026, 3, 1), "hospital", "I219", 1),
    ]


def test_a_second_patients_file_replaces_the_whole_index(tmp_path, settings, load):
    load(write_csv(tmp_path / "patients_1.csv", [patient_row(f"P{n}") for n in range(1, 6)]))
    second = [patient_row("P2", gpprac="B82005"), patient_row("P9")]
    [result] = load(write_csv(tmp_path / "patients_2.csv", second))
    assert (result.outcome, result.rows_replaced, result.counts.rows_accepted) == (
        "loaded", 5, 2,
    )  # fmt: skip
    stored = table_rows(settings, "patients", "person_id")
    assert [(row[0], row[1], row[-1]) for row in stored] == [
        ("P2", "B82005", 2),
        ("P9", "A84005", 2),
    ]


def test_a_rejected_patients_file_leaves_the_previous_snapshot(tmp_path, settings, load):
    load(write_csv(tmp_path / "patients_1.csv", [patient_row(f"P{n}") for n in range(1, 6)]))
    before = data_snapshot(settings)
    bad = [patient_row("P1"), patient_row("P2", sex="Q")]  # 50% quarantined
    [result] = load(write_csv(tmp_path / "patients_2.csv", bad))
    assert result.outcome == "rejected"
    assert data_snapshot(settings) == before
