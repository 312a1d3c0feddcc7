"""Every page opens in Chromium with no console errors, one h1 and a table beside every
chart; and axe-core finds no serious or critical accessibility violation on it."""

from __future__ import annotations

import pytest

from tests.e2e.browser import axe_violations, describe, open_page

PAGES = (
    "/", "/indicator/bed_days", "/networks", "/drilldown", "/practice", "/definitions",
    "/status",
)  # fmt: skip
CHARTS_WITHOUT_ALTERNATIVE_JS = """() => [...document.querySelectorAll('.dash-graph')]
  .filter(graph => !(graph.closest('section') || graph.parentElement).querySelector('table'))
  .map(graph => graph.id)"""


@pytest.mark.parametrize("path", PAGES)
def test_page_opens_with_no_browser_errors(page, path):
    open_page(page, path)
    assert page.errors == [], f"{path}: browser errors:\n" + "\n".join(page.errors)
    assert page.locator("h1").count() == 1
    assert page.evaluate(CHARTS_WITHOUT_ALTERNATIVE_JS) == [], "charts with no table beside"


@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_serious_accessibility_violations(page, path):
    open_page(page, path)
    violations = axe_violations(page)
    assert violations == [], f"{path}: accessibility violations:\n{describe(violations)}"


def test_images_of_charts_have_text(page):
    open_page(page, "/")
    alts = page.eval_on_selector_all("#board-table img", "images => images.map(i => i.alt)")
    assert alts and all(alt.strip() for alt in alts)
