"""Tests for metrics.stats against values published by PHE.

Sources of expected values (each named again where it is used):

- [VIG] PHEindicatormethods "Introduction to PHEindicatormethods" vignette, printed output
  (ukhsa-collaboration/PHEindicatormethods, inst/doc/IntroductiontoPHEindicatormethods.html,
  2018-04-26): phe_proportion, phe_rate and phe_mean on eight areas.
- [DSRVIG] PHEindicatormethods DSR vignette, printed output (inst/doc/DSR-vignette.html,
  2018-04-25): phe_dsr on the "zero deaths in some age bands" example.
- [FPROP] PHEindicatormethods test data tests/testthat/testdata_funnel_prop_outputs.csv:
  phe_funnels limits for proportions, in %, baseline 80.642448%.
- [FRATIO] PHEindicatormethods test data tests/testthat/testdata_funnel_ratio_outputs.csv:
  for each observed count, the expected counts at which it lies on the 95% and 99.8%
  funnel limits (its exact Poisson limits), and the ratios (x 100) there.
- [ISRSHEET] PHEindicatormethods R/isr_sheet.csv: an ISR worked example with the expected
  count of every age band.
- [FT] Fingertips public health technical guidance (fingertips.phe.org.uk/static-reports/
  public-health-technical-guidance) pages on proportions, rates, DSRs and ISRs, and APHO
  Technical Briefing 3 for means: the formulae used for the values computed by hand below,
  where no printed value exists or it has too few figures.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from scipy import stats as scipy_stats

from metrics.stats import (
    byars_ci,
    compare,
    dobson_ci,
    dsr,
    exact_poisson_ci,
    funnel_limits_proportion,
    funnel_limits_ratio,
    isr,
    isr_ci,
    mean_ci,
    newcombe_difference_ci,
    rate_ci,
    wilson_ci,
)

REL = 1e-6
Z95 = 1.959963984540054  # standard normal 97.5th percentile
Z998 = 3.090232306167813  # standard normal 99.9th percentile

# [VIG] the vignette's data frame: obs and pop for Area1-4, 2015 then 2016.
OBS = np.array([68, 86, 18, 29, 99, 74, 8, 94])
POP = np.array([174, 189, 179, 107, 102, 102, 155, 114])
# [VIG] phe_proportion(df, obs, pop): lowercl, uppercl.
WILSON_95 = (
    [0.32141284, 0.38563304, 0.06455836, 0.19583556, 0.91706943, 0.63189437, 0.02638210,
     0.74449994],
    [0.46491370, 0.52621164, 0.15334331, 0.36209159, 0.98994755, 0.80271793, 0.09853151,
     0.88346241],
)  # fmt: skip
# [VIG] phe_proportion(df, obs, pop, confidence=99.8).
WILSON_998 = (
    [0.28504658, 0.34795803, 0.05014823, 0.16118061, 0.86653064, 0.57419464, 0.01832319,
     0.69079867],
    [0.5079248, 0.5664210, 0.1914304, 0.4183973, 0.9940736, 0.8381782, 0.1369464, 0.9081514],
)  # fmt: skip
# [VIG] phe_rate(df, obs, pop): value, lowercl, uppercl per 100,000 (obs 8 is exact).
RATE_95 = (
    [39080.46, 45502.65, 10055.87, 27102.80, 97058.82, 72549.02, 5161.29, 82456.14],
    [30346.142, 36395.152, 5956.701, 18147.416, 78882.763, 56964.372, 2228.279, 66631.239],
    [49544.53, 56196.03, 15893.43, 38925.56, 118166.76, 91079.88, 10169.80, 100906.46],
)
# [VIG] phe_rate(df, obs, pop, confidence=99.8, multiplier=100).
RATE_998 = (
    [39.08046, 45.50265, 10.05587, 27.10280, 97.05882, 72.54902, 5.16129, 82.45614],
    [26.042038, 31.822578, 4.259916, 14.132552, 69.665053, 49.230487, 1.271493, 58.634753],
    [56.07105, 62.81142, 19.77478, 46.57906, 131.16634, 102.60273, 13.64916, 112.28780],
)

# [FRATIO] columns: observed, lower_2s_exp_events, lower_2s_isr, upper_2s_exp_events,
# upper_2s_isr, lower_3s_exp_events, lower_3s_isr, upper_3s_exp_events, upper_3s_isr.
FRATIO = np.array([
    [1, 5.571644585, 17.94802207, 0.025317898, 3949.774946, 9.233410143, 10.83023482,
     0.001000547, 99945.32721],
    [2, 7.224687515, 27.6828582, 0.242209467, 825.7315569, 11.22886836, 17.81123382,
     0.04540199, 4405.093268],
    [3, 8.767273828, 34.21816244, 0.618671905, 484.9096876, 13.06224507, 22.96695541,
     0.190533306, 1574.52787],
    [5, 11.6683331, 42.85102213, 1.623486324, 307.979188, 16.45474478, 30.38637225,
     0.739371928, 676.2496398],
    [9, 17.08479966, 52.67840524, 4.11537405, 218.6921502, 22.65737951, 39.72215762,
     2.452425215, 366.9836676],
    [10, 18.39035799, 54.3763205, 4.795387629, 208.5337156, 24.13397235, 41.43536693,
     2.960519925, 337.778507],
    [15, 24.74021692, 60.63002619, 8.395387918, 178.6695284, 31.24360241, 48.00982871,
     5.793975249, 258.8896113],
    [25, 36.90492768, 67.74163118, 16.17868501, 154.5243014, 44.63607076, 56.00851413,
     12.33695202, 202.6432458],
    [51, 67.05559502, 76.05629327, 37.97285619, 134.3064629, 77.15705647, 66.09894458,
     31.74201957, 160.6703061],
    [100, 121.6268111, 82.21871402, 81.36400699, 122.9044681, 134.9243187, 74.11562345,
     71.92139974, 139.0406755],
    [151, 177.0968366, 85.26408651, 127.8762368, 118.0829244, 192.964063, 78.25291281,
     115.8558441, 130.3343833],
    [249, 281.925722, 88.32113589, 219.0300984, 113.683006, 301.7230493, 82.52601204,
     203.0712581, 122.6170569],
    [413, 454.8179145, 90.80557006, 374.1243435, 110.3911058, 479.7365479, 86.08891731,
     353.0371292, 116.9848624],
    [716, 770.4222128, 92.93605352, 664.5083011, 107.7488421, 802.60414, 89.20960712,
     636.1521174, 112.5516964],
])  # fmt: skip
# PHE found these expected counts by iterative search. From observed 2 upwards they agree
# with the exact chi-squared limits to 7.8e-7 (95%) and 6.1e-7 (99.8%). For observed 1 the
# search is coarser: its exact lower limit has the closed form -ln(1 - alpha/2) (chi-squared
# with 2 degrees of freedom), 0.0253178080 at 95%, where PHE prints 0.025317898 (3.6e-6 off)
# and 0.0010005003 at 99.8%, where PHE prints 0.001000547 (4.7e-5 off). So observed 1 is
# checked against the closed form, and the 99.8% checks start at observed 3, from where the
# published ratios agree to under 1e-6 too (at observed 2 the 99.8% ratio is 1.02e-6 off).
FRATIO_95 = FRATIO[FRATIO[:, 0] >= 2]
FRATIO_998 = FRATIO[FRATIO[:, 0] >= 3]

# [FPROP] Population, Lower2s0025limit, Upper2s0025limit, Lower3s0001limit,
# Upper3s0001limit (%), baseline 80.642448%.
FPROP_BASELINE = 0.80642448
FPROP = np.array([
    [1, 3.204264, 100, 0, 100],
    [2, 25.885383, 100, 0, 100],
    [3, 35.933491, 100, 10.150815, 100],
    [10, 56.154344, 100, 42.03259, 100],
    [18, 62.390093, 98.894803, 51.864359, 100],
    [41, 68.548635, 92.73626, 61.574398, 99.710497],
    [50, 69.691035, 91.593861, 63.375595, 97.909301],
    [102, 72.974925, 88.309971, 68.553233, 92.731663],
    [539, 77.306949, 83.977947, 75.38344, 85.901456],
    [5348, 79.583537, 81.701359, 78.972886, 82.31201],
    [110000, 80.408963, 80.875933, 80.274317, 81.010578],
])  # fmt: skip

# ESP2013, 19 bands 0-4 ... 90+ (the esp2013 vector of PHEindicatormethods).
ESP2013 = [5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000,
           5500, 5000, 4000, 2500, 1500, 1000]  # fmt: skip


def assert_close(actual, expected, rel=REL):
    assert np.asarray(actual, dtype=float) == pytest.approx(np.asarray(expected), rel=rel)


def byars_by_hand(count: float, z: float) -> tuple[float, float]:
    """[FT] "Rates": Byar's limits, written out independently of the module."""
    lower = count * (1 - 1 / (9 * count) - z / (3 * math.sqrt(count))) ** 3
    upper = (count + 1) * (1 - 1 / (9 * (count + 1)) + z / (3 * math.sqrt(count + 1))) ** 3
    return lower, upper


