"""The SPC chart builder: traces, colours, gaps and the hover text naming each rule."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard import theme
from dashboard.figures.spc_chart import cause_text, spc_figure


def points() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period_start": pd.to_datetime(
                ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]
            ),
            "value": [10.0, math.nan, 30.0, 5.0],
            "mean": [15.0] * 4,
            "lower_limit": [1.0] * 4,
            "upper_limit": [28.0] * 4,
            "rule": [None, None, "outside_limits", "shift"],
            "point_type": ["common_cause", None, "concern", "improvement"],
        }
    )


def trace(figure, name):
    return next(item for item in figure.data if item.name == name)


def test_traces_in_drawing_order_with_the_values_on_top():
    figure = spc_figure(points(), target=20.0, unit="%")
    names = [item.name for item in figure.data]
    assert names == ["Mean", "Upper process limit", "Lower process limit", "Target", "Value"]


def test_values_leave_a_gap_for_a_suppressed_month_and_are_coloured_by_point_type():
    value = trace(spc_figure(points()), "Value")
    assert list(value.y) == [10.0, None, 30.0, 5.0]
    assert value.connectgaps is False
    assert list(value.marker.color) == [theme.GREY_2, theme.GREY_2, theme.ORANGE, theme.LIGHT_BLUE]
    assert value.line.color == theme.GREY_2
    assert [pd.Timestamp(x) for x in value.x] == list(points()["period_start"])


def test_mean_limits_and_target_lines():
    figure = spc_figure(points(), target=20.0)
    assert list(trace(figure, "Mean").y) == [15.0] * 4
    assert list(trace(figure, "Upper process limit").y) == [28.0] * 4
    assert list(trace(figure, "Lower process limit").y) == [1.0] * 4
    assert trace(figure, "Upper process limit").line.dash == "dash"
    target = trace(figure, "Target")
    assert list(target.y) == [20.0, 20.0]
    assert [pd.Timestamp(x) for x in target.x] == [
        pd.Timestamp("2026-01-01"),
        pd.Timestamp("2026-04-01"),
    ]
    assert target.line.color == theme.RED


def test_no_target_line_without_a_target():
    for target in (None, math.nan):
        names = [item.name for item in spc_figure(points(), target=target).data]
        assert "Target" not in names


def test_hover_text_names_the_rule_that_fired():
    value = trace(spc_figure(points()), "Value")
    assert list(value.hovertext) == [
        "Jan 2026<br>Value 10.00<br>Common cause",
        "Feb 2026<br>Value suppressed (*) or not available",
        "Mar 2026<br>Value 30.00<br>Special cause: a point above the upper process limit",
        "Apr 2026<br>Value 5.00<br>Special cause: a run of 7 points below the mean",
    ]


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        (None, 12.0, "Common cause"),
        ("outside_limits", 0.5, "Special cause: a point below the lower process limit"),
        ("shift", 16.0, "Special cause: a run of 7 points above the mean"),
        (
            "two_in_three",
            25.0,
            "Special cause: two of three points beyond two sigma, above the mean",
        ),
        ("trend", 14.0, "Special cause: a trend of 7 points all rising or all falling"),
    ],
)
def test_cause_text(rule, value, expected):
    assert cause_text(rule, value, mean=15.0, upper=28.0) == expected
