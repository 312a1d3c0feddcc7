"""`wholesystem status`: what the warehouse holds per table, in a stable JSON form."""

from __future__ import annotations

import json
from datetime import datetime

from etl.feeds import FEEDS
from tests.etl.conftest import apc_row, apc_rows, write_csv
from tests.etl.rows import death_row, population_5y_row, population_row
from wholesystem.cli import main

# Every feed table once, in the registry's order (several parts of the ETL add feeds).
TABLES = list(dict.fromkeys(feed.table for feed in FEEDS))
KEYS = ["rows", "date_from", "date_to", "latest_load", "latest_file", "quarantined_rows"]


def status_json(capsys) -> dict:
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_status_after_loads_gives_exact_rows_dates_and_quarantine(
    tmp_path, environment, load, capsys
):
    spells = apc_rows(40)
    spells[0].update(admidate="2025-11-30", disdate="2025-12-02")
    spells[1].update(disdate="2026-02-14")
    spells.append(apc_row("B1", sex="5", startage="-2"))  # one row, two rules
    first = write_csv(tmp_path / "apc_1.csv", spells)
    later = [apc_row("S41"), apc_row("B2", gpprac="?"), *apc_rows(30, start=100)]
    second = write_csv(tmp_path / "apc_2.csv", later)
    deaths = write_csv(tmp_path / "deaths.csv", [death_row("P1", dod="2026-05-05")])
    started = datetime.now()
    load(first, second, deaths)
    status = status_json(capsys)
    assert list(status) == ["warehouse", "feeds"]
    assert status["warehouse"] == str(environment.warehouse_path)
    assert list(status["feeds"]) == TABLES
    assert all(list(item) == KEYS for item in status["feeds"].values())
    apc = status["feeds"]["apc_spells"]
    assert {key: apc[key] for key in KEYS if key != "latest_load"} == {
        "rows": 71,
        "date_from": "2025-11-30",
        "date_to": "2026-02-14",
        "latest_file": str(second),
        "quarantined_rows": 2,
    }
    loaded_at = datetime.fromisoformat(apc["latest_load"])
    assert started.replace(microsecond=0) <= loaded_at <= datetime.now()
    assert status["feeds"]["deaths"] == {
        "rows": 1, "date_from": "2026-05-05", "date_to": "2026-05-05",
        "latest_load": status["feeds"]["deaths"]["latest_load"], "latest_file": str(deaths),
        "quarantined_rows": 0,
    }  # fmt: skip
    assert status["feeds"]["patients"] == dict.fromkeys(KEYS) | {"rows": 0, "quarantined_rows": 0}


def test_rejected_and_skipped_files_do_not_change_the_status(tmp_path, environment, load, capsys):
    good = write_csv(tmp_path / "apc.csv", apc_rows(3))
    load(good)
    before = status_json(capsys)
    load(good, write_csv(tmp_path / "bad.csv", apc_rows(3) + [apc_row("S1")]))
    assert status_json(capsys) == before


def test_both_population_formats_report_under_one_table(tmp_path, environment, load, capsys):
    august = population_5y_row("A84005", "MALE", "0_4", 9) | {"EXTRACT_DATE": "01AUG2026"}
    load(
        write_csv(tmp_path / "sing.csv", [population_row("A84005", "MALE", "3", 2)]),
        write_csv(tmp_path / "quin.csv", [august]),
    )
    population = status_json(capsys)["feeds"]["population"]
    assert (population["rows"], population["date_from"], population["date_to"]) == (
        2, "2026-07-01", "2026-08-01",
    )  # fmt: skip
    assert population["latest_file"] == str(tmp_path / "quin.csv")


def test_the_text_status_has_one_aligned_line_per_table(tmp_path, environment, load, capsys):
    load(write_csv(tmp_path / "apc.csv", apc_rows(2)))
    capsys.readouterr()
    assert main(["status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["feed", "rows", "from", "to", "latest", "load", "quarantined"]
    assert [line.split()[0] for line in lines[1:]] == TABLES
    apc = lines[1 + TABLES.index("apc_spells")].split()
    assert apc[:4] == ["apc_spells", "2", "2026-01-03", "2026-01-06"] and apc[-1] == "0"
    assert lines[1].split()[1:] == ["0", "-", "-", "never", "0"]


def test_status_without_a_warehouse_is_one_clear_line(environment, capsys):
    assert main(["status", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"wholesystem status: no warehouse at {environment.warehouse_path}; load some files first\n"
    )
