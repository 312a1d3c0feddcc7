"""The funnel plot: limits by family, overdispersion adjustment, each org's position against
the drawn limits, readable axes and the figure's traces."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dashboard.figures.funnel import (
    POSITIONS,
    build_funnel,
    curve_x,
    funnel_figure,
    funnel_limits,
    funnel_scale,
    funnel_table,
    log_ticks,
    size_axis,
)
from metrics import overdispersion, stats

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


def ratios() -> pd.DataFrame:
    """FunnelPlotR's test data as standardised ratios (observed / expected), twice over, so
    that there are enough orgs (12) to estimate overdispersion."""
    observed = [100.0, 150.0, 180.0, 80.0, 120.0, 225.0] * 2
    expected = [108.0, 112.0, 165.0, 95.0, 100.0, 220.0] * 2
    frame = pd.DataFrame({"numerator": observed, "expected": expected})
    return frame.assign(
        org_code=list("abcdefghijkl"),
        org_name=list("ABCDEFGHIJKL"),
        denominator=1000.0,
        value=frame["numerator"],
        isr=frame["numerator"] / frame["expected"],
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


def test_ratio_limits_are_exact_poisson_around_one_at_the_expected_count():
    lower, upper = funnel_limits("isr", 1.0, [150.0], 0.998, scale=1.0)
    assert (lower[0], upper[0]) == pytest.approx(stats.funnel_limits_ratio(150.0, 0.998))


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


def test_positions_are_against_the_drawn_limits():
    funnel = build_funnel(proportions(), "proportion", 50.0, 100, "unadjusted")
    table = funnel_table(proportions(), funnel)
    assert list(table["position"].fillna("none")) == [
        "within 95%",
        "above 99.8%",
        "below 95%",
        "none",
    ]
    assert table.loc[0, "upper_998_limit"] == pytest.approx(50 + 100 * Z998 * 0.05)
    assert table.loc[0, "lower_95"] == 40.4  # the org's own interval is kept


def test_auto_adjusts_for_significant_overdispersion_as_funnelplotr():
    frame = ratios()
    funnel = build_funnel(frame, "isr", 1.0, 1, "auto")
    y, target, s = overdispersion.ratio_scale(frame["numerator"], frame["expected"])
    found = overdispersion.estimate(y, target, s)
    assert funnel.dispersion == found and found.significant and funnel.adjusted
    table = funnel_table(frame, funnel)
    lower, upper = overdispersion.ratio_limits(frame["expected"], 0.998, found.tau2)
    assert list(table["upper_998_limit"]) == pytest.approx(list(upper))
    assert list(table["lower_998_limit"]) == pytest.approx(list(lower))
    unadjusted = funnel_table(frame, build_funnel(frame, "isr", 1.0, 1, "unadjusted"))
    assert (table["upper_998_limit"] > unadjusted["upper_998_limit"]).all()
    assert "adjusted for overdispersion" in funnel.description()
    assert f"φ = {found.phi:.2f} (significant" in funnel.description()
    assert funnel.note() == (
        f"Limits adjusted for overdispersion:<br>φ = {found.phi:.2f} (significant), "
        f"τ² = {found.tau2:.3g}"
    )


def test_auto_keeps_unadjusted_limits_without_significant_overdispersion():
    frame = ratios().assign(numerator=[108.0, 112.0, 166.0, 95.0, 99.0, 221.0] * 2)
    funnel = build_funnel(frame, "isr", 1.0, 1, "auto")
    assert not funnel.dispersion.significant and not funnel.adjusted
    assert funnel.description().startswith("Limits: unadjusted (exact Poisson).")


def test_too_few_orgs_keep_the_unadjusted_limits():
    frame = ratios().head(6)
    funnel = build_funnel(frame, "isr", 1.0, 1, "adjusted")
    assert not funnel.adjusted
    assert funnel.description() == (
        "Limits: unadjusted (exact Poisson). 6 points are too few to estimate "
        "overdispersion (at least 10)."
    )


def test_counts_get_no_funnel():
    assert build_funnel(proportions(), None, 50.0, 1) is None
    table = funnel_table(proportions(), None)
    assert table["upper_95_limit"].isna().all() and table["position"].isna().all()


def test_figure_draws_limits_centre_and_points_by_position():
    funnel = build_funnel(proportions(), "proportion", 50.0, 100, "unadjusted")
    table = funnel_table(proportions(), funnel)
    figure = funnel_figure(table, funnel, highlight="B", percent=True)
    names = [item.name for item in figure.data]
    assert names == [
        "Benchmark",
        "99.8% limits (unadjusted)",
        "99.8% limits (unadjusted)",
        "95% limits (unadjusted)",
        "95% limits (unadjusted)",
        POSITIONS["above 99.8%"][0],
        POSITIONS["within 95%"][0],
        POSITIONS["below 95%"][0],
    ]
    x = curve_x(pd.Series([100.0, 100.0, 100.0]))
    upper = figure.data[3]
    assert list(upper.x) == pytest.approx(list(x))
    assert list(upper.y) == pytest.approx(list(50 + 100 * Z95 * np.sqrt(0.25 / x)))
    above = figure.data[5]
    assert (list(above.y), above.marker.color) == ([70.0], POSITIONS["above 99.8%"][1])
    assert list(above.marker.size) == [16]  # B is highlighted
    assert above.hovertext[0] == (
        "Bravo (B)<br>Value 70.00%<br>Denominator 100<br>Above the 99.8% limit"
    )
    assert figure.layout.yaxis.ticksuffix == "%"
    assert (
        figure.layout.annotations[0].text
        == "Unadjusted limits:<br>3 points, too few to estimate overdispersion"
    )


def test_ratio_figure_draws_the_ratio_against_the_expected_count():
    frame = ratios()
    funnel = build_funnel(frame, "isr", 1.0, 1, "auto")
    figure = funnel_figure(funnel_table(frame, funnel), funnel, x_title="Expected count")
    assert figure.data[0].name == "Ratio of 1 (as expected)"
    assert set(figure.data[0].y) == {1.0}
    points = [trace for trace in figure.data if trace.mode == "markers"]
    assert sorted(y for trace in points for y in trace.y) == sorted(frame["isr"])
    assert sorted(x for trace in points for x in trace.x) == sorted(frame["expected"])


def test_every_colour_is_its_position_colour():
    funnel = build_funnel(proportions(), "proportion", 50.0, 100, "unadjusted")
    table = funnel_table(proportions(), funnel)
    figure = funnel_figure(table, funnel)
    for trace in figure.data[5:]:
        position = next(key for key, (label, _, _) in POSITIONS.items() if label == trace.name)
        assert trace.marker.color == POSITIONS[position][1]
        chosen = table[table["position"] == position]
        assert sorted(trace.y) == sorted(chosen["value"])


def test_log_axis_ticks_are_readable():
    assert log_ticks(40.0, 2200.0) == [50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0]
    assert log_ticks(8.0, 200000.0) == [10.0, 100.0, 1000.0, 10000.0, 100000.0]
    axis = size_axis(pd.Series([50.0, 2000.0]), "Denominator")
    assert axis["type"] == "log"
    assert axis["ticktext"] == ["50", "100", "200", "500", "1,000", "2,000"]
    assert size_axis(pd.Series([3000.0, 9000.0]), "Denominator")["type"] == "linear"


def test_curve_x_is_log_spaced_around_the_sizes():
    x = curve_x(pd.Series([50.0, 0.0, 2000.0]))
    assert (x[0], x[-1], len(x)) == pytest.approx((40.0, 2200.0, 100))
