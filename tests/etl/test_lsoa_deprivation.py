"""The lsoa_deprivation reference feed: MHCLG's published File 1 loads unchanged (either
edition), bad deciles and LSOA codes are quarantined, each load upserts by LSOA, and the
status report gives the table's rows without a date range."""

from __future__ import annotations

import duckdb
import pytest

from etl.status import feed_status
from tests.etl.conftest import table_rows, write_csv
from tests.etl.rows import quarantine
from tests.etl.workbooks import IMD_SHEETS, imd_workbook

# "File 1: Index of Multiple Deprivation", IoD2019 (LSOA 2011) and IoD2025 (LSOA 2021).
EDITIONS = {
    "2019": [
        "LSOA code (2011)", "LSOA name (2011)", "Local Authority District code (2019)",
        "Local Authority District name (2019)", "Index of Multiple Deprivation (IMD) Rank",
        "Index of Multiple Deprivation (IMD) Decile",
    ],
    "2025": [
        "LSOA code (2021)", "LSOA name (2021)", "Local Authority District code (2024)",
        "Local Authority District name (2024)",
        "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
        "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
    ],
}  # fmt: skip


def imd_row(code: str, rank: int | str, decile: int | str, edition: str = "2019") -> dict:
    """One row of a published File 1 (the name and local authority columns made up)."""
    values = [code, f"Leeds {code[-3:]}A", "E08000035", "Leeds", str(rank), str(decile)]
    return dict(zip(EDITIONS[edition], values, strict=True))


def good_rows(count: int) -> list[dict]:
    """`count` valid rows, LSOAs E01000001…, ranked in code order."""
    return [imd_row(f"E0100{n:04d}", n, 1 + (n - 1) * 10 // count) for n in range(1, count + 1)]


@pytest.mark.parametrize("edition", EDITIONS)
def test_a_published_file_loads_unchanged_with_its_extra_columns_ignored(
    tmp_path, settings, load, edition
):
    rows = [imd_row("E01000001", 1, 1, edition), imd_row("e01033768", 32844, 10, edition)]
    [result] = load(write_csv(tmp_path / "File_1_IoD.csv", rows))
    assert (result.outcome, result.feed) == ("loaded", "lsoa_deprivation"), result.message
    assert table_rows(settings, "lsoa_deprivation") == [
        ("E01000001", 1, 1, 1),
        ("E01033768", 10, 32844, 1),
    ]
    assert result.notes == [
        f"columns not in the contract, ignored: {', '.join(EDITIONS[edition][1:4])}"
    ]


def test_the_rank_is_optional(tmp_path, settings, load):
    path = tmp_path / "deciles.csv"
    path.write_text("lsoa_code,imd_decile\nE01000001,3\n", encoding="utf-8")
    [result] = load(path)
    assert (result.outcome, result.feed) == ("loaded", "lsoa_deprivation"), result.message
    assert table_rows(settings, "lsoa_deprivation") == [("E01000001", 3, None, 1)]


@pytest.mark.parametrize(
    ("code", "decile", "column", "value", "rule"),
    [
        ("E01000099", "11", "imd_decile", "11", "out_of_range"),
        ("E01000099", "0", "imd_decile", "0", "out_of_range"),
        ("E0100099", "5", "lsoa_code", "E0100099", "invalid_lsoa"),
        ("S01006506", "5", "lsoa_code", "S01006506", "invalid_lsoa"),
    ],
)
def test_a_bad_decile_or_lsoa_code_is_quarantined(
    tmp_path, settings, load, code, decile, column, value, rule
):
    rows = [*good_rows(30), imd_row(code, 99, decile)]
    [result] = load(write_csv(tmp_path / "imd.csv", rows))
    assert (result.outcome, result.feed) == ("loaded", "lsoa_deprivation"), result.message
    assert (result.counts.rows_accepted, result.counts.rows_quarantined) == (30, 1)
    assert quarantine(settings) == [("imd.csv", 32, column, value, rule)]


def test_a_later_load_revises_the_lsoas_it_lists_and_keeps_the_rest(tmp_path, settings, load):
    load(write_csv(tmp_path / "2019.csv", [imd_row("E01000001", 1, 1), imd_row("E01000002", 2, 1)]))
    revised = [imd_row("E01000002", 5, 2, "2025"), imd_row("E01035000", 6, 2, "2025")]
    [result] = load(write_csv(tmp_path / "2025.csv", revised))
    assert (result.outcome, result.rows_replaced) == ("loaded", 1), result.message
    assert table_rows(settings, "lsoa_deprivation") == [
        ("E01000001", 1, 1, 1),
        ("E01000002", 2, 5, 2),
        ("E01035000", 2, 6, 2),
    ]


def test_the_status_reports_its_rows_without_a_date_range(tmp_path, settings, load):
    load(write_csv(tmp_path / "imd.csv", good_rows(3)))
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        status = feed_status(connection)["lsoa_deprivation"]
    assert (status["rows"], status["date_from"], status["date_to"]) == (3, None, None)
    assert status["latest_file"] == str(tmp_path / "imd.csv")


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_published_workbook_loads_from_its_data_sheet(tmp_path, settings, load, edition):
    rows = [list(imd_row("E01000001", 1, 1, edition).values()),
            list(imd_row("E01033768", 32844, 10, edition).values())]  # fmt: skip
    rows = [[int(value) if value.isdigit() else value for value in row] for row in rows]
    path = imd_workbook(tmp_path / "File_1_IoD.xlsx", EDITIONS[edition], rows, edition)
    [result] = load(path)
    assert (result.outcome, result.feed) == ("loaded", "lsoa_deprivation"), result.message
    assert table_rows(settings, "lsoa_deprivation") == [
        ("E01000001", 1, 1, 1),
        ("E01033768", 10, 32844, 1),
    ]
    assert result.notes == [
        f"read from the workbook's sheet '{IMD_SHEETS[edition]}'",
        f"columns not in the contract, ignored: {', '.join(EDITIONS[edition][1:4])}",
    ]


def test_a_bad_decile_in_the_workbook_names_its_sheet_row(tmp_path, settings, load):
    rows = [list(row.values()) for row in good_rows(30)]
    rows[9][5] = "11"  # sheet row 11
    [result] = load(imd_workbook(tmp_path / "imd.xlsx", EDITIONS["2019"], rows, "2019"))
    assert (result.outcome, result.counts.rows_quarantined) == ("loaded", 1), result.message
    assert quarantine(settings) == [("imd.xlsx", 11, "imd_decile", "11", "out_of_range")]
