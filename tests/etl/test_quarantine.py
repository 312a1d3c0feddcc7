"""Rows that break a row rule: quarantined with file, line, column, raw value and rule, while
the rest of the file loads (below the 5% threshold)."""

from __future__ import annotations

import duckdb
import pytest

from tests.etl.conftest import apc_row, apc_rows, table_rows, write_csv
from tests.etl.rows import load_log, quarantine


def load_with_bad_row(tmp_path, load, settings, bad: dict, position: int = 10):
    """Loads 40 valid spells with `bad` inserted at `position` (file line position + 2)."""
    rows = apc_rows(40)
    rows.insert(position, bad)
    [result] = load(write_csv(tmp_path / "apc.csv", rows))
    assert result.outcome == "loaded", result.message
    counts = result.counts
    assert (counts.rows_read, counts.rows_accepted, counts.rows_quarantined) == (41, 40, 1)
    stored = [row[0] for row in table_rows(settings, "apc_spells")]
    assert sorted(stored) == sorted(f"S{number}" for number in range(1, 41))
    return result


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (dict(disdate="2026-01-02"), [("disdate", "2026-01-02", "disdate_before_admidate")]),
        (
            dict(admidate="2099-01-01", disdate="2099-01-05"),
            [("admidate", "2099-01-01", "future_date"), ("disdate", "2099-01-05", "future_date")],
        ),
        (dict(disdate="2025-02-30"), [("disdate", "2025-02-30", "invalid_date")]),
        (dict(admidate="2025-02-30"), [("admidate", "2025-02-30", "invalid_date")]),
        (dict(admidate="03/01/2026"), [("admidate", "03/01/2026", "invalid_date")]),
        (dict(gpprac="A8400"), [("gpprac", "A8400", "invalid_practice_code")]),
        (dict(gpprac="84005A"), [("gpprac", "84005A", "invalid_practice_code")]),
        (dict(diag_4_01="J44.X"), [("diag_4_01", "J44.X", "invalid_icd10")]),
        (dict(diag_4_concat="J44X;I1.0"), [("diag_4_concat", "J44X;I1.0", "invalid_icd10")]),
        (dict(opertn_4_concat="K40.1"), [("opertn_4_concat", "K40.1", "invalid_opcs4")]),
        (dict(startage="-1"), [("startage", "-1", "out_of_range")]),
        (dict(startage="121"), [("startage", "121", "out_of_range")]),
        (dict(startage="eighty"), [("startage", "eighty", "invalid_number")]),
        (dict(startage="80.5"), [("startage", "80.5", "invalid_number")]),
        (dict(admidate="26-01-03"), [("admidate", "26-01-03", "out_of_range")]),
        (dict(admidate="2026/01/03"), [("admidate", "2026/01/03", "invalid_date")]),
        (dict(disdate="2026-01-06 00:00:00"), [("disdate", "2026-01-06 00:00:00", "invalid_date")]),
        (dict(admimeth="99"), [("admimeth", "99", "invalid_code")]),
        (dict(classpat="6"), [("classpat", "6", "invalid_code")]),
        (dict(sex="X"), [("sex", "X", "invalid_code")]),
        (dict(admidate=""), [("admidate", None, "missing_value")]),
        (dict(person_id="  "), [("person_id", "  ", "missing_value")]),
    ],
)  # fmt: skip
def test_a_bad_row_is_quarantined_with_its_rule(tmp_path, settings, load, changes, expected):
    load_with_bad_row(tmp_path, load, settings, apc_row("B1", **changes))
    assert quarantine(settings) == [("apc.csv", 12, *item) for item in sorted(expected)]


def test_the_quarantine_keeps_the_file_path_and_load_id(tmp_path, settings, load):
    load_with_bad_row(tmp_path, load, settings, apc_row("B1", gpprac="Z"), position=0)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        rows = connection.execute("SELECT * FROM quarantine").fetchall()
    assert rows == [(1, str(tmp_path / "apc.csv"), 2, "gpprac", "Z", "invalid_practice_code")]
    [log] = load_log(settings)
    assert (log["rows_read"], log["rows_accepted"], log["rows_quarantined"]) == (41, 40, 1)


