"""EQ-5D index values for the `eq5d_index` indicator.

A health state is a 5-character string of levels in the order MO, SC, UA, PD, AD
(mobility, self-care, usual activities, pain/discomfort, anxiety/depression), e.g. "11221".

- EQ-5D-3L: the UK time trade-off value set (Dolan 1997).
- EQ-5D-5L: the England value set (Devlin et al. 2018), or the UK 5L→3L crosswalk
  (van Hout et al. 2012), read from `metrics/reference/`.

Index values are rounded to 3 decimal places, the precision of the published value sets;
the rounding only removes floating-point noise, since every coefficient has 3 decimals.

The scalar functions and `index_table` share one vectorised calculation, so that an index
computed set-based in DuckDB (by joining responses to `index_table()`) equals the one
computed state by state.
"""

from __future__ import annotations

from functools import cache
from itertools import product

import numpy as np
import pandas as pd

from metrics.reference_data import EQ5D_CROSSWALK_FILE, read_reference_csv

DIMENSIONS = ("MO", "SC", "UA", "PD", "AD")
VALUE_SETS_5L = ("england", "crosswalk")

# Dolan P. Modeling valuations for EuroQol health states. Med Care 1997;35(11):1095-1108.
# Decrements by dimension (rows, in DIMENSIONS order) and level 1..3 (columns).
_DOLAN_1997 = np.array(
    [
        [0.0, 0.069, 0.314],
        [0.0, 0.104, 0.214],
        [0.0, 0.036, 0.094],
        [0.0, 0.123, 0.386],
        [0.0, 0.071, 0.236],
    ]
)
_DOLAN_CONSTANT = 0.081  # any dimension above level 1
_DOLAN_N3 = 0.269  # any dimension at level 3

# Devlin NJ, Shah KK, Feng Y, Mulhern B, van Hout B. Valuing health-related quality of
# life: an EQ-5D-5L value set for England. Health Econ 2018;27(1):7-22. No constant.
# Decrements by dimension (rows) and level 1..5 (columns).
_DEVLIN_2018 = np.array(
    [
        [0.0, 0.058, 0.076, 0.207, 0.274],
        [0.0, 0.050, 0.080, 0.164, 0.203],
        [0.0, 0.050, 0.063, 0.162, 0.184],
        [0.0, 0.063, 0.084, 0.276, 0.335],
        [0.0, 0.078, 0.104, 0.285, 0.289],
    ]
)

_LEVEL_WORDS = {3: "1, 2 or 3", 5: "1, 2, 3, 4 or 5"}


def _all_states(n_levels: int) -> list[str]:
    """Every state of an EQ-5D version, in lexical order (11111, 11112, …)."""
    digits = "".join(str(level) for level in range(1, n_levels + 1))
    return ["".join(p) for p in product(digits, repeat=len(DIMENSIONS))]


def _levels(states: list[str]) -> np.ndarray:
    """An (n, 5) integer array of levels from valid state strings."""
    digits = [[int(c) for c in s] for s in states]
    return np.array(digits, dtype=np.int64).reshape(-1, len(DIMENSIONS))


