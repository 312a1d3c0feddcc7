"""What only a browser can see, at desktop (1440 px) and phone (390 px) widths: the NHS Blue
header, a menu that folds away on a phone, a board that fits a phone without scrolling
sideways, no Plotly Cloud "Share chart" button on any chart, a title on every chart (so a
downloaded PNG stands alone), a 404 page for an unknown path, and axe still clean."""

from __future__ import annotations

import pytest

from tests.e2e.browser import axe_violations, describe, open_page, settle

DESKTOP, PHONE = 1440, 390
NHS_BLUE = "rgb(0, 94, 184)"
CHART_PAGES = ("/networks", "/practice", "/indicator/bed_days")
HEADER_COLOUR_JS = (
    """() => getComputedStyle(document.querySelector('.nhs-header')).backgroundColor"""
)
SIDEWAYS_JS = (
    """() => document.documentElement.scrollWidth - document.documentElement.clientWidth"""
)
PLOTS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(plot => ({
  id: plot.closest('.dash-graph')?.id,
  cloud: plot._context.showSendToCloud || plot._context.showEditInChartStudio,
  share: [...plot.querySelectorAll('.modebar-btn')]
    .map(button => button.getAttribute('data-title') || '')
    .filter(title => /share|cloud|chart studio/i.test(title)),
  logo: plot.querySelectorAll('.modebar-btn--logo').length,
  title: plot.layout.title?.text || '',
}))"""


def at_width(tab, width: int):
    tab.set_viewport_size({"width": width, "height": 900})
    return tab


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_the_header_is_nhs_blue_once_signed_in(page, width):
    open_page(at_width(page, width), "/")
    assert page.evaluate(HEADER_COLOUR_JS) == NHS_BLUE


def test_the_menu_shows_every_link_on_a_desktop(page):
    open_page(at_width(page, DESKTOP), "/")
    assert not page.locator("#nav-toggle").is_visible()
    assert page.locator("#nav-networks").is_visible()
    # An admin's dozen links keep to one line (short labels), none folded onto a second.
    tops = page.eval_on_selector_all("#nav-collapse .nav-item", "xs => xs.map(x => x.offsetTop)")
    assert len(tops) >= 12 and len(set(tops)) == 1
    assert page.inner_text("#nav-networks") == "Networks"


def test_on_a_phone_the_menu_folds_behind_a_button_and_opens(page):
    open_page(at_width(page, PHONE), "/")
    toggle = page.locator("#nav-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator("#nav-networks").is_visible()
    toggle.click()
    page.locator("#nav-networks").wait_for(state="visible")
    page.wait_for_function("() => document.getElementById('nav-toggle').ariaExpanded === 'true'")
    page.click("#nav-status")
    page.wait_for_url("**/status")
    settle(page)
    page.locator("#nav-networks").wait_for(state="hidden")  # moving page closes it
    assert page.errors == []


@pytest.mark.parametrize("path", ["/", "/?side_by_side=1", "/status", "/definitions"])
def test_pages_fit_a_phone_without_scrolling_sideways(page, path):
    open_page(at_width(page, PHONE), path)
    assert page.evaluate(SIDEWAYS_JS) <= 0, f"{path} scrolls sideways at {PHONE} px"


def test_the_board_says_suppressed_in_words_on_a_phone(page):
    open_page(at_width(page, PHONE), "/")
    assert page.locator("#board-suppression-note").is_visible()
    labels = page.eval_on_selector_all(
        "#board-table td", "cells => cells.map(cell => getComputedStyle(cell, '::before').content)"
    )
    assert '"Value"' in labels and '"Trend"' in labels  # each stacked cell names its column


@pytest.mark.parametrize("path", CHART_PAGES)
def test_no_chart_offers_plotly_cloud_and_every_chart_has_a_title(page, path):
    open_page(at_width(page, DESKTOP), path)
    plots = page.evaluate(PLOTS_JS)
    assert plots, f"{path} draws no chart"
    for plot in plots:
        assert not plot["cloud"] and plot["share"] == [] and plot["logo"] == 0, plot
        assert plot["title"].strip(), f"{plot['id']} on {path} has no title"


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_an_unknown_path_is_a_404_page_that_says_so(page, width):
    at_width(page, width)
    response = page.goto("/no/such/page")
    settle(page)
    assert response.status == 404
    assert page.inner_text("h1") == "Page not found"
    assert "There is no page at /no/such/page." in page.inner_text("#not-found")


@pytest.mark.parametrize("path", ["/", "/networks", "/practice", "/drilldown?org=SYSTEM"])
def test_no_serious_accessibility_violations_on_a_phone(page, path):
    open_page(at_width(page, PHONE), path)
    page.click("#nav-toggle")
    page.locator("#nav-networks").wait_for(state="visible")
    violations = axe_violations(page)
    assert violations == [], f"{path} at {PHONE} px:\n{describe(violations)}"
