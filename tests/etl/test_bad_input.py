"""Files the ETL must refuse whole: each gives one clear line naming the file (and the line,
column or value where there is one), never a traceback, and leaves the warehouse as it was."""

from __future__ import annotations

import csv
import gzip
import io
import random

import duckdb
import pytest

from etl.feeds import FEEDS_BY_NAME
from tests.etl.conftest import APC_HEADER, apc_row, apc_rows, data_snapshot, write_csv
from tests.etl.rows import care_home_row, condition_row, load_log, quarantine, warehouse_text


@pytest.fixture
def warehouse(tmp_path, settings, load):
    """A warehouse already holding three spells, so 'unchanged' means something."""
    [result] = load(write_csv(tmp_path / "base.csv", apc_rows(3, start=901)))
    assert result.outcome == "loaded"
    return settings


def assert_rejected(settings, load, path, message: str, feed=None, named_feed=None):
    """Loads `path`, expects exactly `message`, an unchanged warehouse and a logged rejection."""
    before = data_snapshot(settings)
    assert len(before["apc_spells"]) == 3
    [result] = load(path, feed=named_feed)
    assert (result.outcome, result.feed) == ("rejected", feed)
    assert result.message == message
    assert "\n" not in result.message and "Traceback" not in result.message
    assert data_snapshot(settings) == before
    last = load_log(settings)[-1]
    assert (last["file"], last["outcome"], last["feed"], last["message"]) == (
        str(path), "rejected", feed, message,
    )  # fmt: skip
    assert last["rows_read"] is None and last["rows_accepted"] is None