def _decrements(levels: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Sum of the per-dimension decrements for each row of levels."""
    return table[np.arange(len(DIMENSIONS)), levels - 1].sum(axis=1)


def _dolan_1997(levels: np.ndarray) -> np.ndarray:
    """UK TTO 3L index for each row of levels."""
    constant = np.where((levels > 1).any(axis=1), _DOLAN_CONSTANT, 0.0)
    n3 = np.where((levels == 3).any(axis=1), _DOLAN_N3, 0.0)
    return np.round(1.0 - constant - _decrements(levels, _DOLAN_1997) - n3, 3)


def _devlin_2018(levels: np.ndarray) -> np.ndarray:
    """England 5L index for each row of levels."""
    return np.round(1.0 - _decrements(levels, _DEVLIN_2018), 3)


@cache
def _crosswalk() -> dict[str, float]:
    """The van Hout 2012 UK crosswalk, state → index; checked to cover all 3,125 states."""
    table = read_reference_csv(EQ5D_CROSSWALK_FILE, {"state_5l": "str", "index_3l_uk": "float64"})
    values = dict(zip(table["state_5l"], table["index_3l_uk"].astype(float), strict=True))
    if len(table) != len(values) or set(values) != set(_all_states(5)):
        raise ValueError(f"{EQ5D_CROSSWALK_FILE} does not list each of the 3,125 5L states once")
    return values


def _crosswalk_values(states: list[str]) -> np.ndarray:
    lookup = _crosswalk()
    return np.array([lookup[s] for s in states], dtype=np.float64)


def _check_state(state: object, n_levels: int) -> str:
    """The state itself if valid for the version with n_levels levels; else ValueError."""
    allowed = "".join(str(level) for level in range(1, n_levels + 1))
    if isinstance(state, str) and len(state) == len(DIMENSIONS) and set(state) <= set(allowed):
        return state
    raise ValueError(
        f"EQ-5D-{n_levels}L state {state!r} is not valid: "
        f"each of the 5 digits must be {_LEVEL_WORDS[n_levels]}"
    )


def _check_value_set(value_set: object) -> str:
    if value_set in VALUE_SETS_5L:
        return value_set
    raise ValueError(f"EQ-5D-5L value set {value_set!r} is not known: use 'england' or 'crosswalk'")


def _index_5l(states: list[str], value_set: str) -> np.ndarray:
    if value_set == "england":
        return _devlin_2018(_levels(states))
    return _crosswalk_values(states)


def eq5d_3l_index(state: str) -> float:
    """EQ-5D-3L index of one state, UK time trade-off value set (Dolan 1997).

    1, minus 0.081 if any dimension is above level 1, minus each dimension's decrement,
    minus 0.269 if any dimension is at level 3. E.g. "33333" → -0.594.
    Raises ValueError unless `state` is 5 digits, each 1, 2 or 3.
    """
    return float(_dolan_1997(_levels([_check_state(state, 3)]))[0])


def eq5d_5l_index(state: str, value_set: str = "england") -> float:
    """EQ-5D-5L index of one state.

    value_set "england": the England value set (Devlin et al. 2018, Health Econ 27:7-22),
    1 minus each dimension's decrement, with no constant; "55555" → -0.285.
    value_set "crosswalk": the UK 5L→3L crosswalk (van Hout et al. 2012, Value Health
    15:708-715), looked up from the shipped table; "55555" → -0.594.
    Raises ValueError unless `state` is 5 digits, each 1 to 5, and value_set is known.
    """
    return float(_index_5l([_check_state(state, 5)], _check_value_set(value_set))[0])


def _version_table(version: str, states: list[str], values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {"eq5d_version": version, "state": pd.Series(states, dtype="str"), "index_value": values}
    )


def index_table(value_set_5l: str = "england") -> pd.DataFrame:
    """Every EQ-5D state with its index: 243 3L rows (Dolan 1997) then 3,125 5L rows.

    The 5L rows use `value_set_5l` ("england": Devlin et al. 2018; "crosswalk": van Hout
    et al. 2012), as in `eq5d_5l_index`. Columns: `eq5d_version` ('3L' or '5L'), `state`
    (5-character string) and `index_value` (float). The metrics engine joins survey
    responses to this table in DuckDB on (eq5d_version, state).
    """
    value_set_5l = _check_value_set(value_set_5l)
    states_3l, states_5l = _all_states(3), _all_states(5)
    parts = [
        _version_table("3L", states_3l, _dolan_1997(_levels(states_3l))),
        _version_table("5L", states_5l, _index_5l(states_5l, value_set_5l)),
    ]
    return pd.concat(parts, ignore_index=True)
