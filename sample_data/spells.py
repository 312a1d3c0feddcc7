"""When hospital spells happen and how long they last, for one practice's people.

Emergency admissions are a Poisson process per person: an age-specific rate (per 1,000 a year:
0-4 110, 5-17 35, 18-44 60, 45-64 75, 65-74 150, 75-84 280, 85+ 500, scaled so that the
whole system comes to about 100) times latent health, frailty, care home residence and the
practice's effect, shaped over time by season and the stories. On top come readmissions,
admissions in the last 100 days of life (with a final spell ending in death for most hospital
deaths), admissions that end in a care home, elective and day-case work, maternity and births.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from . import codes as C
from . import demography as D
from .draws import choose, poisson_expand
from .health import Health
from .life import Life
from .organisations import Practice
from .people import People
from .stories import elective_profile, emergency_profile
from .timeline import DAYS_PER_YEAR, NEVER, Window, age_on, cumulative, month_index, sample_days

EMERGENCY, ELECTIVE, MATERNITY, BABY = 0, 1, 2, 3
BACKGROUND, TERMINAL, TO_CARE_HOME, READMISSION, LAST_DAYS = 0, 1, 2, 3, 4
EMERGENCY_RATE = np.array([110, 35, 60, 75, 150, 280, 500]) / 1000 * 0.86
# calibration for the multipliers below (most adults are 'fit'; the oldest are frail)
EMERGENCY_RATE *= np.array([1.16, 1.07, 1.45, 1.34, 0.97, 0.74, 0.58])
ELECTIVE_RATE = np.array([25, 30, 70, 160, 290, 320, 180]) / 1000
READMIT = np.array([0.05, 0.04, 0.06, 0.07, 0.14, 0.24, 0.25])
FRAILTY_ADMIT = np.array([1.0, 0.75, 1.1, 1.6, 2.3])
LOS_ZERO = np.array([0.45, 0.4, 0.2, 0.2, 0.16, 0.13, 0.12])
LOS_MU = np.array([0.2, 0.3, 1.1, 1.25, 1.6, 1.85, 1.95])


@dataclass
class Timing:
    """One element per spell: person (row in People), dates and what sort of spell it is."""

    person: np.ndarray
    admi: np.ndarray
    dis: np.ndarray
    kind: np.ndarray
    detail: np.ndarray  # emergency: BACKGROUND...; elective/maternity: table row
    classpat: np.ndarray

    def take(self, idx) -> Timing:
        """Returns the spells selected by an index or mask."""
        return Timing(*(getattr(self, f.name)[idx] for f in fields(self)))


def _timing(person, admi, dis, kind, detail, classpat=1) -> Timing:
    n = len(person)
    return Timing(
        np.asarray(person, np.int64),
        np.asarray(admi, np.int64),
        np.asarray(dis, np.int64),
        np.full(n, kind, np.int8),
        np.broadcast_to(np.asarray(detail, np.int64), (n,)).copy(),
        np.broadcast_to(np.asarray(classpat, np.int8), (n,)).copy(),
    )


def concat(parts: list[Timing]) -> Timing:
    """Concatenates spell sets."""
    return Timing(*(np.concatenate([getattr(t, f.name) for t in parts]) for f in fields(Timing)))


def emergency_los(rng, band: np.ndarray) -> np.ndarray:
    """Nights in hospital for emergency spells: some zero, the rest lognormal, longer when old."""
    los = np.ceil(rng.lognormal(LOS_MU[band], 0.95)).astype(np.int64)
    return np.where(rng.random(len(band)) < LOS_ZERO[band], 0, np.minimum(los, 365))


def _exposure(pp: People, life: Life, w: Window, before_death: int):
    lo = np.maximum(pp.reg_from, w.start) - w.start
    end = np.minimum(life.reg_to, np.where(life.dod < NEVER, life.dod - before_death, NEVER))
    hi = np.minimum(end, w.extract + 1) - w.start
    return lo, np.maximum(hi, lo)


def _background(rng, p: Practice, pp: People, h: Health, life: Life, w: Window) -> Timing:
    lo, hi = _exposure(pp, life, w, 100)
    band = D.rate_band(pp.age(w.start + (lo + hi) // 2))
    rate = (
        EMERGENCY_RATE[band]
        * np.exp(0.5 * pp.health - 0.125)
        * FRAILTY_ADMIT[h.frailty + 1]
        * np.where(life.care_home_from <= w.extract, 1.5, 1.0)
        * p.effect
    ) / DAYS_PER_YEAR
    cum = cumulative(w.daily(emergency_profile(p, w)))
    who = poisson_expand(rng, rate * (cum[hi] - cum[lo]))
    admi = w.start + sample_days(rng, cum, lo[who], hi[who])
    dis = admi + emergency_los(rng, _band(pp, who, admi))
    return _timing(who, admi, dis, EMERGENCY, BACKGROUND)


def _band(pp: People, who: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Admission-rate band of people `who` on `days`."""
    return D.rate_band(age_on(pp.birth_month[who], days))


