"""care_home_admissions: council Client Level Data style rows for a practice's people.

Each permanent admission in the window (life.py decides who and when) is one row, residential or
nursing. Some residential residents later move to nursing care (a second permanent row: not a
new admission under ASCOF 2A). Temporary (respite) stays add rows with permanent = false. A few
rows carry no person_id because the council could not match the person.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import demography as D
from .draws import bernoulli
from .health import Health
from .ids import constant, dates, labels, person_ids, serial_ids
from .life import CARE_HOME_RATE, Life
from .organisations import Practice
from .people import People
from .timeline import DAYS_PER_YEAR, Window, age_on

SETTINGS = ("residential", "nursing")
UNMATCHED = 0.03
MOVE_TO_NURSING = 0.12
TEMPORARY_RATE = 0.35  # respite stays per permanent admission (by age and need)


def _permanent(rng, pp: People, h: Health, life: Life, w: Window):
    who = np.flatnonzero((life.care_home_from >= w.start) & (life.care_home_from <= w.extract))
    day = life.care_home_from[who]
    frail = h.frailty[who] >= 2
    nursing = bernoulli(rng, 0.3 + 0.25 * frail + 0.1 * h.has("DEM")[who])
    move = ~nursing & bernoulli(rng, np.full(len(who), MOVE_TO_NURSING))
    later = day + rng.integers(60, 540, len(who))
    move &= later <= np.minimum(life.reg_to[who], w.extract)
    return [(who, day, nursing.astype(int), True), (who[move], later[move], 1, True)]


def _temporary(rng, pp: People, life: Life, w: Window):
    lo = np.maximum(pp.reg_from, w.start)
    hi = np.minimum(np.minimum(life.reg_to, life.care_home_from), w.extract + 1)
    band = D.rate_band(pp.age(w.start))
    rate = TEMPORARY_RATE * CARE_HOME_RATE[band] / DAYS_PER_YEAR
    span = np.maximum(hi - lo, 0)
    who = np.flatnonzero(bernoulli(rng, 1 - np.exp(-rate * span)))
    day = lo[who] + np.floor(rng.random(len(who)) * span[who]).astype(np.int64)
    return [(who, day, (rng.random(len(who)) < 0.2).astype(int), False)]


def care_home_table(
    rng, p: Practice, pp: People, h: Health, life: Life, w: Window, key, first_id: int
) -> pa.Table:
    """Returns the care home admission rows of a practice's people (event ids from first_id)."""
    parts = _permanent(rng, pp, h, life, w) + _temporary(rng, pp, life, w)
    who = np.concatenate([x[0] for x in parts])
    day = np.concatenate([x[1] for x in parts]).astype(np.int64)
    setting = np.concatenate([np.broadcast_to(x[2], len(x[0])) for x in parts])
    permanent = np.concatenate([np.full(len(x[0]), x[3]) for x in parts])
    order = np.lexsort((who, day))
    who, day, setting, permanent = who[order], day[order], setting[order], permanent[order]
    n = len(who)
    ids = person_ids(pp.number[who], key)
    blank = pa.array(rng.random(n) < UNMATCHED)
    return pa.table(
        {
            "event_id": serial_ids(first_id, n, "CH", 8),
            "person_id": pc.if_else(blank, pa.scalar(None, pa.string()), ids),
            "la_code": constant(p.area.la_code, n),
            "admission_date": dates(day),
            "setting": labels(SETTINGS, setting),
            "permanent": pa.array(permanent, pa.bool_()),
            "age": pa.array(age_on(pp.birth_month[who], day), pa.int16()),
            "sex": pa.array(pp.sex[who], pa.int8()),
        }
    )
