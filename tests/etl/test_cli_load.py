"""`wholesystem load` as a user runs it: exit status, one line per file, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.feeds import FEEDS_BY_NAME
from tests.etl.conftest import apc_row, apc_rows, data_snapshot, log_outcomes, write_csv
from wholesystem.cli import main


def run(capsys, *arguments) -> tuple[int, list[str], list[str]]:
    capsys.readouterr()
    status = main(["load", *map(str, arguments)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return status, captured.out.splitlines(), captured.err.splitlines()


def test_a_good_file_loads_with_exit_0(tmp_path, environment, capsys):
    path = write_csv(tmp_path / "apc.csv", apc_rows(40) + [apc_row("B1", startage="-1")])
    status, out, err = run(capsys, path)
    assert status == 0
    assert out == [
        f"loaded {path} as apc_spells: 40 rows accepted, 1 quarantined, 0 replaced",
        "total: 1 loaded, 0 skipped, 0 rejected; 40 rows accepted, 1 quarantined, 0 replaced",
    ]
    assert all(line.startswith(f"{path}: ") for line in err)  # progress only


def test_a_rejected_file_exits_1_with_one_rejected_line(tmp_path, environment, capsys):
    run(capsys, write_csv(tmp_path / "base.csv", apc_rows(3, start=900)))
    before = data_snapshot(environment)
    rows = apc_rows(20)
    rows.insert(4, apc_row("S20"))  # line 6 repeats the key of line 22
    path = write_csv(tmp_path / "repeat.csv", rows)
    status, out, err = run(capsys, path)
    assert status == 1
    rejected = [line for line in err if line.startswith("rejected:")]
    assert rejected == [
        f"rejected: {path} lines 6 and 22: the key (spell_id S20) appears twice; a file may hold "
        "each key once"
    ]
    progress = [line for line in err if line not in rejected]
    assert progress[0] == f"{path}: apc_spells, 0.0 MB; validating"
    assert all(line.startswith(f"{path}: ") for line in progress)
    assert out == [
        "total: 0 loaded, 0 skipped, 1 rejected; 0 rows accepted, 0 quarantined, 0 replaced"
    ]
    assert data_snapshot(environment) == before


def test_a_file_refused_on_inspection_prints_exactly_one_line(tmp_path, environment, capsys):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    status, out, err = run(capsys, path)
    assert (status, err) == (1, [f"rejected: {path}: the file is empty"])
    assert out == [
        "total: 0 loaded, 0 skipped, 1 rejected; 0 rows accepted, 0 quarantined, 0 replaced"
    ]  # noqa: E501


def test_a_missing_file_is_one_clear_line(tmp_path, environment, capsys):
    path = tmp_path / "nowhere" / "apc.csv"
    status, _, err = run(capsys, path)
    assert (status, err) == (1, [f"rejected: {path}: no such file"])
    assert log_outcomes(environment) == [("rejected", None)]


def test_a_directory_is_not_a_file(tmp_path, environment, capsys):
    status, _, err = run(capsys, tmp_path)
    assert (status, err) == (1, [f"rejected: {tmp_path}: is a directory; name the files in it"])


def test_one_bad_file_among_good_ones_rejects_only_itself(tmp_path, environment, capsys):
    good = write_csv(tmp_path / "good.csv", apc_rows(5))
    bad = tmp_path / "garbage.csv"
    bad.write_bytes(b"\x00\x01\x02\xff" * 100)
    later = write_csv(tmp_path / "later.csv", apc_rows(5, start=6))
    status, out, err = run(capsys, good, bad, later)
    assert status == 1
    assert [line for line in err if line.startswith("rejected:")] == [
        f"rejected: {bad}: the file is binary, not a CSV or Parquet file"
    ]
    assert out[-1] == (
        "total: 2 loaded, 0 skipped, 1 rejected; 10 rows accepted, 0 quarantined, 0 replaced"
    )
    assert log_outcomes(environment) == [
        ("loaded", "apc_spells"), ("rejected", None), ("loaded", "apc_spells"),
    ]  # fmt: skip


def test_loading_again_is_skipped_and_exits_0(tmp_path, environment, capsys):
    path = write_csv(tmp_path / "apc.csv", apc_rows(5))
    run(capsys, path)
    status, out, _ = run(capsys, path)
    assert status == 0
    assert out[0].startswith(f"skipped: {path}: already loaded (load 1, ")
    assert out[-1] == (
        "total: 0 loaded, 1 skipped, 0 rejected; 0 rows accepted, 0 quarantined, 0 replaced"
    )


def test_feed_option_is_passed_to_the_loader(tmp_path, environment, capsys):
    path = write_csv(tmp_path / "apc.csv", apc_rows(3))
    status, _, err = run(capsys, "--feed", "spells", path)
    assert status == 1
    assert [line for line in err if line.startswith("rejected:")] == [
        f"rejected: {path}: --feed spells is not a feed; the feeds are "
        + ", ".join(sorted(FEEDS_BY_NAME))  # every registered feed, sorted
    ]
    status, out, _ = run(capsys, "--feed", "apc_spells", path)
    assert (status, out[0]) == (
        0,
        f"loaded {path} as apc_spells: 3 rows accepted, 0 quarantined, 0 replaced",
    )  # noqa: E501


def test_load_without_files_is_an_argument_error(environment, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["load"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        "wholesystem load: error: the following arguments are required: files"
    )
    assert "Traceback" not in err


def test_an_unknown_option_is_an_argument_error(environment, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["load", "--fast", "x.csv"])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "wholesystem: error: unrecognized arguments: --fast"
    )


def test_a_bad_setting_is_one_line_and_exit_2(tmp_path, environment, monkeypatch, capsys):
    monkeypatch.setenv("WHOLESYSTEM_QUARANTINE_THRESHOLD", "five percent")
    path = write_csv(tmp_path / "apc.csv", apc_rows(3))
    status, out, err = run(capsys, path)
    assert (status, out) == (2, [])
    assert err == [
        "wholesystem load: WHOLESYSTEM_QUARANTINE_THRESHOLD is 'five percent'; use a share from "
        "0 to 1, e.g. 0.05"
    ]


def bad_files(tmp_path) -> dict[str, Path]:
    """One file per kind of bad input, by a fragment its rejection line must give."""
    lines = write_csv(tmp_path / "good.csv", apc_rows(10)).read_text().splitlines()
    lines[2] += ",extra"
    whole = write_csv(tmp_path / "whole.csv.gz", apc_rows(3000)).read_bytes()
    nhs = write_csv(tmp_path / "nhs.csv", [apc_row(person_id="9434765919")]).read_bytes()
    files = {
        "the file is empty": ("empty.csv", b""),
        "the file is binary": ("zip.csv", b"PK\x03\x04\x00\x00" + bytes(range(256))),
        "the compressed file is truncated": ("cut.csv.gz", whole[: len(whole) // 2]),
        "the header is separated by semicolons": ("semi.csv", b"spell_id;admidate\nS1;2026\n"),
        "unknown feed; the header (ward, beds)": ("ward.csv", b"ward,beds\nW1,30\n"),
        "line 3: expected 16 fields, found 17": ("ragged.csv", "\n".join(lines).encode()),
        "line 2: person_id holds a real NHS number": ("nhs_number.csv", nhs),
    }
    paths = {}
    for reason, (name, content) in files.items():
        paths[reason] = tmp_path / name
        paths[reason].write_bytes(content)
    return paths


def test_every_kind_of_bad_file_is_one_rejected_line_and_exit_1(tmp_path, environment, capsys):
    for reason, path in bad_files(tmp_path).items():
        status, _, err = run(capsys, path)
        rejected = [line for line in err if line.startswith("rejected:")]
        assert status == 1, reason
        assert len(rejected) == 1, (reason, err)
        assert rejected[0].startswith(f"rejected: {path}"), rejected
        assert reason in rejected[0], rejected
    assert "9434765919" not in (environment.warehouse_path.read_bytes().decode("latin-1"))
