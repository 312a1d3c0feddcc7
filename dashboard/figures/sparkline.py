"""Sparklines: a tiny trend line of a monthly series, as an SVG image for a table cell.

A board table has one sparkline per metric and area (20 to 50 of them). One plotly graph
per cell would take several milliseconds each to build and far longer to draw, so a
sparkline is a small self-contained SVG (a grey polyline, the last point coloured by its
Making Data Count point type) returned as a data URI for an `html.Img`, whose alt text
(`sparkline_alt`) is the text alternative. Suppressed months break the line.
"""

from __future__ import annotations

import base64

import pandas as pd

from dashboard import theme

WIDTH, HEIGHT, PAD = 120, 32, 3


def sparkline_coordinates(points: pd.DataFrame) -> list[list[tuple[float, float]]]:
    """Returns the line's runs of (x, y) pixel coordinates, one run per unbroken stretch.

    Points are spread evenly across the width (x from PAD to WIDTH - PAD) and scaled
    between the series' minimum (bottom) and maximum (top); a flat series sits mid-height.
    """
    values = [None if pd.isna(value) else float(value) for value in points["value"].tolist()]
    present = [value for value in values if value is not None]
    low, high = (min(present), max(present)) if present else (0.0, 0.0)
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    runs, run = [], []
    for index, value in enumerate(values):
        if value is None:
            runs, run = runs + ([run] if run else []), []
            continue
        share = 0.5 if high == low else (value - low) / (high - low)
        y = HEIGHT - PAD - share * (HEIGHT - 2 * PAD)
        run.append((round(PAD + index * step, 2), round(y, 2)))
    return runs + ([run] if run else [])


def sparkline_svg(points: pd.DataFrame) -> str:
    """Returns the SVG text of a sparkline for points (period_start, value, point_type)."""
    runs = sparkline_coordinates(points)
    lines = "".join(
        f'<polyline points="{_points_text(run)}" fill="none" stroke="{theme.GREY_1}" '
        'stroke-width="1.5"/>'
        for run in runs
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}">{lines}{_last_point(points, runs)}</svg>'
    )


def sparkline_src(points: pd.DataFrame) -> str:
    """Returns the sparkline as a data URI for an html.Img `src`."""
    return "data:image/svg+xml;base64," + base64.b64encode(sparkline_svg(points).encode()).decode()


def sparkline_alt(points: pd.DataFrame, formatter=lambda value: f"{value:,.1f}") -> str:
    """Returns the text alternative: the span of months and the first and last values."""
    shown = [
        (start, value)
        for start, value in zip(
            points["period_start"].tolist(), points["value"].tolist(), strict=True
        )
        if not pd.isna(value)
    ]
    if not shown:
        return "Trend: no values to show"
    (first_month, first), (last_month, last) = shown[0], shown[-1]
    return (
        f"Trend {pd.Timestamp(first_month):%b %Y} to {pd.Timestamp(last_month):%b %Y}: "
        f"from {formatter(first)} to {formatter(last)}"
    )


def _last_point(points: pd.DataFrame, runs: list) -> str:
    values, kinds = points["value"].tolist(), points["point_type"].tolist()
    if not runs or pd.isna(values[-1]):
        return ""
    x, y = runs[-1][-1]
    colour = theme.POINT_COLOURS.get(kinds[-1], theme.GREY_2)
    return f'<circle cx="{x:g}" cy="{y:g}" r="3" fill="{colour}"/>'


def _points_text(run: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:g},{y:g}" for x, y in run)
