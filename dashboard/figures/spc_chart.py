"""The Making Data Count SPC (XmR) chart of one monthly series.

Input: the series' `spc_points` (period_start, value, mean, lower_limit, upper_limit, rule,
point_type, suppressed, phase, in_limits, excluded_reason) and the change points publish
used (month, label, recalculate). The chart shows:

- the values as an NHS grey line whose markers are coloured by point type (blue
  improvement, orange concern, purple neutral, grey common cause);
- the mean (solid) and process limits (dashed) of each phase, broken at a change point
  that recalculates them, with a vertical line and label at every change point;
- months left out of the limits (a lead-in, or provisional months still being revised) as
  hollow markers named in the legend;
- suppressed months as gaps in the line, with a grey mark on the axis whose hover says
  "suppressed": no value, point, colour or axis range is derived from them;
- the target (red, dotted) when it lies near the data; a target far outside the data and
  limits is shown as a labelled arrow at the chart's edge, so it does not flatten the
  process;
- the trajectory, when one is set (dark blue, dashed, labelled "Trajectory"): the value
  planned for each month, which may run past the latest month.

The target and trajectory come from `dashboard.targets_live` (the targets in force now).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme

RULE_TEXT = {
    "trend": "a trend of 7 points all rising or all falling",
    "two_in_three": "two of three points beyond two sigma, {side} the mean",
    "shift": "a run of 7 points {side} the mean",
}
EXCLUDED = {  # excluded_reason: legend name (suppressed months are drawn as gaps)
    "lead_in": "Lead-in month (left out of the limits)",
    "provisional": "Provisional month (left out of the limits)",
}
TARGET_REACH = 0.5  # a target within half the data's span of it is drawn as a line
PADDING = 0.08


def cause_text(rule: str | None, value: float, mean: float, upper: float) -> str:
    """Returns the hover sentence for one point: which special-cause rule fired, if any."""
    if not isinstance(rule, str):
        return "Common cause"
    side = "above" if value > mean else "below"
    if rule == "outside_limits":
        limit = "above the upper" if value > upper else "below the lower"
        return f"Special cause: a point {limit} process limit"
    return "Special cause: " + RULE_TEXT[rule].format(side=side)


def point_hovertext(row: dict, percent: bool = False) -> str:
    """Returns one point's hover text: month, value (or suppressed) and cause."""
    month = pd.Timestamp(row["period_start"]).strftime("%b %Y")
    if _missing(row["value"]):
        hidden = bool(row.get("suppressed", True))
        return f"{month}<br>" + ("Suppressed (*): no value is shown" if hidden else "No value")
    value = f"{row['value']:,.2f}{'%' if percent else ''}"
    reason = row.get("excluded_reason")
    if reason in EXCLUDED:
        return f"{month}<br>Value {value}<br>{EXCLUDED[reason]}"
    cause = cause_text(row["rule"], row["value"], row["mean"], row["upper_limit"])
    return f"{month}<br>Value {value}<br>{cause}"


def point_colour(point_type: str | None) -> str:
    """Returns the Making Data Count colour of a point type (grey for none)."""
    return theme.POINT_COLOURS.get(point_type, theme.GREY_2)


def spc_figure(
    points: pd.DataFrame,
    target: float | None = None,
    unit: str = "",
    changes: pd.DataFrame | None = None,
    title: dict | None = None,
    trajectory: Mapping | None = None,
) -> go.Figure:
    """Returns the SPC chart of one series (see the module docstring); `trajectory` maps
    months to planned values."""
    points = _with_defaults(points.reset_index(drop=True))
    percent = unit.startswith("%")
    x = list(pd.to_datetime(points["period_start"]))
    low, high = value_range(points)
    planned = _planned(trajectory)
    if planned:
        low, high = min(low, *planned.values()), max(high, *planned.values())
        x_ends = [min(x[0], *planned), max(x[-1], *planned)] if x else [min(planned), max(planned)]
    else:
        x_ends = [x[0], x[-1]] if x else []
    target_drawn = not _missing(target) and _near(float(target), low, high)
    if target_drawn:
        low, high = min(low, target), max(high, target)
    y_range = _padded(low, high)
    traces = [
        _phase_line("Mean", x, points, "mean", "solid"),
        _phase_line("Upper process limit", x, points, "upper_limit", "dash"),
        _phase_line("Lower process limit", x, points, "lower_limit", "dash"),
    ]
    if target_drawn:
        traces.append(_line("Target", x_ends, [target, target], theme.RED, "dot"))
    if planned:
        traces.append(_trajectory(planned, percent))
    traces.append(_values(points, x, percent))
    traces += _excluded(points, x, percent)
    traces += _suppressed(points, x, (y_range[0] + low) / 2)
    layout = _layout(unit, y_range, percent)
    layout["shapes"], layout["annotations"] = _change_marks(changes)
    if not _missing(target) and not target_drawn:
        layout["annotations"].append(_target_arrow(float(target), high, percent))
    if planned:
        layout["annotations"].append(_trajectory_label(planned))
    if title:
        layout.update(title=title, margin={**layout["margin"], "t": 110})
    return go.Figure(data=traces, layout=layout)


