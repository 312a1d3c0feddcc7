"""The status heat map: cells placed by label, coloured by status, text and keys kept."""

from __future__ import annotations

import pandas as pd

from dashboard import theme
from dashboard.figures.heatmap import STATUSES, discrete_colourscale, status_heatmap

CELLS = pd.DataFrame(
    [
        ("North PCN", "HbA1c", "met", "80.0", "North: 80%", "N1|hba1c"),
        ("North PCN", "MMR", "suppressed", "*", "North: suppressed", "N1|mmr"),
        ("South PCN", "HbA1c", "not_met", "51.2", "South: 51.2%", "N2|hba1c"),
        ("South PCN", "MMR", "between", "92.5", "South: 92.5%", "N2|mmr"),
    ],
    columns=["row", "column", "status", "text", "hover", "key"],
)


def test_cells_are_placed_by_row_and_column_labels():
    trace = status_heatmap(CELLS, ["North PCN", "South PCN"], ["HbA1c", "MMR"]).data[0]
    assert list(trace.y) == ["North PCN", "South PCN"]
    assert list(trace.x) == ["HbA1c", "MMR"]
    assert trace.text.tolist() == [["80.0", "*"], ["51.2", "92.5"]]
    assert trace.customdata.tolist() == [["N1|hba1c", "N1|mmr"], ["N2|hba1c", "N2|mmr"]]
    assert trace.hovertext.tolist() == [
        ["North: 80%", "North: suppressed"],
        ["South: 51.2%", "South: 92.5%"],
    ]


def test_each_status_maps_to_its_colour_band():
    trace = status_heatmap(CELLS, ["North PCN", "South PCN"], ["HbA1c", "MMR"]).data[0]
    codes = [
        [STATUSES.index("met"), STATUSES.index("suppressed")],
        [STATUSES.index("not_met"), STATUSES.index("between")],
    ]
    assert trace.z.tolist() == codes
    assert (trace.zmin, trace.zmax) == (-0.5, len(STATUSES) - 0.5)
    colours = {
        status: _colour_at(trace, code)
        for status, code in (("met", 0), ("between", 1), ("not_met", 2), ("suppressed", 4))
    }
    assert colours == {
        "met": theme.GREEN,
        "between": theme.AMBER,
        "not_met": theme.RED,
        "suppressed": theme.GREY_5,
    }


def test_missing_pairs_are_no_data_without_text():
    trace = status_heatmap(CELLS, ["North PCN", "West PCN"], ["HbA1c"]).data[0]
    assert trace.z.tolist() == [[STATUSES.index("met")], [STATUSES.index("no_data")]]
    assert trace.text.tolist() == [["80.0"], [""]]


def test_rows_run_top_to_bottom_and_scale_is_hidden():
    figure = status_heatmap(CELLS, ["North PCN", "South PCN"], ["HbA1c", "MMR"])
    assert figure.layout.yaxis.autorange == "reversed"
    assert figure.data[0].showscale is False


def test_colour_scale_has_one_flat_band_per_status():
    scale = discrete_colourscale()
    assert len(scale) == 2 * len(STATUSES)
    assert scale[0] == [0.0, theme.GREEN] and scale[-1] == [1.0, theme.NHS_WHITE]


def _colour_at(trace, code: int) -> str:
    # z = code sits in the middle of band `code` once zmin/zmax map onto 0..1.
    position = (code - trace.zmin) / (trace.zmax - trace.zmin)
    bands = [
        (low, high, colour)
        for (low, colour), (high, _) in zip(
            trace.colorscale[::2], trace.colorscale[1::2], strict=True
        )
    ]
    return next(colour for low, high, colour in bands if low <= position <= high)


def test_a_title_makes_a_downloaded_image_stand_alone():
    title = theme.chart_title("Care-package KPIs", "October 2026. Source: wholesystem.")
    figure = status_heatmap(CELLS, ["North PCN", "South PCN"], ["HbA1c", "MMR"], title)
    assert figure.layout.title.text == "Care-package KPIs"
    assert "October 2026" in figure.layout.title.subtitle.text
    assert figure.layout.margin.t >= 80
