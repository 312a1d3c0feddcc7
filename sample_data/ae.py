"""A&E attendances in NHS Digital's published HES A&E layout (upper-case HES field names).

Attendances arrive as a Poisson process over each person's registered days in the window,
at England-like rates by age (about 400 attendances per 1,000 a year overall, most for
infants and people 85 and over), 10% higher in winter, and about three times the rate of
their age group for care home residents, who are also more often brought by ambulance and
admitted. The rows carry the quirks of a real extract: infant ages as 7001-7007, a few
unknown practices (`&`, V81997-V81999), SEX 9, a few dates given as invalid (1801-01-01),
and some of the published fields the loader ignores (FYEAR, ARRIVALTIME, AEPATGROUP).

The attendances are drawn from their own random stream, so adding them leaves every other
file byte-identical; they are not tied to the admissions of apc_spells.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .draws import choose, poisson_expand
from .ids import labels, person_ids
from .life import Life
from .organisations import Practice
from .people import People
from .timeline import DAYS_PER_YEAR, NEVER, Window, age_on, cumulative, sample_days, seasonal

COLUMNS = [
    "FYEAR", "AEKEY", "PSEUDO_HESID", "PROCODE3", "ARRIVALDATE", "ARRIVALTIME", "ARRIVALAGE",
    "SEX", "AEARRIVALMODE", "AEATTENDCAT", "AEATTENDDISP", "AEDEPTTYPE", "AEPATGROUP",
    "AEREFSOURCE", "GPPRAC",
]  # fmt: skip
FIRST_KEY = 100_000_000_000  # AEKEY: 12 digits, as HES record keys are
AGE_LIMITS = np.array([5, 18, 65, 75, 85])  # bands 0-4, 5-17, 18-64, 65-74, 75-84, 85+
RATE_BY_BAND = np.array([0.55, 0.30, 0.36, 0.38, 0.52, 0.85])  # attendances per person-year
CARE_HOME_RATE = 1.3  # per resident-year (about three times the 85+ rate at home)
WINTER = 0.10

# HES A&E codes (docs/DATA_CONTRACT.md) and their shares: at home, then in a care home.
ATTENDANCE_CATEGORIES = ("1", "2", "3", "9")
CATEGORY_SHARES = np.array([0.90, 0.04, 0.05, 0.01])
DISPOSALS = ("01", "02", "03", "04", "05", "06", "07", "10", "11", "12", "13", "14", "99")
DISPOSAL_SHARES = np.array(
    [
        [0.20, 0.22, 0.36, 0.02, 0.03, 0.04, 0.02, 0.001, 0.03, 0.04, 0.01, 0.02, 0.009],
        [0.45, 0.18, 0.20, 0.01, 0.02, 0.02, 0.03, 0.01, 0.03, 0.01, 0.005, 0.02, 0.015],
    ]
)
REFERRAL_SOURCES = ("00", "01", "02", "03", "04", "05", "06", "07", "08", "92", "93", "99")
REFERRAL_SHARES = np.array(
    [
        [0.08, 0.60, 0.005, 0.20, 0.01, 0.01, 0.02, 0.05, 0.01, 0.003, 0.002, 0.01],
        [0.15, 0.10, 0.01, 0.55, 0.0, 0.0, 0.0, 0.15, 0.03, 0.0, 0.0, 0.01],
    ]
)
DEPARTMENT_TYPES = ("01", "02", "03", "04")
DEPARTMENT_SHARES = np.array([0.70, 0.03, 0.25, 0.02])
ARRIVAL_MODES = ("1", "2")  # ambulance, other
AMBULANCE = np.array([0.20, 0.60])  # shares brought by ambulance: at home, in a care home
PATIENT_GROUPS = ("10", "20", "30", "40", "50", "60", "70", "80")  # ignored by the loader
PRACTICE_QUIRKS = ("&", "V81997", "V81998", "V81999")
PRACTICE_QUIRK_SHARES = np.array([0.985, 0.008, 0.001, 0.001, 0.005])  # own code first
INVALID_DATE_SHARE = 0.0005


def _stays(pp: People, life: Life, w: Window):
    """Each person's registered days in the window, split at a care home move: (person,
    lo, hi, resident) with lo, hi offsets from the window start."""
    lo = np.maximum(pp.reg_from, w.start) - w.start
    end = np.minimum(np.minimum(life.reg_to, life.dod), w.extract + 1) - w.start
    hi = np.maximum(end, lo)
    moved = np.clip(
        np.where(life.care_home_from < NEVER, life.care_home_from - w.start, hi), lo, hi
    )
    people = np.arange(len(pp))
    return (
        np.concatenate([people, people]),
        np.concatenate([lo, moved]),
        np.concatenate([moved, hi]),
        np.concatenate([np.zeros(len(pp), bool), np.ones(len(pp), bool)]),
    )


def _arrivals(rng, pp: People, life: Life, w: Window):
    """Draws the attendances: (person, arrival day number, resident) per attendance."""
    person, lo, hi, resident = _stays(pp, life, w)
    age = age_on(pp.birth_month[person], w.start + (lo + hi) // 2)
    band = np.searchsorted(AGE_LIMITS, age, side="right")
    rate = np.where(resident, CARE_HOME_RATE, RATE_BY_BAND[band]) / DAYS_PER_YEAR
    cum = cumulative(w.daily(seasonal(w, WINTER)))
    who = poisson_expand(rng, rate * (cum[hi] - cum[lo]))
    day = w.start + sample_days(rng, cum, lo[who], hi[who])
    order = np.lexsort((person[who], day))
    return person[who][order], day[order], resident[who][order]


def _hes_age(birth_month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """ARRIVALAGE: years, but 7003-7007 for the under-ones, by months since the birth month."""
    age = age_on(birth_month, day)
    months = (day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)) - birth_month
    infant = np.select(
        [months < 1, months < 3, months < 6, months < 9], [7003, 7004, 7005, 7006], 7007
    )
    return np.where(age == 0, infant, age)


def _arrival_dates(rng, day: np.ndarray) -> pa.Array:
    """ARRIVALDATE as published text, a few given as HES's invalid date 1801-01-01."""
    text = pc.strftime(pa.array(day.astype("datetime64[D]")), format="%Y-%m-%d")
    invalid = pa.array(rng.random(len(day)) < INVALID_DATE_SHARE)
    return pc.if_else(invalid, pa.scalar("1801-01-01"), text)


