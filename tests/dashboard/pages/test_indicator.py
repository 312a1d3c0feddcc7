"""Indicator detail: the chart and table values are access's values for the same keys,
scope and disclosure hold, bad URLs get one sentence, and a view survives its URL."""

from __future__ import annotations

import math
from urllib.parse import parse_qsl

from dash import dcc, html

from dashboard import access
from dashboard.pages import indicator
from dashboard.pages.board_data import format_value
from dashboard.scope import Scope
from tests.dashboard.pages.tree import by_id, components
from tests.dashboard.pages.tree import text as tree_text


def spaced_text(component) -> str:
    return tree_text(component, " ")


def body_rows(table) -> list[list[str]]:
    body = next(item for item in components(table) if isinstance(item, html.Tbody))
    return [[spaced_text(cell) for cell in row.children] for row in body.children]


def latest() -> str:
    return access.months()[-1].isoformat()


def first_org(level: str, scope: Scope | None = None) -> str:
    return access.org_units(scope or Scope.whole_system(), level)["org_code"].iloc[0]


def test_unknown_indicator_gives_one_sentence(scope_as):
    page = indicator.layout("/indicator/xyz", {})
    assert spaced_text(page) == "Indicator detail There is no indicator 'xyz'. See Definitions."
    content, search = indicator.update_indicator(
        "area", "X", "month", latest(), "all", "system", "xyz"
    )
    assert (spaced_text(content), search) == ("There is no indicator 'xyz'. See Definitions.", "")


def test_spc_chart_values_are_the_published_points(scope_as):
    area = first_org("area")
    page = indicator.layout("/indicator/bed_days", {"level": "area", "org": area})
    figure = by_id(page, "indicator-spc").figure
    value = next(trace for trace in figure.data if trace.name == "Value")
    points = access.spc_points(Scope.whole_system(), ["bed_days"], [area])
    assert list(value.y) == [None if math.isnan(v) else v for v in points["value"]]
    mean = next(trace for trace in figure.data if trace.name == "Mean")
    assert list(mean.y) == list(points["mean"])
    spc_rows = body_rows(by_id(page, "indicator-spc-table"))
    assert len(spc_rows) == len(points)
    assert spc_rows[-1][1] == format_value(points["value"].iloc[-1])


def test_headline_and_definition(scope_as):
    locality = first_org("locality")
    query = {"level": "locality", "org": locality, "period_type": "quarter"}
    page = indicator.layout("/indicator/bed_days", query)
    period = access.periods("quarter")["period_start"].iloc[-1]
    row = access.values(
        Scope.whole_system(),
        metric_ids=["bed_days"],
        levels=["locality"],
        org_codes=[locality],
        period_type="quarter",
        period_starts=[period],
    ).iloc[0]
    headline = spaced_text(by_id(page, "indicator-headline"))
    assert f": {format_value(row['value'])} (95% CI {format_value(row['lower_95'])} to " in headline
    assert headline.endswith(f"compared with the whole system: {row['comparison_system']}.")
    definition = spaced_text(by_id(page, "indicator-definition"))
    assert access.indicator("bed_days")["numerator"] in definition
    assert "lower is better" in definition


def test_practice_comparison_masks_suppressed_practices(scope_as):
    content, _ = indicator.update_indicator(
        "practice", first_org("practice"), "month", latest(), "all", "system", "coordinated_care"
    )
    values = access.values(
        Scope.whole_system(),
        metric_ids=["coordinated_care"],
        levels=["practice"],
        period_starts=[access.months()[-1]],
    )
    shown = values[~values["suppressed"]]
    assert values["suppressed"].any() and len(shown)  # the sample has both kinds
    rows = body_rows(by_id(content, "indicator-peer-table"))
    assert sum(row[3] == "*" for row in rows) == values["suppressed"].sum()
    assert {row[3] for row in rows if row[3] != "*"} <= {format_value(v) for v in shown["value"]}
    points = by_id(content, "indicator-funnel").figure.data[-1]
    assert sorted(points.y) == sorted(shown["value"])
    bars = by_id(content, "indicator-ranked").figure.data[0]
    assert list(bars.x) == sorted(shown["value"])


