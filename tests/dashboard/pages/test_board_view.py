"""The board page's new choices: groups under headings, the needs-attention order, the
period type in the header and the URL, the summary matrix opening each metric, the pack
links, and commentary rows only where there is something to show a viewer."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl

from dash import dcc, html

from dashboard import access
from dashboard.pages import board, board_data
from dashboard.scope import Scope
from tests.dashboard.pages.test_board import cell, row_cells, spaced_text
from tests.dashboard.pages.tree import by_id, components


def first_area() -> str:
    return access.org_units(Scope.whole_system(), "area")["org_code"].iloc[0]


def metric_order(table) -> list[str]:
    links = [item for item in components(table) if isinstance(item, dcc.Link)]
    return [link.id.removeprefix("board-link-") for link in links]


def test_groups_have_headings_northumbrias_eight_first():
    table = by_id(board.layout("/", {}), "board-table")
    headings = [
        spaced_text(item)
        for item in components(table)
        if isinstance(item, html.Th)
        and "board-group-heading" in (getattr(item, "className", None) or "")
    ]
    assert headings == [
        "Northumbria's eight system-wide metrics",
        "Other whole-system measures",
    ]


def test_needs_attention_first_puts_the_rows_needing_attention_on_top():
    rows = board_data.metric_rows(Scope.whole_system(), first_area(), access.months()[-1])
    expected = board_data.needs_attention_first(rows)["metric_id"].tolist()
    table = by_id(board.layout("/", {"order": "attention"}), "board-table")
    assert metric_order(table) == expected
    concern = rows[rows["attention"] > 0]["metric_id"].tolist()
    assert concern, "the sample has a special cause of concern"
    assert set(metric_order(table)[: len(concern)]) == set(concern)
    header = row_cells(table, concern[0])[0]
    assert "Needs attention: special cause of concern" in spaced_text(header)


def test_the_board_period_is_in_the_header_values_and_url():
    area, month = first_area(), access.months()[-1]
    content, search, matrix, actions = board.update_board(
        area, month.isoformat(), False, "board", "attention"
    )
    assert dict(parse_qsl(search.lstrip("?"))) == {
        "area": area, "period": month.isoformat(), "period_type": "board", "order": "attention",
    }  # fmt: skip
    header = spaced_text(content.children[1])
    assert "Value (Aug–Sep 2026)" in header and "Change since Jun–Jul 2026" in header
    rows = board_data.metric_rows(Scope.whole_system(), area, month, "board")
    bed_days = rows[rows["metric_id"] == "bed_days"].iloc[0]
    shown = spaced_text(cell(row_cells(content, "bed_days"), "Value"))
    assert shown == board_data.format_value(bed_days["value"], False, access.indicator("bed_days"))
    assert bed_days["period_start"] == date(2026, 8, 1)


def test_every_metric_is_in_the_matrix_once_and_opens_its_page():
    area = first_area()
    matrix = by_id(board.layout("/", {}), "board-matrix-table")
    links = [item for item in components(matrix) if isinstance(item, dcc.Link)]
    ids = [link.id.removeprefix("board-matrix-") for link in links]
    assert sorted(ids) == sorted(board_data.board_indicators()["id"])
    for link, metric_id in zip(links, ids, strict=True):
        assert link.href == f"/indicator/{metric_id}?level=area&org={area}"


def test_the_pack_links_name_the_area_month_and_snapshot():
    area, month = first_area(), access.months()[-1]
    page = board.layout("/", {})
    pdf, web = by_id(page, "board-pack-pdf"), by_id(page, "board-pack-html")
    query = dict(parse_qsl(pdf.href.split("?", 1)[1]))
    assert pdf.href.startswith("/pack?")
    assert query == {
        "area": area, "date": month.isoformat(), "format": "pdf",
        "snapshot": access.shown_version(),
    }  # fmt: skip
    assert dict(parse_qsl(web.href.split("?", 1)[1]))["format"] == "html"
    side = by_id(board.layout("/", {"side_by_side": "1"}), "board-pack-pdf")
    assert dict(parse_qsl(side.href.split("?", 1)[1]))["area"] == "ALL"


def test_a_viewer_sees_no_commentary_row_where_there_is_nothing_to_show():
    table = by_id(board.layout("/", {}), "board-table")
    rows = [
        item
        for item in components(table)
        if isinstance(item, html.Tr) and getattr(item, "className", None) == "board-commentary-row"
    ]
    assert rows == []  # outside a request nobody may write, and nothing is written yet
