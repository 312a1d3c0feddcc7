"""metrics.snapshot_diff: two snapshots compared table by table, row for row."""

from __future__ import annotations

import duckdb
import pytest

from metrics.snapshot_diff import differences, main


def _snapshot(path, values, info_version="v1", extra_table=False):
    connection = duckdb.connect(str(path))
    connection.execute("CREATE TABLE indicator_values (metric_id VARCHAR, value DOUBLE)")
    connection.executemany("INSERT INTO indicator_values VALUES (?, ?)", values)
    connection.execute(
        "CREATE TABLE snapshot_info AS SELECT ? AS version, now() AS created_at, 7 AS threshold",
        [info_version],
    )
    if extra_table:
        connection.execute("CREATE TABLE spare (x INTEGER)")
    connection.close()
    return path


ROWS = [("a", 1.0), ("b", 2.5), ("b", 2.5), ("c", None)]


def test_same_rows_in_another_order_and_another_version_are_identical(tmp_path):
    first = _snapshot(tmp_path / "a.duckdb", ROWS)
    second = _snapshot(tmp_path / "b.duckdb", list(reversed(ROWS)), info_version="v2")
    assert differences(first, second) == []
    assert main([str(first), str(second)]) == 0


def test_floats_agree_to_a_relative_tolerance_only(tmp_path):
    first = _snapshot(tmp_path / "a.duckdb", ROWS)
    close = _snapshot(tmp_path / "b.duckdb", [("a", 1.0 + 1e-12), *ROWS[1:]])
    far = _snapshot(tmp_path / "c.duckdb", [("a", 1.001), *ROWS[1:]])
    assert differences(first, close) == []
    [found] = differences(first, far)
    assert found.startswith("indicator_values: 1 row(s) differ, e.g. ('a', 1.0, 'a', 1.001)")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([*ROWS, ("d", 1.0)], "indicator_values: 4 rows against 5"),
        (
            [("a", 1.0), ("b", 2.5), ("c", None), ("c", None)],
            "indicator_values: 1 row(s) differ, e.g. ('b', 2.5, 'c', None)",
        ),
    ],
)
def test_a_row_more_or_a_duplicate_changed_is_found(tmp_path, rows, expected):
    first = _snapshot(tmp_path / "a.duckdb", ROWS)
    second = _snapshot(tmp_path / "b.duckdb", rows)
    [found] = differences(first, second)
    assert found.startswith(expected)
    assert main([str(first), str(second)]) == 1


def test_a_table_in_one_snapshot_only_is_named(tmp_path):
    first = _snapshot(tmp_path / "a.duckdb", ROWS)
    second = _snapshot(tmp_path / "b.duckdb", ROWS, extra_table=True)
    assert differences(first, second) == [f"table spare only in {second}"]


def _lists(path, rows):
    connection = duckdb.connect(str(path))
    connection.execute("CREATE TABLE limits (metric_id VARCHAR, bounds DOUBLE[], spread FLOAT[])")
    connection.executemany("INSERT INTO limits VALUES (?, ?, ?)", rows)
    connection.close()
    return path


LISTS = [("a", [1.0, 2.0, None], [0.5]), ("b", None, []), ("c", [float("nan")], None)]


@pytest.mark.parametrize(
    ("rows", "same"),
    [
        ([("a", [1.0 + 1e-12, 2.0, None], [0.5]), *LISTS[1:]], True),
        ([("a", [1.0, 2.001, None], [0.5]), *LISTS[1:]], False),
        ([("a", [1.0, 2.0, 3.0], [0.5]), *LISTS[1:]], False),  # NULL against a value
        ([("a", [1.0, 2.0], [0.5]), *LISTS[1:]], False),  # a shorter list
        ([LISTS[0], ("b", [], []), LISTS[2]], False),  # NULL against an empty list
        ([LISTS[0], ("b", None, [1e-300]), LISTS[2]], False),
    ],
)
def test_lists_of_floats_agree_element_by_element_to_the_tolerance(tmp_path, rows, same):
    first = _lists(tmp_path / "a.duckdb", LISTS)
    second = _lists(tmp_path / "b.duckdb", list(reversed(rows)))
    assert differences(first, first) == []
    assert (differences(first, second) == []) is same


def test_a_missing_file_is_one_sentence_not_a_traceback(tmp_path, capsys):
    first = tmp_path / "first.duckdb"
    duckdb.connect(str(first)).close()
    gone = tmp_path / "gone.duckdb"
    assert main([str(first), str(gone)]) == 2
    assert capsys.readouterr().err == f"snapshot_diff: there is no snapshot file {gone}\n"
    assert not gone.exists()