# Wilson


@pytest.mark.parametrize(("conf", "published"), [(0.95, WILSON_95), (0.998, WILSON_998)])
def test_wilson_matches_phe_vignette(conf, published):
    lower, upper = wilson_ci(OBS, POP, conf)
    assert_close(lower, published[0])
    assert_close(upper, published[1])


def test_wilson_3_of_10_by_hand():
    # [FT] "Proportions": (2O + z^2 -/+ z sqrt(z^2 + 4Oq)) / (2(n + z^2)), O = 3, n = 10.
    root = Z95 * math.sqrt(Z95**2 + 4 * 3 * 0.7)
    expected = ((6 + Z95**2 - root) / (2 * (10 + Z95**2)),
                (6 + Z95**2 + root) / (2 * (10 + Z95**2)))  # fmt: skip
    assert_close(wilson_ci(3, 10), expected, rel=1e-12)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # Newcombe (1998), Stat Med 17:873-890, Table II, method 10, examples (a) to (d)
        ((56, 70, 48, 80), (0.2, 0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.6, 0.1705, 0.8090)),
        ((6, 7, 2, 7), (4 / 7, 0.0582, 0.8062)),
        ((5, 56, 0, 29), (5 / 56, -0.0381, 0.1926)),
    ],
)
def test_newcombe_hybrid_score_interval_matches_the_paper(counts, expected):
    assert newcombe_difference_ci(*counts) == pytest.approx(expected, abs=5e-5)


