"""The ae_attendances feed takes a HES A&E extract as NHS Digital publishes it: upper-case
HES Data Dictionary names, many ignored fields, and HES's own conventions (`&` and `-` for
not recorded, sentinel dates, infant ages 7001-7007, SEX 0 and 9, pseudo practice codes,
`5.0` integers, leading zeros lost by a spreadsheet). Bad files are refused in one sentence
and leave the warehouse as it was."""

from __future__ import annotations

from datetime import date

import pytest

from etl.ae_feeds import AE_ATTENDANCES
from etl.hes import PSEUDO_PRACTICES
from tests.etl.conftest import data_snapshot, table_rows, write_csv
from tests.etl.rows import quarantine
from tests.etl.test_feeds_registry import contract_columns, contract_sections

# The published layout: the fields the feed reads among some it ignores, in HES order.
HES_AE_HEADER = [
    "FYEAR", "PARTYEAR", "AEKEY", "PSEUDO_HESID", "PROCODE3", "ARRIVALDATE", "ARRIVALTIME",
    "ARRIVALAGE", "SEX", "ETHNOS", "AEARRIVALMODE", "AEATTENDCAT", "AEATTENDDISP",
    "AEDEPTTYPE", "AEINCLOCTYPE", "AEPATGROUP", "AEREFSOURCE", "GPPRAC", "LSOA11",
    "DIAG_01", "INVEST_01", "TREAT_01", "INITDUR", "TRETDUR", "CONCLDUR", "DEPDUR",
]  # fmt: skip
IGNORED = {"FYEAR", "PARTYEAR", "ARRIVALTIME", "ETHNOS", "AEINCLOCTYPE", "AEPATGROUP",
           "LSOA11", "DIAG_01", "INVEST_01", "TREAT_01", "INITDUR", "TRETDUR", "CONCLDUR",
           "DEPDUR"}  # fmt: skip
PERSON = "6F1D0C2B9A8E7D6C5B4A39281706F5E4"  # a 32-character PSEUDO_HESID


def ae_row(key: str = "12345678901", **changes) -> dict[str, str]:
    """One valid attendance in the published layout; keyword arguments change fields."""
    row = dict(
        FYEAR="2526", PARTYEAR="202601", AEKEY=key, PSEUDO_HESID=PERSON, PROCODE3="RAE",
        ARRIVALDATE="2026-01-05", ARRIVALTIME="1432", ARRIVALAGE="87", SEX="2", ETHNOS="A",
        AEARRIVALMODE="1", AEATTENDCAT="1", AEATTENDDISP="01", AEDEPTTYPE="01",
        AEINCLOCTYPE="10", AEPATGROUP="80", AEREFSOURCE="03", GPPRAC="A84005",
        LSOA11="E01010613", DIAG_01="011", INVEST_01="05", TREAT_01="21", INITDUR="12",
        TRETDUR="95", CONCLDUR="180", DEPDUR="235",
    )  # fmt: skip
    row.update(changes)
    return row


def ae_rows(count: int, start: int = 1) -> list[dict[str, str]]:
    """`count` valid attendances with distinct 12-digit keys."""
    return [ae_row(str(100_000_000_000 + number)) for number in range(start, start + count)]


def write_ae(path, rows):
    return write_csv(path, rows, HES_AE_HEADER)


STORED = (
    "aekey, person_id, arrivaldate, arrivalage, aeattendcat, aeattenddisp, aerefsource, gpprac, sex"
)


def stored(settings) -> dict[str, tuple]:
    """aekey -> (arrivaldate, arrivalage, attendcat, disposal, referral, gpprac, sex)."""
    rows = table_rows(settings, f"(SELECT {STORED} FROM ae_attendances)")
    return {row[0]: row[2:] for row in rows}


QUIRKS = [
    ae_row("12345678901"),  # 11 digits
    ae_row("12345678901234", ARRIVALAGE="7003", SEX="0"),  # 14 digits; a 7-28 day old baby
    ae_row("200000000001", GPPRAC="&", AEREFSOURCE="-   "),  # not recorded
    ae_row("200000000002", GPPRAC="V81999", SEX="9", AEATTENDCAT="2"),  # practice not known
    ae_row("200000000003", GPPRAC="v81997", ARRIVALAGE="79.0", AEATTENDCAT="3.0"),
    ae_row("200000000004", AEATTENDDISP="3", AEREFSOURCE="1"),  # spreadsheet dropped zeros
    ae_row("200000000005", ARRIVALDATE="1800-01-01"),  # HES: no date
    ae_row("200000000006", ARRIVALDATE="1801-01-01", ARRIVALAGE="-"),  # HES: invalid date
]


def test_a_published_hes_ae_extract_loads_with_its_quirks(tmp_path, settings, load):
    path = write_ae(tmp_path / "HES_AE_2526.csv", QUIRKS)
    [result] = load(path)
    assert (result.outcome, result.feed) == ("loaded", "ae_attendances"), result.message
    assert (result.counts.rows_accepted, result.counts.rows_quarantined) == (8, 0)
    assert quarantine(settings) == []
    assert result.notes[:2] == [
        "dates given as invalid (1801-01-01) stored as no date, by attendance column: "
        "arrivaldate 1",
        "attendances with a pseudo practice code, kept but in no practice: "
        f"V81997 ({PSEUDO_PRACTICES['V81997']}) 1, V81999 ({PSEUDO_PRACTICES['V81999']}) 1",
    ]
    day = date(2026, 1, 5)
    assert stored(settings) == {
        "12345678901": (day, 87, "1", "01", "03", "A84005", "2"),
        "12345678901234": (day, 0, "1", "01", "03", "A84005", "0"),
        "200000000001": (day, 87, "1", "01", None, None, "2"),
        "200000000002": (day, 87, "2", "01", "03", "V81999", "9"),
        "200000000003": (day, 79, "3", "01", "03", "V81997", "2"),
        "200000000004": (day, 87, "1", "03", "01", "A84005", "2"),
        "200000000005": (None, 87, "1", "01", "03", "A84005", "2"),
        "200000000006": (None, None, "1", "01", "03", "A84005", "2"),
    }
    [(person, provider)] = {
        row for row in table_rows(settings, "(SELECT person_id, procode3 FROM ae_attendances)")
    }
    assert (person, provider) == (PERSON, "RAE")


