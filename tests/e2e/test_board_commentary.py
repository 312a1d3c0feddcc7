"""Board commentary in Chromium: an analyst writes commentary under a metric on the board
and sees it there, not approved and with no Approve button; an admin then sees it with an
Approve button, approves it and sees who approved it; the indicator page shows the same
commentary. The board in each state has no browser errors and no serious accessibility
violation; the period and order choices are kept in the URL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from tests.e2e.browser import (
    ANALYST_USER,
    PASSWORD,
    axe_violations,
    choose,
    describe,
    new_context,
    open_page,
    settle,
    watched,
)

METRIC = "acsc_all"
BLOCK = f"[id*='\"{METRIC}|'][id*='comment-block']"
HAPPENED = "Winter pressures lifted admissions in October."
ACTION = "Frailty hub opens in December."


def signed_in_as(browser, base_url: str, name: str):
    context = new_context(browser, base_url)
    tab = watched(context.new_page())
    tab.goto(f"{base_url}/login")
    tab.fill("#name", name)
    tab.fill("#password", PASSWORD)
    with tab.expect_navigation():
        tab.click("button[type=submit]")
    return context, tab


def test_an_analyst_writes_commentary_and_an_admin_approves_it(page, browser, base_url):
    context, analyst = signed_in_as(browser, base_url, ANALYST_USER)
    try:
        open_page(analyst, "/")
        block = analyst.locator(BLOCK)
        assert "No commentary for this board period yet." in block.inner_text()
        block.locator("summary", has_text="Write commentary").click()
        block.locator("textarea[id*='comment-text']").fill(HAPPENED)
        block.locator("textarea[id*='comment-action']").fill(ACTION)
        block.locator("button", has_text="Save commentary").click()
        settle(analyst)
        text = analyst.locator(BLOCK).inner_text()
        assert f"What happened: {HAPPENED}" in text and f"What is being done: {ACTION}" in text
        assert f"Written by {ANALYST_USER}" in text and "Not approved" in text
        assert analyst.locator(BLOCK).locator("button", has_text="Approve").count() == 0
        assert analyst.errors == [], "\n".join(analyst.errors)
        violations = axe_violations(analyst)
        assert violations == [], describe(violations)
    finally:
        context.close()

    open_page(page, "/")
    block = page.locator(BLOCK)
    assert HAPPENED in block.inner_text() and "Not approved" in block.inner_text()
    block.locator("button", has_text="Approve").click()
    settle(page)
    text = page.locator(BLOCK).inner_text()
    assert "Approved by e2e-admin" in text and "Not approved" not in text
    assert page.locator(BLOCK).locator("button", has_text="Approve").count() == 0
    assert page.errors == [], "\n".join(page.errors)

    link = page.locator(f"#board-link-{METRIC}")
    link.click()
    settle(page)
    assert HAPPENED in page.locator("#indicator-commentary").inner_text()


def test_the_period_and_order_choices_are_kept_in_the_url(page):
    open_page(page, "/")
    choose(page, "board-period-type", "Board period (2 months)")
    choose(page, "board-order", "Needs attention first")
    query = parse_qs(urlparse(page.url).query)
    assert query["period_type"] == ["board"] and query["order"] == ["attention"]
    header = page.locator("#board-table thead").inner_text()
    assert "Value (Aug–Sep 2026)" in header and "Change since Jun–Jul 2026" in header
    first = page.locator("#board-table tbody th[scope=row]").first.inner_text()
    assert "Needs attention:" in first
    page.reload()
    settle(page)
    assert "Value (Aug–Sep 2026)" in page.locator("#board-table thead").inner_text()
    assert page.locator("#board-matrix-table a").count() > 0
    assert page.errors == [], "\n".join(page.errors)
    violations = axe_violations(page)
    assert violations == [], describe(violations)
