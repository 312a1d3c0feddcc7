"""survey_responses: local patient and carer questionnaires (EQ-5D, co-ordination, self-care).

About 35 responses per 1,000 registered a year per practice, a fifth from carers. EQ-5D is
mostly the 5L version (some 3L); each respondent's five levels follow one latent health score, so
the mean index is about 0.8 (5L England value set; a little lower on the 3L UK TTO set).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .draws import choose
from .ids import constant, dates, labels, serial_ids
from .organisations import Practice
from .timeline import Window

RESPONSES_PER_PERSON_YEAR = 0.035
CARER_SHARE = 0.2
SHARE_3L = 0.15
DIMENSIONS = ("eq5d_mo", "eq5d_sc", "eq5d_ua", "eq5d_pd", "eq5d_ad")
# per dimension: loading on latent health and offset (pain and anxiety are commonest)
LOADING = np.array([1.0, 0.8, 0.9, 1.0, 0.8])
OFFSET = np.array([0.0, -0.5, -0.2, 0.35, 0.15])
CUTS_5L = np.array([0.45, 1.2, 1.75, 2.4])
CUTS_3L = np.array([0.7, 2.1])
COORDINATED = ("yes_definitely", "yes_somewhat", "no", "not_needed", "dont_know")
CONFIDENCE = ("very", "fairly", "not_very", "not_at_all", "dont_know")


def _levels(rng, n: int, is_3l: np.ndarray, shift: float):
    health = rng.standard_normal(n) + shift
    latent = health[:, None] * LOADING + OFFSET + rng.normal(0, 0.7, (n, 5))
    five = 1 + (latent[:, :, None] > CUTS_5L).sum(axis=2)
    three = 1 + (latent[:, :, None] > CUTS_3L).sum(axis=2)
    levels = np.where(is_3l[:, None], three, five)
    levels = np.where(rng.random((n, 5)) < 0.02, -1, levels)
    vas = np.clip(np.round(82 - 11 * health + rng.normal(0, 9, n)), 0, 100)
    return levels, np.where(rng.random(n) < 0.04, -1, vas), health


def _answers(rng, health: np.ndarray, options: int, base: np.ndarray) -> np.ndarray:
    """Ordinal answers, worse with poorer health; -1 (blank) for a few."""
    weights = np.broadcast_to(base, (len(health), options)).copy()
    weights[:, 2:4] *= np.exp(0.5 * health)[:, None]
    out = choose(rng, weights)
    return np.where(rng.random(len(health)) < 0.03, -1, out)


def survey_table(rng, p: Practice, w: Window, first_id: int) -> pa.Table:
    """Returns the survey responses about one practice (response ids from first_id)."""
    n = rng.poisson(p.list_size * RESPONSES_PER_PERSON_YEAR * w.years)
    carer = rng.random(n) < CARER_SHARE
    day = np.sort(w.start + rng.integers(0, w.n_days, n))
    is_3l = rng.random(n) < SHARE_3L
    levels, vas, health = _levels(rng, n, is_3l, 0.25 * (5.5 - p.deprivation) / 2)
    coordinated = _answers(rng, health, 5, np.array([0.42, 0.3, 0.11, 0.1, 0.07]))
    confidence = _answers(rng, health, 5, np.array([0.3, 0.45, 0.12, 0.05, 0.08]))
    table = {
        "response_id": serial_ids(first_id, n, "R", 8),
        "gpprac": constant(p.code, n),
        "respondent": labels(("patient", "carer"), carer.astype(int)),
        "response_date": dates(day),
        "eq5d_version": labels(("5L", "3L"), is_3l.astype(int)),
    }
    for j, name in enumerate(DIMENSIONS):
        table[name] = pa.array(levels[:, j], pa.int8(), mask=levels[:, j] < 0)
    table["eq5d_vas"] = pa.array(vas.astype(np.int16), pa.int16(), mask=vas < 0)
    table["coordinated_care"] = labels(COORDINATED, coordinated)
    table["self_manage_confidence"] = labels(CONFIDENCE, confidence)
    return pa.table(table)
