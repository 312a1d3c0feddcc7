"""Indicator detail: the chart and table values are access's values for the same keys,
scope and disclosure hold, bad URLs get one sentence, and a view survives its URL."""

from __future__ import annotations

import json
import math
from contextvars import copy_context
from datetime import date
from urllib.parse import parse_qsl

import pytest
from dash import dcc, html, no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict

from dashboard import access, formats, roles, theme
from dashboard.figures.funnel import POSITIONS, build_funnel, funnel_table
from dashboard.pages import indicator, indicator_panels
from dashboard.pages import indicator_data as data
from dashboard.scope import Scope
from metrics import stats
from tests.dashboard.pages.tree import by_id, components
from tests.dashboard.pages.tree import text as tree_text
from wholesystem import annotations
from wholesystem.settings import Settings


@pytest.fixture(autouse=True)
def no_request(tmp_path, monkeypatch):
    """Outside a request there is no Flask app or signed-in user: the change-point panel
    reads an empty store and sees a viewer, unless a test says otherwise."""
    monkeypatch.setattr(indicator_panels, "_settings", lambda: Settings(data_dir=tmp_path))
    monkeypatch.setattr(roles, "current_role", lambda: "viewer")


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
        "area", "X", "month", latest(), "all", "system", "auto", "xyz"
    )
    assert (spaced_text(content), search) == (
        "There is no indicator 'xyz'. See Definitions.",
        no_update,
    )


def test_spc_chart_values_are_the_published_points(scope_as):
    area = first_org("area")
    page = indicator.layout("/indicator/bed_days", {"level": "area", "org": area})
    figure = by_id(page, "indicator-spc").figure
    value = next(trace for trace in figure.data if trace.name == "Value")
    points = access.spc_points(Scope.whole_system(), ["bed_days"], [area])
    assert list(value.y) == [None if math.isnan(v) else v for v in points["value"]]
    mean = next(trace for trace in figure.data if trace.name == "Mean")
    drawn = [v for v in mean.y if v is not None]
    assert drawn == [v for v in points["mean"] if not math.isnan(v)]
    spc_rows = body_rows(by_id(page, "indicator-spc-table"))
    assert len(spc_rows) == len(points)
    unit = access.indicator("bed_days")["unit"]
    assert spc_rows[-1][1] == formats.number(points["value"].iloc[-1], unit)


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
    unit = access.indicator("bed_days")["unit"]
    headline = spaced_text(by_id(page, "indicator-headline"))
    value = formats.number(row["value"], unit)
    assert f": {value} (95% CI {formats.number(row['lower_95'], unit)} to " in headline
    ratio = f"{row['isr']:.2f} (95% CI {row['isr_lower_95']:.2f} to {row['isr_upper_95']:.2f})"
    assert f"standardised ratio {ratio} against 1" in headline
    assert (
        f": {row['comparison_system']} at 95%, {row['comparison_system_998']} at 99.8%." in headline
    )
    definition = spaced_text(by_id(page, "indicator-definition"))
    assert access.indicator("bed_days")["numerator"] in definition
    assert "lower is better" in definition
    assert "Other counts are rounded to the nearest 5" in definition  # a board indicator


def test_the_reported_practice_shows_the_ratio_its_verdict_was_decided_on(scope_as):
    """Finding 1: X20015's crude rolling-12 rate is above the system's, lower is better, and
    the verdict is 'better': the headline must show the ratio that decided it."""
    page = indicator.layout(
        "/indicator/bed_days",
        {"level": "practice", "org": "X20015", "period_type": "rolling12"},
    )
    row = access.values(
        Scope.whole_system(),
        metric_ids=["bed_days"],
        org_codes=["X20015"],
        period_type="rolling12",
        period_starts=[access.periods("rolling12")["period_start"].iloc[-1]],
    ).iloc[0]
    headline = spaced_text(by_id(page, "indicator-headline"))
    verdict = stats.compare(row["isr_lower_95"], row["isr_upper_95"], 1.0, "lower")
    assert verdict == row["comparison_system"]
    assert f"against 1 (as expected at the system's rates): {verdict} at 95%" in headline
    assert "crude value is " + formats.number(row["system_value"], "x") in headline


