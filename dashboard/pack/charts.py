"""The pack's SPC charts: the dashboard's own chart (`spc_chart.spc_figure`) of each metric
and area up to the board month, with its target and trajectory, sized for a printed page
and rendered to SVG by Plotly's static export (`figures.static.render`, Kaleido).

The SVG goes inline into the pack's HTML, so the HTML file stands alone and its PDF is
that same document printed. Kaleido draws only what the figure holds, and the figure is
drawn from the scoped, disclosure-controlled points: a suppressed month is a gap.
"""

from __future__ import annotations

import re

from markupsafe import Markup

from dashboard.figures import static
from dashboard.figures.spc_chart import spc_figure
from dashboard.pack.content import AreaFigures

WIDTH, HEIGHT = 900, 330  # CSS pixels; the SVG scales to the column it sits in
# Areas side by side: two charts to a row, each drawn narrower with larger words, so that
# scaled to half the page they read as the single chart does.
NARROW = {"width": 560, "height": 330, "font": {"size": 15}, "legend": {"font": {"size": 12}}}
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>\s*")


def chart_svg(figures: AreaFigures, indicator: dict, areas: int = 1) -> Markup | None:
    """Returns the inline SVG of one metric's chart in one area, or None with no points;
    `areas` charted side by side are drawn narrower, so their words stay legible."""
    if figures.points.empty:
        return None
    figure = spc_figure(
        figures.points,
        target=figures.row.get("target"),
        unit=str(indicator.get("unit") or ""),
        changes=figures.changes,
        trajectory=figures.trajectory or None,
    )
    figure.update_layout(width=WIDTH, height=HEIGHT, margin={"t": 30, "b": 70})
    if areas > 1:
        figure.update_layout(**NARROW, margin={"l": 80, "r": 10, "t": 30, "b": 90})
    svg = static.render(figure, "svg").decode("utf-8")
    # Kaleido's SVG is Plotly's own markup (text escaped by Plotly), so it is safe inline.
    return Markup(XML_DECLARATION.sub("", svg))  # noqa: S704
