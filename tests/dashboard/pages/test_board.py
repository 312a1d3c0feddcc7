"""Board overview: the values shown are access's values for the same keys, scope is
respected, suppressed values show as "*", and the callback keeps the view in the URL."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl

import pandas as pd
from dash import dcc, html

from dashboard import access, formats
from dashboard.figures.sparkline import sparkline_coordinates
from dashboard.icons import variation_label
from dashboard.pages import board, board_data, status
from dashboard.pages.board_data import format_change, format_value, previous_board_month
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


SUPPRESSED_STATUSES = ("all_suppressed", "last_point_suppressed")


def cell(cells: list, label: str):
    """The cell of a row whose column (data-label) is `label`."""
    return next(c for c in cells if getattr(c, "data-label", None) == label)


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
    indicator = access.indicator("bed_days")
    current = area_value(scope, "bed_days", area, month)
    previous = area_value(scope, "bed_days", area, previous_board_month(month))
    assert spaced_text(cell(cells, "Value")) == f"{current['value']:,.1f}"
    change = current["value"] - previous["value"]
    assert spaced_text(cell(cells, "Change")) == f"{change:+,.1f}"
    assert format_change(current, previous, indicator) == f"{change:+,.1f}"
    link = cells[0].children[0]
    assert link.href == f"/indicator/bed_days?level=area&org={area}"


def icon_labels(cells: list) -> list[str]:
    """The full names of the icons in a row's cells."""
    return [
        item.to_plotly_json()["props"]["aria-label"]
        for item in components(cells)
        if getattr(item, "role", None) == "img"
    ]


def board_rows(content) -> dict[tuple[str, int], list]:
    """(metric_id, area block) -> that block's cells, for every row of a board table."""
    found = {}
    for row in [item for item in components(content) if isinstance(item, html.Tr)][1:]:
        link = next((c for c in components(row) if isinstance(c, dcc.Link)), None)
        if link is not None:
            found[link.id.removeprefix("board-link-")] = list(row.children)
    return found


def test_icons_for_the_latest_month_are_the_published_summary(scope_as):
    scope = Scope.whole_system()
    area = access.org_units(scope, "area")["org_code"].iloc[0]
    summary = access.spc_summary(scope, ["bed_days"], [area]).iloc[0]
    cells = row_cells(by_id(board.layout("/", {}), "board-table"), "bed_days")
    assert icon_labels(cell(cells, "Variation")) == [
        variation_label(summary["variation"], access.indicator("bed_days")["improvement"])
    ]


def test_no_icon_or_coloured_point_for_a_series_that_is_not_charted(scope_as):
    """Over every area and board metric, for the latest month and an earlier one: a row
    has icons only when its series is charted; otherwise the icon cells say why in words,
    and its sparkline's last point is not coloured by a point type."""
    scope = Scope.whole_system()
    areas = board_data.visible_areas(scope)
    months = access.months()
    not_charted = 0
    for month in (months[-1], months[-7]):
        data = board_data.load_board(
            scope, areas, areas["org_code"].iloc[0], month, True, months[-1]
        )
        content = board.board_content(scope, areas, areas["org_code"].iloc[0], month, True)
        for metric, cells in board_rows(content).items():
            for index, code in enumerate(data.areas["org_code"]):
                status = board_data.status_at(data, metric, code)
                prefix = f"{data.areas['org_name'].iloc[index]}: "
                block = [c for c in cells if str(getattr(c, "data-label", "")).startswith(prefix)]
                if status == board_data.CHARTED:
                    assert len(icon_labels(block)) == 2
                    continue
                not_charted += 1
                assert icon_labels(block) == []
                words = spaced_text(cell(block, prefix + "Variation and assurance"))
                assert words == board_data.STATUS_WORDS[status]
    assert not_charted >= 4  # the sample has series suppressed in every month


def test_a_series_suppressed_in_every_month_says_suppressed_and_draws_nothing(
    scope_as, monkeypatch
):
    """A series published as every month suppressed (as access serves it: no value, rule
    or point type; status 'all_suppressed', no icons) shows no icon, no trend and says
    "Suppressed" in words, both for the latest month and an earlier one."""
    scope = Scope.whole_system()
    areas = board_data.visible_areas(scope)
    area, months = areas["org_code"].iloc[0], access.months()
    points, summary = access.spc_points, access.spc_summary

    def hidden_points(*args, **kwargs):
        frame = points(*args, **kwargs)
        hit = (frame["metric_id"] == "bed_days") & (frame["org_code"] == area)
        frame.loc[hit, ["value", "rule", "point_type"]] = None
        frame.loc[hit, "suppressed"] = True
        return frame

    def hidden_summary(*args, **kwargs):
        frame = summary(*args, **kwargs)
        hit = (frame["metric_id"] == "bed_days") & (frame["org_code"] == area)
        frame.loc[hit, ["variation", "assurance"]] = None
        frame.loc[hit, "status"] = "all_suppressed"
        return frame

    monkeypatch.setattr(access, "spc_points", hidden_points)
    monkeypatch.setattr(access, "spc_summary", hidden_summary)
    for month in (months[-1], months[-5]):
        data = board_data.load_board(scope, areas, area, month, False, months[-1])
        assert board_data.status_at(data, "bed_days", area) in SUPPRESSED_STATUSES
        assert board_data.icons_at(data, access.indicator("bed_days"), area) == (None, None)
        cells = row_cells(board.board_content(scope, areas, area, month, False), "bed_days")
        assert icon_labels(cells) == []
        assert spaced_text(cell(cells, "Trend")) == "–"
        assert spaced_text(cell(cells, "Variation and assurance")) == "Suppressed"


