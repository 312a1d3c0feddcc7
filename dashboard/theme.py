"""The NHS identity colours the dashboard uses, and the Making Data Count icon colours.

Colours follow the NHS identity guidelines and the NHS.UK frontend palette (blue #005EB8,
its greys and its red/amber/green), so that charts read as NHS charts. Making Data Count
uses blue for improvement, orange for concern and purple for neutral special cause.
"""

import textwrap

NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
NHS_BLACK = "#212B32"
NHS_WHITE = "#FFFFFF"
GREY_1 = "#4C6272"
GREY_2 = "#768692"
GREY_3 = "#AEB7BD"
GREY_4 = "#D8DDE0"
GREY_5 = "#F0F4F5"
RED = "#D5281B"
AMBER = "#FFB81C"
GREEN = "#007F3B"
ORANGE = "#ED8B00"
PURPLE = "#330072"
LIGHT_BLUE = "#41B6E6"

POINT_COLOURS = {
    "improvement": LIGHT_BLUE,
    "concern": ORANGE,
    "neutral": PURPLE,
    "common_cause": GREY_2,
}
COMPARISON_COLOURS = {
    "better": GREEN,
    "similar": AMBER,
    "worse": RED,
    "higher": LIGHT_BLUE,
    "lower": PURPLE,
    "not compared": GREY_4,
}
FONT = "Frutiger, Arial, sans-serif"


def chart_layout(**layout) -> dict:
    """Returns a Plotly layout in the NHS style (font, white background), plus `layout`."""
    return {
        "font": {"family": FONT, "color": NHS_BLACK},
        "plot_bgcolor": NHS_WHITE,
        "paper_bgcolor": NHS_WHITE,
        **layout,
    }


# Plotly's modebar buttons that would send a chart (and its NHS data) off the machine.
CLOUD_BUTTONS = ("sendChartToCloud", "sendDataToCloud", "editInChartStudio")
SOURCE = "Source: wholesystem"


def graph_config(filename: str, **config) -> dict:
    """Returns the `config` of a dcc.Graph: no Plotly Cloud, "Share chart" or Chart Studio
    button and no Plotly logo (information governance: NHS data never leaves the site),
    and a PNG download named `filename` at twice screen resolution."""
    return {
        "displaylogo": False,
        "showSendToCloud": False,
        "showEditInChartStudio": False,
        "showLink": False,
        "modeBarButtonsToRemove": list(CLOUD_BUTTONS),
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
        **config,
    }


def chart_title(title: str, detail: str) -> dict:
    """Returns a Plotly layout `title` that lets a downloaded PNG stand alone: `title` names
    the indicator, `detail` the organisation, period and source."""
    # At the very top of the figure, so that labels drawn in the top margin (a heat map's
    # column names) sit below it rather than under it.
    return {
        "text": title,
        "x": 0,
        "xanchor": "left",
        "y": 1,
        "yref": "container",
        "yanchor": "top",
        "pad": {"t": 8, "l": 8},
        "font": {"size": 16},
        "subtitle": {"text": detail, "font": {"size": 12, "color": GREY_1}},
    }


def wrap_label(text: str, width: int) -> str:
    """Returns `text` broken at spaces onto lines of at most about `width` characters, joined
    with <br> for a Plotly title or tick label (a long word is never split)."""
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
    return "<br>".join(lines)
