"""Values and confidence limits for every row of `period_totals`, by each indicator's method.

The statistics are the tested functions of `metrics.stats`, called once per method on whole
columns (numpy), never row by row. Limits are at 95% and 99.8% (METRICS.md, "Statistics").
Returns columns: numerator, denominator, value, lower/upper at 95 and 99.8, and for
indirectly standardised indicators the expected count and ratio with its limits. A directly
standardised indicator's age band segments (`age_band:*`) carry the crude age-specific rate
instead of a DSR (docs/metrics.md, "Segments").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics import stats

LEVELS_OF_CONFIDENCE = {"95": 0.95, "998": 0.998}
AGE_BAND_PREFIX = "age_band:"  # segments whose DSR would be meaningless: crude rate instead
LIMIT_COLUMNS = ["lower_95", "upper_95", "lower_998", "upper_998"]
ISR_COLUMNS = ["isr", "isr_lower_95", "isr_upper_95", "isr_lower_998", "isr_upper_998"]
STATISTIC_COLUMNS = ["numerator", "denominator", "value", *LIMIT_COLUMNS, *ISR_COLUMNS]


def add_values(frame: pd.DataFrame, registry) -> pd.DataFrame:
    """Returns `frame` (period_totals rows) with value, limit and ISR columns added.

    The rows are taken indicator by indicator as contiguous slices (after a stable sort),
    so each method runs once on whole numpy columns.
    """
    frame = frame.sort_values("metric_id", kind="stable", ignore_index=True)
    results = np.full((len(frame), len(STATISTIC_COLUMNS)), np.nan)
    bounds = frame.groupby("metric_id", sort=False).indices
    for metric_id, positions in bounds.items():
        indicator, rows = registry[metric_id], slice(positions[0], positions[-1] + 1)
        part = frame.iloc[rows]
        results[rows, : len(_value_columns())] = METHODS[indicator.method](part, indicator)
        if indicator.isr:
            results[rows, len(_value_columns()) :] = _isr(part)
    return pd.concat([frame, pd.DataFrame(results, columns=STATISTIC_COLUMNS)], axis=1)


def _value_columns() -> list[str]:
    return ["numerator", "denominator", "value", *LIMIT_COLUMNS]


def _result(numerator, denominator, value, limits: dict) -> np.ndarray:
    columns = [numerator, denominator, value]
    for level in LEVELS_OF_CONFIDENCE:
        columns.extend(limits[level])
    return np.column_stack([np.asarray(column, dtype=float) for column in columns])


def _proportion(rows: pd.DataFrame, indicator) -> np.ndarray:
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


def _rate(rows: pd.DataFrame, indicator) -> np.ndarray:
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


def _dsr(rows: pd.DataFrame, indicator) -> np.ndarray:
    """The DSR, but in an age band segment the crude age-specific rate with its limits."""
    results = _standardised(rows, indicator)
    age_specific = rows["segment"].str.startswith(AGE_BAND_PREFIX).to_numpy()
    if age_specific.any():
        results[age_specific] = _rate(rows[age_specific], indicator)
    return results


def _standardised(rows: pd.DataFrame, indicator) -> np.ndarray:
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


def _ratio(rows: pd.DataFrame, indicator) -> np.ndarray:
    """A count per unit of another count (admissions per 100 deaths); Poisson limits."""
    x, n = rows["num"].to_numpy(float), rows["den"].to_numpy(float)
    n_or_nan = np.where(n > 0, n, np.nan)
    limits, value = {}, None
    for level, conf in LEVELS_OF_CONFIDENCE.items():
        value, lower, upper = stats.rate_ci(x, n_or_nan, indicator.multiplier, conf)
        limits[level] = (lower, upper)
    return _result(x, n, value, limits)


def _mean(rows: pd.DataFrame, indicator) -> np.ndarray:
    """Mean with a Student-t interval; none under the indicator's minimum count."""
    total, count = rows["num"].to_numpy(float), rows["den"].to_numpy(float)
    squares = rows["sumsq"].to_numpy(float)
    enough = count >= max(indicator.minimum_denominator, 1)
    limits, value = {}, None
    for level, conf in LEVELS_OF_CONFIDENCE.items():
        value, lower, upper = stats.mean_ci(total, squares, count, conf)
        limits[level] = (np.where(enough, lower, np.nan), np.where(enough, upper, np.nan))
    return _result(total, count, np.where(enough, value, np.nan), limits)


def _count(rows: pd.DataFrame, indicator) -> np.ndarray:
    """A plain count (registered population): no limits."""
    x = rows["num"].to_numpy(float)
    nothing = np.full(len(rows), np.nan)
    no_limits = {level: (nothing, nothing) for level in LEVELS_OF_CONFIDENCE}
    return _result(x, nothing, x * indicator.multiplier, no_limits)


def _isr(rows: pd.DataFrame) -> np.ndarray:
    """Observed / expected against the system's age-sex rates; exact or Byar's limits."""
    observed, expected = rows["num"].to_numpy(float), rows["expected"].to_numpy(float)
    expected = np.where(expected > 0, expected, np.nan)
    columns = {}
    for level, conf in LEVELS_OF_CONFIDENCE.items():
        ratio, lower, upper = stats.isr_ci(observed, expected, conf)
        columns.update({"isr": ratio, f"isr_lower_{level}": lower, f"isr_upper_{level}": upper})
    return np.column_stack([np.asarray(columns[name], float) for name in ISR_COLUMNS])


METHODS = {
    "proportion": _proportion,
    "rate": _rate,
    "dsr": _dsr,
    "ratio": _ratio,
    "mean": _mean,
    "count": _count,
}
