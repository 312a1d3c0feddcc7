"""ODS practices (`epraccur.csv`) load as published: no header row, every field quoted, 27
fields, dates as YYYYMMDD, and the status in either vocabulary (A/C/D/P in older files,
ACTIVE/INACTIVE/DORMANT in newer). The file is recognised by its shape and the load says so;
quarantined values name the file's own lines; bad input changes nothing."""

from __future__ import annotations

import gzip
from datetime import date

import pytest

from etl.ods_feeds import EPRACCUR_FIELDS
from tests.etl.conftest import data_snapshot, table_rows
from tests.etl.rows import quarantine

RECOGNISED = (
    "recognised as ODS epraccur by its shape (no header row, 27 quoted fields) and read under "
    "the published field names"
)


def epraccur_row(code: str, status: str = "A", opened: str = "19740401", closed: str = "",
                 **changes) -> list[str]:  # fmt: skip
    """The 27 fields of one published row (address and telephone made up)."""
    row = dict.fromkeys(EPRACCUR_FIELDS, "")
    row.update(
        organisation_code=code, name=f"THE {code} SURGERY", national_grouping="Y63",
        high_level_health_geography="QWO", address_line_1="THE HEALTH CENTRE",
        address_line_2="LAWSON STREET", address_line_4="LEEDS", address_line_5="WEST YORKSHIRE",
        postcode="LS1 1AA", open_date=opened, close_date=closed, status_code=status,
        organisation_sub_type_code="B", commissioner="15F", join_provider_purchaser_date=opened,
        left_provider_purchaser_date=closed, contact_telephone_number="0113 000 0000",
        amended_record_indicator="0", provider_purchaser="15F", prescribing_setting="4",
    )  # fmt: skip
    row.update(changes)
    return list(row.values())


def write_epraccur(path, rows: list[list[str]]):
    """As ODS writes it: every field quoted, CRLF line ends, no header row."""
    lines = [",".join(f'"{value}"' for value in row) for row in rows]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def practices(settings) -> list[tuple]:
    return table_rows(settings, "ods_practices", "practice_code")


@pytest.mark.parametrize(
    ("statuses", "stored"),
    [
        (("A", "C", "D", "P"), ("ACTIVE", "CLOSED", "DORMANT", "PROPOSED")),
        (("ACTIVE", "INACTIVE", "DORMANT", "ACTIVE"), ("ACTIVE", "CLOSED", "DORMANT", "ACTIVE")),
    ],
    ids=["older", "newer"],
)
def test_a_published_file_loads_in_either_status_vocabulary(
    tmp_path, settings, load, statuses, stored
):
    rows = [
        epraccur_row("A84005", statuses[0]),
        epraccur_row("A84006", statuses[1], "19850101", "20240331"),
        epraccur_row("A84007", statuses[2]),
        epraccur_row("Y09999", statuses[3], "20260401", prescribing_setting="1"),
    ]
    [result] = load(write_epraccur(tmp_path / "epraccur.csv", rows))
    assert (result.outcome, result.feed, result.counts.rows_accepted) == (
        "loaded", "ods_practices", 4,
    ), result.message  # fmt: skip
    assert result.notes == [RECOGNISED]
    assert practices(settings) == [
        ("A84005", "THE A84005 SURGERY", "LS1 1AA", "15F", date(1974, 4, 1), None, stored[0], 4, 1),
        ("A84006", "THE A84006 SURGERY", "LS1 1AA", "15F", date(1985, 1, 1), date(2024, 3, 31),
         stored[1], 4, 1),
        ("A84007", "THE A84007 SURGERY", "LS1 1AA", "15F", date(1974, 4, 1), None, stored[2], 4, 1),
        ("Y09999", "THE Y09999 SURGERY", "LS1 1AA", "15F", date(2026, 4, 1), None, stored[3], 1, 1),
    ]  # fmt: skip
    assert list(settings.temp_dir.glob("*.csv")) == []


