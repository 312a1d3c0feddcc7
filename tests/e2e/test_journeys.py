"""The journeys the issue names, by clicking in Chromium: a board row through to its SPC
chart, the drill-down from the whole system to a practice, and a shared link that opens
the same view for someone else."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from dashboard import access
from dashboard.scope import Scope
from tests.e2e.browser import (
    choose,
    dropdown_text,
    new_context,
    open_page,
    settle,
    submit_login,
    trace_names,
    trace_y,
    watched,
)

INDICATOR_CONTROLS = (
    "indicator-level", "indicator-org", "indicator-period-type", "indicator-period",
    "indicator-segment", "indicator-benchmark",
)  # fmt: skip


def test_a_board_row_opens_its_spc_chart(page, base_url):
    open_page(page, "/")
    href = page.get_attribute("#board-link-bed_days", "href")
    area = parse_qs(urlsplit(href).query)["org"][0]
    page.click("#board-link-bed_days")
    page.wait_for_url(f"**/indicator/bed_days?level=area&org={area}*")
    settle(page)
    assert page.locator("#indicator-spc .main-svg").first.is_visible()
    assert "Mean" in trace_names(page, "indicator-spc")
    points = access.spc_points(Scope.whole_system(), ["bed_days"], [area])
    assert trace_y(page, "indicator-spc", "Mean") == [
        None if mean != mean else float(mean) for mean in points["mean"]
    ]
    assert dropdown_text(page, "indicator-org") == _org_name(area)
    assert page.errors == []


def test_drilling_down_by_clicking_reaches_a_practice(page):
    open_page(page, "/drilldown")
    visited = []
    for level in ("area", "locality", "network", "practice"):
        child = page.locator('[id^="drilldown-child-"]').first
        code = child.get_attribute("id").removeprefix("drilldown-child-")
        child.click()
        page.wait_for_url(f"**/drilldown?org={code}*")
        settle(page)
        assert _org_level(code) == level
        assert page.inner_text("#drilldown-body h2 >> nth=0").startswith(_org_name(code))
        visited.append(code)
    assert page.locator('[id^="drilldown-child-"]').count() == 0
    crumbs = page.eval_on_selector_all(
        'nav[aria-label="Breadcrumb"] li', "items => items.map(item => item.innerText.trim())"
    )
    assert crumbs == [_org_name("SYSTEM"), *(_org_name(code) for code in visited)]
    page.click("#drilldown-practice-profile")
    page.wait_for_url(f"**/practice?org={visited[-1]}")
    settle(page)
    assert page.locator("#practice-spine .main-svg").first.is_visible()
    assert _org_name(visited[-1]) in page.inner_text("#page-content")
    assert page.errors == []


def test_a_shared_url_opens_the_same_view(page, browser, base_url):
    open_page(page, "/indicator/bed_days")
    choose(page, "indicator-level", "Locality")
    choose(page, "indicator-period-type", "Quarter")
    shared = page.url
    query = parse_qs(urlsplit(shared).query)
    assert query["level"] == ["locality"] and query["period_type"] == ["quarter"]
    original = {control: dropdown_text(page, control) for control in INDICATOR_CONTROLS}
    assert original["indicator-org"] == _org_name(query["org"][0])

    colleague = new_context(browser, base_url)
    tab = watched(colleague.new_page())
    tab.goto(shared)
    submit_login(tab)  # the link leads through the login page and back to the view
    settle(tab)
    assert tab.url == shared
    assert {control: dropdown_text(tab, control) for control in INDICATOR_CONTROLS} == original
    assert tab.inner_text("#indicator-headline") == page.inner_text("#indicator-headline")
    assert tab.errors == [] and page.errors == []
    colleague.close()


def _org_name(code: str) -> str:
    orgs = access.org_units(Scope.whole_system())
    return orgs.loc[orgs["org_code"] == code, "org_name"].iloc[0]


def _org_level(code: str) -> str:
    orgs = access.org_units(Scope.whole_system())
    return orgs.loc[orgs["org_code"] == code, "level"].iloc[0]
