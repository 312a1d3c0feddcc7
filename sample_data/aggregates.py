"""aggregate_indicators: measures that arrive only as published counts.

- gpps_overall_experience: GP Patient Survey "good overall experience", per practice and survey
  year (fieldwork January-March).
- qof_dm020_achievement: QOF DM020 (HbA1c <= 58 mmol/mol, diabetes without moderate or severe
  frailty), per practice and QOF year (April-March); the denominator is counted from the
  practice's own register, less about 6% personalised care adjustments.
- ascof_2b_still_home_91_days: ASCOF 2B, per council (la_code) and financial year.
Periods are included when they end inside the window.
"""

from __future__ import annotations

from datetime import date
from statistics import NormalDist

import numpy as np
import pyarrow as pa

from .health import CONDITION_INDEX, Health
from .life import Life
from .organisations import Practice
from .people import People
from .stories import diabetes_targets
from .timeline import Window, day_number, to_date

SCHEMA = pa.schema(
    [
        ("indicator_id", pa.string()),
        ("org_code", pa.string()),
        ("period_start", pa.date32()),
        ("period_end", pa.date32()),
        ("numerator", pa.int64()),
        ("denominator", pa.int64()),
    ]
)


def _periods(w: Window, start_month: int, length_months: int) -> list[tuple[date, date]]:
    """Periods starting on the 1st of start_month each year and ending inside the window."""
    out = []
    first, last = to_date(w.start), to_date(w.extract)
    for year in range(first.year - 2, last.year + 1):
        start = date(year, start_month, 1)
        end_m = start_month + length_months
        end = date(year + (end_m - 1) // 12, (end_m - 1) % 12 + 1, 1)
        end = to_date(day_number(end) - 1)
        if first <= end <= last:
            out.append((start, end))
    return out


def _row(indicator: str, org: str, period, num: int, den: int) -> dict:
    return {
        "indicator_id": indicator,
        "org_code": org,
        "period_start": period[0],
        "period_end": period[1],
        "numerator": int(num),
        "denominator": int(den),
    }


def _dm020(rng, p: Practice, pp: People, h: Health, life: Life, period) -> dict:
    end = day_number(period[1])
    i = CONDITION_INDEX["DM"]
    on = (
        (h.diagnosed[:, i] <= end)
        & (h.resolved[:, i] > end)
        & (pp.reg_from <= end)
        & (life.reg_to >= end)
        & (h.frailty < 2)
    )
    den = rng.binomial(int(on.sum()), 0.94)
    target = diabetes_targets(p)["hba1c"]
    share = NormalDist().cdf(np.log(58 / target) / 0.23)
    return _row("qof_dm020_achievement", p.code, period, rng.binomial(den, share), den)


def practice_rows(rng, p: Practice, pp: People, h: Health, life: Life, w: Window) -> list[dict]:
    """Rows for one practice: GPPS by survey year and QOF DM020 by QOF year."""
    rows = []
    good = 0.72 + 0.015 * (p.deprivation - 5.5) + (0.06 if p.story_network else 0.0)
    for period in _periods(w, 1, 3):
        den = max(30, int(rng.normal(0.016 * p.list_size, 8)))
        rows.append(
            _row(
                "gpps_overall_experience",
                p.code,
                period,
                rng.binomial(den, min(good + rng.normal(0, 0.03), 0.97)),
                den,
            )
        )
    rows += [_dm020(rng, p, pp, h, life, period) for period in _periods(w, 4, 12)]
    return rows


def area_rows(rng, practices: list[Practice], w: Window) -> list[dict]:
    """Council-level rows (ASCOF 2B) for each area and financial year."""
    rows = []
    areas = {p.area.code: p.area for p in practices}  # in practice order: base areas first
    for area in areas.values():
        listed = sum(p.list_size for p in practices if p.area.code == area.code)
        for period in _periods(w, 4, 12):
            den = max(10, int(rng.normal(0.0012 * listed, 5)))
            rows.append(
                _row(
                    "ascof_2b_still_home_91_days",
                    area.la_code,
                    period,
                    rng.binomial(den, 0.82),
                    den,
                )
            )
    return rows


def aggregates_table(rows: list[dict]) -> pa.Table:
    """The aggregate_indicators table from rows."""
    return pa.Table.from_pylist(rows, schema=SCHEMA)
