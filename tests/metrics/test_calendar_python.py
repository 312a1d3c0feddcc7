"""`metrics.calendar.period_start`, the Python twin of the calendar's SQL period starts:
the same first month as DuckDB gives for every month of two years, for the board periods
(April–May, June–July, …, February–March) whether or not they are published yet."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from metrics.calendar import PERIOD_STARTS, period_start, period_start_sql

MONTHS = [date(year, month, 1) for year in (2025, 2026) for month in range(1, 13)]


@pytest.mark.parametrize("period_type", sorted(PERIOD_STARTS))
def test_python_and_sql_agree_on_every_month(period_type):
    connection = duckdb.connect()
    sql = f"SELECT {period_start_sql(period_type, '$month::DATE')}"
    for month in MONTHS:
        expected = connection.execute(sql, {"month": month}).fetchone()[0]
        assert period_start(period_type, month) == expected, month


def test_board_periods_by_hand():
    assert period_start("board", date(2026, 9, 1)) == date(2026, 8, 1)
    assert period_start("board", date(2026, 10, 15)) == date(2026, 10, 1)
    assert period_start("board", date(2027, 3, 1)) == date(2027, 2, 1)
    assert period_start("fy", date(2026, 3, 1)) == date(2025, 4, 1)
    with pytest.raises(ValueError, match="rolling12"):
        period_start("rolling12", date(2026, 3, 1))
