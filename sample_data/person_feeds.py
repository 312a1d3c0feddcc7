"""The person-level feeds that come straight from a practice's simulated people.

patients (the registration snapshot at the extract), conditions (QOF registers) and deaths
(ONS mortality). Registration ends on the day of death for people who die.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .health import CONDITIONS, FRAILTY, Health, set_high_risk
from .ids import constant, dates, labels, person_ids
from .life import POD, Life
from .organisations import Lsoas, Practice
from .people import People
from .timeline import NEVER, Window, age_on


def month_labels(months: np.ndarray) -> pa.Array:
    """Returns 'YYYY-MM' strings for month indices (months since 1970-01)."""
    lo = int(months.min(initial=0))
    hi = int(months.max(initial=0))
    vocab = [f"{1970 + m // 12:04d}-{m % 12 + 1:02d}" for m in range(lo, hi + 1)]
    return labels(vocab, months - lo)


def patients_table(
    p: Practice, pp: People, h: Health, life: Life, w: Window, lsoas: Lsoas, key
) -> pa.Table:
    """Returns the patients rows: everyone registered at the practice at some time in the window."""
    n = len(pp)
    end = np.minimum(life.reg_to, w.extract)
    return pa.table(
        {
            "person_id": person_ids(pp.number, key),
            "gpprac": constant(p.code, n),
            "sex": pa.array(pp.sex, pa.int8()),
            "birth_month": month_labels(pp.birth_month),
            "lsoa": lsoas.codes.take(pa.array(pp.lsoa)),
            "registered_from": dates(pp.reg_from),
            "registered_to": dates(life.reg_to, life.reg_to > w.extract),
            "care_home_resident": pa.array(life.care_home_from <= end),
            "frailty": labels(FRAILTY, h.frailty),
            "risk_score": pa.array(h.risk, pa.float64(), from_pandas=True),
            "high_risk_register": pa.array(h.high_risk),
        }
    )


def settle_health(pp: People, h: Health, life: Life, w: Window) -> None:
    """Finishes health once deaths are known.

    Diagnoses dated after a person left the list are removed (never recorded here), and the
    high-risk register is drawn against the people still registered at the extract.
    """
    late = h.diagnosed > life.reg_to[:, None]
    h.diagnosed[late] = NEVER
    h.resolved[late | (h.resolved > life.reg_to[:, None])] = NEVER
    last_day = np.minimum(life.reg_to, w.extract)
    set_high_risk(h, pp.age(last_day), life.reg_to > w.extract)


def conditions_table(pp: People, h: Health, key) -> pa.Table:
    """Returns the conditions rows: one per person x register entry."""
    person, cond = np.nonzero(h.diagnosed < NEVER)
    resolved = h.resolved[person, cond]
    return pa.table(
        {
            "person_id": person_ids(pp.number[person], key),
            "condition": labels(CONDITIONS, cond),
            "diagnosed_on": dates(h.diagnosed[person, cond]),
            "resolved_on": dates(resolved, resolved >= NEVER),
        }
    )


def deaths_table(p: Practice, pp: People, life: Life, w: Window, key, causes) -> pa.Table:
    """Returns the deaths rows for people who died in the window while registered here."""
    died = np.flatnonzero(life.dod <= w.extract)
    dod = life.dod[died]
    return pa.table(
        {
            "person_id": person_ids(pp.number[died], key),
            "dod": dates(dod),
            "sex": pa.array(pp.sex[died], pa.int8()),
            "age": pa.array(age_on(pp.birth_month[died], dod), pa.int16()),
            "gpprac": constant(p.code, len(died)),
            "pod": labels(POD, life.pod[died]),
            "icd10u": labels(causes, life.cause[died]),
        }
    )
