"""The board shows Airedale's A&E measure among the whole-system rows, next to the other
care home measure (rows are ordered by title within their group), with its published value."""

from __future__ import annotations

from dash import dcc

from dashboard import access
from dashboard.pages import board
from dashboard.scope import Scope
from tests.dashboard.pages.test_board import area_value, cell, row_cells, spaced_text
from tests.dashboard.pages.tree import by_id, components

METRIC = "ae_attendances_care_home_residents"


def test_the_measure_sits_beside_the_care_home_admissions_not_among_northumbria(scope_as):
    table = by_id(board.layout("/", {}), "board-table")
    links = [item for item in components(table) if isinstance(item, dcc.Link)]
    ids = [link.id.removeprefix("board-link-") for link in links]
    northumbria = access.indicators().query("group == 'northumbria'")["id"]
    assert METRIC not in ids[: len(northumbria)]
    assert ids[ids.index("admissions_from_care_homes") + 1] == METRIC


def test_its_row_shows_the_published_area_value_and_links_to_the_measure(scope_as):
    scope = Scope.whole_system()
    area = access.org_units(scope, "area")["org_code"].iloc[0]
    month = access.months()[-1]
    cells = row_cells(by_id(board.layout("/", {}), "board-table"), METRIC)
    current = area_value(scope, METRIC, area, month)
    assert current["value"] > 0
    assert spaced_text(cell(cells, "Value")) == f"{current['value']:,.1f}"
    link = cells[0].children[0]
    assert link.href == f"/indicator/{METRIC}?level=area&org={area}"
