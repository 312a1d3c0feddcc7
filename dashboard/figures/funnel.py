"""The funnel plot: each org's value against its size, with 95% and 99.8% control limits,
unadjusted or adjusted for overdispersion.

What is drawn depends on what the page's verdicts compare (the family):

- **isr** (an indirectly standardised indicator compared with the whole system): the ratio
  observed/expected against the expected count, around 1. Unadjusted limits are exact
  Poisson (`metrics.stats.funnel_limits_ratio`, as PHE and Spiegelhalter 2005).
- **poisson** (a crude rate, ratio or DSR against a benchmark): the value against its
  denominator. The expected count at the benchmark is E = benchmark × denominator / scale,
  where the scale turns a count per denominator into the published value (the median over
  the orgs of value × denominator / numerator); limits are the ratio limits at E times the
  benchmark. For a DSR this treats the rate as crude, an approximation.
- **proportion**: PHE's limits around the benchmark proportion (`funnel_limits_proportion`)
  on the indicator's scale (a percentage).
- **normal** (a mean): benchmark ± z × s / √n, s the median of the orgs' standard
  deviations recovered from their 95% intervals.

Adjusted limits follow Spiegelhalter (2005) with winsorised z-scores and an additive
random effect τ² (`metrics.overdispersion`): on the square-root scale for ratios and rates,
the arcsine square-root scale for proportions, the value's own scale for means. "auto"
draws them when the χ² test of kφ on k − 1 degrees of freedom finds φ > 1; with fewer than 10
orgs (`MINIMUM_UNITS`) the limits stay unadjusted, since φ cannot be estimated. Points are
coloured by where they fall against the limits drawn: a position, not a verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy import stats as scipy_stats

from dashboard import theme
from dashboard.figures.spc_chart import axis_title, theme_legend
from metrics import overdispersion, stats

FAMILIES = {
    "proportion": "proportion",
    "rate": "poisson",
    "ratio": "poisson",
    "dsr": "poisson",
    "isr": "poisson",
    "mean": "normal",
}
MINIMUM_UNITS = 10  # fewer points give no usable estimate of φ and τ² (project rule)
LIMIT_CHOICES = {
    "auto": "Adjusted when overdispersion is significant",
    "adjusted": "Adjusted for overdispersion",
    "unadjusted": "Unadjusted",
}
LIMIT_COLUMNS = {
    0.998: ("lower_998_limit", "upper_998_limit"),
    0.95: ("lower_95_limit", "upper_95_limit"),
}
LIMIT_DASH = {0.998: "dash", 0.95: "dot"}
POSITIONS = {  # position: (legend label, colour, marker symbol), in legend order
    "above 99.8%": ("Above the 99.8% limit", theme.NHS_DARK_BLUE, "triangle-up"),
    "above 95%": ("Between the 95% and 99.8% limits, above", theme.LIGHT_BLUE, "triangle-up"),
    "within 95%": ("Within the 95% limits", theme.GREY_3, "circle"),
    "below 95%": ("Between the 95% and 99.8% limits, below", "#A00054", "triangle-down"),
    "below 99.8%": ("Below the 99.8% limit", theme.PURPLE, "triangle-down"),
}
UNADJUSTED_NAMES = {
    "isr": "exact Poisson",
    "poisson": "exact Poisson",
    "proportion": "binomial",
    "normal": "normal",
}


@dataclass(frozen=True)
class Funnel:
    """How one funnel's limits are drawn: the family, the centre line (the benchmark, or 1
    for a ratio), the family's scale, the overdispersion estimated from the orgs shown and
    whether the drawn limits are adjusted for it."""

    family: str
    centre: float
    scale: float
    dispersion: overdispersion.Overdispersion
    adjusted: bool

    def limits(self, x, conf: float) -> tuple[np.ndarray, np.ndarray]:
        """Returns the drawn (lower, upper) limits at sizes x (expected counts for 'isr',
        denominators otherwise)."""
        tau2 = self.dispersion.tau2 if self.adjusted else None
        return _limits(self.family, self.centre, np.asarray(x, dtype=float), conf, self.scale, tau2)

    def description(self) -> str:
        """Returns the sentence saying which limits are drawn and the overdispersion."""
        found = self.dispersion
        if found.units < MINIMUM_UNITS or math.isnan(found.phi):
            return (
                f"Limits: unadjusted ({UNADJUSTED_NAMES[self.family]}). {found.units} points "
                f"are too few to estimate overdispersion (at least {MINIMUM_UNITS})."
            )
        test = "significant" if found.significant else "not significant"
        kind = (
            "adjusted for overdispersion (Spiegelhalter 2005, z-scores winsorised 10% each tail)"
            if self.adjusted
            else f"unadjusted ({UNADJUSTED_NAMES[self.family]})"
        )
        return (
            f"Limits: {kind}. Overdispersion φ = {found.phi:.2f} ({test}, χ² p "
            f"{_p_text(found.p_value)}), τ² = {found.tau2:.3g}, from {found.units} points."
        )

    def note(self) -> str:
        """Returns the short form of `description` that the chart itself carries."""
        found = self.dispersion
        if found.units < MINIMUM_UNITS or math.isnan(found.phi):
            return f"Unadjusted limits:<br>{found.units} points, too few to estimate overdispersion"
        kind = "Limits adjusted for overdispersion" if self.adjusted else "Unadjusted limits"
        test = "significant" if found.significant else "not significant"
        return f"{kind}:<br>φ = {found.phi:.2f} ({test}), τ² = {found.tau2:.3g}"


def funnel_family(method: str, ratio: bool = False) -> str | None:
    """Returns which limits a method takes: 'isr' (a standardised ratio against 1),
    'proportion', 'poisson', 'normal' or None."""
    return "isr" if ratio else FAMILIES.get(method)


def build_funnel(
    orgs: pd.DataFrame, family: str | None, centre, multiplier: float, choice: str = "auto"
) -> Funnel | None:
    """Returns the funnel of the orgs with a value, or None when none can be drawn (no
    family, no benchmark or no org with a size)."""
    if family is None or centre is None or pd.isna(centre):
        return None
    shown = shown_orgs(orgs, family)
    if shown.empty:
        return None
    scale = funnel_scale(family, shown, multiplier)
    y, target, s = _transformed(family, shown, float(centre), scale, multiplier)
    found = overdispersion.estimate(y, target, s)
    adjusted = choice == "adjusted" or (choice == "auto" and found.significant)
    enough = found.units >= MINIMUM_UNITS
    return Funnel(family, float(centre), scale, found, adjusted and enough and found.tau2 > 0)


def shown_orgs(orgs: pd.DataFrame, family: str) -> pd.DataFrame:
    """Returns the orgs a funnel draws: a value and a positive size (x)."""
    x, y = axis_columns(family)
    return orgs[orgs[y].notna() & (orgs[x] > 0)]


def axis_columns(family: str) -> tuple[str, str]:
    """Returns the (x, y) columns of a family: expected and the ratio for 'isr'."""
    return ("expected", "isr") if family == "isr" else ("denominator", "value")


def funnel_scale(family: str, orgs: pd.DataFrame, multiplier: float) -> float:
    """Returns the family's scale: the multiplier (proportion), the count-to-value factor
    (poisson), the pooled standard deviation (normal), 1 (isr); NaN when the orgs cannot
    give it."""
    shown = orgs[orgs["value"].notna() & (orgs["denominator"] > 0)]
    if family == "isr":
        return 1.0
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
    """Returns the unadjusted (lower, upper) limit arrays at sizes n (the module docstring)."""
    return _limits(family, benchmark, np.asarray(n, dtype=float), conf, scale, None)


def _limits(family, centre, n, conf, scale, tau2):
    if family == "isr":
        if tau2 is None:
            return tuple(np.asarray(a) for a in stats.funnel_limits_ratio(n, conf))
        return overdispersion.ratio_limits(n, conf, tau2)
    if family == "poisson":
        expected = centre * n / scale
        ratio = _limits("isr", 1.0, expected, conf, 1.0, tau2)
        return ratio[0] * centre, ratio[1] * centre
    if family == "proportion":
        p0 = centre / scale
        if tau2 is None:
            lower, upper = stats.funnel_limits_proportion(p0, n, conf)
        else:
            lower, upper = overdispersion.proportion_limits(p0, n, conf, tau2)
        return np.asarray(lower) * scale, np.asarray(upper) * scale
    return overdispersion.normal_limits(centre, scale / np.sqrt(n), conf, tau2 or 0.0)


def _transformed(family, shown, centre, scale, multiplier):
    """The orgs' (y, target, s) on the scale the overdispersion is estimated on."""
    if family == "isr":
        return overdispersion.ratio_scale(shown["numerator"], shown["expected"])
    if family == "poisson":
        expected = centre * shown["denominator"] / scale
        return overdispersion.ratio_scale(shown["value"] / centre * expected, expected)
    if family == "proportion":
        n = shown["denominator"]
        return overdispersion.proportion_scale(shown["value"] / multiplier * n, n, centre / scale)
    return shown["value"].to_numpy(float), centre, scale / np.sqrt(shown["denominator"])