def _readmissions(rng, pp: People, life: Life, w: Window, index: Timing) -> Timing:
    _, hi = _exposure(pp, life, w, 100)
    out, current = [], index
    for _ in range(2):
        band = _band(pp, current.person, current.dis)
        again = rng.random(len(band)) < READMIT[band]
        gap = 1 + np.minimum(np.floor(rng.gamma(0.8, 9.0, len(band))), 29).astype(np.int64)
        admi = current.dis + gap
        keep = again & (admi < w.start + hi[current.person])
        who = current.person[keep]
        dis = admi[keep] + emergency_los(rng, band[keep])
        current = _timing(who, admi[keep], dis, EMERGENCY, READMISSION)
        out.append(current)
    return concat(out)


def _end_of_life(rng, pp: People, life: Life, w: Window) -> Timing:
    died = np.flatnonzero(life.dod <= w.extract)
    dod = life.dod[died]
    in_hospital = (life.pod[died] == 0) & (rng.random(len(died)) < 0.92)
    stay = 1 + np.minimum(np.floor(rng.lognormal(1.6, 0.9, len(died))), 60).astype(np.int64)
    term_admi = np.maximum(dod - stay, w.start)
    terminal = _timing(
        died[in_hospital], term_admi[in_hospital], dod[in_hospital], EMERGENCY, TERMINAL
    )
    n_extra = np.where(
        in_hospital,
        choose(rng, np.array([0.55, 0.3, 0.15]), len(died)),
        choose(rng, np.array([0.92, 0.064, 0.016]), len(died)),
    )
    rows = np.repeat(np.arange(len(died)), n_extra)
    last = np.where(in_hospital, term_admi - 2, dod - 2)[rows]
    first = np.maximum(dod[rows] - 100, w.start)
    admi = first + np.floor(rng.random(len(rows)) * np.maximum(last - first, 1)).astype(np.int64)
    dis = np.minimum(admi + emergency_los(rng, _band(pp, died[rows], admi)), last + 1)
    ok = admi <= last
    extra = _timing(died[rows][ok], admi[ok], np.maximum(dis[ok], admi[ok]), EMERGENCY, LAST_DAYS)
    return concat([terminal, extra])


def _to_care_home(rng, pp: People, life: Life, w: Window) -> Timing:
    who = np.flatnonzero(life.via_hospital)
    dis = life.care_home_from[who]
    stay = 3 + np.floor(rng.lognormal(2.2, 0.7, len(who))).astype(np.int64)
    return _timing(who, np.maximum(dis - stay, w.start), dis, EMERGENCY, TO_CARE_HOME)


def _planned(rng, pp: People, h: Health, life: Life, w: Window) -> Timing:
    lo, hi = _exposure(pp, life, w, 30)
    band = D.rate_band(pp.age(w.start + (lo + hi) // 2))
    rate = ELECTIVE_RATE[band] * np.exp(0.3 * pp.health - 0.045) / DAYS_PER_YEAR
    cum = cumulative(w.daily(elective_profile(w)))
    who = poisson_expand(rng, rate * (cum[hi] - cum[lo]))
    admi = w.start + sample_days(rng, cum, lo[who], hi[who])
    weights = np.array([r[2] for r in C.ELECTIVE]).T[_band(pp, who, admi)]
    sex_ok = np.array([r[3] for r in C.ELECTIVE])[None, :]
    weights = weights * ((sex_ok == 0) | (sex_ok == pp.sex[who][:, None]))
    row = choose(rng, weights)
    day_case, regular, nights = (np.array([r[k] for r in C.ELECTIVE])[row] for k in (4, 5, 6))
    u = rng.random(len(row))
    classpat = np.where(u < regular, 3, np.where(u < regular + day_case, 2, 1))
    classpat = np.where((classpat == 3) & (rng.random(len(row)) < 0.1), 4, classpat)
    stay = np.where(classpat == 1, 1 + rng.poisson(np.maximum(nights - 1, 0)), classpat == 4)
    return _timing(who, admi, admi + stay, ELECTIVE, row, classpat)


def _maternity(rng, pp: People, life: Life, w: Window) -> Timing:
    lo, hi = _exposure(pp, life, w, 0)
    age = pp.age(w.start + (lo + hi) // 2)
    rate = np.where(pp.sex == 2, D.maternity_rate(age), 0.0) / DAYS_PER_YEAR
    who = poisson_expand(rng, rate * (hi - lo))
    admi = w.start + lo[who] + np.floor(rng.random(len(who)) * (hi - lo)[who]).astype(np.int64)
    row = choose(rng, np.array([r[2] for r in C.MATERNITY]), len(who))
    nights = np.array([r[4] for r in C.MATERNITY])[row]
    dis = admi + rng.poisson(nights)
    born = np.flatnonzero((pp.birth >= w.start) & (rng.random(len(pp)) < 0.75))
    baby = _timing(
        born,
        pp.birth[born],
        pp.birth[born] + rng.poisson(0.4, len(born)),
        BABY,
        0,
        np.where(rng.random(len(born)) < 0.02, 5, 1),
    )
    return concat([_timing(who, admi, dis, MATERNITY, row), baby])


def _drop_overlaps(t: Timing, life: Life) -> Timing:
    """Keeps a person's spells apart: nothing after a final spell, no spell inside another."""
    final = np.full(len(life.dod), NEVER)
    term = t.detail == TERMINAL
    final[t.person[term & (t.kind == EMERGENCY)]] = t.admi[term & (t.kind == EMERGENCY)]
    limit = np.minimum(final, life.dod)[t.person]
    is_final = (t.kind == EMERGENCY) & term
    keep = is_final | ((t.admi < limit) & (t.dis < limit))
    t = t.take(np.flatnonzero(keep))
    order = np.lexsort((t.admi, t.person))
    t = t.take(order)
    key = t.person * (NEVER * 2) + t.dis
    prev = np.concatenate([[-1], np.maximum.accumulate(key)[:-1]])
    same = prev // (NEVER * 2) == t.person
    clash = same & (t.admi < prev % (NEVER * 2))
    return t.take(np.flatnonzero(~clash))


def make_spells(rng, p: Practice, pp: People, h: Health, life: Life, w: Window) -> Timing:
    """Returns all spells of a practice's people, sorted by person and admission date."""
    bg = _background(rng, p, pp, h, life, w)
    bg.classpat[(bg.dis == bg.admi) & (rng.random(len(bg.admi)) < 0.1)] = 2
    parts = [
        bg,
        _readmissions(rng, pp, life, w, bg),
        _end_of_life(rng, pp, life, w),
        _to_care_home(rng, pp, life, w),
        _planned(rng, pp, h, life, w),
        _maternity(rng, pp, life, w),
    ]
    t = _drop_overlaps(concat(parts), life)
    # An infant dying within days of birth can draw end-of-life spells before it was born.
    born = month_index(t.admi) >= pp.birth_month[t.person]
    return t.take(np.flatnonzero((t.admi <= w.extract) & born))
