"""A Fingertips-style spine chart: one row per indicator, every row centred on the system.

Each row shows the range of practice values (minimum to maximum, with the 25th to 75th
percentiles darker), the system value as the centre line, and markers for one practice
(coloured by its comparison with the system), its network and its locality.

Rows are normalised as OHID Fingertips does: the system value sits at 0 and the row's
value furthest from it at -1 or +1, so indicators on different scales share one axis.
Rows where lower is better are flipped, so better is always to the right
(Fingertips, "Spine chart" in the Public Health Profiles user guide). Where the rows give
the practice's 95% interval (practice_lower, practice_upper), it is drawn as a whisker on
its marker, so the colour's verdict can be read from the chart: the interval against the
centre line. Where the rows give `peers` (the practice's peer median, metrics.peers), it
is drawn as a hollow triangle, so a verdict against the peers can be read the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard import theme

SCALED_COLUMNS = ("minimum", "q25", "q75", "maximum", "practice", "network", "locality")
INTERVAL_COLUMNS = ("practice_lower", "practice_upper")
OPTIONAL_COLUMNS = (*INTERVAL_COLUMNS, "peers")  # drawn where the rows have them
MARKERS = {
    # column: (legend name, symbol, colour); the practice's colour comes from its comparison.
    "practice": ("Practice", "circle", None),
    "network": ("Network", "diamond", theme.NHS_DARK_BLUE),
    "locality": ("Locality", "square", theme.NHS_BLACK),
    "peers": ("Peer median", "triangle-up", theme.NHS_WHITE),
}
NUMBER = ":.4~g"


def spine_positions(rows: pd.DataFrame) -> pd.DataFrame:
    """Returns the rows with `<column>_pos` for each of SCALED_COLUMNS.

    Method (Fingertips): position = sign * (x - system) / scale, where scale is the
    largest |x - system| among the row's values and sign is -1 where lower is better
    (`flip`). A row whose values all equal the system sits at 0.
    """
    rows = rows.copy()
    columns = [*SCALED_COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in rows)]
    values = rows[columns].to_numpy(dtype=float)
    offsets = values - rows["system"].to_numpy(dtype=float)[:, None]
    with np.errstate(all="ignore"):
        scale = np.nanmax(np.abs(offsets), axis=1, initial=0.0)
    scale = np.where(scale > 0, scale, 1.0)
    sign = np.where(rows["flip"].to_numpy(dtype=bool), -1.0, 1.0)
    positions = offsets / scale[:, None] * sign[:, None]
    for index, column in enumerate(columns):
        rows[f"{column}_pos"] = positions[:, index]
    return rows


def spine_chart(
    rows: pd.DataFrame, title: dict | None = None, names: dict[str, str] | None = None
) -> go.Figure:
    """Returns the spine chart of the rows, top to bottom in the order given, titled by
    `title` (`theme.chart_title`); `names` renames the network and locality markers (the
    configured level labels).

    `rows` has columns label, system, flip (lower is better), minimum, q25, q75, maximum,
    practice, network, locality (values; NaN where suppressed or missing) and
    practice_comparison (better/similar/worse/higher/lower/not compared), and optionally
    practice_lower and practice_upper (the practice's 95% interval) and peers (the peer
    median; NaN where not drawn).
    """
    rows = spine_positions(rows)
    figure = go.Figure(
        [
            _band(rows, "minimum", "maximum", "Range of practices", theme.GREY_4),
            _band(rows, "q25", "q75", "25th to 75th percentile", theme.GREY_2),
            *(
                _marker(rows, column, (names or {}).get(column))
                for column in MARKERS
                if column in rows
            ),
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                name="System (centre line)",
                line={"color": theme.NHS_BLACK, "width": 2},
            ),
        ]
    )
    return _style(figure, len(rows), title)


def _band(rows: pd.DataFrame, low: str, high: str, name: str, colour: str) -> go.Bar:
    left = np.fmin(rows[f"{low}_pos"], rows[f"{high}_pos"])
    right = np.fmax(rows[f"{low}_pos"], rows[f"{high}_pos"])
    return go.Bar(
        y=rows["label"],
        x=right - left,
        base=left,
        orientation="h",
        name=name,
        marker={"color": colour},
        customdata=np.column_stack([rows[low], rows[high]]),
        hovertemplate=(
            f"%{{y}}<br>{name}: %{{customdata[0]{NUMBER}}} to %{{customdata[1]{NUMBER}}}"
            "<extra></extra>"
        ),
    )


def _marker(rows: pd.DataFrame, column: str, name: str | None = None) -> go.Scatter:
    default, symbol, colour = MARKERS[column]
    name = name or default
    if colour is None:
        colour = [
            theme.COMPARISON_COLOURS.get(word, theme.GREY_4) for word in rows["practice_comparison"]
        ]
    return go.Scatter(
        error_x=_whisker(rows) if column == "practice" else None,
        y=rows["label"],
        x=rows[f"{column}_pos"],
        mode="markers",
        name=name,
        marker={
            "symbol": symbol,
            "color": colour,
            "size": 12 if column == "practice" else 9,
            "line": {
                "color": theme.NHS_WHITE if column in ("network", "locality") else theme.NHS_BLACK,
                "width": 1.5 if column == "peers" else 1,
            },
        },
        customdata=rows[column],
        hovertemplate=f"%{{y}}<br>{name}: %{{customdata{NUMBER}}}<extra></extra>",
    )


def _whisker(rows: pd.DataFrame) -> dict | None:
    if "practice_lower_pos" not in rows:
        return None
    ends = rows[["practice_lower_pos", "practice_upper_pos"]].to_numpy(dtype=float)
    position = rows["practice_pos"].to_numpy(dtype=float)
    return {
        "type": "data",
        "symmetric": False,
        "array": np.fmax(ends[:, 0], ends[:, 1]) - position,
        "arrayminus": position - np.fmin(ends[:, 0], ends[:, 1]),
        "color": theme.NHS_BLACK,
        "thickness": 1.5,
        "width": 4,
    }


def _style(figure: go.Figure, row_count: int, title: dict | None = None) -> go.Figure:
    figure.add_shape(
        type="line",
        x0=0,
        x1=0,
        y0=0,
        y1=1,
        yref="paper",
        line={"color": theme.NHS_BLACK, "width": 2},
    )
    figure.update_layout(
        title=title,
        barmode="overlay",
        height=120 + 44 * row_count + (60 if title else 0),
        margin={"l": 10, "r": 10, "t": 110 if title else 30, "b": 10},
        font={"family": theme.FONT, "color": theme.NHS_BLACK},
        plot_bgcolor=theme.NHS_WHITE,
        paper_bgcolor=theme.NHS_WHITE,
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
    )
    figure.update_xaxes(
        range=[-1.1, 1.1],
        zeroline=False,
        showgrid=False,
        tickvals=[-1, 0, 1],
        ticktext=["Worse or lower", "System", "Better or higher"],
    )
    # A fixed range (first row at the top) rather than autorange, which pads markers.
    figure.update_yaxes(range=[row_count - 0.5, -0.5], automargin=True)
    return figure
