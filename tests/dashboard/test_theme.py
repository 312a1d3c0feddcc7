"""The chart config every dcc.Graph uses: nothing leaves the site, a named PNG download."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard import theme


def test_graph_config_offers_no_cloud_share_or_chart_studio_and_names_the_png():
    config = theme.graph_config("bed-days-X20015")
    assert config["showSendToCloud"] is False and config["showEditInChartStudio"] is False
    assert config["displaylogo"] is False and config["showLink"] is False
    assert {"sendChartToCloud", "sendDataToCloud", "editInChartStudio"} <= set(
        config["modeBarButtonsToRemove"]
    )
    assert config["toImageButtonOptions"] == {
        "format": "png", "filename": "bed-days-X20015", "scale": 2
    }  # fmt: skip
    assert theme.graph_config("x", displayModeBar=True)["displayModeBar"] is True


def test_chart_title_carries_its_detail_into_the_figure():
    title = theme.chart_title("Bed days", "Hollinsdale Place, October 2026. Source: wholesystem.")
    figure = go.Figure(layout={"title": title})
    assert figure.layout.title.text == "Bed days"
    assert figure.layout.title.subtitle.text.endswith("Source: wholesystem.")