def funnel_table(orgs: pd.DataFrame, funnel: Funnel | None) -> pd.DataFrame:
    """Returns the orgs with the drawn limits at each one's size (lower_95_limit,
    upper_95_limit, lower_998_limit, upper_998_limit) and its position against them
    ('above 99.8%', 'above 95%', 'within 95%', 'below 95%', 'below 99.8%', or None).
    Suppressed orgs keep NaNs."""
    table = orgs.reset_index(drop=True).copy()
    x_column, y_column = axis_columns(funnel.family) if funnel else ("denominator", "value")
    for conf, (lower_name, upper_name) in LIMIT_COLUMNS.items():
        lower, upper = (np.nan, np.nan)
        if funnel is not None:
            lower, upper = funnel.limits(table[x_column].where(table[x_column] > 0), conf)
        table[lower_name], table[upper_name] = lower, upper
    table["position"] = [
        _position(value, row)
        for value, row in zip(table[y_column], _limit_rows(table), strict=True)
    ]
    return table


def _limit_rows(table: pd.DataFrame) -> list[dict]:
    columns = [name for pair in LIMIT_COLUMNS.values() for name in pair]
    return table[columns].to_dict("records")


def _position(value, row: dict) -> str | None:
    if pd.isna(value) or pd.isna(row["lower_95_limit"]):
        return None
    for bound, limit in (("above 99.8%", "upper_998_limit"), ("above 95%", "upper_95_limit")):
        if value > row[limit]:
            return bound
    for bound, limit in (("below 99.8%", "lower_998_limit"), ("below 95%", "lower_95_limit")):
        if value < row[limit]:
            return bound
    return "within 95%"


