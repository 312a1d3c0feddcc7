"""England-like demographic rates: age structure, sex ratio, mortality, migration and births.

Sources (rounded): ONS mid-2021 England population by five-year band; ONS national life tables
2018-20 for the shape of mortality by age (Gompertz fit); GP registration churn of about 4-5% a
year in and out; about 11 births per 1,000 a year.
"""

from __future__ import annotations

import numpy as np

MAX_AGE = 104
AGES = np.arange(MAX_AGE + 1)

#: Share of the population in 0-4, 5-9, ..., 85-89, 90+ (ONS mid-2021 England, per cent).
BAND5_SHARES = np.array(
    [
        5.4,
        5.9,
        6.0,
        5.6,
        6.0,
        6.6,
        6.9,
        6.6,
        6.3,
        6.3,
        6.8,
        6.6,
        5.7,
        4.9,
        4.9,
        3.6,
        2.4,
        1.5,
        0.9,
    ]
)

#: Seven age bands used for admission rates: 0-4, 5-17, 18-44, 45-64, 65-74, 75-84, 85+.
RATE_BAND_EDGES = np.array([0, 5, 18, 45, 65, 75, 85])

TILT_OFFSET = -0.06  # offsets the older-than-average localities of the sample system
BIRTHS_PER_PERSON_YEAR = 0.0108
MOVE_IN_PER_PERSON_YEAR = 0.046


def rate_band(age: np.ndarray) -> np.ndarray:
    """Returns the admission-rate band (0-6) of each age."""
    return np.searchsorted(RATE_BAND_EDGES, age, side="right") - 1


def england_age_weights() -> np.ndarray:
    """Single-year age weights 0..104 (sum 1)."""
    w = np.repeat(BAND5_SHARES[:18] / 5, 5)
    tail = 0.8 ** np.arange(MAX_AGE - 89)
    w = np.concatenate([w, BAND5_SHARES[18] * tail / tail.sum()])
    return w / w.sum()


def practice_age_weights(tilt: float) -> np.ndarray:
    """Age weights tilted older (tilt > 0) or younger (tilt < 0) than England."""
    shape = np.clip((AGES - 40) / 30, -1.3, 1.8)
    w = england_age_weights() * np.exp((tilt + TILT_OFFSET) * shape)
    return w / w.sum()


def mover_age_weights() -> np.ndarray:
    """Age weights of people joining a practice list (young adults move most)."""
    bump = np.select(
        [AGES < 5, AGES < 18, AGES < 35, AGES < 45, AGES < 65, AGES < 85],
        [1.5, 0.8, 3.0, 1.5, 0.8, 0.5],
        0.35,
    )
    w = england_age_weights() * bump
    return w / w.sum()


def male_probability(age: np.ndarray) -> np.ndarray:
    """Probability that a person of this age is male."""
    return np.select(
        [age < 20, age < 65, age < 75, age < 85, age < 95], [0.512, 0.5, 0.48, 0.45, 0.39], 0.3
    )


def move_out_rate(age: np.ndarray) -> np.ndarray:
    """Annual rate of leaving the practice list for reasons other than death."""
    return np.select([age < 18, age < 35, age < 65, age < 85], [0.04, 0.09, 0.035, 0.02], 0.015)


def mortality(age: np.ndarray) -> np.ndarray:
    """Annual death hazard by age (Gompertz above 30, small floors for the young)."""
    gompertz = np.exp(-10.8 + 0.096 * np.asarray(age, dtype=float))
    floor = np.select([age < 1, age < 15, age < 30], [0.0035, 0.0001, 0.0004], 0.0)
    return np.maximum(gompertz, floor)


def fertile_female_share(tilt: float) -> float:
    """Share of a practice's list that are women aged 20-39 (drives its birth rate)."""
    w = practice_age_weights(tilt)
    return float(w[20:40].sum() * 0.5)


def maternity_rate(age: np.ndarray) -> np.ndarray:
    """Annual maternity admissions per woman by age (peak around 30)."""
    a = np.asarray(age, dtype=float)
    return np.where((a >= 16) & (a <= 45), 0.16 * np.exp(-0.5 * ((a - 30.5) / 5.5) ** 2), 0.0)
