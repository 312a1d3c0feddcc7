"""The ranked bar chart: order, error bars, colours by the published verdict (one trace per
verdict, named in the legend), benchmark line, suppressed orgs."""

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
            "comparison_998": ["similar", "similar", "suppressed", "worse"],
        }
    )


def bars(figure) -> dict:
    """Each bar's (value, lower error, upper error, colour, hover), by org label."""
    found = {}
    for trace in figure.data:
        for i, label in enumerate(trace.y):
            found[label] = (
                trace.x[i],
                trace.error_x.arrayminus[i],
                trace.error_x.array[i],
                trace.marker.color,
                trace.hovertext[i],
            )
    return found


def test_bars_run_lowest_to_highest_without_suppressed_orgs():
    figure = ranked_bar_figure(orgs(), benchmark=18.0)
    assert {trace.orientation for trace in figure.data} == {"h"}
    assert list(figure.layout.yaxis.categoryarray) == ["Bravo", "Alpha", "Delta"]
    assert {label: bar[0] for label, bar in bars(figure).items()} == {
        "Bravo": 10.0,
        "Alpha": 20.0,
        "Delta": 30.0,
    }


def test_error_bars_are_the_95_percent_interval():
    found = bars(ranked_bar_figure(orgs(), benchmark=18.0))
    errors = [value for name in ("Bravo", "Alpha", "Delta") for value in found[name][1:3]]
    assert errors == pytest.approx([3.0, 2.0, 2.0, 3.0, 2.5, 1.0])


def test_bars_coloured_by_comparison_one_named_trace_each():
    figure = ranked_bar_figure(orgs(), benchmark=18.0)
    assert [trace.name for trace in figure.data] == [
        "Better (95%)",
        "Similar (95%)",
        "Worse (95%)",
    ]
    found = bars(figure)
    assert [found[name][3] for name in ("Bravo", "Alpha", "Delta")] == [
        theme.GREEN,
        theme.AMBER,
        theme.RED,
    ]


def test_benchmark_line_and_highlight():
    figure = ranked_bar_figure(orgs(), benchmark=18.0, highlight="A", benchmark_name="Ratio of 1")
    line = figure.layout.shapes[0]
    assert (line.x0, line.x1, line.yref) == (18.0, 18.0, "paper")
    assert figure.layout.annotations[0].text == "Ratio of 1: 18.00"
    assert list(figure.layout.yaxis.categoryarray) == ["Bravo", "▶ Alpha", "Delta"]
    assert bars(figure)["Bravo"][4] == (
        "Bravo (B)<br>10.00 (95% CI 7.00 to 12.00)<br>better at 95%; similar at 99.8%"
    )


def test_no_benchmark_line_without_a_benchmark():
    assert ranked_bar_figure(orgs(), benchmark=None).layout.shapes == ()