def curve_x(sizes: pd.Series) -> np.ndarray:
    """Returns the 100 sizes the limit curves are drawn at (log-spaced)."""
    shown = sizes[sizes > 0]
    return np.geomspace(max(shown.min() * 0.8, 0.5), shown.max() * 1.1, 100)


def funnel_figure(
    table: pd.DataFrame,
    funnel: Funnel | None,
    *,
    highlight: str | None = None,
    x_title: str = "Denominator",
    y_title: str = "",
    percent: bool = False,
    title: dict | None = None,
) -> go.Figure:
    """Returns the funnel plot of a `funnel_table`: centre line, limit curves, and the orgs
    in one trace per position (named in the legend), the highlighted org outlined."""
    family = funnel.family if funnel else "poisson"
    x_column, _ = axis_columns(family)
    shown = shown_orgs(table, family)
    traces = [] if funnel is None or shown.empty else _curves(funnel, shown[x_column])
    traces += _points(shown, family, highlight, percent)
    layout = _layout(shown[x_column], x_title, y_title, percent)
    if title:
        layout.update(title=title, margin={**layout["margin"], "t": 140})
    if funnel is not None:
        layout["annotations"] = [_note(funnel.note())]
    return go.Figure(data=traces, layout=layout)


def _curves(funnel: Funnel, sizes: pd.Series) -> list:
    x = curve_x(sizes)
    name = "Ratio of 1 (as expected)" if funnel.family == "isr" else "Benchmark"
    traces = [_line(name, x, np.full(len(x), funnel.centre), theme.NHS_BLACK, "solid")]
    kind = "adjusted" if funnel.adjusted else "unadjusted"
    for conf in LIMIT_COLUMNS:
        lower, upper = funnel.limits(x, conf)
        label = f"{conf * 100:g}% limits ({kind})"
        traces.append(_line(label, x, upper, theme.GREY_1, LIMIT_DASH[conf]))
        traces.append(_line(label, x, lower, theme.GREY_1, LIMIT_DASH[conf], legend=False))
    return traces


