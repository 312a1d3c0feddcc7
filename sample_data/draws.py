"""Random streams and vectorised draws shared by the generator's modules.

Each (seed, practice, purpose) gets its own numpy Generator, so every feed comes out the same
whichever other feeds are requested, and practices can be generated one batch at a time.
"""

from __future__ import annotations

import numpy as np

STREAMS = {
    "people": 1,
    "conditions": 2,
    "life": 3,
    "spells": 4,
    "events": 5,
    "survey": 6,
    "care_homes": 7,
    "aggregates": 8,
    "ids": 9,
    "ae": 10,
}


def stream(seed: int, practice: int, purpose: str) -> np.random.Generator:
    """Returns the random generator for one practice and purpose."""
    return np.random.default_rng([int(seed), int(practice), STREAMS[purpose]])


def choose(rng, p: np.ndarray, n: int | None = None) -> np.ndarray:
    """Draws category indices.

    p is either one probability vector (then n draws) or a matrix of per-row weights (rows need
    not sum to 1; a row of zeros gives the last category).
    """
    p = np.asarray(p, dtype=float)
    if p.ndim == 1:
        return rng.choice(len(p), size=n, p=p / p.sum())
    cum = np.cumsum(p, axis=1)
    u = rng.random(len(p)) * cum[:, -1]
    return np.minimum((cum <= u[:, None]).sum(axis=1), p.shape[1] - 1)


def expit(x: np.ndarray) -> np.ndarray:
    """Logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds, with p clipped away from 0 and 1."""
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def poisson_expand(rng, expected: np.ndarray) -> np.ndarray:
    """Draws a Poisson count per row and returns the row index repeated once per event."""
    counts = rng.poisson(np.maximum(expected, 0.0))
    return np.repeat(np.arange(len(expected)), counts)


def bernoulli(rng, p) -> np.ndarray:
    """Returns a boolean draw per element of p."""
    p = np.asarray(p, dtype=float)
    return rng.random(p.shape) < p
