"""The spine chart: Fingertips normalisation, bands, markers and comparison colours."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard import theme
from dashboard.figures.spine import spine_chart, spine_positions

ROWS = pd.DataFrame(
    [
        # higher is better: system 50; furthest value is the minimum, 30 (20 away)
        ("Care plans", 50.0, False, 30.0, 45.0, 55.0, 60.0, 58.0, 52.0, 48.0, "better"),
        # lower is better: system 10; furthest is the maximum, 14 (4 away); flipped
        ("Admissions", 10.0, True, 8.0, 9.0, 11.0, 14.0, 12.0, 11.0, 10.0, "worse"),
        # practice suppressed: no practice marker
        ("Immunisation", 90.0, False, 85.0, 88.0, 92.0, 95.0, math.nan, 91.0, 89.0, "suppressed"),
    ],
    columns=[
        "label",
        "system",
        "flip",
        "minimum",
        "q25",
        "q75",
        "maximum",
        "practice",
        "network",
        "locality",
        "practice_comparison",
    ],
)


def test_positions_centre_the_system_and_put_the_furthest_value_at_the_edge():
    rows = spine_positions(ROWS).set_index("label")
    assert rows.loc[
        "Care plans",
        [
            "minimum_pos",
            "q25_pos",
            "q75_pos",
            "maximum_pos",
            "practice_pos",
            "network_pos",
            "locality_pos",
        ],
    ].tolist() == (pytest.approx([-1.0, -0.25, 0.25, 0.5, 0.4, 0.1, -0.1]))


def test_lower_is_better_rows_are_flipped_so_better_is_right():
    rows = spine_positions(ROWS).set_index("label")
    assert rows.loc["Admissions", ["minimum_pos", "maximum_pos", "practice_pos"]].tolist() == (
        pytest.approx([0.5, -1.0, -0.5])
    )


def test_a_row_equal_to_the_system_sits_at_zero():
    flat = ROWS.iloc[:1].assign(
        minimum=50.0, q25=50.0, q75=50.0, maximum=50.0, practice=50.0, network=50.0, locality=50.0
    )
    assert spine_positions(flat)["maximum_pos"].tolist() == [0.0]


def test_bands_run_from_the_left_edge_with_widths():
    figure = spine_chart(ROWS)
    full, middle = figure.data[0], figure.data[1]
    assert (full.name, full.marker.color) == ("Range of practices", theme.GREY_4)
    assert (middle.name, middle.marker.color) == ("25th to 75th percentile", theme.GREY_2)
    assert list(full.base) == pytest.approx([-1.0, -1.0, -1.0])
    assert list(full.x) == pytest.approx([1.5, 1.5, 2.0])
    assert list(middle.base) == pytest.approx([-0.25, -0.25, -0.4])
    assert full.customdata.tolist() == [[30.0, 60.0], [8.0, 14.0], [85.0, 95.0]]


def test_practice_marker_is_coloured_by_its_comparison_and_absent_when_suppressed():
    practice = spine_chart(ROWS).data[2]
    assert practice.name == "Practice"
    assert list(practice.marker.color) == [theme.GREEN, theme.RED, theme.GREY_4]
    assert list(practice.x[:2]) == pytest.approx([0.4, -0.5]) and math.isnan(practice.x[2])


def test_network_and_locality_markers_and_the_centre_line():
    figure = spine_chart(ROWS)
    network, locality = figure.data[3], figure.data[4]
    assert (network.name, network.marker.symbol) == ("Network", "diamond")
    assert (locality.name, locality.marker.symbol) == ("Locality", "square")
    assert list(network.customdata) == [52.0, 11.0, 91.0]
    line = figure.layout.shapes[0]
    assert (line.x0, line.x1, line.yref) == (0, 0, "paper")
    assert list(figure.data[0].y) == ["Care plans", "Admissions", "Immunisation"]
    assert list(figure.layout.yaxis.range) == [2.5, -0.5]  # first row at the top


def test_the_practice_interval_is_a_whisker_on_the_same_scale():
    rows = ROWS.assign(practice_lower=[56.0, 11.0, math.nan], practice_upper=[60.0, 13.0, math.nan])
    positions = spine_positions(rows).set_index("label")
    # Care plans: scale 20 (the minimum, 30): 56 -> 0.3, 60 -> 0.5, practice 58 -> 0.4
    assert positions.loc["Care plans", ["practice_lower_pos", "practice_upper_pos"]].tolist() == (
        pytest.approx([0.3, 0.5])
    )
    whisker = spine_chart(rows).data[2].error_x
    assert list(whisker.array[:2]) == pytest.approx([0.1, 0.25])
    assert list(whisker.arrayminus[:2]) == pytest.approx([0.1, 0.25])


def test_title_and_configured_level_names():
    title = theme.chart_title("Practice profile: Abbey (X10017)", "12 months to October 2026")
    figure = spine_chart(ROWS, title, {"network": "PCN", "locality": "Place"})
    assert figure.layout.title.text == "Practice profile: Abbey (X10017)"
    assert [trace.name for trace in figure.data[3:5]] == ["PCN", "Place"]
