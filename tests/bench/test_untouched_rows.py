"""bench.untouched_rows: the rows a load changed outside the periods it reaches, counted by hand."""

from __future__ import annotations

from datetime import date

import duckdb

from bench.untouched_rows import Untouched, describe, untouched_rows

COLUMNS = (
    "metric_id VARCHAR, period_type VARCHAR, period_start DATE, period_end DATE, level VARCHAR, "
    "org_code VARCHAR, segment VARCHAR, numerator DOUBLE, denominator DOUBLE, value DOUBLE, "
    "lower_95 DOUBLE, upper_95 DOUBLE, suppressed BOOLEAN, comparison_parent VARCHAR, "
    "comparison_system VARCHAR"
)
# metric, period start, period end, segment, numerator, value, suppressed, verdict
BEFORE = [
    ("bed_days", "2026-06-01", "2026-06-30", "all", 40.0, 0.4, False, "similar"),
    ("bed_days", "2026-06-01", "2026-06-30", "condition:COPD", 12.0, 0.3, False, "similar"),
    ("bed_days", "2026-07-01", "2026-07-31", "risk_tier:high", 9.0, 0.5, False, "higher"),
    ("acsc", "2026-06-01", "2026-06-30", "all", 30.0, 0.1, False, "similar"),
    ("acsc", "2026-07-01", "2026-07-31", "sex:F", 8.0, 0.2, False, "lower"),
    ("acsc", "2026-09-01", "2026-09-30", "all", 31.0, 0.1, False, "similar"),  # reached
]
AFTER = [
    ("bed_days", "2026-06-01", "2026-06-30", "all", 40.0, 0.4 * (1 + 1e-13), False, "similar"),
    ("bed_days", "2026-06-01", "2026-06-30", "condition:COPD", 13.0, 0.3, False, "similar"),
    ("bed_days", "2026-07-01", "2026-07-31", "risk_tier:high", 9.0, 0.5, False, "similar"),
    ("acsc", "2026-06-01", "2026-06-30", "all", 30.0, 0.1, False, "similar"),
    ("acsc", "2026-07-01", "2026-07-31", "sex:F", None, None, True, None),
    ("acsc", "2026-09-01", "2026-09-30", "all", 35.0, 0.2, False, "higher"),  # reached
    ("acsc", "2026-08-01", "2026-08-31", "all", 30.0, 0.1, False, "similar"),  # new
]


def snapshot(path, rows):
    with duckdb.connect(str(path)) as connection:
        connection.execute(f"CREATE TABLE indicator_values ({COLUMNS})")
        for metric, start, end, segment, numerator, value, suppressed, verdict in rows:
            connection.execute(
                "INSERT INTO indicator_values VALUES "
                "(?, 'month', ?, ?, 'practice', 'A1', ?, ?, 100, ?, ?, ?, ?, ?, ?)",
                [metric, start, end, segment, numerator, value, value, value, suppressed,
                 verdict, verdict],
            )  # fmt: skip
    return path


def test_rows_changed_before_the_first_month_reached_are_counted_by_partition(tmp_path):
    before = snapshot(tmp_path / "before.duckdb", BEFORE)
    after = snapshot(tmp_path / "after.duckdb", AFTER)
    found = untouched_rows(before, after, date(2026, 9, 1))
    # The September row is reached by the load and the August one new: neither is counted.
    # The first row differs only in the last bits (adding up in another order): unchanged.
    assert (found.rows, found.changed) == (5, 3)
    assert found.by_partition == {
        "all": (2, 0), "condition": (1, 1), "risk_tier": (1, 1), "sex": (1, 1),
    }  # fmt: skip
    # bed_days June (COPD changed), bed_days July, acsc June (unchanged), acsc July.
    assert (found.indicator_periods, found.indicator_periods_changed) == (4, 3)


def test_the_paragraph_gives_the_shares():
    text = describe(Untouched(10, 4, {"all": (6, 0), "condition": (4, 4)}, 5, 2), date(2026, 9, 1))
    assert "periods ending before 2026-09" in text
    assert "**4 of 10 (40.0%)**" in text
    assert "condition 4 of 4 (100.0%); all 0 of 6 (0.0%)" in text
    assert "2 of 5 (40.0%)" in text
