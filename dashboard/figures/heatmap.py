"""A heat map of organisations (rows) by indicators (columns), each cell coloured by status.

The caller decides each cell's status (for example whether a target is met) and its text;
this module only draws. Colours are categorical, not a continuous scale, so a cell's colour
always means one status, and the cell text carries the value so colour is never the only cue.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme

# The order fixes each status's position on the discrete colour scale.
STATUS_COLOURS = {
    "met": theme.GREEN,
    "between": theme.AMBER,
    "not_met": theme.RED,
    "no_target": theme.GREY_4,
    "suppressed": theme.GREY_5,
    "no_data": theme.NHS_WHITE,
}
STATUSES = tuple(STATUS_COLOURS)
TITLE_SPACE = 70  # pixels for a title and subtitle above the column labels
LABEL_SPACE = 100  # pixels for the slanted column labels at the top


def discrete_colourscale() -> list[list]:
    """Returns a plotly colour scale with one flat band per status, in STATUSES order;
    status i is drawn by z = i (with zmin -0.5 and zmax len(STATUSES) - 0.5)."""
    count = len(STATUSES)
    scale = []
    for index, status in enumerate(STATUSES):
        scale += [
            [index / count, STATUS_COLOURS[status]],
            [(index + 1) / count, STATUS_COLOURS[status]],
        ]
    return scale


def status_heatmap(
    cells: pd.DataFrame, rows: list[str], columns: list[str], title: dict | None = None
) -> go.Figure:
    """Returns a heat map with one cell per (row, column) label pair, titled by `title` (a
    layout title, `theme.chart_title`) so that a downloaded image says what it shows.

    `cells` has columns row, column, status (a key of STATUS_COLOURS), text (shown in the
    cell), hover and key (returned as customdata when the cell is clicked). Pairs missing
    from `cells` are drawn as "no_data" with no text. Rows run top to bottom in the order
    given.
    """
    grid = cells.set_index(["row", "column"])
    index = pd.MultiIndex.from_product([rows, columns], names=["row", "column"])
    grid = grid.reindex(index)
    grid["status"] = grid["status"].fillna("no_data")
    grid = grid.fillna({"text": "", "hover": "No data", "key": ""})
    shape = (len(rows), len(columns))
    figure = go.Figure(
        go.Heatmap(
            z=grid["status"].map(STATUSES.index).to_numpy().reshape(shape),
            x=columns,
            y=rows,
            text=grid["text"].to_numpy().reshape(shape),
            texttemplate="%{text}",
            customdata=grid["key"].to_numpy().reshape(shape),
            hovertext=grid["hover"].to_numpy().reshape(shape),
            hoverinfo="text",
            colorscale=discrete_colourscale(),
            zmin=-0.5,
            zmax=len(STATUSES) - 0.5,
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    return _style(figure, len(rows), title)


def _style(figure: go.Figure, row_count: int, title: dict | None) -> go.Figure:
    figure.update_layout(
        title=title,
        height=160 + 36 * row_count + (TITLE_SPACE if title else 0),
        margin={"l": 10, "r": 10, "t": TITLE_SPACE + LABEL_SPACE if title else 10, "b": 10},
        font={"family": theme.FONT, "color": theme.NHS_BLACK},
        plot_bgcolor=theme.NHS_WHITE,
        paper_bgcolor=theme.NHS_WHITE,
    )
    figure.update_xaxes(side="top", tickangle=-35, automargin=True)
    figure.update_yaxes(autorange="reversed", automargin=True)
    return figure
