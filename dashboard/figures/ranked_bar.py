"""The ranked bar chart: orgs in order of value, with 95% confidence intervals.

Input: one row per org (org_code, org_name, value, lower_95, upper_95, comparison). Bars run
horizontally, the highest value at the top, coloured by the org's comparison with the
benchmark (green better, amber similar, red worse; blue/purple higher/lower where the
indicator has no polarity); the benchmark is a vertical black line. Suppressed orgs
(no value) are left out; the page's table lists them as "*".
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme

ROW_HEIGHT = 22


def ranked_order(orgs: pd.DataFrame) -> pd.DataFrame:
    """Returns the orgs with a value, lowest first (plotly draws the first bar at the
    bottom, so the highest ends up on top)."""
    shown = orgs[orgs["value"].notna()]
    return shown.sort_values(["value", "org_name"], kind="stable").reset_index(drop=True)


def ranked_bar_figure(
    orgs: pd.DataFrame, benchmark: float | None, highlight: str | None = None
) -> go.Figure:
    """Returns the ranked bar chart with CI error bars and a benchmark line."""
    shown = ranked_order(orgs)
    values = shown["value"].astype(float)
    bar = go.Bar(
        name="Value",
        orientation="h",
        x=values.tolist(),
        y=_labels(shown, highlight),
        marker={
            "color": [theme.COMPARISON_COLOURS.get(w, theme.GREY_4) for w in shown["comparison"]]
        },
        error_x={
            "type": "data",
            "array": (shown["upper_95"] - values).tolist(),
            "arrayminus": (values - shown["lower_95"]).tolist(),
            "color": theme.NHS_BLACK,
            "thickness": 1,
        },
        hovertext=[_hovertext(row) for row in shown.to_dict("records")],
        hoverinfo="text",
    )
    layout = _layout(len(shown))
    if benchmark is not None and pd.notna(benchmark):
        layout["shapes"] = [
            {
                "type": "line",
                "x0": float(benchmark),
                "x1": float(benchmark),
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"color": theme.NHS_BLACK, "width": 2},
            }
        ]
    return go.Figure(data=[bar], layout=layout)


def _hovertext(row: dict) -> str:
    return (
        f"{row['org_name']} ({row['org_code']})<br>Value {row['value']:,.2f} "
        f"(95% CI {row['lower_95']:,.2f} to {row['upper_95']:,.2f})<br>{row['comparison']}"
    )


def _labels(shown: pd.DataFrame, highlight: str | None) -> list[str]:
    """Org names as the category axis; the chosen org is marked with a pointer."""
    return [
        f"▶ {name}" if code == highlight else name
        for code, name in zip(shown["org_code"], shown["org_name"], strict=True)
    ]


def _layout(rows: int) -> dict:
    return theme.chart_layout(
        margin={"l": 200, "r": 20, "t": 20, "b": 40},
        height=max(260, ROW_HEIGHT * rows + 80),
        xaxis={"gridcolor": theme.GREY_4},
        yaxis={"automargin": True, "type": "category"},
        showlegend=False,
        bargap=0.25,
    )