def _points(shown: pd.DataFrame, family: str, highlight, percent: bool) -> list:
    x_column, y_column = axis_columns(family)
    traces = []
    for position, (label, colour, symbol) in POSITIONS.items():
        group = shown[shown["position"] == position]
        if group.empty:
            continue
        chosen = (group["org_code"] == highlight).tolist()
        traces.append(
            go.Scatter(
                name=label,
                x=group[x_column].astype(float).tolist(),
                y=group[y_column].astype(float).tolist(),
                mode="markers",
                marker={
                    "color": colour,
                    "symbol": symbol,
                    "size": [16 if flag else 10 for flag in chosen],
                    "line": {
                        "color": theme.NHS_BLACK,
                        "width": [3 if flag else 1 for flag in chosen],
                    },
                },
                hovertext=[_hover(row, family, percent) for row in group.to_dict("records")],
                hoverinfo="text",
            )
        )
    return traces


def _hover(row: dict, family: str, percent: bool) -> str:
    x_column, y_column = axis_columns(family)
    size = "Expected" if family == "isr" else "Denominator"
    value = f"{row[y_column]:,.2f}" + ("%" if percent and family != "isr" else "")
    name = "Ratio" if family == "isr" else "Value"
    return (
        f"{row['org_name']} ({row['org_code']})<br>{name} {value}<br>"
        f"{size} {row[x_column]:,.0f}<br>{POSITIONS[row['position']][0]}"
    )


def _line(name: str, x, y, colour: str, dash: str, legend: bool = True) -> go.Scatter:
    return go.Scatter(
        name=name,
        x=list(x),
        y=[float(v) for v in y],
        mode="lines",
        hoverinfo="skip",
        showlegend=legend,
        legendgroup=name,
        line={"color": colour, "dash": dash, "width": 1.5},
    )


def _note(text: str) -> dict:
    return {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 1.01,
        "xanchor": "left",
        "yanchor": "bottom",
        "showarrow": False,
        "align": "left",
        "font": {"size": 11, "color": theme.GREY_1},
    }


def size_axis(sizes: pd.Series, title: str) -> dict:
    """Returns the x axis for sizes: linear when they span less than a factor of 10,
    otherwise log with ticks labelled in full (1, 10, 100, 1,000; with 2 and 5 between
    when the range spans three powers of ten or fewer)."""
    shown = sizes[sizes > 0]
    axis = {"title": {"text": title}, "gridcolor": theme.GREY_5}
    if shown.empty:
        return axis
    low, high = float(shown.min()) * 0.8, float(shown.max()) * 1.1
    if high / low < 10:
        return {**axis, "type": "linear", "tickformat": ",~r"}
    ticks = log_ticks(low, high)
    return {**axis, "type": "log", "tickvals": ticks, "ticktext": [f"{v:,g}" for v in ticks]}


def log_ticks(low: float, high: float) -> list[float]:
    """Returns readable log-axis tick values between low and high: powers of ten, with
    2 and 5 times them when the range covers three powers of ten or fewer."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    steps = (1, 2, 5) if last - first <= 3 else (1,)
    values = [step * 10.0**power for power in range(first, last + 1) for step in steps]
    return [value for value in values if low <= value <= high]


def _layout(sizes: pd.Series, x_title: str, y_title: str, percent: bool) -> dict:
    yaxis = {
        "title": {"text": axis_title(y_title), "font": {"size": 12}},
        "gridcolor": theme.GREY_4,
    }
    if percent:
        yaxis["ticksuffix"] = "%"
    return theme.chart_layout(
        margin={"l": 90, "r": 20, "t": 70, "b": 50},
        height=480,
        xaxis=size_axis(sizes, x_title),
        yaxis=yaxis,
        legend=theme_legend(),
        hovermode="closest",
    )


def _p_text(p_value: float) -> str:
    return "< 0.001" if p_value < 0.001 else f"= {p_value:.3f}"