def test_newcombe_interval_is_nan_without_counts():
    difference, lower, upper = newcombe_difference_ci([60, np.nan], [100, 100], [75, 75], [100, 0])
    assert lower[0] < difference[0] < upper[0] < 0
    assert np.isnan([difference[1], lower[1], upper[1]]).all()


def test_wilson_edges():
    lower, upper = wilson_ci(0, 20)
    assert lower == 0.0 and 0 < upper < 1
    lower, upper = wilson_ci(20, 20)
    assert 0 < lower < 1 and upper == 1.0
    for x, n in [(0, 0), (5, 0), (6, 5), (-1, 5), (np.nan, 5), (None, 5)]:
        assert all(math.isnan(v) for v in wilson_ci(x, n))


# Byar's and exact Poisson


@pytest.mark.parametrize(
    ("conf", "published", "per"), [(0.95, RATE_95, 1e5), (0.998, RATE_998, 100)]
)
def test_byars_matches_phe_vignette(conf, published, per):
    # [VIG] phe_rate uses Byar's for every count here but 8; limit count = rate * pop / per.
    byars = OBS >= 10
    lower, upper = byars_ci(OBS[byars], conf)
    assert_close(lower, np.array(published[1])[byars] * POP[byars] / per)
    assert_close(upper, np.array(published[2])[byars] * POP[byars] / per)


@pytest.mark.parametrize("count", [10, 68, 1045])
def test_byars_by_hand(count):
    assert_close(byars_ci(count), byars_by_hand(count, Z95), rel=1e-12)
    assert_close(byars_ci(count, 0.998), byars_by_hand(count, Z998), rel=1e-12)


def test_byars_edges():
    assert byars_ci(0)[0] == 0.0
    assert byars_ci(1, 0.998)[0] == 0.0  # the approximation goes negative; floored
    assert all(math.isnan(v) for v in byars_ci(-1))


