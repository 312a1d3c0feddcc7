"""The SPC chart builder: traces, colours, gaps, phases, change points, months left out of
the limits, the target kept off the process, and the hover text naming each rule."""

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
            "suppressed": [False, True, False, False],
        }
    )


def trace(figure, name):
    return next(item for item in figure.data if item.name == name)


def test_traces_in_drawing_order_with_the_values_on_top():
    figure = spc_figure(points(), target=20.0, unit="%")
    names = [item.name for item in figure.data]
    assert names == [
        "Mean",
        "Upper process limit",
        "Lower process limit",
        "Target",
        "Value",
        "Suppressed month (no value shown)",
    ]


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
        "Feb 2026<br>Suppressed (*): no value is shown",
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


def phased() -> pd.DataFrame:
    """Six months: a lead-in month, four in two phases, the last provisional; March is
    suppressed."""
    frame = points()
    extra = pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2026-05-01", "2026-06-01"]),
            "value": [40.0, 41.0],
            "mean": [40.0, 40.0],
            "lower_limit": [35.0, 35.0],
            "upper_limit": [45.0, 45.0],
            "rule": [None, None],
            "point_type": ["common_cause", "common_cause"],
            "suppressed": [False, False],
        }
    )
    frame = pd.concat([frame, extra], ignore_index=True)
    return frame.assign(
        value=[10.0, 12.0, math.nan, 5.0, 40.0, 41.0],
        suppressed=[False, False, True, False, False, False],
        phase=[0, 0, 0, 0, 1, 1],
        in_limits=[False, True, False, True, True, False],
        excluded_reason=["lead_in", None, "suppressed", None, None, "provisional"],
    )


def test_suppressed_month_is_a_gap_with_a_mark_below_the_data():
    figure = spc_figure(phased())
    value = trace(figure, "Value")
    assert list(value.y)[2] is None
    mark = trace(figure, "Suppressed month (no value shown)")
    assert [pd.Timestamp(x) for x in mark.x] == [pd.Timestamp("2026-03-01")]
    low = min(v for v in trace(figure, "Lower process limit").y if v is not None)
    assert list(mark.y) == [pytest.approx((figure.layout.yaxis.range[0] + low) / 2)]
    assert mark.hovertext == ("Mar 2026<br>Suppressed (*): no value is shown",)


def test_phases_break_the_mean_and_limits():
    mean = trace(spc_figure(phased()), "Mean")
    assert list(mean.y) == [15.0, 15.0, 15.0, 15.0, None, 40.0, 40.0]
    assert pd.Timestamp(mean.x[4]) == pd.Timestamp("2026-04-16")


def test_months_left_out_of_the_limits_are_hollow_and_named():
    figure = spc_figure(phased())
    lead_in = trace(figure, "Lead-in month (left out of the limits)")
    provisional = trace(figure, "Provisional month (left out of the limits)")
    assert (list(lead_in.y), list(provisional.y)) == ([10.0], [41.0])
    assert lead_in.marker.symbol == "circle-open"
    assert list(trace(figure, "Value").marker.size) == [0, 8, 8, 8, 8, 0]
    assert provisional.hovertext[0] == (
        "Jun 2026<br>Value 41.00<br>Provisional month (left out of the limits)"
    )


def test_change_points_are_vertical_lines_with_their_labels():
    changes = pd.DataFrame(
        {
            "month": pd.to_datetime(["2026-05-01", "2026-02-01"]),
            "label": ["New pathway", "Ward closed"],
            "recalculate": [True, False],
        }
    )
    figure = spc_figure(phased(), changes=changes)
    lines = [shape for shape in figure.layout.shapes if shape.type == "line"]
    assert [pd.Timestamp(line.x0) for line in lines] == [
        pd.Timestamp("2026-04-16"),
        pd.Timestamp("2026-01-17"),
    ]
    texts = [note.text for note in figure.layout.annotations]
    assert texts == ["New pathway", "Ward closed (limits kept)"]


def test_a_far_target_is_an_arrow_at_the_edge_and_keeps_the_range_on_the_data():
    frame = points().assign(value=[70.0, 71.0, 72.0, 70.5], mean=71.0, lower_limit=68.0,
                            upper_limit=74.0)  # fmt: skip
    figure = spc_figure(frame, target=95.0, unit="% of the register")
    assert "Target" not in [item.name for item in figure.data]
    low, high = figure.layout.yaxis.range
    assert 60 < low < 68 and 74 < high < 80
    arrow = figure.layout.annotations[-1]
    assert arrow.text == "Target 95% ↑" and arrow.yref == "paper" and arrow.y == 1
    near = spc_figure(frame, target=75.0, unit="% of the register")
    assert "Target" in [item.name for item in near.data]
    assert near.layout.yaxis.range[1] > 75


def test_the_axis_range_comes_from_unsuppressed_values_only():
    frame = phased().assign(value=[10.0, 12.0, 500.0, 5.0, 40.0, 41.0])
    figure = spc_figure(frame)
    assert list(trace(figure, "Value").y)[2] is None
    low, high = figure.layout.yaxis.range
    assert high < 60  # the suppressed 500 neither drawn nor used for the range


def test_the_trajectory_is_a_dashed_labelled_line_that_may_run_past_the_data():
    plan = {pd.Timestamp("2026-03-01").date(): 12.0, pd.Timestamp("2026-06-01").date(): 14.5}
    figure = spc_figure(points(), target=20.0, trajectory=plan)
    line = trace(figure, "Trajectory (planned)")
    assert [pd.Timestamp(x) for x in line.x] == [
        pd.Timestamp("2026-03-01"),
        pd.Timestamp("2026-06-01"),
    ]
    assert list(line.y) == [12.0, 14.5] and line.line.dash == "dash"
    assert line.line.color == theme.NHS_DARK_BLUE
    label = next(note for note in figure.layout.annotations if note.text == "Trajectory")
    assert pd.Timestamp(label.x) == pd.Timestamp("2026-06-01") and label.y == 14.5
    # The target line runs to the trajectory's last month, past the last value.
    assert pd.Timestamp(trace(figure, "Target").x[-1]) == pd.Timestamp("2026-06-01")
    assert "Trajectory (planned)" not in [item.name for item in spc_figure(points()).data]
