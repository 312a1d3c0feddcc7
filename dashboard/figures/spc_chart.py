"""The Making Data Count SPC (XmR) chart of one monthly series.

Input: the series' `spc_points` (period_start, value, mean, lower_limit, upper_limit, rule,
point_type). The chart shows the values as an NHS grey line whose markers are coloured by
point type (blue improvement, orange concern, purple neutral, grey common cause), the mean
(solid), the process limits (dashed) and the target (red, dotted). Each point's hover text
names the special-cause rule that fired, or says "Common cause".
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme

RULE_TEXT = {
    "trend": "a trend of 7 points all rising or all falling",
    "two_in_three": "two of three points beyond two sigma, {side} the mean",
    "shift": "a run of 7 points {side} the mean",
}


def cause_text(rule: str | None, value: float, mean: float, upper: float) -> str:
    """Returns the hover sentence for one point: which special-cause rule fired, if any."""
    if not isinstance(rule, str):
        return "Common cause"
    side = "above" if value > mean else "below"
    if rule == "outside_limits":
        limit = "above the upper" if value > upper else "below the lower"
        return f"Special cause: a point {limit} process limit"
    return "Special cause: " + RULE_TEXT[rule].format(side=side)


def point_hovertext(row: dict) -> str:
    """Returns one point's hover text: month, value (or suppressed) and cause."""
    month = pd.Timestamp(row["period_start"]).strftime("%b %Y")
    if _missing(row["value"]):
        return f"{month}<br>Value suppressed (*) or not available"
    cause = cause_text(row["rule"], row["value"], row["mean"], row["upper_limit"])
    return f"{month}<br>Value {row['value']:,.2f}<br>{cause}"


def point_colour(point_type: str | None) -> str:
    """Returns the Making Data Count colour of a point type (grey for none)."""
    return theme.POINT_COLOURS.get(point_type, theme.GREY_2)


def spc_figure(points: pd.DataFrame, target: float | None = None, unit: str = "") -> go.Figure:
    """Returns the SPC chart of one series; suppressed months (NaN values) are gaps."""
    x = list(pd.to_datetime(points["period_start"]))
    traces = [
        _line("Mean", x, points["mean"], theme.GREY_1, "solid"),
        _line("Upper process limit", x, points["upper_limit"], theme.GREY_1, "dash"),
        _line("Lower process limit", x, points["lower_limit"], theme.GREY_1, "dash"),
    ]
    if not _missing(target):
        traces.append(_line("Target", [x[0], x[-1]], [target, target], theme.RED, "dot"))
    traces.append(_values(points, x))
    return go.Figure(data=traces, layout=_layout(unit))


def _values(points: pd.DataFrame, x: list) -> go.Scatter:
    return go.Scatter(
        name="Value",
        x=x,
        y=_nullable(points["value"]),
        mode="lines+markers",
        connectgaps=False,
        line={"color": theme.GREY_2, "width": 2},
        marker={"color": [point_colour(kind) for kind in points["point_type"]], "size": 8},
        hovertext=[point_hovertext(row) for row in points.to_dict("records")],
        hoverinfo="text",
    )


def _line(name: str, x: list, y, colour: str, dash: str) -> go.Scatter:
    return go.Scatter(
        name=name,
        x=x,
        y=_nullable(y),
        mode="lines",
        hoverinfo="skip",
        line={"color": colour, "dash": dash, "width": 1.5},
    )


def _layout(unit: str) -> dict:
    return theme.chart_layout(
        margin={"l": 60, "r": 20, "t": 20, "b": 40},
        height=380,
        yaxis={"title": {"text": unit}, "gridcolor": theme.GREY_4},
        xaxis={"gridcolor": theme.GREY_5},
        legend={"orientation": "h", "y": -0.15},
        hovermode="closest",
    )


def _nullable(values) -> list:
    """Plotly draws None as a gap; NaN is sent as null too, but say so explicitly."""
    return [None if _missing(value) else float(value) for value in values]


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA
