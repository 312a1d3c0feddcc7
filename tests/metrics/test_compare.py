"""The SQL comparison macro gives the words of metrics.stats.compare, case for case."""

from __future__ import annotations

import itertools

import duckdb
import pytest

from metrics import stats
from metrics.compare import COMPARE_MACRO

NAN = float("nan")
INTERVALS = [(1.0, 2.0), (2.0, 3.0), (0.5, 1.0), (NAN, 2.0), (1.0, NAN)]
BENCHMARKS = [0.5, 1.0, 1.5, 2.0, 3.5, NAN]


@pytest.mark.parametrize("polarity", ["lower", "higher", "none"])
def test_the_macro_agrees_with_stats_compare(polarity):
    with duckdb.connect() as connection:
        connection.execute(COMPARE_MACRO)
        for (lower, upper), benchmark in itertools.product(INTERVALS, BENCHMARKS):
            words = connection.execute(
                "SELECT compare_words(?::DOUBLE, ?::DOUBLE, ?::DOUBLE, ?)",
                [lower, upper, benchmark, polarity],
            ).fetchone()[0]
            assert words == stats.compare(lower, upper, benchmark, polarity), (lower, upper)


def test_a_missing_benchmark_is_not_compared():
    with duckdb.connect() as connection:
        connection.execute(COMPARE_MACRO)
        words = connection.execute("SELECT compare_words(1.0, 2.0, NULL, 'lower')").fetchone()[0]
    assert words == "not compared"
