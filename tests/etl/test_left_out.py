"""The one pass keeps the rows its INSERT leaves out (etl.left_out) and quarantines them
exactly as the full validation does, whichever way it then finds their lines."""

from __future__ import annotations

import pytest

import etl.fastpath
import etl.left_out
from tests.etl.conftest import apc_row, apc_rows, data_snapshot, write_csv
from tests.etl.test_paths_agree import load_quietly
from wholesystem.settings import Settings


def routes_taken(monkeypatch) -> list[str]:
    """Records which way the one pass listed its bad rows: from the rows its INSERT kept, or
    read again from the file."""
    taken: list[str] = []
    for name in ("_number_kept_rows", "_read_bad_rows"):
        real = getattr(etl.fastpath, name)

        def noting(*arguments, real=real, name=name):
            taken.append(name)
            return real(*arguments)

        monkeypatch.setattr(etl.fastpath, name, noting)
    return taken


def both_paths(tmp_path, monkeypatch, rows) -> tuple[list[str], dict]:
    """Loads `rows` by the one pass and by the full validation; checks that both load the
    file and store the same; returns the one pass's route and the quarantine."""
    path = write_csv(tmp_path / "apc_spells.csv", rows)
    fast_settings = Settings(data_dir=tmp_path / "fast")
    full_settings = Settings(data_dir=tmp_path / "full")
    routes = routes_taken(monkeypatch)
    fast, taken = load_quietly(path, fast_settings, monkeypatch, fast=True)
    full, not_taken = load_quietly(path, full_settings, monkeypatch, fast=False)
    assert (fast.outcome, full.outcome, taken, not_taken) == ("loaded", "loaded", [True], [])
    assert fast.counts == full.counts
    assert data_snapshot(fast_settings) == data_snapshot(full_settings)
    return routes, data_snapshot(fast_settings)["quarantine"]


def test_bad_rows_keep_their_text_exactly_as_the_file_wrote_it(tmp_path, monkeypatch):
    rows = [apc_row(f"S{number}") for number in range(1, 61)]
    # Quotes, commas, other scripts, padding, an empty value, and a date the reader types.
    rows[7] = apc_row("S8", gpprac="bad", procode3=' r"t,d ', tretspef="café ", admisorc="")
    rows[20] = apc_row("S21", admidate="26-01-03", person_id=" P21 ")
    routes, quarantined = both_paths(tmp_path, monkeypatch, rows)
    assert routes == ["_number_kept_rows"]
    assert {row[2:] for row in quarantined} == {
        (9, "gpprac", "bad", "invalid_practice_code"),
        (22, "admidate", "26-01-03", "out_of_range"),
    }


def test_bad_rows_without_a_key_are_read_again_from_the_file(tmp_path, monkeypatch):
    """Rows sharing a key hash (two without a spell_id) cannot be told apart by key."""
    rows = [apc_row(f"S{number}") for number in range(1, 61)]
    rows[3] = apc_row("", gpprac="bad")
    rows[30] = apc_row("", startage="200")
    rows[40] = apc_row("S41", sex="x")
    routes, quarantined = both_paths(tmp_path, monkeypatch, rows)
    assert routes == ["_read_bad_rows"]
    assert sorted({row[2] for row in quarantined}) == [5, 32, 42]


@pytest.mark.parametrize("limit", [10, 1 << 20])
def test_past_the_recording_limit_bad_rows_are_read_again(tmp_path, monkeypatch, limit):
    rows = [apc_row(f"S{number}") for number in range(1, 61)]
    for number in (2, 19, 33):
        rows[number] = apc_row(f"S{number + 1}", gpprac="bad")
    monkeypatch.setattr(etl.left_out, "LIMIT_BYTES", limit)
    routes, quarantined = both_paths(tmp_path, monkeypatch, rows)
    assert routes == ["_read_bad_rows" if limit == 10 else "_number_kept_rows"]
    assert sorted(row[2] for row in quarantined) == [4, 21, 35]


def test_bad_rows_of_a_file_read_in_parallel_are_named_at_their_own_lines(tmp_path, monkeypatch):
    """About 24 MB, so DuckDB's reader splits the file between its threads: the rows must be
    numbered in the file's order, not in the order the threads read them."""
    rows = apc_rows(240_000)
    bad_positions = range(5, 240_000, 7_919)
    for position in bad_positions:
        rows[position] = apc_row(f"S{position + 1}", gpprac="bad")
    path = write_csv(tmp_path / "apc_spells.csv", rows)
    assert path.stat().st_size > 20_000_000
    settings = Settings(data_dir=tmp_path / "data")
    routes = routes_taken(monkeypatch)
    result, taken = load_quietly(path, settings, monkeypatch, fast=True)
    assert (result.outcome, taken, routes) == ("loaded", [True], ["_number_kept_rows"])
    quarantined = data_snapshot(settings)["quarantine"]
    assert sorted((row[2], row[4]) for row in quarantined) == [
        (position + 2, "bad") for position in bad_positions
    ]