def test_parent_benchmark_compares_siblings_with_their_parent(scope_as):
    content, search = indicator.update_indicator(
        "practice", None, "month", latest(), "all", "parent", "bed_days"
    )
    practices = access.org_units(Scope.whole_system(), "practice")
    org = dict(parse_qsl(search.lstrip("?")))["org"]
    assert org == practices["org_code"].iloc[0]  # a missing org takes the first in scope
    parent = practices.set_index("org_code").loc[org, "parent_code"]
    siblings = practices[practices["parent_code"] == parent]["org_code"]
    rows = body_rows(by_id(content, "indicator-peer-table"))
    assert len(rows) == len(siblings)
    parent_value = access.values(
        Scope.whole_system(),
        metric_ids=["bed_days"],
        org_codes=[parent],
        period_starts=[access.months()[-1]],
    )
    assert f"Benchmark (parent): {format_value(parent_value['value'].iloc[0])}." in spaced_text(
        content
    )


def test_view_is_kept_in_the_url_and_reproduced_from_it(scope_as):
    locality = first_org("locality")
    content, search = indicator.update_indicator(
        "locality", locality, "rolling12", None, "age_band:85+", "system", "bed_days"
    )
    query = dict(parse_qsl(search.lstrip("?")))
    period = access.periods("rolling12")["period_start"].iloc[-1]
    assert query == {
        "level": "locality",
        "org": locality,
        "period_type": "rolling12",
        "period": period.date().isoformat(),
        "segment": "age_band:85+",
        "benchmark": "system",
    }
    page = indicator.layout("/indicator/bed_days", query)
    assert spaced_text(by_id(page, "indicator-headline")) == spaced_text(
        by_id(content, "indicator-headline")
    )
    assert by_id(page, "indicator-segment").value == "age_band:85+"


def test_locality_user_gets_no_other_locality(scope_as):
    localities = access.org_units(Scope.whole_system(), "locality")
    own, other = localities["org_code"].iloc[0], localities["org_code"].iloc[1]
    scope_as(Scope("locality", own))
    page = indicator.layout("/indicator/bed_days", {"level": "locality", "org": other})
    assert spaced_text(page) == f"Indicator detail There is no locality '{other}' in your scope."
    content, search = indicator.update_indicator(
        "locality", other, "month", latest(), "all", "system", "bed_days"
    )
    assert (spaced_text(content), search) == (f"There is no locality '{other}' in your scope.", "")
    content, _ = indicator.update_indicator(
        "locality", own, "month", latest(), "all", "system", "bed_days"
    )
    rows = body_rows(by_id(content, "indicator-peer-table"))
    assert [row[0].rsplit("(", 1)[1].rstrip(")") for row in rows] == [own]
    options, value = indicator.org_choices("practice")
    visible = access.visible(Scope("locality", own))
    assert value in visible and {option["value"] for option in options} <= visible


def test_bad_parameters_each_get_a_sentence(scope_as):
    area = first_org("area")
    cases = {
        "level": ("county", "'county' is not a level this indicator is published at."),
        "period_type": (
            "decade",
            "'decade' is not a period type (month, quarter, rolling12, fy, board).",
        ),
        "period": ("2001-01-01", "There is no published month period starting '2001-01-01'."),
        "segment": ("shoe:size", "There is no segment 'shoe:size' for this indicator."),
        "benchmark": ("england", "'england' is not a benchmark (system or parent)."),
    }
    for name, (bad, sentence) in cases.items():
        page = indicator.layout("/indicator/bed_days", {"level": "area", "org": area, name: bad})
        assert spaced_text(page) == f"Indicator detail {sentence}"
    page = indicator.layout("/indicator", {})
    assert "Choose an indicator" in spaced_text(page)


def test_choices_callbacks(scope_as):
    options, value = indicator.period_choices("quarter")
    starts = access.periods("quarter")["period_start"]
    assert value == starts.iloc[-1].date().isoformat()
    assert len(options) == len(starts)
    options, value = indicator.org_choices("area")
    assert [o["value"] for o in options] == list(
        access.org_units(Scope.whole_system(), "area")["org_code"]
    )
    assert indicator.org_choices("county") == ([], None)
    assert isinstance(
        by_id(indicator.layout("/indicator/bed_days", {}), "indicator-url"), dcc.Location
    )