def test_a_later_file_revises_a_practice(tmp_path, settings, load):
    load(write_epraccur(tmp_path / "epraccur-2024.csv", [epraccur_row("A84005")]))
    later = [epraccur_row("A84005", "INACTIVE", closed="20250930", name="THE NEW NAME")]
    [result] = load(write_epraccur(tmp_path / "epraccur-2025.csv", later))
    assert (result.outcome, result.rows_replaced) == ("loaded", 1), result.message
    assert [row[:2] + row[5:7] for row in practices(settings)] == [
        ("A84005", "THE NEW NAME", date(2025, 9, 30), "CLOSED"),
    ]


def test_a_bad_date_is_quarantined_by_the_file_line(tmp_path, settings, load):
    rows = [epraccur_row(f"B8{n:04d}") for n in range(30)]
    rows.insert(6, epraccur_row("A84005", "C", closed="20240231"))  # line 7, no header row
    [result] = load(write_epraccur(tmp_path / "epraccur.csv", rows))
    assert (result.outcome, result.counts.rows_quarantined) == ("loaded", 1), result.message
    assert quarantine(settings) == [("epraccur.csv", 7, "close_date", "20240231", "invalid_date")]


def test_a_file_of_bad_rows_is_refused_and_changes_nothing(tmp_path, settings, load):
    load(write_epraccur(tmp_path / "first.csv", [epraccur_row("A84005")]))
    before = data_snapshot(settings)
    rows = [epraccur_row("A84005", "X"), epraccur_row("A84006", opened="19740431")]
    [result] = load(write_epraccur(tmp_path / "epraccur.csv", rows))
    assert result.outcome == "rejected"
    assert result.message == (
        f"{tmp_path / 'epraccur.csv'}: 2 of 2 rows (100.0%) break row rules, above the 5% "
        "limit; most often invalid_code in status (1 rows, first at line 1: 'X')"
    )
    assert data_snapshot(settings) == before
    assert list(settings.temp_dir.glob("*.csv")) == []


def test_a_row_with_a_field_missing_names_its_line(tmp_path, settings, load):
    path = write_epraccur(tmp_path / "epraccur.csv", [epraccur_row("A84005")] * 2)
    text = path.read_text(encoding="utf-8").splitlines()
    path.write_text(text[0] + "\r\n" + text[1].rsplit(",", 1)[0] + "\r\n", encoding="utf-8")
    [result] = load(path)
    assert (result.outcome, result.message) == (
        "rejected", f"{path} line 2: expected 27 fields, found 26",
    )  # fmt: skip


def test_a_headerless_file_of_another_shape_is_not_taken_for_epraccur(tmp_path, load):
    path = tmp_path / "epraccur.csv"
    path.write_text('"A84005","THE SURGERY","19740401"\r\n', encoding="utf-8")
    [result] = load(path)
    assert result.outcome == "rejected"
    assert "unknown feed" in result.message


def test_a_gzipped_file_loads_and_a_truncated_one_is_refused(tmp_path, settings, load):
    text = write_epraccur(tmp_path / "plain.csv", [epraccur_row(f"B8{n:04d}") for n in range(2000)])
    packed = gzip.compress(text.read_bytes())
    (tmp_path / "epraccur.csv.gz").write_bytes(packed)
    [result] = load(tmp_path / "epraccur.csv.gz")
    assert (result.outcome, result.counts.rows_accepted) == ("loaded", 2000), result.message
    before = data_snapshot(settings)
    (tmp_path / "cut.csv.gz").write_bytes(packed[: len(packed) // 2])
    [result] = load(tmp_path / "cut.csv.gz")
    assert result.outcome == "rejected"
    assert result.message.startswith(f"{tmp_path / 'cut.csv.gz'}: the compressed file ")
    assert data_snapshot(settings) == before
    assert list(settings.temp_dir.glob("*.csv")) == []
