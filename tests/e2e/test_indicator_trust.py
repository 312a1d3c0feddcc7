"""The indicator page as a board member sees it, at 1440 and 390 px: the verdicts and the
colours Plotly drew agree with the intervals and benchmark it drew, the funnel's axis is
readable and says which limits it draws, a far target does not flatten the SPC chart,
picking a segment keeps the view, change points can be recorded, and axe stays clean."""

from __future__ import annotations

import re

import pytest

from dashboard import theme
from metrics import stats
from tests.e2e.browser import axe_violations, choose, describe, open_page, settle

WIDTHS = (1440, 390)
X20015 = "/indicator/bed_days?level=practice&org=X20015&period_type=rolling12"
DRAWN_BARS_JS = """id => {
  const plot = document.getElementById(id).querySelector('.js-plotly-plot');
  const line = (plot.layout.shapes || [])[0];
  return {benchmark: line ? line.x0 : null, bars: plot.data.map(trace => ({
    colour: trace.marker.color, x: trace.x, minus: trace.error_x.arrayminus,
    plus: trace.error_x.array}))};
}"""
TICKS_JS = """id => [...document.getElementById(id).querySelectorAll('.xtick text')]
  .map(tick => tick.textContent)"""
OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"
COLOUR_WORDS = {colour.lower(): word for word, colour in theme.COMPARISON_COLOURS.items()}


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def sized(page, request):
    page.set_viewport_size({"width": request.param, "height": 900})
    return page


def test_bar_colours_follow_the_drawn_intervals_and_ratio_of_one(sized):
    open_page(sized, X20015)
    headline = sized.locator("#indicator-headline").inner_text()
    assert "standardised ratio" in headline and "against 1" in headline
    assert re.search(r": (better|similar|worse) at 95%, (better|similar|worse) at 99\.8%", headline)
    drawn = sized.evaluate(DRAWN_BARS_JS, "indicator-ranked")
    assert drawn["benchmark"] == 1
    count = 0
    for trace in drawn["bars"]:
        for x, minus, plus in zip(trace["x"], trace["minus"], trace["plus"], strict=True):
            implied = stats.compare(x - minus, x + plus, 1.0, "lower")
            assert COLOUR_WORDS[trace["colour"].lower()] == implied
            count += 1
    assert count > 50
    assert sized.evaluate(OVERFLOW_JS) <= 0, "the page scrolls sideways"
    violations = axe_violations(sized)
    assert violations == [], describe(violations)


def test_funnel_axis_is_readable_and_names_its_limits(sized):
    open_page(sized, X20015)
    ticks = sized.evaluate(TICKS_JS, "indicator-funnel")
    assert ticks and all(re.fullmatch(r"[125]0*|[125](,000)+|[125]0{1,2},000", t) for t in ticks)
    assert len(set(ticks)) == len(ticks)
    svg_text = sized.locator("#indicator-funnel").inner_text()
    assert "φ =" in svg_text and "τ² =" in svg_text
    assert "adjusted" in sized.locator("#indicator-funnel-limits").inner_text()


def test_a_far_target_is_marked_at_the_edge_not_drawn(sized):
    open_page(sized, "/indicator/dm_hba1c_control")
    names = sized.evaluate(
        "() => document.querySelector('#indicator-spc .js-plotly-plot').data.map(t => t.name)"
    )
    assert "Target" not in names
    assert "Target 75% ↑" in sized.locator("#indicator-spc").inner_text()
    violations = axe_violations(sized)
    assert violations == [], describe(violations)


def test_no_icon_beside_a_series_that_is_not_charted(page):
    open_page(page, "/indicator/coordinated_care?level=practice")
    status = page.locator("#indicator-spc-status").inner_text()
    assert status.startswith(("Every month", "The latest month", "Too few points"))
    assert page.locator("#indicator-spc-icons").count() == 0


def test_picking_a_segment_keeps_the_whole_query(page):
    open_page(page, "/indicator/bed_days?level=locality&period_type=quarter&benchmark=parent")
    choose(page, "indicator-segment", "age band: 85+")
    query = page.evaluate("() => window.location.search")
    for part in ("level=locality", "period_type=quarter", "benchmark=parent", "segment=age_band"):
        assert part in query
    choose(page, "indicator-level", "Practice")
    options = page.eval_on_selector_all("#indicator-segment option", "o => o.map(x => x.value)")
    assert [value for value in options if value] == ["all"]  # "" is the select's placeholder


def test_an_admin_records_a_change_point(page):
    open_page(page, "/indicator/bed_days?level=area")
    page.fill("#indicator-change-month", "2025-07")
    page.fill("#indicator-change-label", "New discharge pathway")
    page.click("#indicator-change-add")
    settle(page)
    message = page.locator("#indicator-change-message").inner_text()
    assert message.endswith("it takes effect at the next publish.")
    assert "Jul 2025: New discharge pathway" in page.locator("#indicator-change-list").inner_text()
    page.fill("#indicator-change-label", "")
    page.click("#indicator-change-add")
    settle(page)
    assert page.locator("#indicator-change-message").inner_text() == (
        "Give the change point a label, such as 'New pathway'."
    )