def test_practice_comparison_masks_suppressed_practices(scope_as):
    content, _ = indicator.update_indicator(
        "practice",
        first_org("practice"),
        "month",
        latest(),
        "all",
        "system",
        "auto",
        "coordinated_care",
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
    unit = access.indicator("coordinated_care")["unit"]
    assert {row[3] for row in rows if row[3] != "*"} <= {
        formats.number(v, unit) for v in shown["value"]
    }
    funnel = by_id(content, "indicator-funnel").figure
    drawn = [y for trace in funnel.data if trace.mode == "markers" for y in trace.y]
    assert sorted(drawn) == sorted(shown["value"])
    ranked = by_id(content, "indicator-ranked").figure
    assert sorted(x for trace in ranked.data for x in trace.x) == sorted(shown["value"])


def test_parent_benchmark_compares_siblings_with_their_parent(scope_as):
    content, search = indicator.update_indicator(
        "practice", None, "month", latest(), "all", "parent", "auto", "bed_days"
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
    unit = access.indicator("bed_days")["unit"]
    benchmark = formats.number(parent_value["value"].iloc[0], unit)
    assert f"interval with the parent ({benchmark})." in spaced_text(content)


def test_view_is_kept_in_the_url_and_reproduced_from_it(scope_as):
    locality = first_org("locality")
    content, search = indicator.update_indicator(
        "locality", locality, "rolling12", None, "age_band:85+", "system", "unadjusted", "bed_days"
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
        "limits": "unadjusted",
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
        "locality", other, "month", latest(), "all", "system", "auto", "bed_days"
    )
    assert (spaced_text(content), search) == (
        f"There is no locality '{other}' in your scope.",
        no_update,
    )
    content, _ = indicator.update_indicator(
        "locality", own, "month", latest(), "all", "system", "auto", "bed_days"
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
        "benchmark": ("england", "'england' is not a benchmark (system, parent or peers)."),
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


COMPARED_METRICS = (
    "bed_days",
    "emergency_admissions",
    "coordinated_care",
    "mean_los_emergency",
    "nel_last_100_days",
)


def compared_views():
    for metric_id in COMPARED_METRICS:
        for level in ("practice", "locality", "area", "system"):
            for benchmark in ("system", "parent"):
                yield metric_id, level, benchmark


def test_every_bar_colour_follows_from_its_drawn_interval_and_benchmark(scope_as):
    """Over the sample: the colour of each ranked bar is the verdict its drawn 95% interval
    and the drawn benchmark line imply (PHE's rule, metrics.stats.compare)."""
    checked = 0
    for metric_id, level, benchmark in compared_views():
        polarity = access.indicator(metric_id)["polarity"]
        content, _ = indicator.update_indicator(
            level, None, "rolling12", None, "all", benchmark, "auto", metric_id
        )
        figure = by_id(content, "indicator-ranked").figure
        line = figure.layout.shapes[0].x0 if figure.layout.shapes else math.nan
        for trace in figure.data:
            for x, minus, plus in zip(
                trace.x, trace.error_x.arrayminus, trace.error_x.array, strict=True
            ):
                word = stats.compare(x - minus, x + plus, line, polarity)
                assert trace.marker.color == theme.COMPARISON_COLOURS[word], (
                    metric_id, level, benchmark, x, word, trace.name,
                )  # fmt: skip
                checked += 1
    assert checked > 300


def test_the_ratio_is_drawn_where_the_system_verdict_compares_it(scope_as):
    content, _ = indicator.update_indicator(
        "practice", "X20015", "rolling12", None, "all", "system", "auto", "bed_days"
    )
    ranked = by_id(content, "indicator-ranked").figure
    assert ranked.layout.shapes[0].x0 == 1.0
    assert ranked.layout.xaxis.title.text == "Standardised ratio (observed / expected)"
    values = access.values(
        Scope.whole_system(),
        metric_ids=["bed_days"],
        levels=["practice"],
        period_type="rolling12",
        period_starts=[access.periods("rolling12")["period_start"].iloc[-1]],
    )
    drawn = sorted(x for trace in ranked.data for x in trace.x)
    assert drawn == pytest.approx(sorted(values["isr"].dropna()))
    funnel = by_id(content, "indicator-funnel").figure
    assert funnel.layout.xaxis.title.text == "Expected count"
    assert funnel.data[0].name == "Ratio of 1 (as expected)"
    rows = body_rows(by_id(content, "indicator-peer-table"))
    mine = next(row for row in rows if "(X20015)" in row[0])
    own = values.set_index("org_code").loc["X20015"]
    assert mine[-2:] == [own["comparison_system"], own["comparison_system_998"]]
    assert mine[6] == (
        f"{own['isr']:.2f} (95% CI {own['isr_lower_95']:.2f} to {own['isr_upper_95']:.2f})"
    )


def test_funnel_points_are_coloured_by_their_position_against_the_drawn_limits(scope_as):
    for metric_id in ("bed_days", "coordinated_care", "mean_los_emergency"):
        view, problem = data.parse_view(
            metric_id, {"level": "practice", "period_type": "rolling12"}, Scope.whole_system()
        )
        detail = data.load_detail(Scope.whole_system(), view)
        funnel = indicator.detail_funnel(detail)
        content = indicator.detail_content(Scope.whole_system(), view)
        figure = by_id(content, "indicator-funnel").figure
        points = [trace for trace in figure.data if trace.mode == "markers"]
        for trace in points:
            position = next(key for key, value in POSITIONS.items() if value[0] == trace.name)
            assert trace.marker.color == POSITIONS[position][1]
            for x, y in zip(trace.x, trace.y, strict=True):
                lower95, upper95 = funnel.limits([x], 0.95)
                lower998, upper998 = funnel.limits([x], 0.998)
                inside = lower95[0] <= y <= upper95[0]
                assert inside == (position == "within 95%"), (metric_id, x, y, position)
                beyond = y > upper998[0] or y < lower998[0]
                assert beyond == position.endswith("99.8%"), (metric_id, x, y, position)
        limits_text = spaced_text(by_id(content, "indicator-funnel-limits"))
        assert f"φ = {funnel.dispersion.phi:.2f}" in limits_text
        assert ("adjusted for overdispersion" in limits_text) == funnel.adjusted


def test_bed_days_practice_funnel_is_adjusted_for_its_overdispersion(scope_as):
    """Finding 7: with the unadjusted limits almost every practice is outside 99.8%."""
    view, _ = data.parse_view(
        "bed_days", {"level": "practice", "period_type": "rolling12"}, Scope.whole_system()
    )
    detail = data.load_detail(Scope.whole_system(), view)
    adjusted = indicator.detail_funnel(detail)
    assert adjusted.dispersion.significant and adjusted.adjusted
    shown = detail.peers[~detail.peers["suppressed"]]
    outside = {
        name: (funnel_table(shown, funnel)["position"].str.endswith("99.8%")).mean()
        for name, funnel in (
            ("adjusted", adjusted),
            ("unadjusted", build_funnel(shown, "isr", 1.0, 1, "unadjusted")),
        )
    }
    assert outside["unadjusted"] > 0.5 > 0.2 > outside["adjusted"]


def test_no_icon_where_the_series_is_not_charted(scope_as):
    summary = access.spc_summary(
        Scope.whole_system(),
        [row for row in access.indicators()["id"]],
        list(access.visible(Scope.whole_system())),
    )
    for status, sentence in indicator.STATUS_TEXT.items():
        rows = summary[summary["status"] == status]
        if rows.empty:
            continue
        row = rows.iloc[0]
        query = {"level": row["level"], "org": row["org_code"]}
        page = indicator.layout(f"/indicator/{row['metric_id']}", query)
        text = spaced_text(by_id(page, "indicator-content"))
        assert sentence.format(points=row["points"]) in text
        ids = {getattr(item, "id", None) for item in components(page)}
        assert "indicator-spc-icons" not in ids
        assert not any(getattr(item, "className", "") == "nhs-icon" for item in components(page))


def test_segment_list_offers_only_segments_published_at_the_level(scope_as):
    page = indicator.layout("/indicator/bed_days", {"level": "practice"})
    options = by_id(page, "indicator-segment").options
    assert [option["value"] for option in options] == ["all"]
    page = indicator.layout("/indicator/bed_days", {"level": "locality"})
    offered = {option["value"] for option in by_id(page, "indicator-segment").options}
    published = set(
        access.values(
            Scope.whole_system(),
            metric_ids=["bed_days"],
            levels=["locality"],
            period_starts=[access.months()[-1]],
            segments=None,
        )["segment"]
    )
    assert offered == published and "age_band:85+" in offered
    options, value = indicator.segment_choices("practice", "age_band:85+", "bed_days")
    assert (options, value) == ([{"label": "Everyone", "value": "all"}], "all")
    options, value = indicator.segment_choices("area", "age_band:85+", "bed_days")
    assert value == "age_band:85+"


def test_a_bad_view_keeps_the_url(scope_as):
    content, search = indicator.update_indicator(
        "practice", first_org("practice"), "month", latest(), "age_band:85+", "system",
        "auto", "bed_days",
    )  # fmt: skip
    assert search is no_update
    assert "Segments are published at locality level and above" in spaced_text(content)


def test_age_band_values_are_labelled_as_crude_age_specific_rates(scope_as):
    query = {"level": "area", "segment": "age_band:85+"}
    page = indicator.layout("/indicator/emergency_admissions", query)
    headline = spaced_text(by_id(page, "indicator-headline"))
    assert "crude age-specific rate per 1,000" in headline
    assert "directly standardised" not in headline


def test_percentages_carry_a_percent_sign(scope_as):
    page = indicator.layout("/indicator/coordinated_care", {"level": "area"})
    headline = spaced_text(by_id(page, "indicator-headline"))
    assert "% (95% CI " in headline and "% % of patients" not in headline


@pytest.fixture
def change_store(tmp_path, monkeypatch):
    """A change-point store in a temporary data directory, used by the panel's callback."""
    settings = Settings(data_dir=tmp_path)
    monkeypatch.setattr(indicator_panels, "_settings", lambda: settings)
    monkeypatch.setattr(indicator_panels.session, "current_user_name", lambda: "ana")
    return settings


def run_change_callback(trigger: str, *args, role: str = "analyst", monkeypatch=None):
    """Runs the change-point callback as Dash would after `trigger` was clicked."""
    monkeypatch.setattr(roles, "current_role", lambda: role)

    def run():
        context_value.set(
            AttributeDict(triggered_inputs=[{"prop_id": f"{trigger}.n_clicks", "value": 1}])
        )
        return indicator_panels.record_change(*args)

    return copy_context().run(run)


def test_change_points_are_recorded_by_analysts_only(scope_as, change_store, monkeypatch):
    area = first_org("area")
    form = ("2025-07", "New discharge pathway", True, "org", area, "bed_days")
    _, message = run_change_callback(
        "indicator-change-add", 1, [], *form, role="viewer", monkeypatch=monkeypatch
    )
    assert message == "Only analysts and admins can record or remove change points."
    assert annotations.list_annotations(change_store, "bed_days") == []
    listing, message = run_change_callback(
        "indicator-change-add", 1, [], *form, monkeypatch=monkeypatch
    )
    assert message == (
        "Recorded 'New discharge pathway' from July 2025; it takes effect at the next publish."
    )
    [stored] = annotations.list_annotations(change_store, "bed_days")
    assert (stored.month, stored.org_code, stored.recalculate, stored.author) == (
        date(2025, 7, 1),
        area,
        True,
        "ana",
    )
    assert "Jul 2025: New discharge pathway" in spaced_text(listing)


def test_bad_change_points_get_one_sentence_and_change_nothing(scope_as, change_store, monkeypatch):
    area = first_org("area")
    cases = {
        ("July", "Label", "org"): "'July' is not a month; give one as YYYY-MM.",
        (None, "Label", "org"): "'(none)' is not a month; give one as YYYY-MM.",
        ("2025-13", "Label", "org"): "'2025-13' is not a month; give one as YYYY-MM.",
        ("2025-07", "  ", "org"): "Give the change point a label, such as 'New pathway'.",
        ("2025-07", "x" * 201, "org"): "The label has 201 characters; at most 200.",
    }
    for (month, label, applies), sentence in cases.items():
        form = (month, label, True, applies, area, "bed_days")
        listing, message = run_change_callback(
            "indicator-change-add", 1, [], *form, monkeypatch=monkeypatch
        )
        assert (listing, message) == (no_update, sentence)
    scope_as(Scope("area", area))
    form = ("2025-07", "Label", True, "all", area, "bed_days")
    _, message = run_change_callback("indicator-change-add", 1, [], *form, monkeypatch=monkeypatch)
    assert message == "Only a whole-system user can record a change point for every organisation."
    localities = access.org_units(Scope.whole_system(), "locality")["org_code"]
    outside = next(code for code in localities if code not in access.visible(Scope("area", area)))
    form = ("2025-07", "Label", True, "org", outside, "bed_days")
    _, message = run_change_callback("indicator-change-add", 1, [], *form, monkeypatch=monkeypatch)
    assert message == f"There is no organisation '{outside}' in your scope."
    assert annotations.list_annotations(change_store) == []


def test_change_points_are_removed_by_analysts_only(scope_as, change_store, monkeypatch):
    area = first_org("area")
    kept = annotations.add_annotation(change_store, "bed_days", date(2025, 7, 1), "Kept")
    gone = annotations.add_annotation(
        change_store, "bed_days", date(2025, 9, 1), "Gone", org_code=area
    )
    trigger = json.dumps({"index": gone.id, "type": "indicator-change-remove"}).replace(" ", "")
    state = (None, None, True, "org", area, "bed_days")
    _, message = run_change_callback(
        trigger, None, [1, 1], *state, role="viewer", monkeypatch=monkeypatch
    )
    assert len(annotations.list_annotations(change_store)) == 2
    listing, message = run_change_callback(
        trigger, None, [None, 1], *state, monkeypatch=monkeypatch
    )
    assert message == "Removed 'Gone'; the chart changes at the next publish."
    assert [item.id for item in annotations.list_annotations(change_store)] == [kept.id]
    assert "Kept" in spaced_text(listing) and "Gone" not in spaced_text(listing)


def test_viewers_see_change_points_without_the_form(scope_as, change_store, monkeypatch):
    annotations.add_annotation(change_store, "bed_days", date(2025, 7, 1), "New pathway")
    area = first_org("area")
    for role, editable in (("viewer", False), ("admin", True)):
        monkeypatch.setattr(roles, "current_role", lambda role=role: role)
        page = indicator.layout("/indicator/bed_days", {"level": "area", "org": area})
        panel = by_id(page, "indicator-changes")
        ids = {str(getattr(item, "id", "")) for item in components(panel)}
        assert "Jul 2025: New pathway" in spaced_text(panel)
        assert "take effect at the next publish" in spaced_text(panel)
        assert ("indicator-change-add" in ids) == editable