def test_exact_poisson_matches_phe_funnel_data():
    # [FRATIO] an observed count lies on the lower funnel limit where the expected count
    # equals its exact upper limit, and on the upper funnel limit at its exact lower limit.
    lower, upper = exact_poisson_ci(FRATIO_95[:, 0], 0.95)
    assert_close(upper, FRATIO_95[:, 1])
    assert_close(lower, FRATIO_95[:, 3])
    lower, upper = exact_poisson_ci(FRATIO_998[:, 0], 0.998)
    assert_close(upper, FRATIO_998[:, 5])
    assert_close(lower, FRATIO_998[:, 7])


def test_exact_poisson_matches_phe_vignette():
    # [VIG] Area3 2016: 8 events in 155, the one exact row; limit count = rate * 155 / per.
    assert_close(exact_poisson_ci(8), (2228.279 * 155 / 1e5, 10169.80 * 155 / 1e5))
    assert_close(exact_poisson_ci(8, 0.998), (1.271493 * 155 / 100, 13.64916 * 155 / 100))


@pytest.mark.parametrize("conf", [0.95, 0.998])
def test_exact_poisson_closed_forms(conf):
    # [FT] "Rates": the lower limit for 1 event is chi2(alpha/2; 2)/2 and the upper limit for
    # 0 events chi2(1 - alpha/2; 2)/2; with 2 degrees of freedom chi2(q; 2)/2 = -ln(1 - q).
    alpha = 1 - conf
    assert exact_poisson_ci(1, conf)[0] == pytest.approx(-math.log(1 - alpha / 2), rel=1e-12)
    assert exact_poisson_ci(0, conf) == pytest.approx((0.0, -math.log(alpha / 2)), rel=1e-12)


def test_exact_poisson_edges():
    assert all(math.isnan(v) for v in exact_poisson_ci(-2))


def test_exact_poisson_of_repeated_counts_is_each_count_on_its_own():
    # The quantiles are worked out once per distinct count: every row still gets its own.
    counts = np.array([3.0, 0.0, 3.0, 9.0, -1.0, np.nan, 0.0, 9.0])
    lower, upper = exact_poisson_ci(counts, 0.998)
    alone = [exact_poisson_ci(count, 0.998) for count in counts]
    np.testing.assert_array_equal(lower, [limits[0] for limits in alone])
    np.testing.assert_array_equal(upper, [limits[1] for limits in alone])
    assert upper[0] == pytest.approx(scipy_stats.chi2.ppf(0.999, 8) / 2, rel=1e-15)


def test_mean_of_repeated_counts_is_each_mean_on_its_own():
    totals, squares = np.array([10.0, 12.0, 30.0, 5.0]), np.array([60.0, 80.0, 400.0, 25.0])
    counts = np.array([2.0, 2.0, 3.0, 1.0])
    together = mean_ci(totals, squares, counts)
    alone = [mean_ci(*row) for row in zip(totals, squares, counts, strict=True)]
    np.testing.assert_array_equal(np.column_stack(together), alone)
    assert together[1][2] == pytest.approx(
        10 - scipy_stats.t.ppf(0.975, 2) * math.sqrt(50 / 3), rel=1e-12
    )


# Rates


@pytest.mark.parametrize(
    ("conf", "published", "per"), [(0.95, RATE_95, 1e5), (0.998, RATE_998, 100)]
)
def test_rate_matches_phe_vignette(conf, published, per):
    value, lower, upper = rate_ci(OBS, POP, multiplier=per, conf=conf)
    assert_close(value, published[0])
    assert_close(lower, published[1])
    assert_close(upper, published[2])


def test_rate_switches_from_exact_to_byars_at_10():
    assert rate_ci(9, 1000)[1:] == pytest.approx(np.array(exact_poisson_ci(9)) * 100, rel=1e-12)
    assert rate_ci(10, 1000)[1:] == pytest.approx(np.array(byars_ci(10)) * 100, rel=1e-12)
    assert rate_ci(9, 1000)[1] != pytest.approx(byars_ci(9)[0] * 100, rel=1e-3)
    assert rate_ci(10, 1000)[1] != pytest.approx(exact_poisson_ci(10)[0] * 100, rel=1e-3)
    _, lower, upper = rate_ci([9, 10], [1000, 1000])  # the switch is made per element
    assert_close(lower, [exact_poisson_ci(9)[0] * 100, byars_ci(10)[0] * 100], rel=1e-12)
    assert_close(upper, [exact_poisson_ci(9)[1] * 100, byars_ci(10)[1] * 100], rel=1e-12)