def _planned(trajectory: Mapping | None) -> dict:
    """The trajectory as {Timestamp: float}, in month order, without missing values."""
    items = (trajectory or {}).items()
    planned = {pd.Timestamp(month): float(v) for month, v in items if not _missing(v)}
    return dict(sorted(planned.items()))


def _trajectory(planned: dict, percent: bool) -> go.Scatter:
    suffix = "%" if percent else ""
    return go.Scatter(
        name="Trajectory (planned)",
        x=list(planned),
        y=list(planned.values()),
        mode="lines+markers",
        line={"color": theme.NHS_DARK_BLUE, "dash": "dash", "width": 2},
        marker={"symbol": "diamond-open", "size": 7, "color": theme.NHS_DARK_BLUE},
        hovertext=[f"{m:%b %Y}<br>Planned {v:,.4g}{suffix}" for m, v in planned.items()],
        hoverinfo="text",
    )


def _trajectory_label(planned: dict) -> dict:
    month, value = list(planned.items())[-1]
    return {
        "x": month,
        "y": value,
        "text": "Trajectory",
        "xanchor": "left",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": 11, "color": theme.NHS_DARK_BLUE},
    }


def value_range(points: pd.DataFrame) -> tuple[float, float]:
    """Returns the lowest and highest of the unsuppressed values, means and limits."""
    shown = points[~points["suppressed"].fillna(False).astype(bool)]
    columns = [shown[name] for name in ("value", "mean", "lower_limit", "upper_limit")]
    numbers = pd.concat(columns).dropna().astype(float)
    return (0.0, 1.0) if numbers.empty else (float(numbers.min()), float(numbers.max()))


def _near(target: float, low: float, high: float) -> bool:
    reach = TARGET_REACH * max(high - low, abs(high) * 0.05, 1e-9)
    return low - reach <= target <= high + reach


def _padded(low: float, high: float) -> list[float]:
    span = max(high - low, abs(high) * 0.02, 1e-9)
    return [low - PADDING * span, high + PADDING * span]


def _with_defaults(points: pd.DataFrame) -> pd.DataFrame:
    """Defaults for a snapshot before phases and exclusions were published (one phase,
    every unsuppressed point in the limits); a suppressed month never keeps a value."""
    defaults = {"phase": 0, "in_limits": True, "excluded_reason": None, "suppressed": False}
    for column, value in defaults.items():
        if column not in points:
            points[column] = value
    hidden = points["suppressed"].fillna(False).astype(bool)
    return points.assign(suppressed=hidden, value=points["value"].where(~hidden))


def _values(points: pd.DataFrame, x: list, percent: bool) -> go.Scatter:
    excluded = points["excluded_reason"].isin(list(EXCLUDED)).tolist()
    return go.Scatter(
        name="Value",
        x=x,
        y=_nullable(points["value"]),
        mode="lines+markers",
        connectgaps=False,
        line={"color": theme.GREY_2, "width": 2},
        marker={
            "color": [point_colour(kind) for kind in points["point_type"]],
            "size": [0 if flag else 8 for flag in excluded],
        },
        hovertext=[point_hovertext(row, percent) for row in points.to_dict("records")],
        hoverinfo="text",
    )


def _excluded(points: pd.DataFrame, x: list, percent: bool) -> list:
    traces = []
    for reason, name in EXCLUDED.items():
        chosen = (points["excluded_reason"] == reason) & points["value"].notna()
        if not chosen.any():
            continue
        rows = points[chosen]
        traces.append(
            go.Scatter(
                name=name,
                x=[x[i] for i in rows.index],
                y=_nullable(rows["value"]),
                mode="markers",
                marker={
                    "symbol": "circle-open",
                    "size": 10,
                    "color": theme.GREY_1,
                    "line": {"width": 2},
                },
                hovertext=[point_hovertext(row, percent) for row in rows.to_dict("records")],
                hoverinfo="text",
            )
        )
    return traces