def test_sparklines_leave_suppressed_months_as_gaps(scope_as):
    scope = Scope.whole_system()
    areas = board_data.visible_areas(scope)
    months = access.months()
    data = board_data.load_board(
        scope, areas, areas["org_code"].iloc[0], months[-1], True, months[-1]
    )
    partly = [
        points
        for points in data.points.values()
        if points["suppressed"].any() and not points["suppressed"].all()
    ]
    assert partly, "the sample has a board series with some months suppressed"
    for points in partly:
        assert points.loc[points["suppressed"], "value"].isna().all()
        runs = sparkline_coordinates(points)
        assert sum(len(run) for run in runs) == (~points["suppressed"]).sum()


def test_values_have_the_same_decimals_in_every_row_and_percentages_a_percent_sign(scope_as):
    scope = Scope.whole_system()
    areas = board_data.visible_areas(scope)
    content = board.board_content(
        scope, areas, areas["org_code"].iloc[0], access.months()[-1], True
    )
    for metric, cells in board_rows(content).items():
        unit = access.indicator(metric)["unit"]
        for value_cell in [c for c in cells if str(getattr(c, "data-label", "")).endswith("Value")]:
            shown = spaced_text(value_cell)
            if shown in ("*", "–"):
                continue
            number = shown.removesuffix("%")
            assert shown.endswith("%") == unit.startswith("%"), (metric, shown)
            decimals = len(number.split(".")[1]) if "." in number else 0
            assert decimals == formats.decimals(unit), (metric, shown)


def test_the_page_explains_the_star_once(scope_as):
    page = board.layout("/", {})
    note = by_id(page, "board-suppression-note")
    assert spaced_text(note).startswith("* = suppressed")
    assert spaced_text(page).count("* = suppressed:") == 1


def test_other_area_column_shows_the_other_areas_value(scope_as):
    scope = Scope.whole_system()
    areas = access.org_units(scope, "area")
    month = access.months()[-1]
    other = areas.iloc[1]
    cells = row_cells(by_id(board.layout("/", {}), "board-table"), "emergency_admissions")
    expected = format_value(
        area_value(scope, "emergency_admissions", other["org_code"], month)["value"],
        False,
        access.indicator("emergency_admissions"),
    )
    assert spaced_text(cells[-1]) == f"{other['org_name']}: {expected}"


def test_side_by_side_shows_every_area_for_an_earlier_month(scope_as):
    scope = Scope.whole_system()
    areas = access.org_units(scope, "area")["org_code"].tolist()
    month = access.months()[-5]
    content, search, *_ = board.update_board(areas[1], month.isoformat(), True)
    cells = row_cells(content, "acsc_all")
    names = access.org_units(scope, "area").set_index("org_code")["org_name"]
    shown = [spaced_text(cell(cells, f"{names[code]}: Value")) for code in (areas[1], areas[0])]
    expected = [
        format_value(
            area_value(scope, "acsc_all", code, month)["value"], False, access.indicator("acsc_all")
        )
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
    content, search, *_ = board.update_board(other_code, access.months()[-1].isoformat(), True)
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
    assert (spaced_text(cell(cells, "Value")), spaced_text(cell(cells, "Change"))) == ("*", "*")


def test_unknown_month_and_area_in_the_url(scope_as):
    page = board.layout("/", {"area": "NOWHERE", "period": "1999-01-01"})
    assert "Area 'NOWHERE' is not one you can see" in spaced_text(page)
    assert by_id(page, "board-period").value == access.months()[-1].isoformat()
    content, *_ = board.update_board(by_id(page, "board-area").value, "1999-01-01", False)
    assert spaced_text(content) == "There is no published month '1999-01-01'."


def test_data_freshness_lists_each_feeds_latest_month(scope_as):
    table = by_id(board.layout("/", {}), "board-freshness")
    rows = [item for item in components(table) if isinstance(item, html.Tr)][1:]
    feeds = board_data.freshness_rows(access.months()[-1])
    assert len(rows) == len(feeds)
    first = feeds.iloc[0]
    assert spaced_text(rows[0]).startswith(status.feed_name(first["feed"]))
    assert any(spaced_text(row).endswith("October 2026") for row in rows)
    assert not any("_" in spaced_text(row) for row in rows)  # names in words, not feed ids


def test_freshness_rows_flag_a_feed_behind_the_last_month_as_stale(scope_as):
    last = access.months()[-1]
    rows = board_data.freshness_rows(last)
    assert list(rows.columns) == ["feed", "name", "date_to", "stale"]
    reference = rows["feed"].isin(status.REFERENCE_FEEDS)
    behind = pd.to_datetime(rows["date_to"]).dt.to_period("M") < pd.Period(last, "M")
    assert rows["stale"].tolist() == (behind & ~reference).tolist()
    later = board_data.freshness_rows(date(2100, 1, 1))
    assert later["stale"].tolist() == (~reference).tolist()  # every dated feed is behind
    table = by_id(board._freshness(date(2100, 1, 1)), "board-freshness")
    shown = [spaced_text(r) for r in components(table) if isinstance(r, html.Tr)][1:]
    assert all(text.startswith(name) for text, name in zip(shown, later["name"], strict=True))
    assert ["Behind" in text for text in shown] == later["stale"].tolist()
