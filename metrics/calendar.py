"""The months the warehouse covers and the periods built from them.

The calendar month is the building block (METRICS.md, "Periods"). A longer period is
published only when every one of its months is covered: rolling 12 months ending at each
month, calendar quarters (which are also financial-year quarters), financial years (April
to March) and two-month board periods aligned to the financial year (April–May, June–July,
… February–March), for a board that meets every two months.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd

from wholesystem.errors import UserError

PERIOD_TYPES = ("month", "rolling12", "quarter", "fy", "board")
MONTH_OR_DAY = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


def period_start(period_type: str, month: date) -> date:
    """Returns the start of the `period_type` period ('quarter', 'fy' or 'board')
    containing `month`, for Python callers (commentary's board period), whether or not
    that period is published yet."""
    month = date(month.year, month.month, 1)
    back = {
        "quarter": (month.month - 1) % 3,
        "fy": (month.month - 4) % 12,
        "board": (month.month + 8) % 2,
    }
    if period_type not in back:
        raise ValueError(f"period type {period_type!r} is not one of {', '.join(back)}")
    return _add_months(month, -back[period_type])


# The latest population extract or activity date in any feed is the last month covered.
ACTIVITY_DATES_SQL = """
SELECT max(d) FROM (
    SELECT max(extract_date) AS d FROM population
    UNION ALL SELECT max(coalesce(disdate, admidate)) FROM apc_spells
    UNION ALL SELECT max(admidate) FROM apc_spells
    UNION ALL SELECT max(dod) FROM deaths
    UNION ALL SELECT max(event_date) FROM gp_events
    UNION ALL SELECT max(admission_date) FROM care_home_admissions
    UNION ALL SELECT max(response_date) FROM survey_responses
)
"""

# The calendar is built in Python (it is a few hundred rows at most) and handed to the
# engine as frames, so that its SQL needs no engine's own date series or month arithmetic.
MONTHS_SQL = """
CREATE OR REPLACE TABLE months AS
SELECT CAST(month AS DATE) AS month, CAST(month_end AS DATE) AS month_end FROM months_frame
"""

PERIOD_MONTHS_SQL = """
CREATE OR REPLACE TABLE period_months AS
SELECT period_type, CAST(period_start AS DATE) AS period_start,
       CAST(period_end AS DATE) AS period_end, CAST(months AS INTEGER) AS months,
       CAST(month AS DATE) AS month, is_last_month
FROM period_months_frame
"""
# How many months each type of period spans.
PERIOD_LENGTHS = {"month": 1, "rolling12": 12, "quarter": 3, "fy": 12, "board": 2}


def coverage(connection, today: date | None = None) -> tuple[date, date]:
    """Returns the first and last months covered.

    The first is the month of the earliest population extract (every rate needs one); the
    last is the month of the latest extract or activity, but never the current, incomplete
    month.
    """
    first = connection.execute(
        "SELECT date_trunc('month', min(extract_date))::DATE FROM population"
    ).fetchall()[0][0]
    if first is None:
        raise UserError(
            "the warehouse has no registered population; load the NHS Digital population "
            "files before publishing"
        )
    latest = connection.execute(ACTIVITY_DATES_SQL).fetchall()[0][0] or first
    today = today or date.today()
    last_complete = _add_months(date(today.year, today.month, 1), -1)
    return first, min(date(latest.year, latest.month, 1), last_complete)


def build_calendar(connection, first: date, last: date) -> None:
    """Creates the `months` and `period_months` tables for the months first..last."""
    if last < first:
        raise UserError(f"no complete month to publish: data starts {first} and ends {last}")
    months = month_list(first, last)
    frames = {"months_frame": _months_frame(months), "period_months_frame": _periods(months)}
    for name, frame in frames.items():
        connection.register(name, frame)
    connection.execute(MONTHS_SQL)
    connection.execute(PERIOD_MONTHS_SQL)
    for name in frames:
        connection.unregister(name)


def month_list(first: date, last: date) -> list[date]:
    """Returns the first day of every month from first's month to last's month."""
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return [_add_months(date(first.year, first.month, 1), k) for k in range(count)]


def shift_months(day: date, count: int) -> date:
    """Returns `day` moved by `count` months, clamped to the end of a shorter month: what
    SQL's `day + INTERVAL count MONTH` gives (2024-03-31 less a month is 2024-02-29)."""
    start = _add_months(date(day.year, day.month, 1), count)
    return date(start.year, start.month, min(day.day, _month_end(start).day))


def _month_end(month: date) -> date:
    return _add_months(month, 1) - timedelta(days=1)


def _months_frame(months: list[date]) -> pd.DataFrame:
    return pd.DataFrame({"month": months, "month_end": [_month_end(m) for m in months]})


def _periods(months: list[date]) -> pd.DataFrame:
    """Every period whose months are all covered, one row per (period, month)."""
    covered = set(months)
    rows = []
    for period_type, length in PERIOD_LENGTHS.items():
        starts = {_period_start(period_type, month) for month in months}
        for start in sorted(starts):
            span = [_add_months(start, k) for k in range(length)]
            if not covered.issuperset(span):
                continue
            end = _month_end(span[-1])
            rows += [(period_type, start, end, length, m, m == span[-1]) for m in span]
    columns = ["period_type", "period_start", "period_end", "months", "month", "is_last_month"]
    return pd.DataFrame(rows, columns=columns)


def _period_start(period_type: str, month: date) -> date:
    if period_type == "month":
        return month
    if period_type == "rolling12":
        return _add_months(month, -11)
    return period_start(period_type, month)


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def parse_day(text: str) -> date:
    """Reads a date written YYYY-MM-DD, or a month YYYY-MM (its first day); raises
    ValueError for anything else (the caller words the refusal)."""
    match = MONTH_OR_DAY.fullmatch(text or "")
    if match is None:
        raise ValueError(f"{text!r} is not YYYY-MM-DD or YYYY-MM")
    year, month, day = match.groups()
    return date(int(year), int(month), int(day or 1))