def csv_text(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=APC_HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def test_an_empty_file_is_refused(tmp_path, warehouse, load):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert_rejected(warehouse, load, path, f"{path}: the file is empty")


def test_a_file_of_blank_lines_has_no_header(tmp_path, warehouse, load):
    path = tmp_path / "blank.csv"
    path.write_bytes(b"\n\n\n")
    assert_rejected(warehouse, load, path, f"{path}: the file is empty (no header row)")


def test_a_header_without_rows_is_refused(tmp_path, warehouse, load):
    path = tmp_path / "header_only.csv"
    path.write_text(",".join(APC_HEADER) + "\n", encoding="utf-8")
    assert_rejected(
        warehouse, load, path, f"{path}: the file has a header but no data rows", "apc_spells"
    )


def test_binary_garbage_is_refused(tmp_path, warehouse, load):
    generator = random.Random(7)
    noise = bytes(generator.randrange(256) for _ in range(20_000))
    path = tmp_path / "garbage.csv"
    path.write_bytes(noise[:100] + b"\x00\x00\x00" + noise[100:])
    assert_rejected(warehouse, load, path, f"{path}: the file is binary, not a CSV or Parquet file")


def test_binary_garbage_without_nul_bytes_is_still_binary(tmp_path, warehouse, load):
    generator = random.Random(11)
    path = tmp_path / "noise.csv"
    path.write_bytes(bytes(generator.randrange(128, 256) for _ in range(5_000)))
    assert_rejected(warehouse, load, path, f"{path}: the file is binary, not a CSV or Parquet file")


def test_a_truncated_gzip_is_refused_without_loading_its_first_half(tmp_path, warehouse, load):
    whole = write_csv(tmp_path / "whole.csv.gz", apc_rows(5_000)).read_bytes()
    path = tmp_path / "truncated.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with gzip.open(path, "rt") as handle:  # the header is intact: the stream ends later
        assert handle.readline().startswith("spell_id,person_id,")
    assert_rejected(
        warehouse, load, path, f"{path}: the compressed file is truncated or corrupt", "apc_spells"
    )


def test_a_gzip_cut_inside_its_header_is_refused(tmp_path, warehouse, load):
    whole = write_csv(tmp_path / "whole.csv.gz", apc_rows(50)).read_bytes()
    path = tmp_path / "stub.csv.gz"
    path.write_bytes(whole[:30])
    before = data_snapshot(warehouse)
    [result] = load(path)
    assert result.outcome == "rejected"
    assert result.message.startswith(f"{path}: the compressed file cannot be read (")
    assert data_snapshot(warehouse) == before


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolons"), ("\t", "tabs")])
def test_a_file_with_another_delimiter_is_refused(tmp_path, warehouse, load, delimiter, name):
    path = tmp_path / "apc.csv"
    lines = [delimiter.join(APC_HEADER), delimiter.join(apc_row(diag_4_concat="J44X").values())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = f"{path}: the header is separated by {name}; feeds must be comma-separated"
    assert_rejected(warehouse, load, path, message)


def test_a_missing_mandatory_column_names_the_feed_and_column(tmp_path, warehouse, load):
    header = [name for name in APC_HEADER if name != "admidate"]
    path = write_csv(tmp_path / "no_admidate.csv", apc_rows(5, start=1), header)
    message = f"{path}: looks like an apc_spells file but lacks the mandatory column admidate"
    assert_rejected(warehouse, load, path, message)


def test_two_missing_columns_are_both_named(tmp_path, warehouse, load):
    header = [name for name in APC_HEADER if name not in ("admidate", "sex")]
    path = write_csv(tmp_path / "short_header.csv", apc_rows(5, start=1), header)
    message = f"{path}: looks like an apc_spells file but lacks the mandatory columns admidate, sex"
    assert_rejected(warehouse, load, path, message)


def test_an_unknown_header_is_an_unknown_feed(tmp_path, warehouse, load):
    path = write_csv(tmp_path / "mystery.csv", [{"ward": "W1", "beds": "30", "nurses": "12"}])
    message = (
        f"{path}: unknown feed; the header (ward, beds, nurses) matches none of the data "
        "contract's feeds (name one with --feed)"
    )
    assert_rejected(warehouse, load, path, message)


def test_an_unknown_feed_name_is_refused_naming_the_file(tmp_path, warehouse, load):
    path = write_csv(tmp_path / "apc.csv", apc_rows(3, start=1))
    # Every registered feed, sorted (several parts of the ETL add feeds).
    feeds = ", ".join(sorted(FEEDS_BY_NAME))
    assert feeds.startswith("ae_attendances, aggregate_indicators, apc_spells, care_home_")
    message = f"{path}: --feed spells is not a feed; the feeds are {feeds}"
    assert_rejected(warehouse, load, path, message, named_feed="spells")
    assert load_log(warehouse)[-1]["feed"] is None


def test_feed_named_for_a_file_of_another_feed_lists_the_missing_columns(tmp_path, warehouse, load):
    path = write_csv(tmp_path / "apc.csv", apc_rows(3, start=1))
    before = data_snapshot(warehouse)
    [result] = load(path, feed="deaths")
    assert result.outcome == "rejected"
    assert result.message == (
        f"{path}: looks like a deaths file but lacks the mandatory columns dod, age, pod, icd10u"
    )
    assert data_snapshot(warehouse) == before


def test_a_key_twice_in_one_file_gives_both_lines_and_the_key(tmp_path, warehouse, load):
    rows = apc_rows(40)
    rows.insert(5, apc_row("S30", disdate="2026-01-09"))  # line 7; the first S30 is on line 32
    path = write_csv(tmp_path / "repeat.csv", rows)
    message = (
        f"{path} lines 7 and 32: the key (spell_id S30) appears twice; a file may hold each "
        "key once"
    )
    assert_rejected(warehouse, load, path, message, "apc_spells")


def test_a_repeated_composite_key_names_every_key_column(tmp_path, warehouse, load):
    rows = [condition_row(f"P{number}") for number in range(10)] + [condition_row("P3")]
    path = write_csv(tmp_path / "conditions.csv", rows)
    message = (
        f"{path} lines 5 and 12: the key (person_id P3, condition DM, diagnosed_on 2020-01-15) "
        "appears twice; a file may hold each key once"
    )
    assert_rejected(warehouse, load, path, message, "conditions")


@pytest.mark.parametrize("written", ["9434765919", "943 476 5919", "943-476-5919"])
def test_a_real_nhs_number_rejects_the_file_without_storing_it(tmp_path, warehouse, load, written):
    rows = apc_rows(40)
    rows.insert(10, apc_row("S99", person_id=written))  # line 12
    path = write_csv(tmp_path / "identifiable.csv", rows)
    message = (
        f"{path} line 12: person_id holds a real NHS number (10 digits with a valid check "
        "digit); identifiable data must be pseudonymised before loading, so nothing was loaded"
    )
    assert_rejected(warehouse, load, path, message, "apc_spells")
    text = warehouse_text(warehouse)
    assert "'S99'" not in text and "'S1'" not in text
    for fragment in ("9434765919", "943 476 5919", "943-476-5919", "4765919"):
        assert fragment not in message
        assert fragment not in text
    assert quarantine(warehouse) == []


def test_a_real_nhs_number_is_refused_even_where_person_id_may_be_blank(tmp_path, warehouse, load):
    rows = [care_home_row(f"E{number}") for number in range(20)]
    rows[3]["person_id"] = "9434765919"
    path = write_csv(tmp_path / "care_homes.csv", rows)
    before = data_snapshot(warehouse)
    [result] = load(path)
    assert result.outcome == "rejected"
    assert result.message.startswith(f"{path} line 5: person_id holds a real NHS number")
    assert data_snapshot(warehouse) == before


def test_a_file_over_the_quarantine_threshold_is_rejected(tmp_path, warehouse, load):
    rows = apc_rows(37)
    for position, spell in ((4, "B1"), (20, "B2"), (30, "B3")):  # lines 6, 22 and 32
        rows.insert(position, apc_row(spell, startage="-1"))
    rows[20]["gpprac"] = "A8400"  # B2 also breaks a second rule: still one row of the three
    path = write_csv(tmp_path / "mostly_bad.csv", rows)
    message = (
        f"{path}: 3 of 40 rows (7.5%) break row rules, above the 5% limit; most often "
        "out_of_range in startage (3 rows, first at line 6: '-1')"
    )
    assert_rejected(warehouse, load, path, message, "apc_spells")


def test_a_lower_threshold_from_settings_rejects_a_file_the_default_accepts(tmp_path, load):
    from etl.load import load_files
    from wholesystem.settings import Settings

    rows = apc_rows(40)
    rows.insert(0, apc_row("B1", sex="7"))
    path = write_csv(tmp_path / "one_bad.csv", rows)
    strict = Settings(data_dir=tmp_path / "strict", quarantine_threshold=0.01)
    [result] = load_files([path], strict, report=lambda message: None)
    assert result.outcome == "rejected"
    assert result.message == (
        f"{path}: 1 of 41 rows (2.4%) break row rules, above the 1% limit; most often "
        "invalid_code in sex (1 rows, first at line 2: '7')"
    )
    [default] = load(path)
    assert (default.outcome, default.counts.rows_quarantined) == ("loaded", 1)


def test_a_row_with_too_many_fields_gives_its_line(tmp_path, warehouse, load):
    lines = csv_text(apc_rows(40)).splitlines()
    lines[7] += ",surplus"  # file line 8
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = f"{path} line 8: expected 16 fields, found 17"
    assert_rejected(warehouse, load, path, message, "apc_spells")


def test_a_row_with_too_few_fields_gives_its_line(tmp_path, warehouse, load):
    lines = csv_text(apc_rows(40)).splitlines()
    lines[30] = "S30,PS30,A84005"  # file line 31
    path = tmp_path / "short_row.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_rejected(
        warehouse, load, path, f"{path} line 31: expected 16 fields, found 3", "apc_spells"
    )


def test_an_unterminated_quote_is_named_without_quoting_the_row(tmp_path, warehouse, load):
    lines = csv_text(apc_rows(10)).splitlines()
    lines[4] = lines[4].replace("PS4,", 'PS4,"', 1)  # file line 5
    path = tmp_path / "open_quote.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_rejected(
        warehouse, load, path, f"{path} line 5: a quoted value is never closed", "apc_spells"
    )


