"""The funnel plot: limits by method, each org's position, and the figure's traces."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dashboard import theme
from dashboard.figures.funnel import (
    curve_x,
    funnel_figure,
    funnel_limits,
    funnel_scale,
    funnel_table,
)
from metrics import stats

Z95, Z998 = 1.959963984540054, 3.090232306167813


def proportions() -> pd.DataFrame:
    """Four practices as percentages; D is suppressed (no counts, no value)."""
    return pd.DataFrame(
        {
            "org_code": ["A", "B", "C", "D"],
            "org_name": ["Alpha", "Bravo", "Charlie", "Delta"],
            "numerator": [50.0, 70.0, 38.0, math.nan],
            "denominator": [100.0, 100.0, 100.0, math.nan],
            "value": [50.0, 70.0, 38.0, math.nan],
            "lower_95": [40.4, 60.4, 29.1, math.nan],
            "upper_95": [59.6, 78.2, 47.8, math.nan],
        }
    )


def test_proportion_limits_are_the_wilson_funnel_on_the_percentage_scale():
    lower, upper = funnel_limits("proportion", 50.0, [100.0], 0.95, scale=100.0)
    half = 100 * Z95 * math.sqrt(0.5 * 0.5 / 100)
    assert lower[0] == pytest.approx(50 - half)
    assert upper[0] == pytest.approx(50 + half)


def test_poisson_limits_scale_the_ratio_limits_by_the_benchmark():
    # A rate per 1,000 per year from monthly counts: value = count / n * 12,000.
    lower, upper = funnel_limits("poisson", 600.0, [20000.0], 0.998, scale=12000.0)
    ratio_lower, ratio_upper = stats.funnel_limits_ratio(600.0 * 20000 / 12000, 0.998)
    assert lower[0] == pytest.approx(600 * ratio_lower)
    assert upper[0] == pytest.approx(600 * ratio_upper)


def test_poisson_scale_is_the_median_count_to_value_factor():
    orgs = pd.DataFrame(
        {
            "numerator": [10.0, 20.0, 0.0],
            "denominator": [1000.0, 1000.0, 500.0],
            "value": [120.0, 240.0, 0.0],
        }
    )
    assert funnel_scale("poisson", orgs, multiplier=1000) == pytest.approx(12000.0)


def test_normal_limits_for_a_mean_use_the_pooled_spread():
    orgs = pd.DataFrame(
        {
            "numerator": [1.0, 1.0],
            "denominator": [100.0, 400.0],
            "value": [0.8, 0.7],
            "lower_95": [0.8 - Z95 * 0.02, 0.7 - Z95 * 0.01],
            "upper_95": [0.8 + Z95 * 0.02, 0.7 + Z95 * 0.01],
        }
    )
    spread = funnel_scale("normal", orgs, multiplier=1)
    assert spread == pytest.approx(0.2)  # 0.02 * sqrt(100) and 0.01 * sqrt(400)
    lower, upper = funnel_limits("normal", 0.75, [25.0], 0.95, spread)
    assert (lower[0], upper[0]) == pytest.approx((0.75 - Z95 * 0.04, 0.75 + Z95 * 0.04))


def test_table_positions_and_comparisons_follow_polarity():
    table = funnel_table(proportions(), 50.0, "proportion", 100, polarity="higher")
    assert list(table["position"].fillna("none")) == [
        "within 95%",
        "above 99.8%",
        "below 95%",
        "none",
    ]
    assert list(table["comparison"]) == ["similar", "better", "worse", "not compared"]
    assert table.loc[0, "upper_998_limit"] == pytest.approx(50 + 100 * Z998 * 0.05)
    assert table.loc[0, "lower_95"] == 40.4  # the org's own interval is kept
    lower = funnel_table(proportions(), 50.0, "proportion", 100, polarity="lower")
    assert list(lower["comparison"]) == ["similar", "worse", "better", "not compared"]
    neutral = funnel_table(proportions(), 50.0, "proportion", 100, polarity="none")
    assert list(neutral["comparison"]) == ["similar", "higher", "lower", "not compared"]


def test_counts_get_no_limits():
    table = funnel_table(proportions(), 50.0, "count", 1, polarity="none")
    assert table["upper_95_limit"].isna().all()
    assert list(table["comparison"]) == ["not compared"] * 4


def test_figure_draws_limits_benchmark_and_unsuppressed_points():
    table = funnel_table(proportions(), 50.0, "proportion", 100, polarity="higher")
    figure = funnel_figure(table, 50.0, "proportion", 100, units="Practices", highlight="B")
    names = [item.name for item in figure.data]
    assert names == [
        "Benchmark",
        "99.8% upper limit",
        "99.8% lower limit",
        "95% upper limit",
        "95% lower limit",
        "Practices",
    ]
    x = curve_x(pd.Series([100.0, 100.0, 100.0]))
    upper = next(item for item in figure.data if item.name == "95% upper limit")
    assert list(upper.x) == pytest.approx(list(x))
    assert list(upper.y) == pytest.approx(list(50 + 100 * Z95 * np.sqrt(0.25 / x)))
    points = figure.data[-1]
    assert list(points.x) == [100.0, 100.0, 100.0]
    assert list(points.y) == [50.0, 70.0, 38.0]
    assert list(points.marker.color) == [theme.AMBER, theme.GREEN, theme.RED]
    assert list(points.marker.size) == [9, 14, 9]
    assert points.hovertext[1] == (
        "Bravo (B)<br>Value 70.00<br>Denominator 100<br>above 99.8% (better)"
    )


def test_figure_without_limits_for_a_count():
    table = funnel_table(proportions(), 50.0, "count", 1, polarity="none")
    figure = funnel_figure(table, 50.0, "count", 1)
    assert [item.name for item in figure.data] == ["Organisations"]


def test_curve_x_is_log_spaced_around_the_denominators():
    x = curve_x(pd.Series([50.0, 0.0, 2000.0]))
    assert (x[0], x[-1], len(x)) == pytest.approx((40.0, 2200.0, 100))
