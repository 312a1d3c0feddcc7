"""gp_events: measurements and care processes recorded by practices, for one practice's people.

- Diabetes register: review visits every ~6 months (HbA1c, blood pressure, cholesterol), yearly
  care plan, retinal screening and foot check, and structured education referrals for new
  diagnoses. Values centre on the practice's targets (stories.diabetes_targets), so about 60% of
  people have a latest HbA1c <= 58 mmol/mol, and about 80% in the story network.
- High-risk register: anticipatory care plans (~65% within any 12 months), key workers, MDTs.
- Infants: three DTaP/IPV/Hib/HepB doses (~91% complete by 8 months) and MMR (~90% at 12-18
  months). Women 25-64: cervical screening every 3 or 5 years for about three in four.
- Hypertension (without diabetes): a yearly blood pressure for most.
Events start up to 66 months before the window so that look-back indicators work from month 1.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .health import CONDITION_INDEX, Health
from .ids import dates, labels, person_ids
from .life import Life
from .organisations import Practice
from .people import People
from .stories import diabetes_targets
from .timeline import DAYS_PER_YEAR, Window, age_on

CODES = (
    "hba1c",
    "sbp",
    "dbp",
    "cholesterol",
    "care_plan",
    "anticipatory_care_plan",
    "retinal_screening",
    "structured_education_referral",
    "foot_check",
    "key_worker_assigned",
    "mdt_review",
    "dtap_ipv_hib_hepb",
    "mmr",
    "cervical_screening",
)
CODE = {c: i for i, c in enumerate(CODES)}
YEAR = 365
DM_LOOKBACK, HRR_LOOKBACK, CERVICAL_LOOKBACK = 15 * 30, 13 * 30, 66 * 31


class Events:
    """Collects (person, day, code, value) parts; value is NaN for non-measurements."""

    def __init__(self):
        self.parts: list[tuple] = []

    def add(self, person, day, code: str, value=None) -> None:
        person = np.asarray(person, np.int64)
        value = np.full(len(person), np.nan) if value is None else np.asarray(value, float)
        self.parts.append(
            (person, np.asarray(day, np.int64), np.full(len(person), CODE[code]), value)
        )

    def arrays(self):
        """Returns person, day, code, value, sorted and without duplicate keys."""
        person, day, code, value = (np.concatenate(x) for x in zip(*self.parts, strict=True))
        order = np.lexsort((code, day, person))
        person, day, code, value = person[order], day[order], code[order], value[order]
        first = np.ones(len(person), bool)
        first[1:] = (np.diff(person) != 0) | (np.diff(day) != 0) | (np.diff(code) != 0)
        return person[first], day[first], code[first], value[first]


def recurring(rng, start, end, interval: float, spread: float):
    """Events every `interval` days (+/- spread) from a random phase in [start, end)."""
    start, end = np.asarray(start, np.int64), np.asarray(end, np.int64)
    if len(start) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    slots = int(np.max(end - start, initial=0) / (interval * (1 - spread))) + 2
    gaps = interval * rng.uniform(1 - spread, 1 + spread, (len(start), slots))
    gaps[:, 0] = interval * rng.random(len(start))
    day = start[:, None] + np.cumsum(gaps, axis=1).astype(np.int64)
    row, col = np.nonzero(day < end[:, None])
    return row, day[row, col]


def _diabetes(rng, ev: Events, p: Practice, pp: People, h: Health, life: Life, w: Window):
    i = CONDITION_INDEX["DM"]
    who = np.flatnonzero(h.diagnosed[:, i] <= w.extract)
    start = np.maximum(h.diagnosed[who, i], w.start - DM_LOOKBACK)
    end = np.minimum(np.minimum(life.reg_to[who], h.resolved[who, i]), w.extract + 1)
    targets = diabetes_targets(p)
    _diabetes_reviews(rng, ev, who, start, end, targets)
    for code, p_year in (("care_plan", 0.72), ("retinal_screening", 0.8), ("foot_check", 0.8)):
        row, day = recurring(rng, start, end, YEAR, 0.15)
        keep = rng.random(len(row)) < p_year
        ev.add(who[row[keep]], day[keep], code)
    _education(rng, ev, who, h.diagnosed[who, i], end, targets["education"], w)


def _diabetes_reviews(rng, ev: Events, who, start, end, targets: dict[str, float]):
    """Review visits every ~6 months: HbA1c, blood pressure and cholesterol around each
    person's own level, which is drawn around the practice's targets."""
    n = len(who)
    hba1c_level = np.log(targets["hba1c"]) + rng.normal(0, 0.21, n)
    sbp_level, dbp_level = rng.normal(targets["sbp"], 13, n), rng.normal(targets["dbp"], 7.5, n)
    chol_level = np.log(targets["chol"]) + rng.normal(0, 0.2, n)
    row, day = recurring(rng, start, end, 182, 0.5)
    k = len(row)
    take = rng.random((k, 3)) < (0.92, 0.85, 0.7)
    hba1c = np.clip(np.round(np.exp(hba1c_level[row] + rng.normal(0, 0.06, k))), 30, 150)
    sbp = np.round(sbp_level[row] + rng.normal(0, 8, k))
    dbp = np.round(np.minimum(dbp_level[row] + rng.normal(0, 5, k), sbp - 20))
    chol = np.round(np.exp(chol_level[row] + rng.normal(0, 0.07, k)), 1)
    person = who[row]
    for code, values, column in (
        ("hba1c", hba1c, 0),
        ("sbp", sbp, 1),
        ("dbp", dbp, 1),
        ("cholesterol", chol, 2),
    ):
        ev.add(person[take[:, column]], day[take[:, column]], code, values[take[:, column]])


def _education(rng, ev: Events, who, diagnosed, end, share: float, w: Window):
    recent = diagnosed >= w.start - 2 * YEAR
    soon = rng.random(len(who)) < share
    later = ~soon & (rng.random(len(who)) < 0.2)
    delay = np.where(soon, rng.integers(0, 270, len(who)), rng.integers(275, 540, len(who)))
    day = diagnosed + delay
    keep = recent & (soon | later) & (day < end)
    ev.add(who[keep], day[keep], "structured_education_referral")


def _high_risk(rng, ev: Events, pp: People, h: Health, life: Life, w: Window):
    who = np.flatnonzero(h.high_risk)
    start = np.maximum(pp.reg_from[who], w.start - HRR_LOOKBACK)
    end = np.minimum(life.reg_to[who], w.extract + 1)
    engaged = rng.random(len(who)) < 0.58
    row, day = recurring(rng, start[engaged], end[engaged], YEAR, 0.08)
    ev.add(who[engaged][row], day, "anticipatory_care_plan")
    row, day = recurring(rng, start[~engaged], end[~engaged], 3.5 * YEAR, 0.7)
    ev.add(who[~engaged][row], day, "anticipatory_care_plan")
    span = np.maximum(end - start, 1)
    for code, share, times in (("key_worker_assigned", 0.45, 1), ("mdt_review", 0.35, 3)):
        for _ in range(times):
            pick = (rng.random(len(who)) < share) & (end > start)
            day = start + np.floor(rng.random(len(who)) * span).astype(np.int64)
            ev.add(who[pick], day[pick], code)
            share *= 0.5


def _infants(rng, ev: Events, pp: People, life: Life, w: Window):
    who = np.flatnonzero(pp.birth >= w.start - 31 * 30)
    end = np.minimum(life.reg_to[who], w.extract)
    birth, n = pp.birth[who], len(who)
    kind = rng.choice(4, size=n, p=[0.915, 0.045, 0.03, 0.01])  # on time, late, partial, none
    late = np.where(kind == 1, rng.integers(140, 260, n), 0)
    for dose in range(3):
        day = birth + 56 + 28 * dose + np.round(rng.gamma(1.5, 6, n)).astype(np.int64) + late
        keep = ((kind < 2) | ((kind == 2) & (dose < 2))) & (day <= end)
        ev.add(who[keep], day[keep], "dtap_ipv_hib_hepb")
    mmr_kind = rng.choice(3, size=n, p=[0.9, 0.05, 0.05])
    day = birth + np.where(
        mmr_kind == 0, 366 + np.round(rng.gamma(2, 14, n)), 560 + rng.integers(0, 200, n)
    ).astype(np.int64)
    keep = (mmr_kind < 2) & (day <= end)
    ev.add(who[keep], day[keep], "mmr")


def _cervical(rng, ev: Events, pp: People, life: Life, w: Window):
    who = np.flatnonzero(
        (pp.sex == 2) & (pp.age(w.start - CERVICAL_LOOKBACK) <= 64) & (pp.age(w.extract) >= 25)
    )
    regular = rng.random(len(who)) < 0.6
    interval = np.where(pp.age(w.start)[who] < 50, 3, 5) * DAYS_PER_YEAR
    interval = np.where(regular, interval, 12 * DAYS_PER_YEAR)
    start = np.full(len(who), w.start - CERVICAL_LOOKBACK)
    end = np.minimum(life.reg_to[who], w.extract + 1)
    for gap in np.unique(interval):
        sel = interval == gap
        row, day = recurring(rng, start[sel], end[sel], gap, 0.1 if gap < 6 * YEAR else 0.5)
        person = who[sel][row]
        age = age_on(pp.birth_month[person], day)
        ok = (age >= 25) & (age <= 64)
        ev.add(person[ok], day[ok], "cervical_screening")


def _hypertension(rng, ev: Events, h: Health, life: Life, w: Window):
    hyp, dm = CONDITION_INDEX["HYP"], CONDITION_INDEX["DM"]
    who = np.flatnonzero((h.diagnosed[:, hyp] <= w.extract) & (h.diagnosed[:, dm] > w.extract))
    start = np.maximum(h.diagnosed[who, hyp], w.start - YEAR)
    end = np.minimum(life.reg_to[who], w.extract + 1)
    row, day = recurring(rng, start, end, YEAR, 0.3)
    keep = rng.random(len(row)) < 0.8
    row, day = row[keep], day[keep]
    sbp = np.round(rng.normal(137, 15, len(row)))
    dbp = np.round(np.minimum(rng.normal(80, 9, len(row)), sbp - 20))
    ev.add(who[row], day, "sbp", sbp)
    ev.add(who[row], day, "dbp", dbp)


def _values(code: np.ndarray, value: np.ndarray) -> pa.Array:
    """Formats values: whole numbers, cholesterol to one decimal place, blank otherwise."""
    blank = np.isnan(value)
    whole = pc.cast(pa.array(np.where(blank, 0, np.round(value)).astype(np.int64)), pa.string())
    tenths = np.where(blank, 0, np.round(value * 10)).astype(np.int64)
    digits = pc.utf8_lpad(pc.cast(pa.array(tenths), pa.string()), width=2, padding="0")
    decimal = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(digits, 0, -1), pc.utf8_slice_codeunits(digits, -1), "."
    )
    text = pc.if_else(pa.array(code == CODE["cholesterol"]), decimal, whole)
    return pc.if_else(pa.array(blank), pa.scalar(None, pa.string()), text)


def gp_events_table(
    rng, p: Practice, pp: People, h: Health, life: Life, w: Window, key
) -> pa.Table:
    """Returns the gp_events rows of a practice's people."""
    ev = Events()
    _diabetes(rng, ev, p, pp, h, life, w)
    _high_risk(rng, ev, pp, h, life, w)
    _infants(rng, ev, pp, life, w)
    _cervical(rng, ev, pp, life, w)
    _hypertension(rng, ev, h, life, w)
    person, day, code, value = ev.arrays()
    keep = day <= w.extract
    person, day, code, value = person[keep], day[keep], code[keep], value[keep]
    return pa.table(
        {
            "person_id": person_ids(pp.number[person], key),
            "event_date": dates(day),
            "code": labels(CODES, code),
            "value": _values(code, value),
        }
    )
