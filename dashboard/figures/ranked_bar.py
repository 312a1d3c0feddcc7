"""The ranked bar chart: orgs in order of the compared value, with 95% confidence intervals.

Input: one row per org (org_code, org_name, value, lower_95, upper_95, comparison, and
optionally comparison_998): `value` and its interval are whatever the published verdict
compares (the crude value, or the standardised ratio for a comparison on it), and the
benchmark line is what it is compared with (the benchmark value, or 1 for a ratio). Bars
run horizontally, the highest value at the top, coloured by the published 95% verdict
(green better, amber similar, red worse; blue/purple higher/lower where the indicator has
no polarity), one trace per verdict so the legend names each colour. Suppressed orgs (no
value) are left out; the page's table lists them as "*".
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.figures.spc_chart import theme_legend

ROW_HEIGHT = 22
VERDICT_ORDER = ("better", "similar", "worse", "higher", "lower", "not compared")


def ranked_order(orgs: pd.DataFrame) -> pd.DataFrame:
    """Returns the orgs with a value, lowest first (plotly draws the first bar at the
    bottom, so the highest ends up on top)."""
    shown = orgs[orgs["value"].notna()]
    return shown.sort_values(["value", "org_name"], kind="stable").reset_index(drop=True)


def ranked_bar_figure(
    orgs: pd.DataFrame,
    benchmark: float | None,
    highlight: str | None = None,
    *,
    x_title: str = "",
    benchmark_name: str = "Benchmark",
    percent: bool = False,
    title: dict | None = None,
) -> go.Figure:
    """Returns the ranked bar chart with CI error bars and a benchmark line."""
    shown = ranked_order(orgs)
    labels = _labels(shown, highlight)
    shown = shown.assign(label=labels)
    words = [word for word in VERDICT_ORDER if word in set(shown["comparison"])]
    traces = [_bars(shown[shown["comparison"] == word], word, percent) for word in words]
    layout = _layout(len(shown), labels, x_title, percent)
    if title:
        layout.update(title=title, margin={**layout["margin"], "t": 110})
    if benchmark is not None and pd.notna(benchmark):
        layout["shapes"] = [_benchmark_line(float(benchmark))]
        layout["annotations"] = [_benchmark_label(float(benchmark), benchmark_name, percent)]
    return go.Figure(data=traces, layout=layout)


def _bars(group: pd.DataFrame, word: str, percent: bool) -> go.Bar:
    values = group["value"].astype(float)
    return go.Bar(
        name=f"{word.capitalize()} (95%)",
        orientation="h",
        x=values.tolist(),
        y=group["label"].tolist(),
        marker={"color": theme.COMPARISON_COLOURS.get(word, theme.GREY_4)},
        error_x={
            "type": "data",
            "array": (group["upper_95"] - values).tolist(),
            "arrayminus": (values - group["lower_95"]).tolist(),
            "color": theme.NHS_BLACK,
            "thickness": 1,
        },
        hovertext=[_hovertext(row, percent) for row in group.to_dict("records")],
        hoverinfo="text",
    )


def _hovertext(row: dict, percent: bool) -> str:
    suffix = "%" if percent else ""
    strict = row.get("comparison_998")
    verdict = row["comparison"] + (f" at 95%; {strict} at 99.8%" if isinstance(strict, str) else "")
    return (
        f"{row['org_name']} ({row['org_code']})<br>{row['value']:,.2f}{suffix} "
        f"(95% CI {row['lower_95']:,.2f} to {row['upper_95']:,.2f}{suffix})<br>{verdict}"
    )


def _labels(shown: pd.DataFrame, highlight: str | None) -> list[str]:
    """Org names as the category axis; the chosen org is marked with a pointer."""
    return [
        f"▶ {name}" if code == highlight else name
        for code, name in zip(shown["org_code"], shown["org_name"], strict=True)
    ]


def _benchmark_line(benchmark: float) -> dict:
    return {
        "type": "line",
        "x0": benchmark,
        "x1": benchmark,
        "y0": 0,
        "y1": 1,
        "yref": "paper",
        "line": {"color": theme.NHS_BLACK, "width": 2},
    }


def _benchmark_label(benchmark: float, name: str, percent: bool) -> dict:
    return {
        "text": f"{name}: {benchmark:,.2f}{'%' if percent else ''}",
        "x": benchmark,
        "y": 1,
        "yref": "paper",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": 11},
    }


def _layout(rows: int, labels: list[str], x_title: str, percent: bool) -> dict:
    xaxis = {"gridcolor": theme.GREY_4, "title": {"text": x_title}}
    if percent:
        xaxis["ticksuffix"] = "%"
    return theme.chart_layout(
        margin={"l": 200, "r": 20, "t": 30, "b": 40},
        height=max(300, ROW_HEIGHT * rows + 140),
        xaxis=xaxis,
        yaxis={
            "automargin": True,
            "type": "category",
            "categoryorder": "array",
            "categoryarray": labels,
        },
        legend=theme_legend(),
        barmode="overlay",
        bargap=0.25,
    )