def test_rate_edges():
    assert all(math.isnan(v) for v in rate_ci(5, 0))
    value, lower, upper = rate_ci(0, 1000)
    assert value == 0.0 and lower == 0.0 and upper == pytest.approx(-math.log(0.025) * 100)


# Directly standardised rates

# [DSRVIG] pops2 and deaths2, NA deaths replaced by 0; phe_dsr(df3, dths, pop).
DSR_POPS = [30, 35, 35, 35, 40, 40, 45, 50, 50, 50, 60, 60, 70, 75, 70, 60, 20, 20, 15]
DSR_DEATHS = [1, 1, 0, 0, 0, 1, 1, 3, 3, 3, 3, 10, 10, 10, 10, 8, 8, 8, 8]


def test_dsr_matches_phe_vignette():
    assert_close(dsr(DSR_DEATHS, DSR_POPS, ESP2013), (8283.016, 6570.819, 10289.65))


def test_dsr_998_by_hand():
    # [FT] DSRs (Dobson): DSR + sqrt(var(DSR) / O) * (O_limit - O), Byar's limits on O.
    weights = [s / 100000 for s in ESP2013]
    value = 1e5 * sum(w * d / p for w, d, p in zip(weights, DSR_DEATHS, DSR_POPS, strict=True))
    variance = 1e10 * sum(
        w * w * d / p**2 for w, d, p in zip(weights, DSR_DEATHS, DSR_POPS, strict=True)
    )
    o_lower, o_upper = byars_by_hand(88, Z998)
    spread = math.sqrt(variance / 88)
    expected = (value, value + spread * (o_lower - 88), value + spread * (o_upper - 88))
    assert_close(dsr(DSR_DEATHS, DSR_POPS, ESP2013, conf=0.998), expected, rel=1e-12)


def test_dsr_not_computed_under_10():
    counts = [0] * 15 + [2, 2, 2, 3]  # 9 events
    assert dsr(counts, DSR_POPS, ESP2013) is None
    counts[-1] = 4  # 10 events
    assert dsr(counts, DSR_POPS, ESP2013) is not None


def test_dsr_rejects_bad_input():
    with pytest.raises(ValueError):
        dsr(DSR_DEATHS[:-1], DSR_POPS, ESP2013)
    with pytest.raises(ValueError):
        dsr(DSR_DEATHS, [0] + DSR_POPS[1:], ESP2013)


def test_dobson_ci_is_the_dsr_method_and_vectorised():
    value, lower, upper = dsr(DSR_DEATHS, DSR_POPS, ESP2013)
    # var(DSR) = multiplier^2 * sum(w^2 O / n^2), weights w = ESP2013 / 100000
    variance = 1e10 * sum(
        (s / 1e5) ** 2 * d / p**2 for s, d, p in zip(ESP2013, DSR_DEATHS, DSR_POPS, strict=True)
    )
    lows, ups = dobson_ci([88, 88, 9], [value, value, value], [variance, variance, variance])
    assert_close(lows[:2], [lower, lower], rel=1e-12)
    assert_close(ups[:2], [upper, upper], rel=1e-12)
    assert math.isnan(lows[2]) and math.isnan(ups[2])  # under 10: not computed


# Indirectly standardised ratios

# [ISRSHEET] obs, pop, refcount, refpop and the published expected count Ei per band.
ISR_OBS = [127, 25, 18, 21, 12, 27, 48, 27, 29, 32, 32, 34, 45, 65, 38, 68, 74, 82, 91]
ISR_POP = [636, 558, 609, 543, 384, 594, 669, 843, 660, 576, 606, 522, 426, 273, 300, 288,
           153, 123, 207]  # fmt: skip
