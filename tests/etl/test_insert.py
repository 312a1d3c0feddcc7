"""Inserting a large file's accepted rows from the reader, checked against validation."""

from __future__ import annotations

import etl.insert
from tests.etl.conftest import apc_row, apc_rows, table_rows, write_csv
from tests.etl.rows import quarantine


def dirty_file(tmp_path):
    """40 good spells and one bad one, so the load takes the full validation."""
    rows = apc_rows(40)
    rows.insert(5, apc_row("B1", gpprac="BAD"))
    return write_csv(tmp_path / "apc.csv", rows)


def test_a_dirty_file_inserts_exactly_the_accepted_rows(tmp_path, settings, load):
    [result] = load(dirty_file(tmp_path))
    assert (result.counts.rows_accepted, result.counts.rows_quarantined) == (40, 1)
    assert sorted(row[0] for row in table_rows(settings, "apc_spells")) == sorted(
        f"S{n}" for n in range(1, 41)
    )
    assert quarantine(settings) == [("apc.csv", 7, "gpprac", "BAD", "invalid_practice_code")]


def test_when_the_reader_disagrees_with_validation_the_insert_is_redone_exactly(
    tmp_path, settings, load, monkeypatch
):
    real_raw_select = etl.insert.raw_select

    def reader_that_drops_a_row(source, native=False, skip_unreadable=False):
        select = real_raw_select(source, native=native, skip_unreadable=skip_unreadable)
        return f"{select} WHERE raw_spell_id <> 'S7'" if native else select

    monkeypatch.setattr(etl.insert, "raw_select", reader_that_drops_a_row)
    [result] = load(dirty_file(tmp_path))
    assert (result.outcome, result.counts.rows_accepted) == ("loaded", 40)
    stored = table_rows(settings, "apc_spells")
    assert len(stored) == 40
    assert {row[-1] for row in stored} == {1}
    assert "S7" in {row[0] for row in stored}


def test_a_file_whose_first_rows_the_reader_cannot_parse_goes_straight_to_full_validation(
    tmp_path, settings
):
    from etl.load import load_files

    messages: list[str] = []
    unreadable = apc_rows(40)
    unreadable[2]["admidate"] = "3rd Jan"
    path = write_csv(tmp_path / "unreadable.csv", unreadable)
    load_files([path], settings, report=messages.append)
    assert not any("one pass" in message for message in messages)
    assert quarantine(settings) == [("unreadable.csv", 4, "admidate", "3rd Jan", "invalid_date")]


def test_a_file_with_bad_rows_takes_the_one_pass_and_quarantines_them_by_line(tmp_path, settings):
    from etl.load import load_files

    messages: list[str] = []
    [result] = load_files([dirty_file(tmp_path)], settings, report=messages.append)
    assert any(message.endswith("writing (one pass)") for message in messages)
    assert not any("validating" in message for message in messages[1:])
    assert (result.counts.rows_read, result.counts.rows_quarantined) == (41, 1)
    assert quarantine(settings) == [("apc.csv", 7, "gpprac", "BAD", "invalid_practice_code")]


def test_after_a_failed_one_pass_the_full_validation_reads_rows_in_file_order(
    tmp_path, settings, monkeypatch
):
    """The one pass inserts in any order; when its INSERT fails (a date the first rows did
    not show), the rollback restores file order, from which staging numbers the lines."""
    import etl.fastpath
    import etl.load

    monkeypatch.setattr(etl.fastpath, "SAMPLE_ROWS", 5)
    orders: list[bool] = []
    real_stage = etl.load.stage

    def stage_noting_the_order(connection, source, threshold):
        setting = "SELECT current_setting('preserve_insertion_order')"
        orders.append(connection.execute(setting).fetchone()[0])
        return real_stage(connection, source, threshold)

    monkeypatch.setattr(etl.load, "stage", stage_noting_the_order)
    rows = apc_rows(5000)  # the reader parses the first rows in vectors of 2,048
    rows[4000]["admidate"] = "3rd Jan"
    messages: list[str] = []
    etl.load.load_files([write_csv(tmp_path / "late.csv", rows)], settings, report=messages.append)
    assert any("the one pass could not account for every row" in m for m in messages)
    assert orders == [True]
    assert quarantine(settings) == [("late.csv", 4002, "admidate", "3rd Jan", "invalid_date")]
