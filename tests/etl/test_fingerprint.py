"""The file fingerprint: SHA-256 and physical lines from one read, and what the fast path
does with the line count."""

from __future__ import annotations

import hashlib

import pytest

from etl.fingerprint import fingerprint
from etl.load import load_files
from tests.etl.conftest import apc_rows, table_rows, write_csv


@pytest.mark.parametrize(
    ("content", "lines"),
    [(b"a,b\n1,2\n", 2), (b"a,b\n1,2", 2), (b"a,b\r\n1,2\r\n3,4\r\n", 3), (b"a,b\n\n", 2)],
)
def test_lines_and_hash_come_from_one_read(tmp_path, content, lines):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    assert fingerprint(path).lines == lines
    assert fingerprint(path).sha256 == hashlib.sha256(content).hexdigest()


def load_reporting(path, settings):
    messages: list[str] = []
    [result] = load_files([path], settings, report=messages.append)
    return result, any("one pass" in message for message in messages) and not any(
        "row by row" in message for message in messages
    )


def test_a_file_without_a_final_newline_takes_the_fast_path(tmp_path, settings):
    path = write_csv(tmp_path / "apc.csv", apc_rows(12))
    path.write_bytes(path.read_bytes().rstrip(b"\r\n"))
    result, fast = load_reporting(path, settings)
    assert (result.counts.rows_accepted, fast) == (12, True)


def test_a_blank_line_sends_the_file_to_full_validation_which_loads_every_row(tmp_path, settings):
    path = write_csv(tmp_path / "apc.csv", apc_rows(12))
    path.write_bytes(path.read_bytes() + b"\r\n")
    result, fast = load_reporting(path, settings)
    assert (result.outcome, result.counts.rows_accepted, fast) == ("loaded", 12, False)
    assert len(table_rows(settings, "apc_spells")) == 12
