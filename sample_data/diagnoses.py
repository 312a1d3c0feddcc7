"""Draws diagnoses, procedures and causes of death from the code tables, vectorised.

Codes are handled as integer indices into ICD (diagnoses) and OPCS (procedures) until the
feed is written; -1 means none.
"""

from __future__ import annotations

import numpy as np

from . import codes as C
from .demography import rate_band
from .draws import bernoulli, choose
from .health import CONDITION_INDEX, CONDITIONS
from .timeline import NEVER

_TABLE_CODES = [
    r[0]
    for t in (
        C.CHRONIC_ACSC,
        C.ACUTE_ACSC,
        C.OTHER_EMERGENCY,
        C.ELECTIVE,
        C.MATERNITY,
        C.DEATH_CAUSES,
    )
    for r in t
]
ICD = tuple(
    sorted(
        set(_TABLE_CODES)
        | set(C.CONDITION_CODES.values())
        | set(C.EXTRA_SECONDARY)
        | {"Z380", "Z381", "P599", "Z370", "W19X", "D571"}
    )
)
ICD_INDEX = {c: i for i, c in enumerate(ICD)}
_PROCS = [p for alts in C.EMERGENCY_PROCEDURES.values() for p, _ in alts]
OPCS = tuple(
    sorted(set(_PROCS) | {r[1] for r in C.ELECTIVE} | {r[1] for r in C.MATERNITY} - {""} | {"X702"})
)
OPCS_INDEX = {c: i for i, c in enumerate(OPCS)}
BOOST = 8.0
KINDS = (C.CHRONIC_ACSC, C.ACUTE_ACSC, C.OTHER_EMERGENCY)


def icd(code: str) -> int:
    """Index of an ICD-10 code in ICD."""
    return ICD_INDEX[code]


def _draw(rng, table, band: np.ndarray, has: np.ndarray | None) -> np.ndarray:
    """Draws a row of a (code, band weights, condition) table per element; returns ICD indices."""
    weights = np.array([r[1] for r in table], dtype=float).T[band]
    if has is not None:
        for k, row in enumerate(table):
            if row[2] is not None:
                weights[:, k] *= np.where(has[:, CONDITION_INDEX[row[2]]], BOOST, 1.0)
    pick = choose(rng, weights)
    return np.array([ICD_INDEX[r[0]] for r in table])[pick]


def death_causes(rng, age: np.ndarray, diagnosed: np.ndarray) -> np.ndarray:
    """Underlying cause of death (ICD index) per person, by age and their registers."""
    has = diagnosed < NEVER
    return _draw(rng, C.DEATH_CAUSES, rate_band(age), has)


def emergency_primary(rng, band: np.ndarray, has: np.ndarray):
    """Primary diagnosis of emergency spells: (ICD index, kind 0 chronic/1 acute/2 other ACSC)."""
    p_chronic = np.asarray(C.CHRONIC_ACSC_SHARE)[band]
    p_acute = np.asarray(C.ACUTE_ACSC_SHARE)[band]
    u = rng.random(len(band))
    kind = np.where(u < p_chronic, 0, np.where(u < p_chronic + p_acute, 1, 2))
    out = np.empty(len(band), dtype=np.int64)
    for k, table in enumerate(KINDS):
        rows = np.flatnonzero(kind == k)
        out[rows] = _draw(rng, table, band[rows], has[rows])
    return out, kind


def emergency_procedures(rng, primary: np.ndarray) -> np.ndarray:
    """OPCS index (or -1) per emergency spell, from EMERGENCY_PROCEDURES."""
    out = np.full(len(primary), -1, dtype=np.int64)
    u = rng.random(len(primary))
    for dx, alternatives in C.EMERGENCY_PROCEDURES.items():
        rows = primary == ICD_INDEX[dx]
        lo = 0.0
        for proc, p in alternatives:
            out[rows & (u >= lo) & (u < lo + p)] = OPCS_INDEX[proc]
            lo += p
    return out


_CONDITION_ICD = np.array([ICD_INDEX[C.CONDITION_CODES[c]] for c in CONDITIONS])
_EXTRA_ICD = np.array([ICD_INDEX[c] for c in C.EXTRA_SECONDARY])


def secondaries(rng, primary: np.ndarray, has: np.ndarray, band: np.ndarray) -> np.ndarray:
    """Secondary diagnoses (n x slots, ICD index or -1): registers, extras and linked codes."""
    n = len(primary)
    reg = np.where(has & bernoulli(rng, np.full(has.shape, 0.75)), _CONDITION_ICD, -1)
    n_extra = np.minimum(rng.poisson(0.3 + 0.25 * band), 3)
    extra = _EXTRA_ICD[rng.integers(0, len(_EXTRA_ICD), (n, 3))]
    extra = np.where(np.arange(3) < n_extra[:, None], extra, -1)
    extra[:, 1] = np.where(extra[:, 1] == extra[:, 0], -1, extra[:, 1])
    extra[:, 2] = np.where(
        (extra[:, 2] == extra[:, 0]) | (extra[:, 2] == extra[:, 1]), -1, extra[:, 2]
    )
    linked = np.full(n, -1)
    falls = np.isin(primary, [ICD_INDEX[c] for c in ("S720", "R296", "S069", "S525")])
    linked[falls & (band >= 4)] = ICD_INDEX["W19X"]
    hep = np.isin(primary, [ICD_INDEX["B181"], ICD_INDEX["B180"]]) & (rng.random(n) < 0.25)
    linked[hep] = ICD_INDEX["D571"]
    out = np.concatenate([reg, extra, linked[:, None]], axis=1)
    return np.where(out == primary[:, None], -1, out)
