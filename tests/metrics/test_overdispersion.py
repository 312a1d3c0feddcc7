"""Overdispersion (Spiegelhalter 2005): winsorised z-scores, φ, τ² and adjusted limits.

Two kinds of check:

- Published figures. No funnel publication found in the reference corpus prints both its
  inputs and its φ or τ² (FunnelPlotR's README and vignette print only "54 points of which
  9 are outliers" for `medpar`, a 1,495-row model fit; Spiegelhalter's papers and the SHMI
  and CQC methodology documents give the method, not a dataset with its results). Steps 3
  and 4 are Spiegelhalter's statement that, without winsorising and with the target at the
  inverse-variance mean, k φ is Cochran's Q and τ² is the DerSimonian-Laird estimate. So
  they are checked against the most published DerSimonian-Laird analysis: the 13 BCG
  vaccine trials of Colditz et al. (1994, JAMA 271:698-702; the table as printed in the
  documentation of the R data set `metadat::dat.bcg`), whose fixed-effect mean, Q and τ²
  for log risk and odds ratios metafor checks against Stata's `metan` (metafor's
  tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r; Viechtbauer 2010, J Stat Softw
  36(3)).
- A worked example: FunnelPlotR's own test data (six units, observed 100, 150, 180, 80,
  120, 225 against expected 108, 112, 165, 95, 100, 220). FunnelPlotR's tests check only
  the shape of its output, so the expected numbers are hand-worked: a second, independent
  computation in plain Python (`by_hand`: z = 2(sqrt O - sqrt E), R's type 7 percentiles
  written out, the DerSimonian-Laird moment formula) gives the same φ and τ².
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from metrics import overdispersion as od

OBSERVED = [100.0, 150.0, 180.0, 80.0, 120.0, 225.0]
EXPECTED = [108.0, 112.0, 165.0, 95.0, 100.0, 220.0]


# Colditz et al. (1994), 13 trials: TB cases and non-cases, vaccinated then control.
BCG_TRIALS = [
    (4, 119, 11, 128),
    (6, 300, 29, 274),
    (3, 228, 11, 209),
    (62, 13536, 248, 12619),
    (33, 5036, 47, 5761),
    (180, 1361, 372, 1079),
    (8, 2537, 10, 619),
    (505, 87886, 499, 87892),
    (29, 7470, 45, 7232),
    (17, 1699, 65, 1600),
    (186, 50448, 141, 27197),
    (5, 2493, 3, 2338),
    (27, 16886, 29, 17825),
]


def bcg_log_ratios(measure: str) -> tuple[np.ndarray, np.ndarray]:
    """Each trial's log risk ratio ('RR') or log odds ratio ('OR') and its standard error,
    by the usual large-sample formulas (as metafor's escalc)."""
    cases, free, control_cases, control_free = np.array(BCG_TRIALS, dtype=float).T
    if measure == "RR":
        y = np.log(cases / (cases + free)) - np.log(control_cases / (control_cases + control_free))
        v = 1 / cases - 1 / (cases + free) + 1 / control_cases - 1 / (control_cases + control_free)
    else:
        y = np.log(cases / free) - np.log(control_cases / control_free)
        v = 1 / cases + 1 / free + 1 / control_cases + 1 / control_free
    return y, np.sqrt(v)


def by_hand(observed, expected, fraction=0.1) -> tuple[float, float]:
    """φ and τ² for ratios on the square-root scale, written out without numpy."""
    z = [2 * (math.sqrt(o) - math.sqrt(e)) for o, e in zip(observed, expected, strict=True)]
    ordered, k = sorted(z), len(z)

    def percentile(p):
        h = (k - 1) * p
        low = math.floor(h)
        return ordered[low] + (h - low) * (ordered[min(low + 1, k - 1)] - ordered[low])

    low, high = percentile(fraction), percentile(1 - fraction)
    phi = sum(min(max(v, low), high) ** 2 for v in z) / k
    weights = [4 * e for e in expected]  # 1 / s², s = 1 / (2 sqrt E)
    spread = sum(weights) - sum(w * w for w in weights) / sum(weights)
    return phi, max(0.0, (k * phi - (k - 1)) / spread)


def test_worked_example_matches_the_independent_computation():
    y, target, s = od.ratio_scale(OBSERVED, EXPECTED)
    found = od.estimate(y, target, s)
    phi, tau2 = by_hand(OBSERVED, EXPECTED)
    assert found.phi == pytest.approx(phi, rel=1e-12)
    assert found.tau2 == pytest.approx(tau2, rel=1e-12)
    assert (round(found.phi, 4), round(found.tau2, 6)) == (2.3272, 0.003440)
    assert found.p_value == pytest.approx(stats.chi2.sf(6 * phi, 5))
    assert found.significant and found.units == 6


def test_z_scores_on_the_square_root_scale_are_twice_the_root_difference():
    y, target, s = od.ratio_scale(OBSERVED, EXPECTED)
    expected = [2 * (math.sqrt(o) - math.sqrt(e)) for o, e in zip(OBSERVED, EXPECTED, strict=True)]
    assert list(od.z_scores(y, target, s)) == pytest.approx(expected)


def test_winsorising_pulls_in_only_the_tails():
    z = np.arange(11.0)  # 0..10: the 10th and 90th percentiles are 1 and 9
    assert list(od.winsorise(z)) == [1.0, *range(1, 10), 9.0]
    assert list(od.winsorise(z, 0)) == list(z)


def test_no_overdispersion_gives_tau2_zero_and_the_unadjusted_width():
    # Every unit exactly as expected: φ = 0, τ² = 0, not significant.
    y, target, s = od.ratio_scale([100.0, 50.0, 20.0], [100.0, 50.0, 20.0])
    found = od.estimate(y, target, s)
    assert (found.phi, found.tau2, found.significant) == (0.0, 0.0, False)
    lower, upper = od.ratio_limits(np.array([100.0]), 0.95, 0.0)
    z = stats.norm.ppf(0.975)
    assert (lower[0], upper[0]) == pytest.approx(((1 - z / 20) ** 2, (1 + z / 20) ** 2))


def test_adjusted_limits_widen_with_tau2_and_approach_a_constant():
    expected = np.array([10.0, 1e3, 1e7])
    lower, upper = od.ratio_limits(expected, 0.998, 0.01)
    z = stats.norm.ppf(0.999)
    assert upper[2] == pytest.approx((1 + z * 0.1) ** 2, rel=1e-4)  # 1/(4E) -> 0
    assert lower[2] == pytest.approx((1 - z * 0.1) ** 2, rel=1e-4)
    plain_lower, plain_upper = od.ratio_limits(expected, 0.998, 0.0)
    assert np.all(upper > plain_upper) and np.all(lower < plain_lower)


def test_proportion_scale_and_limits():
    y, target, s = od.proportion_scale([25.0, 64.0], [100.0, 100.0], 0.25)
    assert list(y) == pytest.approx([math.asin(0.5), math.asin(0.8)])
    assert target == pytest.approx(math.asin(0.5)) and list(s) == pytest.approx([0.05, 0.05])
    lower, upper = od.proportion_limits(0.25, np.array([100.0]), 0.95, 0.0)
    z = stats.norm.ppf(0.975)
    assert lower[0] == pytest.approx(math.sin(math.asin(0.5) - z * 0.05) ** 2)
    assert upper[0] == pytest.approx(math.sin(math.asin(0.5) + z * 0.05) ** 2)
    wide_lower, wide_upper = od.proportion_limits(0.25, np.array([100.0]), 0.95, 0.05)
    assert 0 <= wide_lower[0] < lower[0] and upper[0] < wide_upper[0] <= 1


def test_normal_limits_add_tau2_to_the_variance():
    lower, upper = od.normal_limits(10.0, np.array([3.0]), 0.95, 16.0)
    z = stats.norm.ppf(0.975)
    assert (lower[0], upper[0]) == pytest.approx((10 - 5 * z, 10 + 5 * z))


def test_units_with_missing_values_are_left_out():
    y, target, s = od.ratio_scale([*OBSERVED, 5.0], [*EXPECTED, 0.0])
    found = od.estimate(y, target, s)
    assert found.units == 6 and found.phi == pytest.approx(by_hand(OBSERVED, EXPECTED)[0])
    assert math.isnan(od.estimate([1.0], 1.0, [0.1]).p_value)


@pytest.mark.parametrize(
    ("measure", "fixed_effect", "q", "tau2"),
    [("RR", -0.4303, 152.2330, 0.3088), ("OR", -0.4361, 163.1649, 0.3663)],
)
def test_phi_and_tau2_reproduce_the_published_bcg_meta_analysis(measure, fixed_effect, q, tau2):
    # Unwinsorised and about the inverse-variance mean, k φ is Cochran's Q and τ² the
    # DerSimonian-Laird estimate: the published figures to their 4 decimals.
    y, s = bcg_log_ratios(measure)
    weights = 1 / s**2
    target = float((weights * y).sum() / weights.sum())
    found = od.estimate(y, target, s, fraction=0)
    assert round(target, 4) == fixed_effect
    assert round(found.units * found.phi, 4) == q
    assert round(found.tau2, 4) == tau2
    assert found.units == 13 and found.p_value < 0.0001 and found.significant


def test_winsorising_the_bcg_z_scores_lowers_phi_and_tau2():
    # The funnel's default (10% each tail) pulls in the two most extreme trials at each
    # end, so φ and τ² fall below the published unwinsorised values (Q / 13 = 11.71 and
    # 0.3088): the figures above are the method's fraction=0 case, not what a funnel draws.
    # 5.3367 and 0.1263 are this module's own figures, pinned: no publication found gives
    # a winsorised φ or τ² for these data.
    y, s = bcg_log_ratios("RR")
    weights = 1 / s**2
    target = float((weights * y).sum() / weights.sum())
    plain, winsorised = od.estimate(y, target, s, fraction=0), od.estimate(y, target, s)
    assert (round(winsorised.phi, 4), round(winsorised.tau2, 4)) == (5.3367, 0.1263)
    assert winsorised.phi < plain.phi and winsorised.tau2 < plain.tau2
    z = od.z_scores(y, target, s)
    assert int((od.winsorise(z) != z).sum()) == 4