ISR_REFCOUNT = [10303, 2824, 3225, 3615, 3641, 3490, 3789, 3213, 3031, 2771, 3089, 3490,
                3595, 4745, 5514, 7125, 5694, 6210, 5757]  # fmt: skip
ISR_REFPOP = [50520, 57173, 60213, 54659, 44345, 50128, 62163, 67423, 62899, 55463, 60479,
              49974, 44140, 40888, 37239, 30819, 18136, 15325, 13918]  # fmt: skip
ISR_EI = [129.7052257, 27.56182114, 32.61795626, 35.91256701, 31.52878566, 41.35533035,
          40.77732735, 40.17262655, 31.80432121, 28.7776716, 30.95180145, 36.45455637,
          34.69574082, 31.68130014, 44.42117135, 66.58230312, 48.03606087, 49.84208809,
          85.62286248]  # fmt: skip


def test_isr_matches_phe_expected_counts_and_formula():
    # [ISRSHEET] gives E per band; [FT] ISRs: ratio O/E, limits Byar's(O)/E for O >= 10.
    observed, expected = 895, sum(ISR_EI)
    assert sum(ISR_OBS) == observed
    o_lower, o_upper = byars_by_hand(observed, Z95)
    ratio, lower, upper = isr(ISR_OBS, ISR_POP, ISR_REFCOUNT, ISR_REFPOP)
    assert_close((ratio, lower, upper), (observed / expected, o_lower / expected,
                                         o_upper / expected))  # fmt: skip
    assert isr(895, ISR_POP, ISR_REFCOUNT, ISR_REFPOP) == (ratio, lower, upper)  # total O


def test_isr_ci_switches_at_10_and_scales_by_expected():
    # [VIG] exact limits for 8 events (8 in 155 at 95%), divided by an expected 4.0
    ratio, lower, upper = isr_ci(8, 4.0)
    assert_close((ratio, lower, upper), (2.0, 2228.279 * 155 / 1e5 / 4, 10169.80 * 155 / 1e5 / 4))
    _, lower, upper = isr_ci([9, 10], [4.0, 4.0])
    assert_close(lower, [exact_poisson_ci(9)[0] / 4, byars_ci(10)[0] / 4], rel=1e-12)
    assert_close(upper, [exact_poisson_ci(9)[1] / 4, byars_ci(10)[1] / 4], rel=1e-12)
    assert all(math.isnan(v) for v in isr_ci(5, 0))


# Funnel plots


def test_funnel_proportion_matches_phe_test_data():
    n = FPROP[:, 0]
    lower, upper = funnel_limits_proportion(FPROP_BASELINE, n, 0.95)
    assert_close(lower * 100, FPROP[:, 1])
    assert_close(upper * 100, FPROP[:, 2])
    lower, upper = funnel_limits_proportion(FPROP_BASELINE, n, 0.998)
    assert_close(lower * 100, FPROP[:, 3])
    assert_close(upper * 100, FPROP[:, 4])


@pytest.mark.parametrize("conf", [0.95, 0.998])
@pytest.mark.parametrize(("p0", "n"), [(0.8064, 50), (0.3, 200), (0.05, 1000), (0.5, 7)])
def test_funnel_proportion_is_where_the_wilson_limit_touches_p0(p0, n, conf):
    # The lower limit is the observed proportion whose Wilson upper limit equals p0, the
    # upper limit the one whose Wilson lower limit equals p0; solved numerically.
    def wilson_upper_minus_p0(p):
        return wilson_ci(p * n, n, conf)[1] - p0

    def wilson_lower_minus_p0(p):
        return wilson_ci(p * n, n, conf)[0] - p0

    lower, upper = funnel_limits_proportion(p0, n, conf)
    if wilson_upper_minus_p0(0.0) < 0:  # otherwise no proportion is low enough: limit 0
        assert lower == pytest.approx(optimize.brentq(wilson_upper_minus_p0, 0, p0, xtol=1e-14))
    else:
        assert lower == 0.0
    if wilson_lower_minus_p0(1.0) > 0:
        assert upper == pytest.approx(optimize.brentq(wilson_lower_minus_p0, p0, 1, xtol=1e-14))
    else:
        assert upper == 1.0