def _suppressed(points: pd.DataFrame, x: list, bottom: float) -> list:
    """A mark near the axis for each suppressed month: its hover says so; its height is in
    the padding below the unsuppressed data, so it carries nothing about the hidden value."""
    rows = points[points["suppressed"]]
    if rows.empty:
        return []
    return [
        go.Scatter(
            name="Suppressed month (no value shown)",
            x=[x[i] for i in rows.index],
            y=[bottom] * len(rows),
            mode="markers",
            marker={"symbol": "x-thin", "size": 10, "color": theme.GREY_2, "line": {"width": 2}},
            hovertext=[
                f"{pd.Timestamp(month):%b %Y}<br>Suppressed (*): no value is shown"
                for month in rows["period_start"]
            ],
            hoverinfo="text",
            cliponaxis=False,
        )
    ]


def _phase_line(name: str, x: list, points: pd.DataFrame, column: str, dash: str):
    """A mean or limit line, broken (None) where the phase changes so that each phase's
    line stands alone."""
    xs, ys, previous = [], [], None
    for when, phase, value in zip(x, points["phase"], points[column], strict=True):
        if previous is not None and phase != previous:
            xs.append(when - pd.Timedelta(days=15))
            ys.append(None)
        xs.append(when)
        ys.append(None if _missing(value) else float(value))
        previous = phase
    return _line(name, xs, ys, theme.GREY_1, dash)


def _change_marks(changes: pd.DataFrame | None) -> tuple[list, list]:
    """Returns (shapes, annotations): a dashed vertical line half a month before each
    change point's month and its label, saying whether the limits were recalculated."""
    if changes is None or changes.empty:
        return [], []
    shapes, notes = [], []
    for row in changes.to_dict("records"):
        at = pd.Timestamp(row["month"]) - pd.Timedelta(days=15)
        shapes.append(
            {
                "type": "line",
                "x0": at,
                "x1": at,
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"color": theme.NHS_BLUE, "width": 1.5, "dash": "dashdot"},
            }
        )
        kept = "" if row["recalculate"] else " (limits kept)"
        notes.append(_label(at, f"{row['label']}{kept}"))
    return shapes, notes


def _label(at, text: str) -> dict:
    return {
        "x": at,
        "y": 1,
        "yref": "paper",
        "yanchor": "bottom",
        "xanchor": "left",
        "text": text,
        "showarrow": False,
        "font": {"size": 11, "color": theme.NHS_BLUE},
    }


def _target_arrow(target: float, high: float, percent: bool) -> dict:
    above = target > high
    text = f"Target {target:,.4g}{'%' if percent else ''} {'↑' if above else '↓'}"
    return {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 1,
        "y": 1 if above else 0,
        "xanchor": "right",
        "yanchor": "top" if above else "bottom",
        "showarrow": False,
        "bgcolor": theme.NHS_WHITE,
        "bordercolor": theme.RED,
        "hovertext": (
            f"The target lies {'above' if above else 'below'} every value and limit, so it is "
            "marked here rather than drawn as a line that would flatten the process."
        ),
        "font": {"color": theme.RED, "size": 12},
    }


def _line(name: str, x: list, y, colour: str, dash: str) -> go.Scatter:
    return go.Scatter(
        name=name,
        x=x,
        y=_nullable(y),
        mode="lines",
        hoverinfo="skip",
        connectgaps=False,
        line={"color": colour, "dash": dash, "width": 1.5},
    )


def axis_title(unit: str, width: int = 28) -> str:
    """Returns a unit as an axis title, broken over lines of about `width` characters so
    that a long unit does not run past the chart."""
    return theme.wrap_label(unit, width)


def theme_legend() -> dict:
    """A horizontal legend at the bottom of the figure (the container, not the plot), so
    that on a phone its rows push the plot up instead of covering the axis title."""
    return {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0}


def _layout(unit: str, y_range: list[float], percent: bool) -> dict:
    title = {"text": axis_title(unit), "font": {"size": 12}}
    yaxis = {"title": title, "gridcolor": theme.GREY_4, "range": y_range}
    if percent:
        yaxis["ticksuffix"] = "%"
    return theme.chart_layout(
        margin={"l": 90, "r": 20, "t": 40, "b": 40},
        height=440,
        yaxis=yaxis,
        xaxis={"gridcolor": theme.GREY_5},
        legend=theme_legend(),
        hovermode="closest",
    )


def _nullable(values) -> list:
    """Plotly draws None as a gap; NaN is sent as null too, but say so explicitly."""
    return [None if _missing(value) else float(value) for value in values]


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA
