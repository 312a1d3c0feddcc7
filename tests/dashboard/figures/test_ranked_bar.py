"""The ranked bar chart: order, error bars, colours, benchmark line, suppressed orgs."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard import theme
from dashboard.figures.ranked_bar import ranked_bar_figure


def orgs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "org_code": ["A", "B", "C", "D"],
            "org_name": ["Alpha", "Bravo", "Charlie", "Delta"],
            "value": [20.0, 10.0, math.nan, 30.0],
            "lower_95": [18.0, 7.0, math.nan, 27.5],
            "upper_95": [23.0, 12.0, math.nan, 31.0],
            "comparison": ["similar", "better", "suppressed", "worse"],
        }
    )


def test_bars_run_lowest_to_highest_without_suppressed_orgs():
    bar = ranked_bar_figure(orgs(), benchmark=18.0).data[0]
    assert bar.orientation == "h"
    assert list(bar.y) == ["Bravo", "Alpha", "Delta"]
    assert list(bar.x) == [10.0, 20.0, 30.0]


def test_error_bars_are_the_95_percent_interval():
    error = ranked_bar_figure(orgs(), benchmark=18.0).data[0].error_x
    assert list(error.array) == pytest.approx([2.0, 3.0, 1.0])
    assert list(error.arrayminus) == pytest.approx([3.0, 2.0, 2.5])


def test_bars_coloured_by_comparison():
    bar = ranked_bar_figure(orgs(), benchmark=18.0).data[0]
    assert list(bar.marker.color) == [theme.GREEN, theme.AMBER, theme.RED]


def test_benchmark_line_and_highlight():
    figure = ranked_bar_figure(orgs(), benchmark=18.0, highlight="A")
    line = figure.layout.shapes[0]
    assert (line.x0, line.x1, line.yref) == (18.0, 18.0, "paper")
    assert list(figure.data[0].y) == ["Bravo", "▶ Alpha", "Delta"]
    assert (
        figure.data[0].hovertext[0] == "Bravo (B)<br>Value 10.00 (95% CI 7.00 to 12.00)<br>better"
    )


def test_no_benchmark_line_without_a_benchmark():
    assert ranked_bar_figure(orgs(), benchmark=None).layout.shapes == ()