def test_funnel_proportion_edges():
    assert all(math.isnan(v) for v in funnel_limits_proportion(0.5, 0, 0.95))
    assert funnel_limits_proportion(0.0, 100, 0.95) == (0.0, 0.0)


def test_funnel_ratio_matches_phe_test_data():
    # [FRATIO] at each expected count the limit ratio is observed / expected (isr / 100)
    lower, _ = funnel_limits_ratio(FRATIO[:, 1], 0.95)
    assert_close(lower, FRATIO[:, 2] / 100)
    _, upper = funnel_limits_ratio(FRATIO[:, 3], 0.95)
    assert_close(upper, FRATIO[:, 4] / 100)
    lower, _ = funnel_limits_ratio(FRATIO_998[:, 5], 0.998)
    assert_close(lower, FRATIO_998[:, 6] / 100)
    _, upper = funnel_limits_ratio(FRATIO_998[:, 7], 0.998)
    assert_close(upper, FRATIO_998[:, 8] / 100)


@pytest.mark.parametrize("conf", [0.95, 0.998])
def test_funnel_ratio_inverts_the_exact_limits(conf):
    observed = np.array([1, 2, 7, 30, 500, 20000])
    at_lower = scipy_stats.chi2.ppf(0.5 + conf / 2, 2 * observed + 2) / 2  # exact upper limit
    at_upper = scipy_stats.chi2.ppf(0.5 - conf / 2, 2 * observed) / 2  # exact lower limit
    assert_close(funnel_limits_ratio(at_lower, conf)[0], observed / at_lower, rel=1e-9)
    assert_close(funnel_limits_ratio(at_upper, conf)[1], observed / at_upper, rel=1e-9)


def test_funnel_ratio_edges():
    # below E = -ln(0.025) no count is low enough to lie under the lower limit
    assert funnel_limits_ratio(-math.log(0.025) * 0.99, 0.95)[0] == 0.0
    assert funnel_limits_ratio(-math.log(0.025) * 1.01, 0.95)[0] > 0.0
    assert all(math.isnan(v) for v in funnel_limits_ratio(0, 0.95))


# Means


def test_mean_matches_phe_vignette():
    # [VIG] phe_mean(df, obs): 59.5 (29.45637, 89.54363)
    values = OBS.astype(float)
    result = mean_ci(values.sum(), (values**2).sum(), len(values))
    assert_close(result, (59.5, 29.45637, 89.54363))


def test_mean_998_by_hand():
    # [VIG] 2015 group at 99.8%: sum 201, count 4, stdev 32.1, mean 50.2, CI -114 to 214
    # (printed to 3 figures); [FT] means: mean -/+ t(0.999; n - 1) * s / sqrt(n).
    values = [68, 86, 18, 29]
    mean = 201 / 4
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / 3)
    half = scipy_stats.t.ppf(0.999, 3) * sd / 2
    result = mean_ci(201, sum(v * v for v in values), 4, 0.998)
    assert_close(result, (mean, mean - half, mean + half), rel=1e-12)
    assert result == pytest.approx((50.2, -114, 214), abs=0.5)
    assert sd == pytest.approx(32.1, abs=0.05)


def test_mean_edges():
    assert all(math.isnan(v) for v in mean_ci(0, 0, 0))
    mean, lower, upper = mean_ci(0.7, 0.49, 1)
    assert mean == 0.7 and math.isnan(lower) and math.isnan(upper)
    assert mean_ci(3.0, 3.0, 3)[1:] == (1.0, 1.0)  # no spread: the interval is the mean


# Vectorisation