def test_a_row_breaking_several_rules_gives_one_quarantine_row_per_rule(tmp_path, settings, load):
    bad = apc_row(
        "B1", startage="-1", gpprac="X1", sex="7", admidate="2026-13-01", diag_4_01="44"
    )  # fmt: skip
    load_with_bad_row(tmp_path, load, settings, bad, position=39)
    assert quarantine(settings) == [
        ("apc.csv", 41, "admidate", "2026-13-01", "invalid_date"),
        ("apc.csv", 41, "diag_4_01", "44", "invalid_icd10"),
        ("apc.csv", 41, "gpprac", "X1", "invalid_practice_code"),
        ("apc.csv", 41, "sex", "7", "invalid_code"),
        ("apc.csv", 41, "startage", "-1", "out_of_range"),
    ]


def test_a_ten_digit_pseudonym_with_an_invalid_check_digit_loads(tmp_path, settings, load):
    rows = apc_rows(3)
    rows[1]["person_id"] = "9434765918"
    [result] = load(write_csv(tmp_path / "apc.csv", rows))
    assert (result.outcome, result.counts.rows_accepted) == ("loaded", 3)
    assert [row[1] for row in table_rows(settings, "apc_spells", "spell_id")] == [
        "PS1", "9434765918", "PS3",
    ]  # fmt: skip
    assert quarantine(settings) == []


def test_ten_digits_whose_check_value_is_ten_are_never_a_real_nhs_number(tmp_path, settings, load):
    # 1,0,0,0,0,0,0,0,1 weighted 10..2 sums to 12; 11 - 12 % 11 = 10, which no digit equals.
    rows = apc_rows(10)
    for row, digit in zip(rows, "0123456789", strict=True):
        row["person_id"] = "100000001" + digit
    [result] = load(write_csv(tmp_path / "apc.csv", rows))
    assert (result.outcome, result.counts.rows_accepted) == ("loaded", 10)


def test_a_file_exactly_at_the_threshold_loads(tmp_path, settings, load):
    rows = apc_rows(38)
    rows.insert(3, apc_row("B1", startage="-1"))  # line 5
    rows.insert(20, apc_row("B2", gpprac="B2"))  # line 22
    [result] = load(write_csv(tmp_path / "apc.csv", rows))  # 2 of 40 rows: exactly 5%
    assert result.outcome == "loaded"
    assert (result.counts.rows_accepted, result.counts.rows_quarantined) == (38, 2)
    assert quarantine(settings) == [
        ("apc.csv", 5, "startage", "-1", "out_of_range"),
        ("apc.csv", 22, "gpprac", "B2", "invalid_practice_code"),
    ]
    assert len(table_rows(settings, "apc_spells")) == 38


def test_a_bad_row_does_not_replace_the_stored_version_of_its_key(tmp_path, settings, load):
    load(write_csv(tmp_path / "m1.csv", apc_rows(40)))
    revision = [apc_row("S5", startage="-3", disdate="2026-01-30"), *apc_rows(20, start=41)]
    [result] = load(write_csv(tmp_path / "m2.csv", revision))
    assert (result.rows_replaced, result.counts.rows_quarantined) == (0, 1)
    s5 = [row for row in table_rows(settings, "apc_spells") if row[0] == "S5"]
    assert [(row[5].isoformat(), row[10], row[-1]) for row in s5] == [("2026-01-06", 80, 1)]
    assert quarantine(settings) == [("m2.csv", 2, "startage", "-3", "out_of_range")]


def test_a_bad_copy_of_a_key_does_not_count_as_a_repeat(tmp_path, settings, load):
    rows = apc_rows(40)
    rows.insert(5, apc_row("S30", startage="-5"))  # line 7; the good S30 is on line 32
    [result] = load(write_csv(tmp_path / "apc.csv", rows))
    assert (result.outcome, result.counts.rows_accepted) == ("loaded", 40)
    assert quarantine(settings) == [("apc.csv", 7, "startage", "-5", "out_of_range")]
