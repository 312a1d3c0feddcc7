"""Confidence intervals, standardisation and comparisons for the metrics engine.

The methods are those of the PHE/OHID Fingertips technical guidance, as implemented in the
R package PHEindicatormethods: Wilson score intervals for proportions; exact Poisson
(chi-squared) limits for counts under 10 and Byar's method from 10; Dobson limits for
directly standardised rates; exact or Byar's limits divided by the expected count for
indirectly standardised ratios; Student-t intervals for means; funnel-plot control limits
(Spiegelhalter 2005, as in PHE's funnel plot tools); and better/similar/worse comparison
with a benchmark.

Everything except `dsr` and `isr` is vectorised: arguments may be scalars, numpy arrays or
pandas Series and broadcast against each other. Array input gives numpy arrays, scalar input
gives floats, and a result that is undefined (a zero denominator, a negative count, a
missing input) is NaN. `conf` is a two-sided confidence level between 0 and 1, such as 0.95
or 0.998.
"""

from __future__ import annotations

import numpy as np
from scipy import special

EXACT_BELOW = 10  # counts under 10 use exact Poisson limits, 10 or more use Byar's (PHE)
DSR_MINIMUM = 10  # DSRs are not computed when the total count is under 10 (PHE)

_COMPARE_WORDS = {  # (interval above the benchmark, overlapping, interval below)
    "lower": ("worse", "similar", "better"),
    "higher": ("better", "similar", "worse"),
    "none": ("higher", "similar", "lower"),
    None: ("higher", "similar", "lower"),
}


def _float_array(value) -> np.ndarray:
    """A float array from a scalar, sequence or Series; None and pd.NA become NaN."""
    if hasattr(value, "to_numpy"):
        return value.to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(value, dtype=float)


def _result(*arrays: np.ndarray):
    """Floats when the inputs were scalars, otherwise the arrays."""
    out = tuple(float(a) if np.ndim(a) == 0 else a for a in arrays)
    return out if len(out) > 1 else out[0]


def _alpha(conf: float) -> float:
    """1 - conf, after checking that conf is a two-sided confidence level below 1."""
    if not 0 < conf < 1:
        raise ValueError(f"conf must be between 0 and 1 (0.95, 0.998), not {conf!r}")
    return 1 - conf


def _z(conf: float) -> float:
    """The standard normal quantile for a two-sided confidence level."""
    return float(special.ndtri(1 - _alpha(conf) / 2))


# The quantile functions of scipy.stats' chi-squared and Student t distributions, which are
# these special functions once scipy.stats has checked its arguments (every argument here
# that it would refuse is masked by the caller). Called directly, a publish need not import
# scipy.stats at all: 0.45 s of every run.
def _chi2_ppf(q: float, df: np.ndarray) -> np.ndarray:
    return 2 * special.gammaincinv(df / 2, q)


def _t_ppf(q: float, df: np.ndarray) -> np.ndarray:
    return special.stdtrit(df, q)


def _ppf_by_value(quantile, q: float, df) -> np.ndarray:
    """`quantile(q, df)` (_chi2_ppf, _t_ppf), worked out once per distinct df: the counts
    under 10 take ten values and the response counts a few thousand, over hundreds of
    thousands of rows, and each quantile inverts a special function, far dearer than the
    lookup."""
    df = np.asarray(df, dtype=float)
    distinct, inverse = np.unique(df, return_inverse=True)
    return quantile(q, distinct)[inverse].reshape(df.shape)


