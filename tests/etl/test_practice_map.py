"""NHS Digital's practice mapping file (`gp-reg-pat-prac-map.csv`, "Patients Registered at a
GP Practice") loads as published in each header generation: each practice's PCN holds from
the file's EXTRACT_DATE, and the hierarchy is split where a practice changed network."""

from __future__ import annotations

from datetime import date

import pytest

from tests.etl.conftest import data_snapshot, table_rows, write_csv
from tests.etl.rows import org_row, quarantine

# The published headers: CCG and STP columns until mid-2022, then Sub ICB Location and ICB;
# EXTRACT_DATE as 01JAN2021, then 01Jul2022 (mixed case), then ISO.
GENERATIONS = {
    "2021": (
        "01JAN2021",
        "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,ONS_CCG_CODE,"
        "CCG_CODE,CCG_NAME,ONS_STP_CODE,STP_CODE,STP_NAME,ONS_COMM_REGION_CODE,"
        "COMM_REGION_CODE,COMM_REGION_NAME,PCN_CODE,PCN_NAME",
    ),
    "2022": (
        "01Jul2022",
        "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,"
        "ONS_SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,ONS_ICB_CODE,"
        "ICB_CODE,ICB_NAME,ONS_COMM_REGION_CODE,COMM_REGION_CODE,COMM_REGION_NAME,PCN_CODE,"
        "PCN_NAME",
    ),
    "2026": (
        "2026-04-01",
        "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,"
        "ONS_SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,ONS_ICB_CODE,"
        "ICB_CODE,ICB_NAME,ONS_COMM_REGION_CODE,COMM_REGION_CODE,COMM_REGION_NAME,PCN_CODE,"
        "PCN_NAME,SUPPLIER_NAME",
    ),
}
VALID_FROM = {"2021": date(2021, 1, 1), "2022": date(2022, 7, 1), "2026": date(2026, 4, 1)}


def map_row(practice: str, network: str, generation: str = "2026", **changes) -> dict:
    """One practice's row of a published mapping file (organisation names made up)."""
    extract_date, header = GENERATIONS[generation]
    values = [
        "GP_PRAC_PAT_LIST", extract_date, practice, f"PRACTICE {practice}", "LS1 1AA",
        "E38000225", "15F", "NHS LEEDS", "E54000054", "QWO", "NHS WEST YORKSHIRE ICB",
        "E40000012", "Y63", "NORTH EAST AND YORKSHIRE", network, f"{network} PCN", "EMIS",
    ]  # fmt: skip
    row = dict(zip(header.split(","), values, strict=False))
    row.update(changes)
    return row


@pytest.fixture
def organisations(tmp_path, settings, load):
    rows = [org_row("A84005", "U11111"), org_row("A84006", "U11111")]
    [result] = load(write_csv(tmp_path / "organisations.csv", rows))
    assert result.outcome == "loaded"
    return settings


def networks(settings) -> list[tuple]:
    """(practice, network, valid_from, valid_to) of every hierarchy row."""
    rows = table_rows(settings, "organisations", "practice_code, valid_from")
    return [(r[0], r[2], r[9], r[10]) for r in rows]


@pytest.mark.parametrize("generation", GENERATIONS)
def test_each_published_generation_gives_memberships_from_its_extract_date(
    tmp_path, organisations, load, generation
):
    rows = [map_row("A84005", "U22222", generation), map_row("A84006", "U11111", generation)]
    [result] = load(write_csv(tmp_path / "gp-reg-pat-prac-map.csv", rows))
    assert (result.outcome, result.feed) == ("loaded", "practice_map"), result.message
    assert result.notes == ["1 practice membership(s) moved network from the practice mapping file"]
    moved = VALID_FROM[generation]
    assert table_rows(organisations, "epcn_memberships") == [
        ("A84005", "U22222", "U22222 PCN", moved, None, 2),
        ("A84006", "U11111", "U11111 PCN", moved, None, 2),
    ]
    assert networks(organisations) == [
        ("A84005", "U11111", date(2020, 4, 1), date.fromordinal(moved.toordinal() - 1)),
        ("A84005", "U22222", moved, None),
        ("A84006", "U11111", date(2020, 4, 1), None),
    ]


def test_a_later_month_moves_only_the_practices_that_changed(tmp_path, organisations, load):
    load(write_csv(tmp_path / "map-2022.csv", [map_row("A84005", "U22222", "2022")]))
    later = [map_row("A84005", "U22222"), map_row("A84006", "U22222")]
    [result] = load(write_csv(tmp_path / "map-2026.csv", later))
    assert result.notes == ["1 practice membership(s) moved network from the practice mapping file"]
    assert networks(organisations) == [
        ("A84005", "U11111", date(2020, 4, 1), date(2022, 6, 30)),
        ("A84005", "U22222", date(2022, 7, 1), None),
        ("A84006", "U11111", date(2020, 4, 1), date(2026, 3, 31)),
        ("A84006", "U22222", date(2026, 4, 1), None),
    ]


def test_a_mapping_file_from_before_pcns_says_what_it_lacks(tmp_path, organisations, load):
    header = GENERATIONS["2021"][1].split(",")[:-2]  # 2018 files had no PCN columns
    before = data_snapshot(organisations)
    [result] = load(write_csv(tmp_path / "map.csv", [map_row("A84005", "U2", "2021")], header))
    assert result.outcome == "rejected"
    assert result.message == (
        f"{tmp_path / 'map.csv'}: looks like a practice_map file but lacks the mandatory "
        "column network_code"
    )
    assert data_snapshot(organisations) == before


def test_a_bad_extract_date_is_quarantined_and_the_hierarchy_untouched(
    tmp_path, organisations, load
):
    rows = [map_row(f"B8{n:04d}", "U11111") for n in range(30)]
    rows.append(map_row("A84005", "U22222", EXTRACT_DATE="31JUN2026"))  # line 32
    before = networks(organisations)
    [result] = load(write_csv(tmp_path / "gp-reg-pat-prac-map.csv", rows))
    assert (result.outcome, result.counts.rows_quarantined) == ("loaded", 1), result.message
    assert quarantine(organisations) == [
        ("gp-reg-pat-prac-map.csv", 32, "valid_from", "31JUN2026", "invalid_date"),
    ]
    assert networks(organisations) == before


def test_a_future_extract_date_rejects_the_file_and_changes_nothing(tmp_path, organisations, load):
    rows = [map_row("A84005", "U22222", EXTRACT_DATE="01JAN2999")]
    before = data_snapshot(organisations)
    [result] = load(write_csv(tmp_path / "gp-reg-pat-prac-map.csv", rows))
    assert result.outcome == "rejected"
    assert "future_date in valid_from" in result.message
    assert data_snapshot(organisations) == before


def test_a_practice_in_no_pcn_is_ignored_not_quarantined(tmp_path, organisations, load):
    rows = [
        map_row("A84005", "U22222"),
        map_row("A84006", "U", PCN_NAME="Unallocated"),
        map_row("A84007", "", PCN_NAME=""),
    ]
    [result] = load(write_csv(tmp_path / "gp-reg-pat-prac-map.csv", rows))
    assert (result.outcome, result.counts.rows_accepted, result.counts.rows_ignored) == (
        "loaded", 1, 2,
    ), result.message  # fmt: skip
    assert quarantine(organisations) == []
    assert [row[:2] for row in table_rows(organisations, "epcn_memberships")] == [
        ("A84005", "U22222"),
    ]
