"""Published workbooks (.xlsx) load as downloaded: the data sheet is found, its header cells
cleaned, its dates written as dates, and every message names the workbook, the sheet and the
sheet row; the converted copy is removed after the load, and a workbook that cannot be taken
is refused in one sentence with the warehouse unchanged."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from etl.workbook import cell_text, workbook_as_csv
from tests.etl.conftest import data_snapshot, table_rows, write_csv
from tests.etl.rows import load_log, org_row, quarantine
from tests.etl.workbooks import EPCN_SHEET, epcn_partner, epcn_workbook


@pytest.fixture
def organisations(tmp_path, settings, load):
    rows = [org_row("A84005", "U11111"), org_row("A84006", "U11111")]
    [result] = load(write_csv(tmp_path / "organisations.csv", rows))
    assert result.outcome == "loaded"
    return settings


def many_partners(count: int) -> list[tuple]:
    return [epcn_partner(f"B8{n:04d}", "U11111", datetime(2019, 7, 1)) for n in range(count)]


def test_the_core_partner_sheet_is_read_with_clean_headers_and_iso_dates(tmp_path):
    rows = [epcn_partner("A84005", "U22222", datetime(2026, 4, 1), "31/03/2027")]
    path = epcn_workbook(tmp_path / "ePCN.xlsx", rows)
    sheet = workbook_as_csv(path, tmp_path / "tmp", lambda header: "PCN Code" in header)
    assert (sheet.sheet, sheet.header_rows) == (EPCN_SHEET, 1)
    assert sheet.header[:3] == (
        "Partner Organisation Code", "Partner Name", "Practice Parent Sub ICB Loc Code",
    )  # fmt: skip
    assert sheet.header[5] == "PCN Name"  # the trailing space is gone
    lines = sheet.csv_path.read_text(encoding="utf-8").splitlines()
    assert lines[1] == (
        "A84005,PRACTICE A84005,15F,NHS LEEDS ICB - 15F,U22222,NETWORK U22222 PCN,15F,"
        "NHS LEEDS ICB - 15F,2026-04-01,31/03/2027,N"
    )


def test_cell_values_are_written_as_the_loader_reads_them():
    assert [cell_text(value) for value in (None, datetime(2019, 7, 1), 5.0, 2.5, True)] == [
        "", "2019-07-01", "5", "2.5", "true",
    ]  # fmt: skip
    assert cell_text(datetime(2019, 7, 1, 9, 30)) == "2019-07-01 09:30:00"


def test_an_epcn_workbook_loads_and_the_copy_is_removed(tmp_path, organisations, load):
    rows = [epcn_partner("A84005", "U22222", datetime(2026, 4, 1))]
    [result] = load(epcn_workbook(tmp_path / "ePCN.xlsx", rows))
    assert (result.outcome, result.feed, result.counts.rows_accepted) == ("loaded", "epcn", 1)
    assert result.notes == [
        "1 practice membership(s) moved network from the ePCN file",
        "read from the workbook's sheet 'PCN Core Partner Details'",
    ]
    assert list(organisations.temp_dir.glob("*.csv")) == []
    assert load_log(organisations)[-1]["file"] == str(tmp_path / "ePCN.xlsx")


def test_a_quarantined_value_names_its_sheet_row(tmp_path, organisations, load):
    rows = many_partners(30)
    rows[5] = epcn_partner("A84005", "U22222", "31/02/2026")  # sheet row 7
    [result] = load(epcn_workbook(tmp_path / "ePCN.xlsx", rows))
    assert (result.outcome, result.counts.rows_quarantined) == ("loaded", 1), result.message
    assert quarantine(organisations) == [
        ("ePCN.xlsx", 7, "valid_from", "31/02/2026", "invalid_date")
    ]


def test_a_blank_row_inside_the_sheet_keeps_the_rows_after_it_numbered(tmp_path, settings, load):
    rows = [*many_partners(59), ("",) * 11, epcn_partner("A84005", "U22222", "2026-13-01")]
    rows += [("",) * 11] * 3  # formatted but empty rows after the data are dropped
    [result] = load(epcn_workbook(tmp_path / "ePCN.xlsx", rows))
    assert (result.outcome, result.counts.rows_read) == ("loaded", 61), result.message
    lines = {(line, column) for _, line, column, _, _ in quarantine(settings)}
    assert lines == {(61, "practice_code"), (61, "network_code"), (61, "valid_from"),
                     (62, "valid_from")}  # fmt: skip


def test_a_repeated_key_names_the_two_sheet_rows(tmp_path, settings, load):
    rows = [*many_partners(3), epcn_partner("B80001", "U11111", datetime(2019, 7, 1))]
    [result] = load(epcn_workbook(tmp_path / "ePCN.xlsx", rows))
    assert result.outcome == "rejected"
    assert result.message == (
        f"{tmp_path / 'ePCN.xlsx'} sheet 'PCN Core Partner Details' rows 3 and 5: the key "
        "(practice_code B80001, valid_from 2019-07-01) appears twice; a file may hold each "
        "key once"
    )
    assert list(settings.temp_dir.glob("*.csv")) == []


def test_a_workbook_without_a_known_sheet_names_its_sheets(tmp_path, organisations, load):
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.create_sheet("PCNDetails").append(("PCN Code", "PCN Name"))
    book.save(tmp_path / "ePCN.xlsx")
    before = data_snapshot(organisations)
    [result] = load(tmp_path / "ePCN.xlsx")
    assert result.outcome == "rejected"
    assert result.message == (
        f"{tmp_path / 'ePCN.xlsx'}: no sheet of the workbook has a header the data contract "
        "knows (its sheets are 'Notes', 'PCNDetails'); save the data sheet as CSV or name it "
        "with --feed"
    )
    assert data_snapshot(organisations) == before


def test_the_core_partner_sheet_without_its_start_date_says_what_it_lacks(tmp_path, settings, load):
    book = openpyxl.Workbook()
    book.active.title = EPCN_SHEET
    book.active.append(("Partner\nOrganisation\nCode", "PCN Code", "PCN Name"))
    book.active.append(("A84005", "U11111", "NETWORK"))
    book.save(tmp_path / "ePCN.xlsx")
    [result] = load(tmp_path / "ePCN.xlsx")
    assert result.message == (
        f"{tmp_path / 'ePCN.xlsx'} sheet 'PCN Core Partner Details': looks like an epcn file "
        "but lacks the mandatory column valid_from"
    )
    assert list(settings.temp_dir.glob("*.csv")) == []


def test_a_corrupt_workbook_is_refused_in_one_sentence(tmp_path, organisations, load):
    good = epcn_workbook(tmp_path / "good.xlsx", many_partners(3)).read_bytes()
    (tmp_path / "ePCN.xlsx").write_bytes(good[: len(good) // 2])
    before = data_snapshot(organisations)
    [result] = load(tmp_path / "ePCN.xlsx")
    assert result.outcome == "rejected"
    assert result.message == (
        f"{tmp_path / 'ePCN.xlsx'}: the file is binary, not a CSV or Parquet file (it starts "
        "as a zip archive or workbook does, but cannot be opened as one: damaged or cut short)"
    )
    assert data_snapshot(organisations) == before


def test_a_zip_archive_is_named_for_what_it_holds(tmp_path, settings, load):
    with zipfile.ZipFile(tmp_path / "epcn.zip", "w") as archive:
        archive.writestr("ePCN.xlsx", b"not really")
    [result] = load(tmp_path / "epcn.zip")
    assert result.message == (
        f"{tmp_path / 'epcn.zip'}: is a zip archive, not a data file; unpack it and load ePCN.xlsx"
    )


def test_a_damaged_sheet_inside_a_sound_zip_is_refused(tmp_path, settings, load):
    path = epcn_workbook(tmp_path / "good.xlsx", many_partners(3))
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tmp_path / "ePCN.xlsx", "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[:40] if item.filename.endswith("sheet2.xml") else data)
    [result] = load(tmp_path / "ePCN.xlsx")
    assert result.outcome == "rejected"
    assert result.message.startswith(f"{tmp_path / 'ePCN.xlsx'}: the workbook cannot be read (")
    assert list(settings.temp_dir.glob("*.csv")) == []


def test_a_sheet_with_a_wrong_stored_dimension_is_read_whole(tmp_path, settings, load):
    path = epcn_workbook(tmp_path / "good.xlsx", many_partners(40))
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tmp_path / "ePCN.xlsx", "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("sheet2.xml"):  # some exporters write ref="A1"
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', data)
            target.writestr(item, data)
    [result] = load(tmp_path / "ePCN.xlsx")
    assert (result.outcome, result.counts.rows_accepted) == ("loaded", 40), result.message
    assert table_rows(settings, "epcn_memberships")[-1][:4] == (
        "B80039", "U11111", "NETWORK U11111 PCN", date(2019, 7, 1),
    )  # fmt: skip


def test_too_many_bad_rows_name_the_first_sheet_row(tmp_path, settings, load):
    rows = [*many_partners(2), *[epcn_partner("A84005", "U1", "someday")] * 2]
    [result] = load(epcn_workbook(tmp_path / "ePCN.xlsx", rows))
    assert result.message.endswith(
        "most often invalid_date in valid_from (2 rows, first at row 4: 'someday')"
    )
