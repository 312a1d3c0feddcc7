"""The time patterns behind emergency admissions: winter peaks and the stories of system.py.

Story months are positions in the window, so the stories hold for any end_month: the step comes
in the middle month (month 18 of 36) and the trend turns after two thirds (month 24 of 36).
"""

from __future__ import annotations

import numpy as np

from . import system as S
from .organisations import Practice
from .timeline import Window, seasonal

WINTER_AMPLITUDE = 0.075  # Dec-Feb about 17% above Jun-Aug
ELECTIVE_MONTH_FACTOR = np.array(
    [1.03, 1.03, 1.03, 0.95, 1.03, 1.03, 1.03, 0.9, 1.03, 1.03, 1.03, 0.85]
)  # January..December: Easter, August, Christmas


def step_month(w: Window) -> int:
    """0-based window month from which the step locality's admissions are lower."""
    return w.months // 2


def turn_month(w: Window) -> int:
    """0-based window month at which the trend area's improvement starts to reverse."""
    return max(1, round(2 * w.months / 3))


def trend(w: Window) -> np.ndarray:
    """Monthly multiplier for the trend area: linear fall to TREND_LOW, then back up."""
    m, turn = np.arange(w.months), turn_month(w)
    fall = 1 - (1 - S.TREND_LOW) * m / max(turn - 1, 1)
    rise = S.TREND_LOW + (S.TREND_END - S.TREND_LOW) * (m - turn + 1) / max(w.months - turn, 1)
    return np.where(m < turn, fall, rise)


def emergency_profile(p: Practice, w: Window) -> np.ndarray:
    """Monthly multiplier of a practice's emergency admission rate (season x stories)."""
    f = seasonal(w, WINTER_AMPLITUDE)
    if p.locality.code == S.STEP_LOCALITY:
        f = f * np.where(np.arange(w.months) >= step_month(w), S.STEP_FACTOR, 1.0)
    if p.area.code == S.TREND_AREA:
        f = f * trend(w)
    return f


def elective_profile(w: Window) -> np.ndarray:
    """Monthly multiplier of elective activity (dips at Easter, in August and at Christmas)."""
    cal = (w.month_starts.astype("datetime64[D]").astype("datetime64[M]").astype(int)) % 12
    return ELECTIVE_MONTH_FACTOR[cal]


def diabetes_targets(p: Practice) -> dict[str, float]:
    """Median HbA1c, mean SBP/DBP and median cholesterol of a practice's diabetes register."""
    if p.story_network:
        return {"hba1c": 48.0, "sbp": 127.0, "dbp": 73.0, "chol": 3.7, "education": 0.72}
    return {"hba1c": 55.0, "sbp": 134.0, "dbp": 77.0, "chol": 4.0, "education": 0.48}
