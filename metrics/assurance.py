"""Making Data Count assurance and trajectories: the one place a target meets the limits.

Assurance asks whether the process, as its limits describe it, will meet the target:

* consistent_pass: the whole band between the process limits meets the target (for
  higher-is-better, the lower limit is at or above it; for lower-is-better, the upper
  limit is at or below it). A series fixed at 100% with a target of 100% passes: every
  month meets the target and the process cannot do otherwise.
* consistent_fail: the whole band misses it (for higher-is-better, the upper limit is
  below the target; for lower-is-better, the lower limit is above it).
* inconsistent: the target lies within the band, so the process will sometimes meet it.
* None: no target, no limits (too few months, or the latest month suppressed) or an
  indicator with no better direction.

Publish judges the TOML default targets with `assurance_codes` (vectorised, in
`metrics.spc`); the dashboard, the exports and the board pack judge the targets in force
now with `assurance`, against the published limits, so a new target shows at the next
page load without republishing. Both are this module's one comparison.
"""

from __future__ import annotations

import math

import numpy as np

# Codes as metrics.spc.ASSURANCE_NAMES orders them.
NO_ASSURANCE, PASS, FAIL, INCONSISTENT = 0, 1, 2, 3
NAMES = (None, "consistent_pass", "consistent_fail", "inconsistent")
IMPROVEMENT_CODES = {"increase": 1, "decrease": -1}  # anything else (neutral) is 0


def assurance_codes(
    lower: np.ndarray, upper: np.ndarray, target: np.ndarray, improvement: np.ndarray
) -> np.ndarray:
    """Assurance codes (0 none, 1 pass, 2 fail, 3 inconsistent) for arrays of process
    limits, targets and improvement codes (+1 higher is better, -1 lower, 0 neither)."""
    lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    target, improvement = np.asarray(target, dtype=float), np.asarray(improvement)
    with np.errstate(invalid="ignore"):
        passes = np.where(improvement > 0, lower >= target, upper <= target)
        fails = np.where(improvement > 0, upper < target, lower > target)
    known = ~(np.isnan(target) | np.isnan(lower) | np.isnan(upper)) & (improvement != 0)
    return np.select([~known, passes, fails], [NO_ASSURANCE, PASS, FAIL], INCONSISTENT)


def assurance(lower, upper, target, improvement: str | None) -> str | None:
    """The assurance of one series: its latest process limits against a target, for an
    indicator whose improvement is 'increase' or 'decrease' (else None)."""
    values = [_number(lower), _number(upper), _number(target)]
    code = assurance_codes(*values, IMPROVEMENT_CODES.get(improvement or "", 0))
    return NAMES[int(code)]


def on_track(value, planned, improvement: str | None) -> bool | None:
    """Whether a month's value meets its trajectory's planned value (at or above it when
    higher is better, at or below when lower is better); None when either is missing
    (a suppressed month is never judged) or the indicator has no better direction."""
    value, planned = _number(value), _number(planned)
    direction = IMPROVEMENT_CODES.get(improvement or "", 0)
    if math.isnan(value) or math.isnan(planned) or direction == 0:
        return None
    return bool(value >= planned) if direction > 0 else bool(value <= planned)


def _number(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number
