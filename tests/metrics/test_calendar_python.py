"""`metrics.calendar.period_start`: the first month of the quarter, financial year and
board period (April–May, June–July, …, February–March) a month is in, whether or not that
period is published yet."""

from __future__ import annotations

from datetime import date

import pytest

from metrics.calendar import period_start

MONTHS = [date(year, month, 1) for year in (2025, 2026) for month in range(1, 13)]
FIRST_MONTHS = {"quarter": {1, 4, 7, 10}, "fy": {4}, "board": {2, 4, 6, 8, 10, 12}}
LENGTHS = {"quarter": 3, "fy": 12, "board": 2}


@pytest.mark.parametrize("period_type", sorted(FIRST_MONTHS))
def test_every_month_starts_at_the_latest_first_month_not_after_it(period_type):
    for month in MONTHS:
        start = period_start(period_type, month)
        assert start.month in FIRST_MONTHS[period_type], month
        gap = (month.year - start.year) * 12 + month.month - start.month
        assert 0 <= gap < LENGTHS[period_type], month


def test_a_day_gives_its_month_s_period():
    assert period_start("quarter", date(2026, 5, 31)) == date(2026, 4, 1)


def test_board_periods_by_hand():
    assert period_start("board", date(2026, 9, 1)) == date(2026, 8, 1)
    assert period_start("board", date(2026, 10, 15)) == date(2026, 10, 1)
    assert period_start("board", date(2027, 3, 1)) == date(2027, 2, 1)
    assert period_start("fy", date(2026, 3, 1)) == date(2025, 4, 1)
    with pytest.raises(ValueError, match="rolling12"):
        period_start("rolling12", date(2026, 3, 1))