def test_non_utf8_bytes_past_the_sampled_start_are_named_without_quoting_the_row(
    tmp_path, warehouse, load, monkeypatch
):
    """The encoding is judged from the first bytes (etl.encoding.SAMPLE, here 200): a later
    Windows-1252 byte in a file that began as UTF-8 is named by its line."""
    monkeypatch.setattr("etl.encoding.SAMPLE", 200)
    rows = apc_rows(40)
    rows[5]["procode3"] = "R\xe9D"  # line 7, written as Latin-1
    path = tmp_path / "latin1.csv"
    path.write_bytes(csv_text(rows).encode("latin-1"))
    message = f"{path} line 7: the text is not UTF-8 (save the file as UTF-8)"
    assert_rejected(warehouse, load, path, message, "apc_spells")
    assert "PS6" not in message


def test_bytes_neither_utf8_nor_windows_1252_in_the_header_give_the_byte(tmp_path, warehouse, load):
    path = tmp_path / "neither_header.csv"
    header = ",".join(APC_HEADER).encode() + b",caf\x81"  # 0x81 is unassigned in Windows-1252
    path.write_bytes(header + b"\nS1,PS1\n")
    message = (
        f"{path} line 1: byte 0x81 is neither UTF-8 nor Windows-1252 text; save the file as "
        "UTF-8 (CSV UTF-8 in Excel)"
    )
    assert_rejected(warehouse, load, path, message)


def test_a_gzip_named_csv_is_refused_naming_both(tmp_path, warehouse, load):
    """The content decides how a file is read; a name saying otherwise is a mistake to fix."""
    path = write_csv(tmp_path / "real.csv.gz", apc_rows(4)).rename(tmp_path / "named.csv")
    message = (
        f"{path}: the name (.csv) says plain text (a CSV, or not a data file at all) but the "
        "content is a gzip-compressed file; rename the file to match its content, or export "
        "it again"
    )
    assert_rejected(warehouse, load, path, message)


