"""The people registered at one practice during the window: who they are and when they joined.

A practice's people are its list at the window start (age structure tilted per practice), people
who join during the window (movers in, mostly young adults) and babies born during the window.
Later stages add health (health.py) and events of life and death (life.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import demography as D
from .draws import choose
from .ids import PRACTICE_BITS
from .organisations import Lsoas, Practice, decile_probabilities
from .timeline import (
    DAYS_PER_YEAR,
    NEVER,
    Window,
    age_on,
    avoid_first_of_month,
    cumulative,
    first_event,
    month_index,
    month_start,
)

DEPRIVATION_HEALTH = 0.1  # latent health shift per IMD decile below the middle


@dataclass
class People:
    """Column arrays, one element per person. Day values are day numbers; NEVER = no event."""

    number: np.ndarray
    sex: np.ndarray
    birth: np.ndarray
    birth_month: np.ndarray
    reg_from: np.ndarray
    move_out: np.ndarray
    lsoa: np.ndarray
    health: np.ndarray  # latent ill-health, ~N(0, 1) plus a deprivation shift

    def __len__(self) -> int:
        return len(self.number)

    def age(self, days) -> np.ndarray:
        """Age in whole years on the given day(s)."""
        return age_on(self.birth_month, np.broadcast_to(days, self.birth_month.shape))


def _births_from_ages(rng, ages: np.ndarray, on: np.ndarray):
    """Birth month and day for people of the given ages on the given days."""
    birth_month = month_index(on) - 12 * ages - rng.integers(0, 12, len(ages))
    birth = month_start(birth_month) + rng.integers(0, 28, len(ages))
    return birth_month, birth


def _list_at_start(rng, p: Practice, w: Window):
    ages = choose(rng, D.practice_age_weights(p.age_tilt), p.list_size)
    bm, birth = _births_from_ages(rng, ages, np.full(len(ages), w.start - 1))
    since = w.start - 1 - np.floor(rng.exponential(10 * DAYS_PER_YEAR, len(ages))).astype(np.int64)
    reg = np.maximum(since, birth + rng.integers(14, 60, len(ages)))
    return bm, birth, reg


def _movers_in(rng, p: Practice, w: Window):
    n = rng.poisson(p.list_size * D.MOVE_IN_PER_PERSON_YEAR * w.years)
    reg = w.start + rng.integers(0, w.n_days, n)
    ages = choose(rng, D.mover_age_weights(), n)
    bm, birth = _births_from_ages(rng, ages, reg)
    return bm, birth, np.maximum(reg, birth + 20)


def _newborns(rng, p: Practice, w: Window):
    fertility = D.fertile_female_share(p.age_tilt) / D.fertile_female_share(0.0)
    n = rng.poisson(p.list_size * D.BIRTHS_PER_PERSON_YEAR * fertility * w.years)
    birth = w.start + rng.integers(0, w.n_days, n)
    reg = birth + 10 + np.round(rng.gamma(2.0, 10.0, n)).astype(np.int64)
    return month_index(birth), birth, reg


def make_people(rng, p: Practice, w: Window, lsoas: Lsoas) -> People:
    """Returns everyone registered at practice p at some time in the window."""
    parts = [_list_at_start(rng, p, w), _movers_in(rng, p, w), _newborns(rng, p, w)]
    bm, birth, reg = (np.concatenate(x).astype(np.int64) for x in zip(*parts, strict=True))
    keep = reg <= w.extract
    bm, birth, reg = bm[keep], birth[keep], avoid_first_of_month(reg[keep])
    n = len(bm)
    age = age_on(bm, np.maximum(reg, w.start))
    sex = np.where(rng.random(n) < D.male_probability(age), 1, 2).astype(np.int8)
    sex[rng.random(n) < 0.0005] = 9
    lo = np.maximum(reg, w.start) - w.start
    out = first_event(
        rng,
        cumulative(np.ones(w.n_days)),
        lo,
        np.full(n, w.n_days),
        D.move_out_rate(age) / DAYS_PER_YEAR,
    )
    move_out = np.where(out >= 0, avoid_first_of_month(w.start + np.maximum(out, lo + 1)), NEVER)
    move_out = np.where(move_out > w.extract, NEVER, move_out)
    lsoa, decile = _lsoas(rng, p, lsoas, n)
    health = rng.standard_normal(n) + DEPRIVATION_HEALTH * (5.5 - decile)
    number = (np.uint64(p.index) << np.uint64(PRACTICE_BITS)) + np.arange(n, dtype=np.uint64)
    return People(number, sex, birth, bm, reg, move_out, lsoa, health)


def _lsoas(rng, p: Practice, lsoas: Lsoas, n: int):
    """Each person's LSOA (index into lsoas.codes) and its IMD decile."""
    decile = choose(rng, decile_probabilities(p.deprivation), n) + 1
    li = lsoas.localities[p.locality.code]
    start, count = lsoas.start[li, decile - 1], lsoas.count[li, decile - 1]
    return start + np.floor(rng.random(n) * count).astype(np.int64), decile
