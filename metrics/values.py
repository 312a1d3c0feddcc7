"""Values and confidence limits for every row of `period_totals`, by each indicator's method.

The statistics are the tested functions of `metrics.stats`, called once per method on whole
columns (numpy), never row by row. Limits are at 95% and 99.8% (METRICS.md, "Statistics").
Returns columns: numerator, denominator, value, lower/upper at 95 and 99.8, and for
indirectly standardised indicators the expected count and ratio with its limits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics import stats

LEVELS_OF_CONFIDENCE = {"95": 0.95, "998": 0.998}
LIMIT_COLUMNS = ["lower_95", "upper_95", "lower_998", "upper_998"]
ISR_COLUMNS = ["isr", "isr_lower_95", "isr_upper_95", "isr_lower_998", "isr_upper_998"]
STATISTIC_COLUMNS = ["numerator", "denominator", "value", *LIMIT_COLUMNS, *ISR_COLUMNS]


def add_values(frame: pd.DataFrame, registry) -> pd.DataFrame:
    """Returns `frame` (period_totals rows) with value, limit and ISR columns added."""
    frame = frame.copy()
    for column in ["numerator", "denominator", "value", *LIMIT_COLUMNS, *ISR_COLUMNS]:
        frame[column] = np.nan
    for metric_id, rows in frame.groupby("metric_id", sort=False).groups.items():
        indicator = registry[metric_id]
        frame.loc[rows, _value_columns()] = METHODS[indicator.method](
            frame.loc[rows], indicator
        ).to_numpy()
        if indicator.isr:
            frame.loc[rows, ISR_COLUMNS] = _isr(frame.loc[rows]).to_numpy()
    return frame


def _value_columns() -> list[str]:
    return ["numerator", "denominator", "value", *LIMIT_COLUMNS]


def _result(numerator, denominator, value, limits: dict) -> pd.DataFrame:
    columns = {"numerator": numerator, "denominator": denominator, "value": value}
    for level in LEVELS_OF_CONFIDENCE:
        columns[f"lower_{level}"], columns[f"upper_{level}"] = limits[level]
    return pd.DataFrame({name: np.asarray(values, dtype=float) for name, values in columns.items()})


def _proportion(rows: pd.DataFrame, indicator) -> pd.DataFrame:
    """Wilson score limits (Fingertips technical guidance), scaled by the multiplier."""
    x, n = rows["num"].to_numpy(float), rows["den"].to_numpy(float)
    limits = {}
    for level, conf in LEVELS_OF_CONFIDENCE.items():
        lower, upper = stats.wilson_ci(x, n, conf)
        limits[level] = (
            np.asarray(lower) * indicator.multiplier,
            np.asarray(upper) * indicator.multiplier,
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(n > 0, x / n * indicator.multiplier, np.nan)
    return _result(x, n, value, limits)


def _rate(rows: pd.DataFrame, indicator) -> pd.DataFrame:
    """Events per person-year (annualised) or per head; exact Poisson under 10, else Byar's."""
    x = rows["num"].to_numpy(float)
    mean_population = rows["person_months"].to_numpy(float) / rows["months"].to_numpy(float)
    exposure = _exposure(rows, indicator, mean_population)
    limits, value = {}, None
    for level, conf in LEVELS_OF_CONFIDENCE.items():
        value, lower, upper = stats.rate_ci(x, exposure, indicator.multiplier, conf)
        limits[level] = (lower, upper)
    return _result(x, mean_population, value, limits)


def _exposure(rows: pd.DataFrame, indicator, mean_population: np.ndarray) -> np.ndarray:
    person_years = rows["person_months"].to_numpy(float) / 12
    exposure = person_years if indicator.annualised else mean_population
    return np.where(exposure > 0, exposure, np.nan)


def _dsr(rows: pd.DataFrame, indicator) -> pd.DataFrame:
    """ESP 2013 directly standardised rate, Dobson limits; none under 10 events."""
    x = rows["num"].to_numpy(float)
    mean_population = rows["person_months"].to_numpy(float) / rows["months"].to_numpy(float)
    value = rows["dsr_rate"].to_numpy(float) * indicator.multiplier
    variance = rows["dsr_variance"].to_numpy(float) * indicator.multiplier**2
    value = np.where(x >= stats.DSR_MINIMUM, value, np.nan)
    limits = {
        level: stats.dobson_ci(x, value, variance, conf)
        for level, conf in LEVELS_OF_CONFIDENCE.items()
    }
    return _result(x, mean_population, value, limits)


def _ratio(rows: pd.DataFrame, indicator) -> pd.DataFrame:
    """A count per unit of another count (admissions per 100 deaths); Poisson limits."""
    x, n = rows["num"].to_numpy(float), rows["den"].to_numpy(float)
    n_or_nan = np.where(n > 0, n, np.nan)
    limits, value = {}, None
    for level, conf in LEVELS_OF_CONFIDENCE.items():
        value, lower, upper = stats.rate_ci(x, n_or_nan, indicator.multiplier, conf)
        limits[level] = (lower, upper)
    return _result(x, n, value, limits)


def _mean(rows: pd.DataFrame, indicator) -> pd.DataFrame:
    """Mean with a Student-t interval; none under the indicator's minimum count."""
    total, count = rows["num"].to_numpy(float), rows["den"].to_numpy(float)
    squares = rows["sumsq"].to_numpy(float)
    enough = count >= max(indicator.minimum_denominator, 1)
    limits, value = {}, None
    for level, conf in LEVELS_OF_CONFIDENCE.items():
        value, lower, upper = stats.mean_ci(total, squares, count, conf)
        limits[level] = (np.where(enough, lower, np.nan), np.where(enough, upper, np.nan))
    return _result(total, count, np.where(enough, value, np.nan), limits)


def _count(rows: pd.DataFrame, indicator) -> pd.DataFrame:
    """A plain count (registered population): no limits."""
    x = rows["num"].to_numpy(float)
    nothing = np.full(len(rows), np.nan)
    no_limits = {level: (nothing, nothing) for level in LEVELS_OF_CONFIDENCE}
    return _result(x, nothing, x * indicator.multiplier, no_limits)


def _isr(rows: pd.DataFrame) -> pd.DataFrame:
    """Observed / expected against the system's age-sex rates; exact or Byar's limits."""
    observed, expected = rows["num"].to_numpy(float), rows["expected"].to_numpy(float)
    expected = np.where(expected > 0, expected, np.nan)
    columns = {}
    for level, conf in LEVELS_OF_CONFIDENCE.items():
        ratio, lower, upper = stats.isr_ci(observed, expected, conf)
        columns.update({"isr": ratio, f"isr_lower_{level}": lower, f"isr_upper_{level}": upper})
    return pd.DataFrame({name: np.asarray(columns[name], float) for name in ISR_COLUMNS})


METHODS = {
    "proportion": _proportion,
    "rate": _rate,
    "dsr": _dsr,
    "ratio": _ratio,
    "mean": _mean,
    "count": _count,
}