@pytest.mark.parametrize(
    ("function", "columns"),
    [
        (wilson_ci, [[0, 3, 68, 99, 5, 7], [10, 10, 174, 102, 0, 5]]),
        (byars_ci, [[0, 1, 9, 10, 68, 1045]]),
        (exact_poisson_ci, [[0, 1, 9, 10, 68, 1045]]),
        (rate_ci, [[0, 8, 9, 10, 68, 5], [100, 155, 200, 300, 174, 0]]),
        (isr_ci, [[0, 8, 9, 10, 895, 5], [1.5, 4.0, 9.0, 12.0, 868.5, 0.0]]),
        (dobson_ci, [[88, 9, 10, 500, 88, 20], [8283.0, 50.0, 60.0, 700.0, 1.0, 5.0],
                     [3e5, 10.0, 12.0, 900.0, 0.1, 2.0]]),
        (funnel_limits_proportion, [[0.8, 0.8, 0.1, 0.0, 0.5, 0.5], [1, 50, 1000, 10, 0, 7]]),
        (funnel_limits_ratio, [[0.0, 0.5, 3.7, 18.4, 868.5, 1e5]]),
        (mean_ci, [[0.0, 0.7, 476.0, 201.0, 3.0, 5.0], [0.0, 0.49, 39442.0, 12045.0, 3.0, 9.0],
                   [0, 1, 8, 4, 3, 2]]),
    ],
)  # fmt: skip
@pytest.mark.parametrize("conf", [0.95, 0.998])
def test_vectorised_equals_scalar(function, columns, conf):
    arrays = function(*(np.array(c) for c in columns), conf=conf)
    series = function(*(pd.Series(c) for c in columns), conf=conf)
    for i, row in enumerate(zip(*columns, strict=True)):
        scalars = function(*row, conf=conf)
        assert all(isinstance(v, float) for v in scalars)
        for array_part, series_part, scalar in zip(arrays, series, scalars, strict=True):
            assert isinstance(array_part, np.ndarray) and isinstance(series_part, np.ndarray)
            np.testing.assert_array_equal(array_part[i], scalar)
            np.testing.assert_array_equal(series_part[i], scalar)


def test_broadcasting():
    lower, upper = wilson_ci(np.array([1, 2, 3]), 10)
    assert lower.shape == upper.shape == (3,)
    lower, upper = funnel_limits_proportion(0.8, np.array([[10], [100]]), 0.95)
    assert lower.shape == (2, 1)
    lower, _ = funnel_limits_proportion(np.array([0.2, 0.8]), 100, 0.95)
    expected = [funnel_limits_proportion(p0, 100, 0.95)[0] for p0 in (0.2, 0.8)]
    assert_close(lower, expected, rel=1e-15)


def test_nullable_series_missing_values_are_nan():
    x = pd.Series([3, None], dtype="Float64")
    lower, upper = wilson_ci(x, pd.Series([10, 10]))
    assert not math.isnan(lower[0]) and math.isnan(lower[1]) and math.isnan(upper[1])


def test_conf_must_be_a_fraction():
    with pytest.raises(ValueError):
        wilson_ci(3, 10, conf=95)
    with pytest.raises(ValueError):
        funnel_limits_ratio(5.0, 1.0)


# Comparison


@pytest.mark.parametrize(
    ("polarity", "above", "below"),
    [("lower", "worse", "better"), ("higher", "better", "worse"), ("none", "higher", "lower"),
     (None, "higher", "lower")],
)  # fmt: skip
def test_compare_each_polarity(polarity, above, below):
    assert compare(1.1, 1.3, 1.0, polarity) == above
    assert compare(0.7, 0.9, 1.0, polarity) == below
    assert compare(0.9, 1.1, 1.0, polarity) == "similar"
    assert compare(1.0, 1.2, 1.0, polarity) == "similar"  # touching is not excluding
    assert compare(0.8, 1.0, 1.0, polarity) == "similar"


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan])
def test_compare_missing_input_is_not_compared(missing):
    assert compare(missing, 1.3, 1.0, "lower") == "not compared"
    assert compare(1.1, missing, 1.0, "higher") == "not compared"
    assert compare(1.1, 1.3, missing, None) == "not compared"


def test_compare_vectorised():
    words = compare(pd.Series([1.1, 0.7, 0.9, None]), np.array([1.3, 0.9, 1.1, 1.2]), 1.0, "higher")
    assert list(words) == ["better", "worse", "similar", "not compared"]
    words = compare([1.1, 1.1], [1.3, 1.3], [1.0, np.nan], "lower")
    assert list(words) == ["worse", "not compared"]


def test_compare_rejects_unknown_polarity():
    with pytest.raises(ValueError):
        compare(1.1, 1.3, 1.0, "up")
