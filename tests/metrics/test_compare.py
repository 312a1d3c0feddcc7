"""The SQL comparison macro gives the words of metrics.stats.compare, case for case, and
build_comparisons applies the verdict rule of docs/metrics.md ("Comparisons") at 95% and 99.8%.
"""

from __future__ import annotations

import itertools

import duckdb
import pytest

from metrics import stats
from metrics.compare import COMPARE_MACRO, build_comparisons

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


# Finding 1 of issue 10: bed_days at practice X20015, rolling 12 months to November 2026.
# The crude rate's interval (597.8-644.6) contains the system's 600.9, but the ISR's
# (0.805-0.868) is below 1: the system verdict is the ratio's, 'better'. At 99.8% the
# ratio's interval here is made to reach 1 so that the two levels differ.
ROWS = [
    # level, org, value, 95% interval, 99.8% interval, ISR, its 95% and 99.8% intervals
    ("system", "SYSTEM", 600.9, (599.0, 602.8), (598.0, 603.8), 1.0, (0.99, 1.01), (0.98, 1.02)),
    ("network", "U1", 700.0, (690.0, 710.0), (685.0, 715.0), 1.1, (1.05, 1.15), (1.02, 1.18)),
    ("practice", "X20015", 620.858, (597.8, 644.6), (587.0, 656.0), 0.836, (0.805, 0.868),
     (0.790, 1.001)),
]  # fmt: skip
PARENTS = [("practice", "X20015", "U1"), ("network", "U1", "L1")]  # L1 has no row here


def _compared(metric_isr: bool, polarity: str = "lower") -> dict[str, dict]:
    """Runs build_comparisons on ROWS as one indicator; returns the rows by org."""
    with duckdb.connect() as connection:
        connection.execute(
            "CREATE TABLE metric_props AS SELECT 'm' AS metric_id, ? AS polarity, ? AS isr",
            [polarity, metric_isr],
        )
        connection.execute(
            "CREATE TABLE org_units AS SELECT * FROM (VALUES "
            + ", ".join(f"('{level}', '{org}', '{parent}')" for level, org, parent in PARENTS)
            + ") t(level, org_code, parent_code)"
        )
        connection.execute(
            "CREATE TABLE org_parents AS SELECT DATE '2026-11-01' AS month, * FROM org_units"
        )
        connection.execute(VALUED_TABLE)
        for key, (level, org, value, ci95, ci998, isr, isr95, isr998) in enumerate(ROWS):
            connection.execute(
                "INSERT INTO valued VALUES (?, 'm', 'rolling12', DATE '2025-12-01', "
                "DATE '2026-11-30', ?, ?, 'all', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [key, level, org, value, *ci95, *ci998, isr, *isr95, *isr998],
            )
        build_comparisons(connection)
        frame = connection.execute("SELECT * FROM indicator_values").df()
    return {row["org_code"]: row for row in frame.to_dict("records")}


VALUED_TABLE = """
CREATE TABLE valued (row_key INTEGER, metric_id VARCHAR, period_type VARCHAR,
    period_start DATE, period_end DATE, level VARCHAR, org_code VARCHAR, segment VARCHAR,
    value DOUBLE, lower_95 DOUBLE, upper_95 DOUBLE, lower_998 DOUBLE, upper_998 DOUBLE,
    isr DOUBLE, isr_lower_95 DOUBLE, isr_upper_95 DOUBLE, isr_lower_998 DOUBLE,
    isr_upper_998 DOUBLE)
"""
VERDICTS = ("comparison_parent", "comparison_system", "comparison_parent_998",
            "comparison_system_998")  # fmt: skip


def test_an_isr_indicator_is_compared_with_the_system_through_its_ratio():
    rows = _compared(metric_isr=True)
    practice = rows["X20015"]
    assert (practice["parent_value"], practice["system_value"]) == (700.0, 600.9)
    # Parent: 597.8-644.6 and 587-656 are below 700 (lower is better); system: the ratio.
    assert [practice[v] for v in VERDICTS] == ["better", "better", "better", "similar"]
    # The same rule at every level below system: the network's ratio is above 1 (and its
    # parent has no value, so it is not compared with it).
    network = [rows["U1"][v] for v in VERDICTS]
    assert network == ["not compared", "worse", "not compared", "worse"]
    assert rows["SYSTEM"]["comparison_system"] == "not compared"
    assert rows["SYSTEM"]["comparison_system_998"] == "not compared"


def test_any_other_indicator_is_compared_with_the_systems_value():
    rows = _compared(metric_isr=False)
    practice = rows["X20015"]
    # 597.8-644.6 contains 600.9; so does 587-656.
    assert [practice[v] for v in VERDICTS] == ["better", "similar", "better", "similar"]
    network = _compared(metric_isr=False, polarity="none")["U1"]
    assert [network[v] for v in VERDICTS] == ["not compared", "higher", "not compared", "higher"]
