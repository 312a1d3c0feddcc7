"""Sparklines: pixel coordinates, gaps, the last point's colour and the text alternative."""

from __future__ import annotations

import base64
import math

import pandas as pd

from dashboard import theme
from dashboard.figures.sparkline import (
    sparkline_alt,
    sparkline_coordinates,
    sparkline_src,
    sparkline_svg,
)


def series(values, last_type="improvement") -> pd.DataFrame:
    months = pd.date_range("2026-01-01", periods=len(values), freq="MS")
    types = ["common_cause"] * (len(values) - 1) + [last_type]
    return pd.DataFrame({"period_start": months, "value": values, "point_type": types})


def test_coordinates_span_the_box_and_break_at_a_gap():
    # width 120, height 32, padding 3: x step (120 - 6) / 3 = 38; y from 29 (min) to 3 (max)
    runs = sparkline_coordinates(series([1.0, 2.0, math.nan, 3.0]))
    assert runs == [[(3.0, 29.0), (41.0, 16.0)], [(117.0, 3.0)]]


def test_a_flat_series_sits_at_mid_height():
    assert sparkline_coordinates(series([5.0, 5.0])) == [[(3.0, 16.0), (117.0, 16.0)]]


def test_svg_draws_each_run_and_colours_the_last_point():
    svg = sparkline_svg(series([1.0, 2.0, math.nan, 3.0], last_type="concern"))
    assert svg.count("<polyline") == 2
    assert 'points="3,29 41,16"' in svg
    assert f'<circle cx="117" cy="3" r="3" fill="{theme.ORANGE}"/>' in svg


def test_no_last_point_when_the_last_month_is_suppressed():
    assert "<circle" not in sparkline_svg(series([1.0, 2.0, math.nan]))


def test_src_is_the_svg_as_a_data_uri():
    points = series([1.0, 2.0])
    prefix = "data:image/svg+xml;base64,"
    src = sparkline_src(points)
    assert src.startswith(prefix)
    assert base64.b64decode(src[len(prefix) :]).decode() == sparkline_svg(points)


def test_alt_text_names_the_span_and_the_first_and_last_values():
    points = series([math.nan, 12.345, 20.0, math.nan])
    assert sparkline_alt(points) == "Trend Feb 2026 to Mar 2026: from 12.3 to 20.0"
    assert sparkline_alt(series([math.nan])) == "Trend: no values to show"
