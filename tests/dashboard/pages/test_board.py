"""Board overview: the values shown are access's values for the same keys, scope is
respected, suppressed values show as "*", and the callback keeps the view in the URL."""

from __future__ import annotations

from urllib.parse import parse_qsl

from dash import dcc, html

from dashboard import access
from dashboard.icons import variation_label
from dashboard.pages import board, board_data
from dashboard.pages.board_data import format_value, previous_board_month
from dashboard.scope import Scope
from tests.dashboard.pages.tree import by_id, components
from tests.dashboard.pages.tree import text as tree_text


def spaced_text(component) -> str:
    return tree_text(component, " ")


def row_cells(table, metric_id: str) -> list:
    """The cells of a metric's row (the row header first)."""
    rows = [item for item in components(table) if isinstance(item, html.Tr)]
    row = next(
        r
        for r in rows
        if any(getattr(c, "id", None) == f"board-link-{metric_id}" for c in components(r))
    )
    return list(row.children)


def area_value(scope, metric_id, area, month):
    frame = access.values(
        scope, metric_ids=[metric_id], levels=["area"], org_codes=[area], period_starts=[month]
    )
    return frame.iloc[0]


def test_one_row_per_system_wide_metric_northumbria_first(scope_as):
    table = by_id(board.layout("/", {}), "board-table")
    links = [item for item in components(table) if isinstance(item, dcc.Link)]
    indicators = access.indicators()
    northumbria = set(indicators[indicators["group"] == "northumbria"]["id"])
    whole_system = set(indicators[indicators["group"] == "whole_system"]["id"])
    ids = [link.id.removeprefix("board-link-") for link in links]
    assert set(ids[: len(northumbria)]) == northumbria
    assert set(ids[len(northumbria) :]) == whole_system


def test_default_view_shows_the_first_area_and_latest_month_values(scope_as):
    scope = Scope.whole_system()
    area = access.org_units(scope, "area")["org_code"].iloc[0]
    month = access.months()[-1]
    cells = row_cells(by_id(board.layout("/", {}), "board-table"), "bed_days")
    current = area_value(scope, "bed_days", area, month)
    previous = area_value(scope, "bed_days", area, previous_board_month(month))
    assert spaced_text(cells[1]) == format_value(current["value"])
    change = current["value"] - previous["value"]
    assert spaced_text(cells[2]) == ("+" if change > 0 else "") + format_value(
        change, like=current["value"]
    )
    link = cells[0].children[0]
    assert link.href == f"/indicator/bed_days?level=area&org={area}"


def test_icons_for_the_latest_month_are_the_published_summary(scope_as):
    scope = Scope.whole_system()
    area = access.org_units(scope, "area")["org_code"].iloc[0]
    summary = access.spc_summary(scope, ["bed_days"], [area]).iloc[0]
    cells = row_cells(by_id(board.layout("/", {}), "board-table"), "bed_days")
    icon = cells[4].children
    assert icon.to_plotly_json()["props"]["aria-label"] == variation_label(
        summary["variation"], access.indicator("bed_days")["improvement"]
    )


def test_other_area_column_shows_the_other_areas_value(scope_as):
    scope = Scope.whole_system()
    areas = access.org_units(scope, "area")
    month = access.months()[-1]
    other = areas.iloc[1]
    cells = row_cells(by_id(board.layout("/", {}), "board-table"), "emergency_admissions")
    expected = format_value(
        area_value(scope, "emergency_admissions", other["org_code"], month)["value"]
    )
    assert spaced_text(cells[-1]) == f"{other['org_name']}: {expected}"


def test_side_by_side_shows_every_area_for_an_earlier_month(scope_as):
    scope = Scope.whole_system()
    areas = access.org_units(scope, "area")["org_code"].tolist()
    month = access.months()[-5]
    content, search = board.update_board(areas[1], month.isoformat(), True)
    cells = row_cells(content, "acsc_all")
    shown = [spaced_text(cells[1]), spaced_text(cells[6])]  # value cells of the two area blocks
    expected = [
        format_value(area_value(scope, "acsc_all", code, month)["value"])
        for code in (areas[1], areas[0])
    ]
    assert shown == expected
    assert dict(parse_qsl(search.lstrip("?"))) == {
        "area": areas[1],
        "period": month.isoformat(),
        "side_by_side": "1",
    }


def test_locality_user_sees_only_their_area_and_no_other_area_values(scope_as):
    localities = access.org_units(Scope.whole_system(), "locality")
    locality = localities.iloc[0]
    scope = scope_as(Scope("locality", locality["org_code"]))
    page = board.layout("/", {})
    options = by_id(page, "board-area").options
    assert [option["value"] for option in options] == [locality["parent_code"]]
    cells = row_cells(by_id(page, "board-table"), "bed_days")
    assert spaced_text(cells[-1]) == "Other areas: not in your scope"
    other = access.org_units(Scope.whole_system(), "area")
    other_code = other[other["org_code"] != locality["parent_code"]]["org_code"].iloc[0]
    content, search = board.update_board(other_code, access.months()[-1].isoformat(), True)
    assert spaced_text(content) == f"Area '{other_code}' is not one you can see."
    assert search == ""
    assert scope.level == "locality"


def test_suppressed_values_show_as_a_star(scope_as, monkeypatch):
    area = access.org_units(Scope.whole_system(), "area")["org_code"].iloc[0]
    original = access.values

    def masked(*args, **kwargs):
        # As access masks a suppressed row: the key stays, the value goes.
        frame = original(*args, **kwargs)
        hit = (frame["metric_id"] == "bed_days") & (frame["org_code"] == area)
        frame.loc[hit, "suppressed"] = True
        frame.loc[hit, "value"] = float("nan")
        return frame

    monkeypatch.setattr(access, "values", masked)
    cells = row_cells(by_id(board.layout("/", {}), "board-table"), "bed_days")
    assert (spaced_text(cells[1]), spaced_text(cells[2])) == ("*", "*")


def test_unknown_month_and_area_in_the_url(scope_as):
    page = board.layout("/", {"area": "NOWHERE", "period": "1999-01-01"})
    assert "Area 'NOWHERE' is not one you can see" in spaced_text(page)
    assert by_id(page, "board-period").value == access.months()[-1].isoformat()
    content, _ = board.update_board(by_id(page, "board-area").value, "1999-01-01", False)
    assert spaced_text(content) == "There is no published month '1999-01-01'."


def test_data_freshness_lists_each_feeds_latest_month(scope_as):
    table = by_id(board.layout("/", {}), "board-freshness")
    rows = [item for item in components(table) if isinstance(item, html.Tr)][1:]
    feeds = board_data.freshness()
    assert len(rows) == len(feeds)
    first = feeds.iloc[0]
    assert spaced_text(rows[0]) == f"{first['feed']} {board._month_text(first['date_to'])}"
    assert any(spaced_text(row).endswith("October 2026") for row in rows)
