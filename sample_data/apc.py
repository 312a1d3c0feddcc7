"""Turns spell timings into apc_spells rows: methods, sources, destinations, codes, provider.

Emergency admission methods follow the contract's code set (mostly 21). Care home residents are
admitted from and discharged to their care home (54, 65 or 85); a few per cent of spells are
transfers (51-53); spells ending in death have disdest 79 and disdate = date of death. Spells
still open at the extract have a blank disdate and disdest.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from . import codes
from . import diagnoses as X
from .demography import rate_band
from .draws import choose
from .health import Health
from .ids import constant, dates, joined, labels, person_ids, serial_ids
from .life import Life
from .organisations import Practice
from .people import People
from .spells import BABY, ELECTIVE, EMERGENCY, MATERNITY, TERMINAL, TO_CARE_HOME, Timing
from .timeline import Window, age_on

METHODS = (
    "11",
    "12",
    "13",
    "21",
    "22",
    "23",
    "24",
    "25",
    "28",
    "2A",
    "2B",
    "2C",
    "2D",
    "31",
    "32",
    "81",
    "82",
    "83",
)
EMERGENCY_METHOD_WEIGHTS = np.array([0.74, 0.03, 0.02, 0.03, 0.02, 0.06, 0.04, 0.03, 0.01, 0.02])
PLACES = ("19", "51", "52", "53", "54", "65", "85", "79")
SEPARATORS = (",", ";", "|")
TRANSFER_IN = 0.035
SPECIALTIES = (
    "100",
    "101",
    "103",
    "110",
    "120",
    "130",
    "140",
    "300",
    "301",
    "303",
    "320",
    "340",
    "361",
    "370",
    "420",
    "424",
    "430",
    "501",
    "502",
    "800",
)
_PREFIX_SPECIALTY = (
    ("S", "110"),
    ("K", "100"),
    ("R1", "100"),
    ("I2", "320"),
    ("I4", "320"),
    ("R07", "320"),
    ("J4", "340"),
    ("J1", "340"),
    ("C", "370"),
    ("O", "501"),
)
_N_ELECTIVE = len(codes.ELECTIVE)
_N_MATERNITY = len(codes.MATERNITY)


def _icd_specialty(code: str) -> int:
    spec = "300"
    for prefix, s in _PREFIX_SPECIALTY:
        spec = s if code.startswith(prefix) else spec
    return SPECIALTIES.index(spec)


ICD_SPECIALTY = np.array([_icd_specialty(c) for c in X.ICD])
ELECTIVE_SPECIALTY = np.array([SPECIALTIES.index(r[7]) for r in codes.ELECTIVE])
ELECTIVE_PROCEDURE = np.array([X.OPCS_INDEX[r[1]] for r in codes.ELECTIVE])
MATERNITY_PROCEDURE = np.array([X.OPCS_INDEX.get(r[1], -1) for r in codes.MATERNITY])


def _methods(rng, t: Timing, n: int) -> np.ndarray:
    m = np.full(n, -1)
    em = t.kind == EMERGENCY
    m[em] = 3 + choose(rng, EMERGENCY_METHOD_WEIGHTS, int(em.sum()))
    el = t.kind == ELECTIVE
    m[el] = choose(rng, np.array([0.6, 0.3, 0.1]), int(el.sum()))
    mat = t.kind == MATERNITY
    m[mat] = np.array([METHODS.index(r[3]) for r in codes.MATERNITY])[t.detail[mat]]
    baby = t.kind == BABY
    m[baby] = np.where(rng.random(int(baby.sum())) < 0.95, 16, 17)
    return m


def _places(rng, t: Timing, life: Life, m: np.ndarray, w: Window):
    n = len(t.person)
    home = PLACES.index("54") + life.care_home_code[t.person]
    in_home = life.care_home_from[t.person] <= t.admi
    transfer = 1 + choose(rng, np.array([0.7, 0.2, 0.1]), n)
    moved_in = (t.kind == EMERGENCY) & (t.detail != TERMINAL) & (rng.random(n) < TRANSFER_IN)
    src = np.where(in_home, home, np.where(moved_in, transfer, 0))
    m[(t.kind == EMERGENCY) & moved_in & (rng.random(n) < 0.12)] = METHODS.index("81")
    dst = np.where(in_home, home, np.where(rng.random(n) < 0.025, transfer, 0))
    dst = np.where(t.detail == TO_CARE_HOME, home, dst)
    dst = np.where((t.kind == EMERGENCY) & (t.detail == TERMINAL), PLACES.index("79"), dst)
    return src, np.where(t.dis > w.extract, -1, dst)


def _primary(rng, t: Timing, life: Life, band: np.ndarray, has: np.ndarray) -> np.ndarray:
    prim, _ = X.emergency_primary(rng, band, has)
    term = (t.detail == TERMINAL) & (rng.random(len(band)) < 0.5)
    prim = np.where(term, life.cause[t.person], prim)
    el = np.array([X.icd(r[0]) for r in codes.ELECTIVE])
    mat = np.array([X.icd(r[0]) for r in codes.MATERNITY])
    prim = np.where(t.kind == ELECTIVE, el[np.minimum(t.detail, _N_ELECTIVE - 1)], prim)
    prim = np.where(t.kind == MATERNITY, mat[np.minimum(t.detail, _N_MATERNITY - 1)], prim)
    return np.where(t.kind == BABY, X.icd("Z380"), prim)


def _procedures(rng, t: Timing, prim: np.ndarray) -> np.ndarray:
    proc = np.full((len(prim), 2), -1)
    proc[:, 0] = X.emergency_procedures(rng, prim)
    el = ELECTIVE_PROCEDURE[np.minimum(t.detail, _N_ELECTIVE - 1)]
    proc[:, 0] = np.where(t.kind == ELECTIVE, el, proc[:, 0])
    chemo = (t.kind == ELECTIVE) & (prim == X.icd("Z511"))
    proc[chemo, 1] = X.OPCS_INDEX["X702"]
    mat = MATERNITY_PROCEDURE[np.minimum(t.detail, _N_MATERNITY - 1)]
    proc[:, 0] = np.where(t.kind == MATERNITY, mat, proc[:, 0])
    return np.where((t.kind == BABY)[:, None], -1, proc)


def _secondaries(rng, t: Timing, prim, has, band) -> np.ndarray:
    sec = X.secondaries(rng, prim, has, band)
    cancer = np.array([X.icd(c) for c in ("C509", "C189", "C349")])[rng.integers(0, 3, len(prim))]
    sec[:, -1] = np.where(prim == X.icd("Z511"), cancer, sec[:, -1])
    delivery = np.isin(prim, [X.icd("O800"), X.icd("O820")])
    sec[:, -1] = np.where(delivery, X.icd("Z370"), sec[:, -1])
    jaundice = np.where(rng.random(len(prim)) < 0.2, X.icd("P599"), -1)
    return np.where(
        (t.kind == BABY)[:, None],
        np.where(np.arange(sec.shape[1]) == 0, jaundice[:, None], -1),
        sec,
    )


def _specialty(t: Timing, prim: np.ndarray, age: np.ndarray) -> np.ndarray:
    spec = ICD_SPECIALTY[prim]
    medical = spec == SPECIALTIES.index("300")
    spec = np.where((t.kind == EMERGENCY) & (age >= 80) & medical, SPECIALTIES.index("430"), spec)
    spec = np.where((t.kind == EMERGENCY) & (age < 16), SPECIALTIES.index("420"), spec)
    el = ELECTIVE_SPECIALTY[np.minimum(t.detail, _N_ELECTIVE - 1)]
    spec = np.where(t.kind == ELECTIVE, el, spec)
    return np.where(t.kind == BABY, SPECIALTIES.index("424"), spec)


def apc_table(
    rng, p: Practice, pp: People, h: Health, life: Life, t: Timing, w: Window, key, first_id: int
) -> pa.Table:
    """Returns the apc_spells rows for a practice's spells (spell ids from first_id)."""
    n = len(t.person)
    age = age_on(pp.birth_month[t.person], t.admi)
    band = rate_band(age)
    has = (h.diagnosed[t.person] <= t.admi[:, None]) & (h.resolved[t.person] > t.admi[:, None])
    method = _methods(rng, t, n)
    src, dst = _places(rng, t, life, method, w)
    prim = _primary(rng, t, life, band, has)
    proc = _procedures(rng, t, prim)
    sec = _secondaries(rng, t, prim, has, band)
    sep = labels(SEPARATORS, choose(rng, np.array([0.88, 0.09, 0.03]), n))
    names, weights = zip(*p.area.providers, strict=True)
    home = choose(rng, np.array(weights), len(pp))[t.person]
    provider = np.where(rng.random(n) < 0.85, home, choose(rng, np.array(weights), n))
    return pa.table(
        {
            "spell_id": serial_ids(first_id, n, "S", 9),
            "person_id": person_ids(pp.number[t.person], key),
            "gpprac": constant(p.code, n),
            "procode3": labels(names, provider),
            "admidate": dates(t.admi),
            "disdate": dates(t.dis, t.dis > w.extract),
            "admimeth": labels(METHODS, method),
            "admisorc": labels(PLACES, src),
            "disdest": labels(PLACES, dst),
            "classpat": pa.array(t.classpat, pa.int8()),
            "startage": pa.array(age, pa.int16()),
            "sex": pa.array(pp.sex[t.person], pa.int8()),
            "diag_4_01": labels(X.ICD, prim),
            "diag_4_concat": joined(X.ICD, np.concatenate([prim[:, None], sec], axis=1), sep),
            "opertn_4_concat": joined(X.OPCS, proc, sep),
            "tretspef": labels(SPECIALTIES, _specialty(t, prim, age)),
        }
    )
