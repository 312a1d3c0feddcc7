"""Values and confidence limits for every row of `period_totals`, by each indicator's method.

The statistics are the tested functions of `metrics.stats`, called once per method on whole
columns (numpy), never row by row. Limits are at 95% and 99.8% (METRICS.md, "Statistics").
Returns columns: numerator, denominator, value, lower/upper at 95 and 99.8, and for
indirectly standardised indicators the expected count and ratio with its limits. A directly
standardised indicator's age band segments (`age_band:*`) carry the crude age-specific rate
instead of a DSR (docs/metrics.md, "Segments").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from metrics import stats

LEVELS_OF_CONFIDENCE = {"95": 0.95, "998": 0.998}
AGE_BAND_PREFIX = "age_band:"  # segments whose DSR would be meaningless: crude rate instead
LIMIT_COLUMNS = ["lower_95", "upper_95", "lower_998", "upper_998"]
ISR_COLUMNS = ["isr", "isr_lower_95", "isr_upper_95", "isr_lower_998", "isr_upper_998"]
STATISTIC_COLUMNS = ["numerator", "denominator", "value", *LIMIT_COLUMNS, *ISR_COLUMNS]
Columns = Mapping[str, np.ndarray]  # one float array per column of the rows (a boolean age_band)


def add_values(columns: Mapping[str, np.ndarray], metric_ids: Sequence[str], registry) -> dict:
    """Returns the STATISTIC_COLUMNS (float arrays, NaN where undefined) of period_totals rows.

    `columns` holds the rows' float arrays (num, den, sumsq, person_months, months,
    dsr_rate, dsr_variance, expected), `metric` (an index into `metric_ids` per row) and
    `age_band` (whether the row's segment is an age band). The rows are taken indicator by
    indicator (one stable argsort), so each method runs once on whole numpy columns.
    """
    codes = np.asarray(columns["metric"])
    order = np.argsort(codes, kind="stable")
    ends = np.cumsum(np.bincount(codes, minlength=len(metric_ids)))
    # Column by column in memory, so that each returned column is contiguous and can be
    # handed to Arrow without a copy (at 10 million spells a copy is ~0.9 GB).
    results = np.full((len(STATISTIC_COLUMNS), len(codes)), np.nan)
    for code, metric_id in enumerate(metric_ids):
        rows = order[(ends[code - 1] if code else 0) : ends[code]]
        if not len(rows):
            continue
        indicator = registry[metric_id]
        part = {name: np.asarray(column)[rows] for name, column in columns.items()}
        results[: len(_value_columns()), rows] = METHODS[indicator.method](part, indicator).T
        if indicator.isr:
            results[len(_value_columns()) :, rows] = _isr(part).T
    return dict(zip(STATISTIC_COLUMNS, results, strict=True))


def _value_columns() -> list[str]:
    return ["numerator", "denominator", "value", *LIMIT_COLUMNS]


def _result(numerator, denominator, value, limits: dict) -> np.ndarray:
    columns = [numerator, denominator, value]
    for level in LEVELS_OF_CONFIDENCE:
        columns.extend(limits[level])
    return np.column_stack([np.asarray(column, dtype=float) for column in columns])


def _proportion(rows: Columns, indicator) -> np.ndarray:
    """Wilson score limits (Fingertips technical guidance), scaled by the multiplier."""
    x, n = rows["num"], rows["den"]
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


def _rate(rows: Columns, indicator) -> np.ndarray:
    """Events per person-year (annualised) or per head; exact Poisson under 10, else Byar's."""
    x = rows["num"]
    mean_population = rows["person_months"] / rows["months"]
    exposure = _exposure(rows, indicator, mean_population)
    limits, value = {}, None
    for level, conf in LEVELS_OF_CONFIDENCE.items():
        value, lower, upper = stats.rate_ci(x, exposure, indicator.multiplier, conf)
        limits[level] = (lower, upper)
    return _result(x, mean_population, value, limits)


def _exposure(rows: Columns, indicator, mean_population: np.ndarray) -> np.ndarray:
    person_years = rows["person_months"] / 12
    exposure = person_years if indicator.annualised else mean_population
    return np.where(exposure > 0, exposure, np.nan)


def _dsr(rows: Columns, indicator) -> np.ndarray:
    """The DSR, but in an age band segment the crude age-specific rate with its limits."""
    results = _standardised(rows, indicator)
    age_specific = rows["age_band"]
    if age_specific.any():
        crude = {name: column[age_specific] for name, column in rows.items()}
        results[age_specific] = _rate(crude, indicator)
    return results


def _standardised(rows: Columns, indicator) -> np.ndarray:
    """ESP 2013 directly standardised rate, Dobson limits; none under 10 events."""
    x = rows["num"]
    mean_population = rows["person_months"] / rows["months"]
    value = rows["dsr_rate"] * indicator.multiplier
    variance = rows["dsr_variance"] * indicator.multiplier**2
    value = np.where(x >= stats.DSR_MINIMUM, value, np.nan)
    limits = {
        level: stats.dobson_ci(x, value, variance, conf)
        for level, conf in LEVELS_OF_CONFIDENCE.items()
    }
    return _result(x, mean_population, value, limits)


def _ratio(rows: Columns, indicator) -> np.ndarray:
    """A count per unit of another count (admissions per 100 deaths); Poisson limits."""
    x, n = rows["num"], rows["den"]
    n_or_nan = np.where(n > 0, n, np.nan)
    limits, value = {}, None
    for level, conf in LEVELS_OF_CONFIDENCE.items():
        value, lower, upper = stats.rate_ci(x, n_or_nan, indicator.multiplier, conf)
        limits[level] = (lower, upper)
    return _result(x, n, value, limits)


def _mean(rows: Columns, indicator) -> np.ndarray:
    """Mean with a Student-t interval; none under the indicator's minimum count."""
    total, count = rows["num"], rows["den"]
    squares = rows["sumsq"]
    enough = count >= max(indicator.minimum_denominator, 1)
    limits, value = {}, None
    for level, conf in LEVELS_OF_CONFIDENCE.items():
        value, lower, upper = stats.mean_ci(total, squares, count, conf)
        limits[level] = (np.where(enough, lower, np.nan), np.where(enough, upper, np.nan))
    return _result(total, count, np.where(enough, value, np.nan), limits)


def _count(rows: Columns, indicator) -> np.ndarray:
    """A plain count (registered population): no limits."""
    x = rows["num"]
    nothing = np.full(len(x), np.nan)
    no_limits = {level: (nothing, nothing) for level in LEVELS_OF_CONFIDENCE}
    return _result(x, nothing, x * indicator.multiplier, no_limits)


def _isr(rows: Columns) -> np.ndarray:
    """Observed / expected against the system's age-sex rates; exact or Byar's limits."""
    observed, expected = rows["num"], rows["expected"]
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