def test_the_fields_it_does_not_read_are_ignored_and_named(tmp_path, load):
    [result] = load(write_ae(tmp_path / "ae.csv", [ae_row()]))
    assert result.outcome == "loaded"
    assert any(all(name in note for name in ("FYEAR", "DEPDUR")) for note in result.notes)


def test_a_revised_attendance_replaces_the_first(tmp_path, settings, load):
    load(write_ae(tmp_path / "first.csv", ae_rows(3)))
    revised = ae_row("100000000002", AEATTENDDISP="07", ARRIVALDATE="2026-01-06")
    [result] = load(write_ae(tmp_path / "revised.csv", [revised]))
    assert (result.outcome, result.rows_replaced) == ("loaded", 1)
    rows = stored(settings)
    assert sorted(rows) == ["100000000001", "100000000002", "100000000003"]
    assert rows["100000000002"][:4] == (date(2026, 1, 6), 87, "1", "07")


def test_a_lower_case_local_header_with_a_person_id_is_the_same_feed(tmp_path, settings, load):
    rows = [{k.lower(): v for k, v in ae_row().items()}]
    rows[0]["person_id"] = rows[0].pop("pseudo_hesid")
    [result] = load(write_csv(tmp_path / "local.csv", rows))
    assert (result.outcome, result.feed) == ("loaded", "ae_attendances")


def test_the_contract_names_every_column_the_feed_keeps():
    named = contract_columns(contract_sections()["ae_attendances"])
    assert named == [column.name for column in AE_ATTENDANCES.columns]


# Bad input: one sentence naming the file (and line, column and value), warehouse unchanged.


@pytest.fixture
def loaded(tmp_path, settings, load):
    """A warehouse already holding three attendances, so 'unchanged' means something."""
    [result] = load(write_ae(tmp_path / "base.csv", ae_rows(3, start=901)))
    assert result.outcome == "loaded"
    return settings


def assert_refused(settings, load, path, message: str) -> None:
    before = data_snapshot(settings)
    assert len(before["ae_attendances"]) == 3
    [result] = load(path)
    assert result.outcome == "rejected"
    assert result.message == message
    assert "\n" not in message and "Traceback" not in message
    assert data_snapshot(settings) == before


def test_an_extract_without_aekey_is_refused(tmp_path, loaded, load):
    header = [name for name in HES_AE_HEADER if name != "AEKEY"]
    path = write_csv(tmp_path / "no_key.csv", ae_rows(5), header)
    message = f"{path}: looks like an ae_attendances file but lacks the mandatory column aekey"
    assert_refused(loaded, load, path, message)


def test_an_attendance_twice_in_one_extract_is_refused(tmp_path, loaded, load):
    rows = ae_rows(30)
    rows.insert(4, ae_row("100000000020", SEX="1"))  # line 6; the first is on line 22
    path = write_ae(tmp_path / "twice.csv", rows)
    message = (
        f"{path} lines 6 and 22: the key (aekey 100000000020) appears twice; a file may hold "
        "each key once"
    )
    assert_refused(loaded, load, path, message)


def test_a_real_nhs_number_as_the_person_is_refused(tmp_path, loaded, load):
    rows = ae_rows(30)
    rows[7]["PSEUDO_HESID"] = "9434765919"  # line 9
    path = write_ae(tmp_path / "identifiable.csv", rows)
    message = (
        f"{path} line 9: person_id holds a real NHS number (10 digits with a valid check "
        "digit); identifiable data must be pseudonymised before loading, so nothing was loaded"
    )
    assert_refused(loaded, load, path, message)


def test_an_extract_of_mostly_unknown_codes_is_refused(tmp_path, loaded, load):
    rows = [dict(row, AEATTENDCAT="X") for row in ae_rows(10)]
    path = write_ae(tmp_path / "codes.csv", rows)
    message = (
        f"{path}: 10 of 10 rows (100.0%) break row rules, above the 5% limit; most often "
        "invalid_code in aeattendcat (10 rows, first at line 2: 'X')"
    )
    assert_refused(loaded, load, path, message)


def test_a_value_outside_the_hes_codes_quarantines_only_its_row(tmp_path, settings, load):
    rows = ae_rows(80)  # three bad rows stay under the 5% limit
    rows[10]["SEX"] = "3"  # line 12
    rows[20]["ARRIVALAGE"] = "7008"  # line 22: not one of the infant codes
    rows[30]["GPPRAC"] = "A8400"  # line 32
    [result] = load(write_ae(tmp_path / "three_bad.csv", rows))
    assert (result.outcome, result.counts.rows_accepted) == ("loaded", 77)
    assert quarantine(settings) == [
        ("three_bad.csv", 12, "sex", "3", "invalid_code"),
        ("three_bad.csv", 22, "arrivalage", "7008", "out_of_range"),
        ("three_bad.csv", 32, "gpprac", "A8400", "invalid_practice_code"),
    ]
