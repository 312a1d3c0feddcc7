"""People's health: QOF disease registers, eFI frailty, risk score and the high-risk register.

All of these follow one latent ill-health score per person (people.health, worse with
deprivation) plus age, so that conditions, frailty, risk, deaths and admissions hang together.
Register prevalences are England-like (QOF 2023/24, rounded).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import demography as D
from .draws import bernoulli, expit, logit
from .people import People
from .timeline import DAYS_PER_YEAR, NEVER, Window

CONDITIONS = (
    "DM",
    "COPD",
    "HF",
    "CHD",
    "AST",
    "HYP",
    "AF",
    "STIA",
    "CKD",
    "DEM",
    "SMI",
    "LD",
    "CAN",
    "PC",
)
CONDITION_INDEX = {c: i for i, c in enumerate(CONDITIONS)}
MAJOR = np.array(
    [c in ("DM", "COPD", "HF", "CHD", "AF", "STIA", "CKD", "DEM", "CAN") for c in CONDITIONS]
)
BAND_EDGES = np.array([0, 18, 40, 60, 75, 85])

# condition: (target prevalence, minimum age of the denominator, relative prevalence by band
# 0-17/18-39/40-59/60-74/75-84/85+, mean years since diagnosis, minimum age at diagnosis,
# loading on latent health, male odds ratio, share later resolved)
PROFILES = {
    "DM": (0.07, 17, (0.03, 0.25, 1.0, 2.2, 2.6, 2.3), 9, 1, 0.5, 1.3, 0.01),
    "COPD": (0.022, 0, (0, 0.05, 0.6, 2.5, 4, 4), 6, 35, 0.7, 1.1, 0.0),
    "HF": (0.0125, 0, (0, 0.02, 0.25, 2, 6, 10), 4, 20, 0.6, 1.3, 0.0),
    "CHD": (0.031, 0, (0, 0.03, 0.6, 2.8, 5, 6), 8, 30, 0.5, 1.8, 0.0),
    "AST": (0.069, 0, (1, 1, 1, 1.1, 1.1, 1), 15, 2, 0.3, 0.9, 0.06),
    "HYP": (0.14, 0, (0.002, 0.1, 0.8, 2.5, 3.6, 4), 10, 18, 0.4, 1.1, 0.01),
    "AF": (0.022, 0, (0, 0.02, 0.3, 2.5, 6, 9), 5, 25, 0.3, 1.3, 0.0),
    "STIA": (0.019, 0, (0, 0.05, 0.5, 2.5, 5, 7), 6, 20, 0.4, 1.1, 0.0),
    "CKD": (0.046, 18, (0, 0.05, 0.4, 2.2, 6, 9), 5, 18, 0.4, 0.8, 0.02),
    "DEM": (0.0105, 0, (0, 0, 0.02, 0.5, 4.5, 17), 2.5, 45, 0.3, 0.8, 0.0),
    "SMI": (0.01, 0, (0.05, 1.3, 1.3, 1, 0.8, 0.8), 12, 14, 0.5, 1.0, 0.03),
    "LD": (0.006, 0, (0.8, 1.2, 1, 0.8, 0.4, 0.2), 40, 2, 0.3, 1.5, 0.0),
    "CAN": (0.037, 0, (0.05, 0.25, 1, 2.8, 4.5, 5), 6, 1, 0.2, 1.0, 0.0),
    "PC": (0.009, 0, (0, 0, 0.2, 1.5, 4, 10), 0.6, 18, 0.8, 1.0, 0.0),
}
FRAILTY = ("fit", "mild", "moderate", "severe")
FRAILTY_CUTS = (0.35, 1.35, 2.45)
HIGH_RISK_SHARE = 0.02


@dataclass
class Health:
    """Registers (diagnosed/resolved day per person x condition) and person-level scores."""

    diagnosed: np.ndarray
    resolved: np.ndarray
    frailty: np.ndarray  # -1 blank (under 18), else index into FRAILTY
    risk: np.ndarray  # NaN = blank
    high_risk: np.ndarray

    def has(self, condition: str) -> np.ndarray:
        """True for people ever diagnosed with the condition (up to the extract)."""
        return self.diagnosed[:, CONDITION_INDEX[condition]] < NEVER

    def n_major(self) -> np.ndarray:
        """Number of major long-term conditions per person."""
        return (self.diagnosed[:, MAJOR] < NEVER).sum(axis=1)


def band_prevalence(condition: str) -> np.ndarray:
    """Prevalence by band, scaled so that the England age structure gives the target."""
    target, min_age, rel, *_ = PROFILES[condition]
    w = D.england_age_weights()
    band = np.searchsorted(BAND_EDGES, D.AGES, side="right") - 1
    denom = w[min_age <= D.AGES].sum()
    return target * denom * np.asarray(rel) / (w * np.asarray(rel)[band]).sum()


def _diagnose(rng, pp: People, ref_day: np.ndarray, age: np.ndarray, cond: str):
    _, _, _, years, min_age, load, male_or, resolve = PROFILES[cond]
    band = np.searchsorted(BAND_EDGES, age, side="right") - 1
    sex_shift = np.where(pp.sex == 1, 0.5, -0.5) * np.log(male_or)
    p = expit(logit(band_prevalence(cond)[band]) + sex_shift + load * pp.health - load**2 / 2)
    earliest = pp.birth + int(min_age * DAYS_PER_YEAR)
    who = np.flatnonzero(bernoulli(rng, p) & (earliest < ref_day))
    ref, earliest, k = ref_day[who], earliest[who], len(who)
    diag = ref - np.floor(rng.exponential(years * DAYS_PER_YEAR, k)).astype(np.int64)
    span = np.maximum(ref - earliest, 1)
    diag = np.where(diag < earliest, earliest + np.floor(rng.random(k) * span), diag)
    res_day = diag + np.floor(rng.random(k) * (ref - diag + 1)).astype(np.int64)
    res = (rng.random(k) < resolve) & (res_day > diag + 30)
    out_diag, out_res = np.full(len(age), NEVER), np.full(len(age), NEVER)
    out_diag[who] = diag
    out_res[who[res]] = res_day[res]
    return out_diag, out_res


def make_health(rng, pp: People, w: Window) -> Health:
    """Returns registers, frailty, risk score and high-risk register for a practice's people."""
    ref_day = np.minimum(pp.move_out, w.extract)
    age = pp.age(ref_day)
    diag = np.full((len(pp), len(CONDITIONS)), NEVER, dtype=np.int64)
    res = diag.copy()
    for i, cond in enumerate(CONDITIONS):
        diag[:, i], res[:, i] = _diagnose(rng, pp, ref_day, age, cond)
    h = Health(diag, res, np.full(len(pp), -1, np.int8), np.full(len(pp), np.nan), None)
    n_major = h.n_major()
    latent = 0.075 * (age - 75) + 0.6 * pp.health + 0.3 * n_major + rng.normal(0, 0.8, len(pp))
    h.frailty = np.where(age >= 18, np.searchsorted(FRAILTY_CUTS, latent), -1).astype(np.int8)
    score = (
        -6.4
        + 0.055 * age
        + 0.45 * pp.health
        + 0.3 * n_major
        + 0.45 * np.maximum(h.frailty, 0)
        + rng.normal(0, 0.35, len(pp))
    )
    h.risk = np.where(rng.random(len(pp)) < 0.03, np.nan, np.round(expit(score), 3))
    return h


def _high_risk(risk: np.ndarray, age: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Adults at or above the risk of the top HIGH_RISK_SHARE of adults registered at the extract.

    People who died or left keep the flag they had when they were last registered.
    """
    adult = (age >= 18) & ~np.isnan(risk)
    pool = risk[adult & current]
    if len(pool) == 0:
        return np.zeros(len(risk), dtype=bool)
    threshold = np.quantile(pool, 1 - HIGH_RISK_SHARE, method="higher")
    return adult & (risk >= threshold)


def set_high_risk(h: Health, age: np.ndarray, current: np.ndarray) -> None:
    """Fills h.high_risk once it is known who is still registered at the extract."""
    h.high_risk = _high_risk(h.risk, age, current)