def _financial_years(day: np.ndarray) -> pa.Array:
    """FYEAR as HES writes it: `2526` for 2025-26 (April to March)."""
    month = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    start = (month - 3) // 12 + 1970
    return pa.array([f"{year % 100:02d}{(year + 1) % 100:02d}" for year in range(2000, 2100)]).take(
        pa.array(start - 2000)
    )


def _times(rng, n: int) -> pa.Array:
    """ARRIVALTIME as HHMM text."""
    minutes = rng.integers(0, 24 * 60, n)
    vocab = [f"{m // 60:02d}{m % 60:02d}" for m in range(24 * 60)]
    return labels(vocab, minutes)


def _practices(rng, p: Practice, n: int) -> pa.Array:
    """GPPRAC: the practice, else `&` or a pseudo practice code now and then."""
    return labels((p.code, *PRACTICE_QUIRKS), choose(rng, PRACTICE_QUIRK_SHARES, n))


def ae_table(rng, p: Practice, pp: People, life: Life, w: Window, key, first_id: int) -> pa.Table:
    """Returns the A&E attendance rows for one practice's people (keys from first_id)."""
    person, day, resident = _arrivals(rng, pp, life, w)
    n, home = len(person), resident.astype(int)
    names, weights = zip(*p.area.providers, strict=True)
    sex = np.where(rng.random(n) < 0.002, 9, pp.sex[person])
    return pa.table(
        {
            "FYEAR": _financial_years(day),
            "AEKEY": pa.array((FIRST_KEY + first_id + np.arange(n)).astype(str)),
            "PSEUDO_HESID": person_ids(pp.number[person], key),
            "PROCODE3": labels(names, choose(rng, np.array(weights), n)),
            "ARRIVALDATE": _arrival_dates(rng, day),
            "ARRIVALTIME": _times(rng, n),
            "ARRIVALAGE": pa.array(_hes_age(pp.birth_month[person], day), pa.int32()),
            "SEX": pa.array(sex, pa.int8()),
            "AEARRIVALMODE": labels(ARRIVAL_MODES, (rng.random(n) >= AMBULANCE[home]).astype(int)),
            "AEATTENDCAT": labels(ATTENDANCE_CATEGORIES, choose(rng, CATEGORY_SHARES, n)),
            "AEATTENDDISP": labels(DISPOSALS, choose(rng, DISPOSAL_SHARES[home])),
            "AEDEPTTYPE": labels(DEPARTMENT_TYPES, choose(rng, DEPARTMENT_SHARES, n)),
            "AEPATGROUP": labels(PATIENT_GROUPS, rng.integers(0, len(PATIENT_GROUPS), n)),
            "AEREFSOURCE": labels(REFERRAL_SOURCES, choose(rng, REFERRAL_SHARES[home])),
            "GPPRAC": _practices(rng, p, n),
        }
    )
