"""The ePCN 'core partner details' sheet updates network membership in the organisations
hierarchy: a practice that moves PCN is split at the start date."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.etl.conftest import data_snapshot, table_rows, write_csv
from tests.etl.rows import epcn_row, org_row, quarantine
from tests.etl.workbooks import epcn_partner, epcn_workbook


@pytest.fixture
def organisations(tmp_path, settings, load):
    rows = [
        org_row("A84005", "U11111"),
        org_row("A84006", "U11111"),
        org_row("A84007", "U22222", locality_code="L2", locality_name="South"),
    ]
    [result] = load(write_csv(tmp_path / "organisations.csv", rows))
    assert result.outcome == "loaded"
    return settings


def memberships(settings) -> list[tuple]:
    """(practice, network, network name, locality, area, valid_from, valid_to, load_id)."""
    rows = table_rows(settings, "organisations", "practice_code, valid_from")
    return [(r[0], r[2], r[3], r[4], r[6], r[9], r[10], r[11]) for r in rows]


def test_a_practice_moving_network_is_split_the_day_before(tmp_path, organisations, load):
    rows = [epcn_row("A84005", "U22222", "2026-04-01")]
    [result] = load(write_csv(tmp_path / "epcn.csv", rows))
    assert (result.outcome, result.feed, result.counts.rows_accepted) == ("loaded", "epcn", 1)
    assert result.notes == ["1 practice membership(s) moved network from the ePCN file"]
    assert memberships(organisations) == [
        ("A84005", "U11111", "Network U11111", "L1", "AR1", date(2020, 4, 1), date(2026, 3, 31), 1),
        ("A84005", "U22222", "Network U22222", "L1", "AR1", date(2026, 4, 1), None, 2),
        ("A84006", "U11111", "Network U11111", "L1", "AR1", date(2020, 4, 1), None, 1),
        ("A84007", "U22222", "Network U22222", "L2", "AR1", date(2020, 4, 1), None, 1),
    ]
    assert table_rows(organisations, "epcn_memberships") == [
        ("A84005", "U22222", "Network U22222", date(2026, 4, 1), None, 2),
    ]


def test_a_row_confirming_the_current_network_changes_nothing(tmp_path, organisations, load):
    before = memberships(organisations)
    rows = [epcn_row("A84006", "U11111", "2020-04-01"), epcn_row("A84007", "U22222", "2023-01-01")]
    [result] = load(write_csv(tmp_path / "epcn.csv", rows))
    assert result.notes == ["0 practice membership(s) moved network from the ePCN file"]
    assert memberships(organisations) == before


def test_a_move_with_an_end_date_ends_the_new_membership(tmp_path, organisations, load):
    rows = [epcn_row("A84006", "U33333", "2025-10-01", "2026-03-31")]
    [result] = load(write_csv(tmp_path / "epcn.csv", rows))
    assert result.outcome == "loaded"
    a84006 = [row for row in memberships(organisations) if row[0] == "A84006"]
    assert a84006 == [
        ("A84006", "U11111", "Network U11111", "L1", "AR1", date(2020, 4, 1), date(2025, 9, 30), 1),
        (
            "A84006",
            "U33333",
            "Network U33333",
            "L1",
            "AR1",
            date(2025, 10, 1),
            date(2026, 3, 31),
            2,
        ),
    ]


def test_a_practice_missing_from_the_hierarchy_is_noted(tmp_path, organisations, load):
    rows = [epcn_row("Z99999", "U22222", "2026-04-01")]
    [result] = load(write_csv(tmp_path / "epcn.csv", rows))
    assert result.notes == [
        "0 practice membership(s) moved network from the ePCN file",
        "1 practice(s) in the ePCN file are not in the organisations feed",
    ]
    assert len(memberships(organisations)) == 3


def test_a_bad_epcn_row_is_quarantined_and_the_hierarchy_untouched(tmp_path, organisations, load):
    rows = [epcn_row(f"B{80000 + n}", "U11111", "2020-04-01") for n in range(30)]
    rows.append(epcn_row("A84005", "U22222", "2026-04-01", "2026-01-01"))  # line 32
    before = data_snapshot(organisations)["organisations"]
    [result] = load(write_csv(tmp_path / "epcn.csv", rows))
    assert (result.outcome, result.counts.rows_quarantined) == ("loaded", 1)
    assert quarantine(organisations) == [
        ("epcn.csv", 32, "valid_to", "2026-01-01", "valid_to_before_valid_from"),
    ]
    assert data_snapshot(organisations)["organisations"] == before


def test_a_repeated_move_in_a_later_file_changes_nothing_more(tmp_path, organisations, load):
    load(write_csv(tmp_path / "epcn_1.csv", [epcn_row("A84005", "U22222", "2026-04-01")]))
    after_first = memberships(organisations)
    rows = [epcn_row("A84005", "U22222", "2026-04-01"), epcn_row("A84006", "U11111", "2020-04-01")]
    [result] = load(write_csv(tmp_path / "epcn_2.csv", rows))
    assert result.notes == ["0 practice membership(s) moved network from the ePCN file"]
    assert memberships(organisations) == after_first


def test_a_blank_pcn_name_takes_the_name_the_hierarchy_knows(tmp_path, organisations, load):
    row = epcn_row("A84006", "U22222", "2026-06-01") | {"PCN Name": ""}
    load(write_csv(tmp_path / "epcn.csv", [row]))
    a84006 = [row[:3] for row in memberships(organisations) if row[0] == "A84006"]
    assert a84006 == [
        ("A84006", "U11111", "Network U11111"),
        ("A84006", "U22222", "Network U22222"),
    ]


# The ePCN workbook as ODS publishes it (ePCN.xlsx), in both layouts: see tests/etl/workbooks.py.


@pytest.mark.parametrize("layout", ["2019", "2024"])
def test_the_published_workbook_moves_practices_in_either_layout(
    tmp_path, organisations, load, layout
):
    rows = [
        epcn_partner("A84005", "U22222", datetime(2026, 4, 1)),  # a real Excel date
        epcn_partner("A84006", "U11111", "01/07/2019"),  # a text date, day first
        epcn_partner("A84007", "U33333", "2025-10-01", "31/03/2026"),
    ]
    [result] = load(epcn_workbook(tmp_path / "ePCN.xlsx", rows, layout))
    assert (result.outcome, result.feed, result.counts.rows_accepted) == ("loaded", "epcn", 3), (
        result.message
    )
    assert result.notes == [
        "2 practice membership(s) moved network from the ePCN file",
        "read from the workbook's sheet 'PCN Core Partner Details'",
    ]  # every published column is known, so none is listed as ignored
    assert table_rows(organisations, "epcn_memberships") == [
        ("A84005", "U22222", "NETWORK U22222 PCN", date(2026, 4, 1), None, 2),
        ("A84006", "U11111", "NETWORK U11111 PCN", date(2019, 7, 1), None, 2),
        ("A84007", "U33333", "NETWORK U33333 PCN", date(2025, 10, 1), date(2026, 3, 31), 2),
    ]
    a84007 = [row[1:2] + row[5:7] for row in memberships(organisations) if row[0] == "A84007"]
    assert a84007 == [
        ("U22222", date(2020, 4, 1), date(2025, 9, 30)),
        ("U33333", date(2025, 10, 1), date(2026, 3, 31)),
    ]


def test_an_impossible_text_date_in_the_workbook_is_quarantined_by_sheet_row(
    tmp_path, organisations, load
):
    rows = [epcn_partner(f"B{80000 + n}", "U11111", datetime(2019, 7, 1)) for n in range(30)]
    rows.insert(2, epcn_partner("A84005", "U22222", "2026-04-01", "31/13/2026"))  # row 4
    before = memberships(organisations)
    [result] = load(epcn_workbook(tmp_path / "ePCN.xlsx", rows, "2019"))
    assert (result.outcome, result.counts.rows_quarantined) == ("loaded", 1), result.message
    assert quarantine(organisations) == [
        ("ePCN.xlsx", 4, "valid_to", "31/13/2026", "invalid_date"),
    ]
    assert memberships(organisations) == before
