"""The API's dates and the pages' months are read by one parser (`calendar.parse_day`)."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.pages.networks_data import parse_month
from metrics.calendar import parse_day

MONTHS = [date(2025, 12, 1), date(2026, 1, 1)]


@pytest.mark.parametrize(
    ("text", "day", "month"),
    [
        ("2026-01", date(2026, 1, 1), date(2026, 1, 1)),
        ("2026-01-01", date(2026, 1, 1), date(2026, 1, 1)),
        ("2026-01-15", date(2026, 1, 15), None),  # a day, but not a month's first
        ("2026-02", date(2026, 2, 1), None),  # a month, not published
    ],
)
def test_a_day_or_a_month_reads_the_same_for_the_api_and_the_pages(text, day, month):
    assert parse_day(text) == day
    assert parse_month(text, MONTHS) == month


@pytest.mark.parametrize("text", ["2026-13", "2026-1-01", "January", "2026-02-30", ""])
def test_anything_else_is_refused_and_is_no_month(text):
    with pytest.raises(ValueError):
        parse_day(text)
    assert parse_month(text, MONTHS) == (MONTHS[-1] if text == "" else None)
