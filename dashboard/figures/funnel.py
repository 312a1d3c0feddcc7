"""The funnel plot: each org's value against its size, with 95% and 99.8% control limits.

Limits (Spiegelhalter 2005, as in PHE's funnel plot tools) come from `metrics.stats`, by the
indicator's method:

- **proportion**: `funnel_limits_proportion` around the benchmark proportion at each
  denominator (values are on the indicator's scale, e.g. a percentage, so the benchmark is
  divided by the multiplier and the limits multiplied back).
- **rate, ratio, DSR** (Poisson counts): `funnel_limits_ratio` at the count expected at the
  benchmark, E = benchmark × denominator / scale, times the benchmark. The scale turns a
  count per denominator into the published value (multiplier and annualisation); it is the
  median over the orgs of value × denominator / numerator. For a DSR this treats the rate as
  crude, an approximation that ignores differences in age structure.
- **mean**: normal limits, benchmark ± z × s / √n, with s the median of the orgs' standard
  deviations recovered from their 95% intervals.

Counts and other methods get no limits. The x axis is the denominator in every case.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy import stats as scipy_stats

from dashboard import theme
from metrics import stats

FAMILIES = {
    "proportion": "proportion",
    "rate": "poisson",
    "ratio": "poisson",
    "dsr": "poisson",
    "isr": "poisson",
    "mean": "normal",
}
LIMIT_COLUMNS = {
    0.998: ("lower_998_limit", "upper_998_limit"),
    0.95: ("lower_95_limit", "upper_95_limit"),
}
LIMIT_DASH = {0.998: "dash", 0.95: "dot"}
POSITION_COLUMNS = ["value", *LIMIT_COLUMNS[0.998], *LIMIT_COLUMNS[0.95]]
HOVER_COLUMNS = ["org_name", "org_code", "value", "denominator", "position", "comparison"]


def funnel_family(method: str) -> str | None:
    """Returns which limits a method takes: 'proportion', 'poisson', 'normal' or None."""
    return FAMILIES.get(method)


def funnel_scale(family: str, orgs: pd.DataFrame, multiplier: float) -> float:
    """Returns the family's scale: the multiplier (proportion), the count-to-value factor
    (poisson) or the pooled standard deviation (normal); NaN when the orgs cannot give it."""
    shown = orgs[orgs["value"].notna() & (orgs["denominator"] > 0)]
    if family == "proportion":
        return float(multiplier)
    if family == "poisson":
        counted = shown[shown["numerator"] > 0]
        factors = counted["value"] * counted["denominator"] / counted["numerator"]
        return float(factors.median()) if len(factors) else float("nan")
    z95 = scipy_stats.norm.ppf(0.975)
    spreads = (shown["upper_95"] - shown["lower_95"]) / (2 * z95) * np.sqrt(shown["denominator"])
    return float(spreads.median()) if len(spreads) else float("nan")


def funnel_limits(family: str, benchmark: float, n, conf: float, scale: float):
    """Returns (lower, upper) limit arrays at denominators n (see the module docstring)."""
    n = np.asarray(n, dtype=float)
    if family == "proportion":
        lower, upper = stats.funnel_limits_proportion(benchmark / scale, n, conf)
        return np.asarray(lower) * scale, np.asarray(upper) * scale
    if family == "poisson":
        lower, upper = stats.funnel_limits_ratio(benchmark * n / scale, conf)
        return np.asarray(lower) * benchmark, np.asarray(upper) * benchmark
    half = scipy_stats.norm.ppf(1 - (1 - conf) / 2) * scale / np.sqrt(n)
    return benchmark - half, benchmark + half


def funnel_table(
    orgs: pd.DataFrame, benchmark: float, method: str, multiplier: float, polarity: str
) -> pd.DataFrame:
    """Returns the orgs with each one's limits at its denominator (lower_95_limit,
    upper_95_limit, lower_998_limit, upper_998_limit), its position ('above
    99.8%', 'above 95%', 'within 95%', 'below 95%', 'below 99.8%') and comparison word
    (better/similar/worse, or higher/lower for no polarity). Suppressed orgs keep NaNs."""
    table = orgs.reset_index(drop=True).copy()
    family = funnel_family(method)
    ok = family is not None and pd.notna(benchmark)
    scale = funnel_scale(family, table, multiplier) if ok else float("nan")
    for conf, (lower_name, upper_name) in LIMIT_COLUMNS.items():
        lower, upper = (
            funnel_limits(family, benchmark, table["denominator"], conf, scale)
            if ok
            else (np.nan, np.nan)
        )
        table[lower_name], table[upper_name] = lower, upper
    table["position"] = [_position(row) for row in table[POSITION_COLUMNS].to_dict("records")]
    table["comparison"] = [_comparison(position, polarity) for position in table["position"]]
    return table


def _position(row: dict) -> str | None:
    value = row["value"]
    if pd.isna(value) or pd.isna(row["lower_95_limit"]):
        return None
    for bound, limit in (("above 99.8%", "upper_998_limit"), ("above 95%", "upper_95_limit")):
        if value > row[limit]:
            return bound
    for bound, limit in (("below 99.8%", "lower_998_limit"), ("below 95%", "lower_95_limit")):
        if value < row[limit]:
            return bound
    return "within 95%"


def _comparison(position: str | None, polarity: str) -> str:
    if not isinstance(position, str):
        return "not compared"
    if position == "within 95%":
        return "similar"
    above = position.startswith("above")
    words = {"higher": ("better", "worse"), "lower": ("worse", "better")}.get(
        polarity, ("higher", "lower")
    )
    return words[0] if above else words[1]


def curve_x(denominators: pd.Series) -> np.ndarray:
    """Returns the 100 denominators the limit curves are drawn at (log-spaced)."""
    shown = denominators[denominators > 0]
    return np.geomspace(max(shown.min() * 0.8, 1.0), shown.max() * 1.1, 100)


def funnel_figure(
    table: pd.DataFrame,
    benchmark: float,
    method: str,
    multiplier: float,
    units: str = "Organisations",
    highlight: str | None = None,
) -> go.Figure:
    """Returns the funnel plot of a `funnel_table`: limit curves, benchmark and points."""
    shown = table[table["value"].notna() & (table["denominator"] > 0)]
    traces = []
    family = funnel_family(method)
    if family is not None and pd.notna(benchmark) and len(shown):
        traces = _curves(family, benchmark, shown, multiplier)
    traces.append(_points(shown, units, highlight))
    return go.Figure(data=traces, layout=_layout())


def _curves(family: str, benchmark: float, shown: pd.DataFrame, multiplier: float) -> list:
    x = curve_x(shown["denominator"])
    scale = funnel_scale(family, shown, multiplier)
    traces = [_line("Benchmark", x, np.full(len(x), float(benchmark)), theme.NHS_BLACK, "solid")]
    for conf in LIMIT_COLUMNS:
        lower, upper = funnel_limits(family, benchmark, x, conf, scale)
        label = f"{conf * 100:g}%"
        traces.append(_line(f"{label} upper limit", x, upper, theme.GREY_1, LIMIT_DASH[conf]))
        traces.append(_line(f"{label} lower limit", x, lower, theme.GREY_1, LIMIT_DASH[conf]))
    return traces


def _points(shown: pd.DataFrame, units: str, highlight: str | None) -> go.Scatter:
    chosen = (shown["org_code"] == highlight).tolist()
    return go.Scatter(
        name=units,
        x=shown["denominator"].astype(float).tolist(),
        y=shown["value"].astype(float).tolist(),
        mode="markers",
        marker={
            "color": [
                theme.COMPARISON_COLOURS.get(word, theme.GREY_4) for word in shown["comparison"]
            ],
            "size": [14 if flag else 9 for flag in chosen],
            "line": {"color": theme.NHS_BLACK, "width": [3 if flag else 1 for flag in chosen]},
        },
        hovertext=[
            f"{row['org_name']} ({row['org_code']})<br>Value {row['value']:,.2f}<br>"
            f"Denominator {row['denominator']:,.0f}<br>{row['position']} ({row['comparison']})"
            for row in shown[HOVER_COLUMNS].to_dict("records")
        ],
        hoverinfo="text",
    )


def _line(name: str, x, y, colour: str, dash: str) -> go.Scatter:
    return go.Scatter(
        name=name,
        x=list(x),
        y=[float(v) for v in y],
        mode="lines",
        hoverinfo="skip",
        line={"color": colour, "dash": dash, "width": 1.5},
    )


def _layout() -> dict:
    return theme.chart_layout(
        margin={"l": 60, "r": 20, "t": 20, "b": 50},
        height=400,
        xaxis={"title": {"text": "Denominator"}, "type": "log", "gridcolor": theme.GREY_5},
        yaxis={"gridcolor": theme.GREY_4},
        legend={"orientation": "h", "y": -0.2},
        hovermode="closest",
    )
