"""Deaths, care home moves and leaving the list: the events that end or change registration.

Death hazards follow age (demography.mortality), latent health, conditions, frailty and care home
residence, with a winter excess, calibrated to about 9 deaths per 1,000 a year. Permanent care
home admissions run at about 500 per 100,000 people 65+ a year (ASCOF 2A, England 2023/24).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import demography as D
from . import diagnoses
from .draws import bernoulli, choose
from .health import Health
from .people import People
from .timeline import (
    DAYS_PER_YEAR,
    NEVER,
    Window,
    avoid_first_of_month,
    cumulative,
    first_event,
    seasonal,
)

# calibration by age band (0-4, 5-17, 18-44, 45-64, 65-74, 75-84, 85+) to ONS death rates
DEATH_SCALE = np.array([0.95, 0.95, 1.25, 0.9, 0.64, 0.54, 0.45])
POD = ("hospital", "home", "care_home", "hospice", "other")
CARE_HOME_CODES = ("54", "65", "85")
# residents at the window start, by age band 0-4 ... 85+ (share of the band)
CARE_HOME_BASELINE = np.array([0, 0, 0, 0.0004, 0.0055, 0.026, 0.13])
# permanent admissions per person-year, by age band
CARE_HOME_RATE = np.array([0, 0, 0.0003, 0.0004, 0.001, 0.0046, 0.0185])
FRAILTY_DEATH = np.array([1.0, 0.75, 1.0, 1.4, 2.0])  # by frailty index + 1 (blank, fit, ...)
FRAILTY_CARE = np.array([1.0, 0.45, 0.9, 1.9, 3.4])
CONDITION_DEATH = {"HF": 1.5, "COPD": 1.3, "DEM": 1.6, "CAN": 1.4, "CKD": 1.1, "PC": 4.0}


@dataclass
class Life:
    """Per person: death, end of registration and care home residence."""

    dod: np.ndarray
    reg_to: np.ndarray
    pod: np.ndarray  # index into POD, -1 if alive
    cause: np.ndarray  # index into codes.DEATH_CAUSES, -1 if alive
    care_home_from: np.ndarray  # day a permanent stay began (before the window for residents)
    care_home_code: np.ndarray  # index into CARE_HOME_CODES
    via_hospital: np.ndarray  # admitted to the care home on discharge from hospital

    def in_care_home(self, days) -> np.ndarray:
        """True where the person lived in a care home on the given day(s)."""
        return self.care_home_from <= days


def _condition_multiplier(h: Health) -> np.ndarray:
    m = np.ones(len(h.frailty))
    for cond, k in CONDITION_DEATH.items():
        m *= np.where(h.has(cond), k, 1.0)
    return m


def _baseline_care_home(rng, pp: People, h: Health, w: Window) -> np.ndarray:
    age = pp.age(w.start)
    p = CARE_HOME_BASELINE[D.rate_band(age)] * FRAILTY_CARE[h.frailty + 1]
    p = p * np.where(h.has("DEM"), 3.0, 0.8) * np.where(h.has("LD") & (age >= 18), 20.0, 1.0)
    resident = bernoulli(rng, np.minimum(p, 0.9)) & (pp.reg_from < w.start)
    since = w.start - 1 - np.floor(rng.exponential(2 * DAYS_PER_YEAR, len(pp))).astype(np.int64)
    return np.where(resident, since, NEVER)


def _exposure(pp: People, w: Window):
    lo = np.maximum(pp.reg_from, w.start) - w.start
    hi = np.minimum(pp.move_out, w.extract + 1) - w.start
    return lo, np.maximum(hi, lo + 1)


def make_life(rng, pp: People, h: Health, w: Window) -> Life:
    """Returns deaths, registration ends and care home residence for a practice's people."""
    lo, hi = _exposure(pp, w)
    mid_age = pp.age(w.start + (lo + hi) // 2)
    band = D.rate_band(mid_age)
    flat = cumulative(np.ones(w.n_days))
    base_ch = _baseline_care_home(rng, pp, h, w)
    ch_rate = (
        CARE_HOME_RATE[band] * FRAILTY_CARE[h.frailty + 1] * np.where(h.has("DEM"), 3.5, 0.75)
    ) / DAYS_PER_YEAR
    new_ch = first_event(rng, flat, lo, hi, np.where(base_ch < NEVER, 0.0, ch_rate))
    hazard = (
        DEATH_SCALE[band]
        * D.mortality(mid_age)
        * np.exp(0.5 * pp.health - 0.125)
        * _condition_multiplier(h)
        * FRAILTY_DEATH[h.frailty + 1]
    ) / DAYS_PER_YEAR
    season = cumulative(w.daily(seasonal(w, 0.12)))
    death = first_event(rng, season, lo, hi, hazard * np.where(base_ch < NEVER, 2.2, 1.0))
    after = first_event(rng, season, np.maximum(new_ch, lo), hi, np.where(new_ch >= 0, hazard, 0))
    death = np.where((after >= 0) & ((death < 0) | (after < death)), after, death)
    dod = np.where(death >= 0, avoid_first_of_month(w.start + death), NEVER)
    reg_to = np.minimum(pp.move_out, dod)
    ch_from = np.where((new_ch >= 0) & (w.start + new_ch < reg_to), w.start + new_ch, base_ch)
    return _finish(rng, pp, h, dod, reg_to, ch_from, w)


def _finish(rng, pp, h, dod, reg_to, ch_from, w) -> Life:
    n = len(pp)
    died = np.flatnonzero(dod < NEVER)
    in_home = ch_from[died] <= dod[died]
    pod = np.full(n, -1, np.int8)
    pod[died] = choose(
        rng,
        np.where(in_home[:, None], (0.2, 0.0, 0.72, 0.02, 0.06), (0.34, 0.45, 0.04, 0.08, 0.09)),
    )
    hospice = ~in_home & h.has("CAN")[died] & (rng.random(len(died)) < 0.12)
    pod[died[hospice]] = POD.index("hospice")
    cause = np.full(n, -1, np.int64)
    cause[died] = diagnoses.death_causes(rng, pp.age(dod)[died], h.diagnosed[died])
    ch_code = choose(rng, np.array([0.15, 0.15, 0.7]), n).astype(np.int8)
    via = bernoulli(rng, np.full(n, 0.4)) & (ch_from >= w.start) & (ch_from < NEVER)
    return Life(dod, reg_to, pod, cause, ch_from, ch_code, via)