def wilson_ci(x, n, conf=0.95):
    """Wilson score interval for the proportion x/n, on the 0-1 scale.

    Method: Wilson (1927), as recommended by Newcombe and Altman (2000); the formula of the
    Fingertips technical guidance "Proportions" and PHEindicatormethods wilson_lower/upper:
    (2x + z^2 -/+ z sqrt(z^2 + 4xq)) / (2(n + z^2)), q = 1 - x/n. NaN unless 0 <= x <= n, n > 0.
    """
    x, n, z = _float_array(x), _float_array(n), _z(conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        root = z * np.sqrt(z * z + 4 * x * (1 - x / n))
        lower = np.where(x == 0, 0.0, (2 * x + z * z - root) / (2 * (n + z * z)))
        upper = np.where(x == n, 1.0, (2 * x + z * z + root) / (2 * (n + z * z)))
    ok = (n > 0) & (x >= 0) & (x <= n)
    return _result(np.where(ok, lower, np.nan), np.where(ok, upper, np.nan))


def newcombe_difference_ci(x1, n1, x2, n2, conf=0.95):
    """Newcombe's hybrid score interval for the difference of two independent proportions
    x1/n1 - x2/n2, on the 0-1 scale: (difference, lower, upper).

    Method 10 of Newcombe (1998), "Interval estimation for the difference between
    independent proportions", Stat Med 17:873-890, from the Wilson intervals (l1, u1) and
    (l2, u2): d - sqrt((p1 - l1)^2 + (u2 - p2)^2) to d + sqrt((u1 - p1)^2 + (p2 - l2)^2).
    NaN wherever either Wilson interval is.
    """
    x1, n1, x2, n2 = (_float_array(v) for v in (x1, n1, x2, n2))
    (l1, u1), (l2, u2) = wilson_ci(x1, n1, conf), wilson_ci(x2, n2, conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    lower = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    bad = np.isnan(lower) | np.isnan(upper)
    return _result(np.where(bad, np.nan, d), lower, upper)


def byars_ci(x, conf=0.95):
    """Byar's approximation to the exact Poisson limits for an observed count x.

    Method: Breslow and Day (1987), as in the Fingertips technical guidance "Rates":
    lower = x(1 - 1/(9x) - z/(3 sqrt x))^3, upper = (x+1)(1 - 1/(9(x+1)) + z/(3 sqrt(x+1)))^3.
    Meant for counts of 10 or more (see rate_ci); the lower limit is floored at 0.
    """
    x, z = _float_array(x), _z(conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
        upper = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3
    lower = np.where(x == 0, 0.0, np.maximum(lower, 0.0))
    ok = x >= 0
    return _result(np.where(ok, lower, np.nan), np.where(ok, upper, np.nan))


def exact_poisson_ci(x, conf=0.95):
    """Exact Poisson limits for an observed count x, from the chi-squared distribution.

    Method: lower = chi2(alpha/2; 2x)/2, upper = chi2(1 - alpha/2; 2x + 2)/2 (Armitage and
    Berry 2002), as in the Fingertips technical guidance "Rates". The lower limit of 0 is 0.
    """
    x, alpha = _float_array(x), _alpha(conf)
    lower = np.where(x > 0, _ppf_by_value(_chi2_ppf, alpha / 2, 2 * x) / 2, 0.0)
    upper = _ppf_by_value(_chi2_ppf, 1 - alpha / 2, 2 * x + 2) / 2
    ok = x >= 0
    return _result(np.where(ok, lower, np.nan), np.where(ok, upper, np.nan))


def _count_ci(x: np.ndarray, conf: float) -> tuple[np.ndarray, np.ndarray]:
    """PHE's limits for a count: exact under 10, Byar's from 10 (arrays, shape of x)."""
    lower, upper = (np.array(a, dtype=float) for a in byars_ci(x, conf))
    small = x < EXACT_BELOW
    if np.any(small):  # the exact limits are computed for the small counts only
        exact_lower, exact_upper = exact_poisson_ci(x[small], conf)
        lower[small], upper[small] = exact_lower, exact_upper
    return lower, upper


def rate_ci(x, n, multiplier=100000, conf=0.95):
    """A crude rate x/n * multiplier with its confidence limits: (value, lower, upper).

    Method: the count limits are exact Poisson (chi-squared) when x < 10 and Byar's when
    x >= 10, divided by n (Fingertips technical guidance "Rates"; PHEindicatormethods
    phe_rate). NaN where n <= 0.
    """
    x, n = _float_array(x), _float_array(n)
    lower, upper = _count_ci(x, conf)
    with np.errstate(divide="ignore"):
        scale = np.where(n > 0, multiplier / n, np.nan)
    return _result(x * scale, lower * scale, upper * scale)


def dobson_ci(total_count, value, variance, conf=0.95):
    """Dobson limits for a directly standardised rate computed elsewhere (e.g. in SQL).

    value is the DSR and variance its variance, on the same scale (for a DSR
    multiplier * sum(w_i O_i / n_i) with weights w_i summing to 1, the variance is
    multiplier^2 * sum(w_i^2 O_i / n_i^2)). Method: Dobson et al. (1991), limits
    value + sqrt(variance / O) * (O_limit - O) with Byar's limits on the total count O, as
    in the Fingertips technical guidance on DSRs and PHEindicatormethods phe_dsr. NaN when
    O < 10.
    """
    count, value, variance = (_float_array(a) for a in (total_count, value, variance))
    count_lower, count_upper = byars_ci(count, conf)
    ok = count >= DSR_MINIMUM
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.sqrt(variance / count)
        lower = np.where(ok, value + spread * (count_lower - count), np.nan)
        upper = np.where(ok, value + spread * (count_upper - count), np.nan)
    return _result(lower, upper)


def dsr(counts, pops, std_pops, multiplier=100000, conf=0.95):
    """Directly standardised rate with Dobson limits: (value, lower, upper), or None.

    counts, pops and std_pops are per standardisation band (e.g. the 19 ESP2013 age bands).
    Method: Fingertips technical guidance on DSRs; PHEindicatormethods phe_dsr; Dobson et
    al. (1991). Returns None when the total count is under 10, which PHE does not publish.
    """
    counts, pops, std_pops = (np.asarray(a, dtype=float) for a in (counts, pops, std_pops))
    if not counts.shape == pops.shape == std_pops.shape:
        raise ValueError("counts, pops and std_pops must have one value per band")
    if np.any(pops <= 0) or np.any(counts < 0):
        raise ValueError("populations must be positive and counts non-negative")
    if counts.sum() < DSR_MINIMUM:
        return None
    weights = std_pops / std_pops.sum()
    value = multiplier * np.sum(weights * counts / pops)
    variance = multiplier**2 * np.sum(weights**2 * counts / pops**2)
    lower, upper = dobson_ci(counts.sum(), value, variance, conf)
    return float(value), float(lower), float(upper)


def isr_ci(observed, expected, conf=0.95):
    """An indirectly standardised ratio observed/expected: (ratio, lower, upper).

    Method: exact Poisson (chi-squared) limits on the observed count when it is under 10,
    Byar's from 10, divided by the expected count, which is taken as exact (Fingertips
    technical guidance on ISRs; PHEindicatormethods calculate_ISRatio). The ratio is not
    multiplied by 100. NaN where expected <= 0.
    """
    observed, expected = _float_array(observed), _float_array(expected)
    lower, upper = _count_ci(observed, conf)
    with np.errstate(divide="ignore"):
        scale = np.where(expected > 0, 1 / expected, np.nan)
    return _result(observed * scale, lower * scale, upper * scale)


def isr(observed_counts, pops, ref_counts, ref_pops, conf=0.95):
    """Indirectly standardised ratio for one area: (ratio, lower, upper).

    expected = sum(pops * ref_counts / ref_pops) over the bands; observed_counts may be per
    band or a total. Limits as isr_ci (Fingertips technical guidance on ISRs).
    """
    pops, ref_counts, ref_pops = (np.asarray(a, dtype=float) for a in (pops, ref_counts, ref_pops))
    if not pops.shape == ref_counts.shape == ref_pops.shape:
        raise ValueError("pops, ref_counts and ref_pops must have one value per band")
    if np.any(ref_pops <= 0):
        raise ValueError("reference populations must be positive")
    expected = np.sum(pops * ref_counts / ref_pops)
    observed = np.sum(np.asarray(observed_counts, dtype=float))
    ratio, lower, upper = isr_ci(observed, expected, conf)
    return float(ratio), float(lower), float(upper)


def funnel_limits_proportion(p0, n, conf):
    """Funnel-plot limits for a proportion around the baseline p0 at denominator n.

    PHE's method (Technical Guide "Funnel plots"; PHEindicatormethods phe_funnels and
    phe_funnel_significance): the limits are the observed proportions whose Wilson interval
    at this conf (one-sided 97.5% for 0.95, 99.9% for 0.998) just touches p0. The Wilson
    interval is {p : (phat - p)^2 <= z^2 p(1 - p)/n}, so its limit is p0 exactly when
    phat = p0 -/+ z sqrt(p0(1 - p0)/n). Clipped to [0, 1]; NaN where n <= 0.
    """
    p0, n, z = _float_array(p0), _float_array(n), _z(conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        half_width = z * np.sqrt(p0 * (1 - p0) / n)
    ok = (n > 0) & (p0 >= 0) & (p0 <= 1)
    lower = np.where(ok, np.clip(p0 - half_width, 0, 1), np.nan)
    upper = np.where(ok, np.clip(p0 + half_width, 0, 1), np.nan)
    return _result(lower, upper)


def funnel_limits_ratio(expected, conf):
    """Funnel-plot limits for an indirectly standardised ratio at an expected count.

    Exact Poisson limits (Spiegelhalter 2005; PHE's funnel plot tool for ratios and
    PHEindicatormethods calculate_funnel_limits): the limits are the observed counts O whose
    exact chi-squared interval just touches the expected count E, divided by E. With
    O continuous, chi2(1 - a/2; 2O + 2)/2 = E gives the lower and chi2(a/2; 2O)/2 = E the
    upper limit; each is solved for the degrees of freedom with scipy.special.chdtriv.
    The lower limit is floored at 0. NaN where expected <= 0.
    """
    expected, alpha = _float_array(expected), _alpha(conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        count_lower = np.maximum(special.chdtriv(1 - alpha / 2, 2 * expected) / 2 - 1, 0.0)
        count_upper = special.chdtriv(alpha / 2, 2 * expected) / 2
        scale = np.where(expected > 0, 1 / expected, np.nan)
    return _result(count_lower * scale, count_upper * scale)


def mean_ci(total, total_sq, count, conf=0.95):
    """A mean with its Student-t interval, from sums: (mean, lower, upper).

    total = sum(x), total_sq = sum(x^2), count = n. Method: mean -/+ t(1 - alpha/2; n - 1)
    * s / sqrt(n), s the sample standard deviation (APHO Technical Briefing 3;
    PHEindicatormethods phe_mean). NaN mean when n = 0, NaN limits when n < 2.
    """
    total, total_sq, count = (_float_array(a) for a in (total, total_sq, count))
    alpha = _alpha(conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
        variance = np.maximum((total_sq - total * mean) / (count - 1), 0.0)
        half = _ppf_by_value(_t_ppf, 1 - alpha / 2, count - 1) * np.sqrt(variance / count)
    half = np.where(count > 1, half, np.nan)
    return _result(mean, mean - half, mean + half)


def compare(value_lower, value_upper, benchmark, polarity):
    """Compare an interval with a benchmark: 'better'/'similar'/'worse' and so on.

    The interval decides (PHE "Comparators Briefing - Technical"): entirely above the
    benchmark is higher, entirely below is lower, otherwise similar. Polarity 'lower' (lower
    is better) maps higher to 'worse' and lower to 'better', 'higher' the reverse, and
    'none' or None keeps 'higher'/'similar'/'lower'. 'not compared' when any input is
    missing. Returns a str for scalar input, a numpy array of str otherwise.
    """
    if polarity not in _COMPARE_WORDS:
        raise ValueError(f"polarity must be 'lower', 'higher', 'none' or None, not {polarity!r}")
    above, similar, below = _COMPARE_WORDS[polarity]
    lower, upper, benchmark = (_float_array(a) for a in (value_lower, value_upper, benchmark))
    missing = np.isnan(lower) | np.isnan(upper) | np.isnan(benchmark)
    words = np.select(
        [missing, lower > benchmark, upper < benchmark],
        ["not compared", above, below],
        similar,
    )
    return str(words) if words.ndim == 0 else words
