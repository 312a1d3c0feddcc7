"""Overdispersion of funnel plots: winsorised z-scores, φ, τ² and adjusted control limits.

Method: Spiegelhalter DJ (2005), "Handling over-dispersion of performance indicators",
Quality and Safety in Health Care 14:347-351, and "Funnel plots for comparing institutional
performance", Statistics in Medicine 24:1185-1202; as implemented in the NHS-R package
FunnelPlotR (Mainey) and used, with a log scale and truncation, by NHS Digital's SHMI.

1. Each unit's indicator Y_i is put on a scale where its null standard error s_i is known
   and does not depend on the target: the square root of an indirectly standardised ratio
   O/E (target 1, s_i = 1 / (2 sqrt(E_i))), the arcsine of the square root of a proportion
   (target asin sqrt(p0), s_i = 1 / (2 sqrt(n_i))), or the value itself for a mean.
2. z_i = (Y_i - target) / s_i, winsorised: the z-scores below the 10th percentile are set
   to it and those above the 90th to it (10% each tail by default).
3. The overdispersion factor φ = (1/k) Σ z_i² over the k units (winsorised z). Under the
   null of no overdispersion k φ is approximately χ² on k - 1 degrees of freedom; φ is
   called significant when the upper tail probability is below 0.05.
4. The between-unit variance of an additive random-effects model, a DerSimonian-Laird
   moment estimate: τ² = (k φ - (k - 1)) / (Σ w_i - Σ w_i² / Σ w_i), w_i = 1 / s_i², and 0
   when k φ < k - 1.
5. Adjusted limits: target ± z_p sqrt(s² + τ²) on the transformed scale, transformed back
   (squared for a ratio, sin² for a proportion).

All functions are vectorised numpy and take arrays or scalars.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

WINSORISE = 0.1  # the fraction of z-scores pulled in at each tail (Spiegelhalter 2005)
SIGNIFICANCE = 0.05  # the χ² test's level for "φ > 1"


@dataclass(frozen=True)
class Overdispersion:
    """The overdispersion estimated from k units: φ, τ² and the χ² test of φ > 1."""

    phi: float
    tau2: float
    p_value: float
    units: int

    @property
    def significant(self) -> bool:
        """True when the χ² test finds φ greater than 1 at the 5% level."""
        return self.p_value < SIGNIFICANCE


def z_scores(y, target, s) -> np.ndarray:
    """Returns the unadjusted z-scores (y - target) / s (step 2 before winsorising)."""
    return (np.asarray(y, dtype=float) - target) / np.asarray(s, dtype=float)


def winsorise(z, fraction: float = WINSORISE) -> np.ndarray:
    """Returns z with values beyond the `fraction` and 1 - `fraction` quantiles (numpy's
    linear interpolation, R's type 7 as FunnelPlotR uses) set to those quantiles."""
    z = np.asarray(z, dtype=float)
    if fraction <= 0 or len(z) == 0:
        return z
    lower, upper = np.quantile(z, [fraction, 1 - fraction])
    return np.clip(z, lower, upper)


def phi(z) -> float:
    """Returns the overdispersion factor φ = mean of z² (z already winsorised)."""
    z = np.asarray(z, dtype=float)
    return float(np.mean(z**2)) if len(z) else float("nan")


def phi_p_value(phi_value: float, units: int) -> float:
    """Returns P(χ²(k - 1) > k φ): small when the units vary more than chance allows."""
    if units < 2 or np.isnan(phi_value):
        return float("nan")
    return float(stats.chi2.sf(units * phi_value, units - 1))


def tau_squared(phi_value: float, s) -> float:
    """Returns the between-unit variance τ² of the additive random-effects model (step 4)."""
    weights = 1 / np.asarray(s, dtype=float) ** 2
    units = len(weights)
    if units < 2 or units * phi_value < units - 1:
        return 0.0
    spread = weights.sum() - (weights**2).sum() / weights.sum()
    return float(max(0.0, (units * phi_value - (units - 1)) / spread))


def estimate(y, target, s, fraction: float = WINSORISE) -> Overdispersion:
    """Returns φ, τ² and the test for units with transformed values y and standard errors
    s about a transformed target; units with a missing y or s are left out."""
    y, s = np.asarray(y, dtype=float), np.asarray(s, dtype=float)
    keep = ~(np.isnan(y) | np.isnan(s)) & (s > 0)
    y, s = y[keep], s[keep]
    factor = phi(winsorise(z_scores(y, target, s), fraction))
    tau2 = tau_squared(factor, s) if len(s) else 0.0
    return Overdispersion(factor, tau2, phi_p_value(factor, len(s)), int(len(s)))


def ratio_scale(observed, expected) -> tuple[np.ndarray, float, np.ndarray]:
    """Returns (y, target, s) for ratios O/E on the square-root scale: sqrt(O/E), 1 and
    1 / (2 sqrt(E)) (Spiegelhalter 2005; FunnelPlotR's "CQC" method). E <= 0 gives NaN."""
    observed, expected = np.asarray(observed, dtype=float), np.asarray(expected, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        positive = np.where(expected > 0, expected, np.nan)
        return np.sqrt(observed / positive), 1.0, 1 / (2 * np.sqrt(positive))


def proportion_scale(numerator, denominator, target: float):
    """Returns (y, target, s) for proportions on the arcsine square-root scale:
    asin sqrt(x/n), asin sqrt(target) and 1 / (2 sqrt(n)) (Spiegelhalter 2005)."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        positive = np.where(denominator > 0, denominator, np.nan)
        y = np.arcsin(np.sqrt(np.clip(numerator / positive, 0, 1)))
        return y, float(np.arcsin(np.sqrt(target))), 1 / (2 * np.sqrt(positive))


def _z(conf: float) -> float:
    return float(stats.norm.ppf(1 - (1 - conf) / 2))


def ratio_limits(expected, conf: float, tau2: float) -> tuple[np.ndarray, np.ndarray]:
    """Returns the adjusted limits of a ratio O/E at expected counts E:
    (1 -/+ z sqrt(1/(4E) + τ²))², the lower floored at 0 before squaring."""
    expected = np.asarray(expected, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = _z(conf) * np.sqrt(1 / (4 * expected) + tau2)
    return np.maximum(1 - half, 0.0) ** 2, (1 + half) ** 2


def proportion_limits(target: float, n, conf: float, tau2: float):
    """Returns the adjusted limits of a proportion (0-1 scale) at denominators n:
    sin²(asin sqrt(p0) -/+ z sqrt(1/(4n) + τ²)), kept within [0, 1]."""
    n = np.asarray(n, dtype=float)
    centre = np.arcsin(np.sqrt(target))
    with np.errstate(divide="ignore", invalid="ignore"):
        half = _z(conf) * np.sqrt(1 / (4 * n) + tau2)
    lower = np.sin(np.clip(centre - half, 0, np.pi / 2)) ** 2
    upper = np.sin(np.clip(centre + half, 0, np.pi / 2)) ** 2
    return lower, upper


def normal_limits(target: float, s, conf: float, tau2: float):
    """Returns the adjusted limits of a normally distributed indicator with standard
    errors s: target -/+ z sqrt(s² + τ²)."""
    half = _z(conf) * np.sqrt(np.asarray(s, dtype=float) ** 2 + tau2)
    return target - half, target + half
