"""The months the warehouse covers and the periods built from them.

The calendar month is the building block (METRICS.md, "Periods"). A longer period is
published only when every one of its months is covered: rolling 12 months ending at each
month, calendar quarters (which are also financial-year quarters), financial years (April
to March) and two-month board periods aligned to the financial year (April–May, June–July,
… February–March), for a board that meets every two months.
"""

from __future__ import annotations

import re
from datetime import date

from wholesystem.errors import UserError

PERIOD_TYPES = ("month", "rolling12", "quarter", "fy", "board")
MONTH_OR_DAY = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")

# The first month of the quarter, financial year and board period a month is in, as SQL
# over a DATE column; disclosure control groups months by the same expressions.
PERIOD_STARTS = {
    "quarter": "date_trunc('quarter', {month})::DATE",
    "fy": "make_date(year({month} - INTERVAL 3 MONTH), 4, 1)",
    "board": "({month} - to_months((month({month}) + 8) % 2))::DATE",
}


def period_start_sql(period_type: str, month: str) -> str:
    """Returns SQL for the start of the `period_type` period containing `month`."""
    return PERIOD_STARTS[period_type].format(month=month)


def period_start(period_type: str, month: date) -> date:
    """Returns the start of the `period_type` period ('quarter', 'fy' or 'board')
    containing `month`: the same rule as PERIOD_STARTS, for Python callers (commentary's
    board period), whether or not that period is published yet."""
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

MONTHS_SQL = """
CREATE OR REPLACE TABLE months AS
SELECT month::DATE AS month, (month + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE AS month_end
FROM range($first::DATE, ($last::DATE + INTERVAL 1 MONTH)::DATE, INTERVAL 1 MONTH) AS r(month)
"""

PERIOD_MONTHS_SQL = """
CREATE OR REPLACE TABLE period_months AS
WITH candidates AS (
    SELECT 'month' AS period_type, month AS period_start, 1 AS months FROM months
    UNION ALL
    SELECT 'rolling12', (month - INTERVAL 11 MONTH)::DATE, 12 FROM months
    UNION ALL
    SELECT DISTINCT 'quarter', {quarter}, 3 FROM months
    UNION ALL
    SELECT DISTINCT 'fy', {fy}, 12 FROM months
    UNION ALL
    SELECT DISTINCT 'board', {board}, 2 FROM months
),
periods AS (
    SELECT period_type, period_start, months,
           (period_start + to_months(months) - INTERVAL 1 DAY)::DATE AS period_end,
           (period_start + to_months(months - 1))::DATE AS last_month
    FROM candidates
)
SELECT p.period_type, p.period_start, p.period_end, p.months, m.month,
       m.month = p.last_month AS is_last_month
FROM periods p
JOIN months m ON m.month BETWEEN p.period_start AND p.last_month
WHERE p.period_start >= (SELECT min(month) FROM months)
  AND p.last_month <= (SELECT max(month) FROM months)
"""


def coverage(connection, today: date | None = None) -> tuple[date, date]:
    """Returns the first and last months covered.

    The first is the month of the earliest population extract (every rate needs one); the
    last is the month of the latest extract or activity, but never the current, incomplete
    month.
    """
    first = connection.execute(
        "SELECT date_trunc('month', min(extract_date))::DATE FROM population"
    ).fetchone()[0]
    if first is None:
        raise UserError(
            "the warehouse has no registered population; load the NHS Digital population "
            "files before publishing"
        )
    latest = connection.execute(ACTIVITY_DATES_SQL).fetchone()[0] or first
    today = today or date.today()
    last_complete = _add_months(date(today.year, today.month, 1), -1)
    return first, min(date(latest.year, latest.month, 1), last_complete)


def build_calendar(connection, first: date, last: date) -> None:
    """Creates the `months` and `period_months` tables for the months first..last."""
    if last < first:
        raise UserError(f"no complete month to publish: data starts {first} and ends {last}")
    connection.execute(MONTHS_SQL, {"first": first, "last": last})
    starts = {kind: period_start_sql(kind, "month") for kind in PERIOD_STARTS}
    connection.execute(PERIOD_MONTHS_SQL.format(**starts))


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