def test_a_plain_file_named_gz_is_refused(tmp_path, warehouse, load):
    path = write_csv(tmp_path / "plain.csv", apc_rows(3)).rename(tmp_path / "p.csv.gz")
    message = (
        f"{path}: the name (.gz) says a gzip-compressed file but the content is plain text (a "
        "CSV, or not a data file at all); rename the file to match its content, or export it "
        "again"
    )
    assert_rejected(warehouse, load, path, message)


def test_a_csv_named_parquet_is_refused(tmp_path, warehouse, load):
    path = write_csv(tmp_path / "x.csv", apc_rows(3)).rename(tmp_path / "x.parquet")
    message = (
        f"{path}: the name (.parquet) says a Parquet file but the content is plain text (a "
        "CSV, or not a data file at all); rename the file to match its content, or export it "
        "again"
    )
    assert_rejected(warehouse, load, path, message)


def test_a_csv_named_xlsx_and_a_parquet_named_csv_are_refused(tmp_path, warehouse, load):
    named_xlsx = write_csv(tmp_path / "a.csv", apc_rows(3)).rename(tmp_path / "a.xlsx")
    named_csv = parquet_of(tmp_path, apc_rows(3), "b.parquet").rename(tmp_path / "b.CSV")
    assert_rejected(warehouse, load, named_xlsx, (
        f"{named_xlsx}: the name (.xlsx) says an Excel workbook but the content is plain text "
        "(a CSV, or not a data file at all); rename the file to match its content, or export "
        "it again"
    ))  # fmt: skip
    assert_rejected(warehouse, load, named_csv, (
        f"{named_csv}: the name (.CSV) says plain text (a CSV, or not a data file at all) but "
        "the content is a Parquet file; rename the file to match its content, or export it "
        "again"
    ))  # fmt: skip


def test_an_old_excel_workbook_is_refused_with_what_to_save_it_as(tmp_path, warehouse, load):
    path = tmp_path / "epcn.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    message = (
        f"{path}: is an Excel 97-2003 workbook (or another OLE2 file), which is not read; save "
        "it as an Excel workbook (.xlsx) or as CSV UTF-8"
    )
    assert_rejected(warehouse, load, path, message)


def test_a_file_named_without_an_extension_is_read_by_its_content(tmp_path, warehouse, load):
    gzipped = write_csv(tmp_path / "real.csv.gz", apc_rows(4)).rename(tmp_path / "extract")
    [result] = load(gzipped)
    assert (result.outcome, result.counts.rows_accepted) == ("loaded", 4)


def parquet_of(tmp_path, rows, name: str, select: str = "*"):
    source = write_csv(tmp_path / f"{name}.source.csv", rows)
    path = tmp_path / name
    duckdb.execute(
        f"COPY (SELECT {select} FROM read_csv('{source}', all_varchar = true)) TO '{path}'"
    )
    return path


def test_a_truncated_parquet_file_is_refused(tmp_path, warehouse, load):
    whole = parquet_of(tmp_path, apc_rows(2_000), "whole.parquet").read_bytes()
    path = tmp_path / "truncated.parquet"
    path.write_bytes(whole[: len(whole) // 2])
    message = (
        f"{path}: the file cannot be read as Parquet (No magic bytes found at end of file '{path}')"
    )
    assert_rejected(warehouse, load, path, message)


def test_a_real_nhs_number_stored_as_a_parquet_integer_is_refused(tmp_path, warehouse, load):
    rows = [apc_row(f"S{number}", person_id=str(500_000 + number)) for number in range(30)]
    rows[6]["person_id"] = "9434765919"
    select = "* REPLACE (person_id::BIGINT AS person_id)"
    path = parquet_of(tmp_path, rows, "numbers.parquet", select)
    message = (
        f"{path} line 7: person_id holds a real NHS number (10 digits with a valid check "
        "digit); identifiable data must be pseudonymised before loading, so nothing was loaded"
    )
    assert_rejected(warehouse, load, path, message, "apc_spells")
    assert "9434765919" not in warehouse_text(warehouse)


def test_a_file_that_cannot_be_opened_is_refused(tmp_path, warehouse, load, monkeypatch):
    # Tests run as root in CI, where no permission bit stops a read, so opening is made to fail.
    path = write_csv(tmp_path / "locked.csv", apc_rows(1))
    real_open = type(path).open

    def refuse(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(type(path), "open", refuse)
    message = f"{path}: the file cannot be opened (Permission denied)"
    assert_rejected(warehouse, load, path, message)
