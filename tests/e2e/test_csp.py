"""The Content-Security-Policy holds in Chromium: every page, and the login page, loads,
draws its charts and answers its callbacks with no CSP violation (neither a
`securitypolicyviolation` event nor a console message about the policy)."""

from __future__ import annotations

import pytest

from tests.e2e.browser import new_context, open_page, settle, watched

PAGES = (
    "/", "/networks", "/drilldown", "/practice", "/indicator/bed_days", "/definitions",
    "/status",
)  # fmt: skip
RECORD_VIOLATIONS_JS = """
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', event => window.cspViolations.push(
  `${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} at ` +
  `${event.sourceFile}:${event.lineNumber} ${event.sample}`));
"""


def violations(tab) -> list[str]:
    """The page's CSP violation events and console messages about the policy."""
    events = tab.evaluate("() => window.cspViolations")
    console = [text for text in tab.policy_messages]
    return events + console


def recording(tab):
    """Returns the tab recording CSP violations from its first script on."""
    tab.add_init_script(RECORD_VIOLATIONS_JS)
    tab.policy_messages = []
    tab.on(
        "console",
        lambda message: (
            tab.policy_messages.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return tab


@pytest.fixture
def tab(signed_in):
    tab = recording(watched(signed_in.new_page()))
    yield tab
    tab.close()


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_with_no_csp_violation(tab, path):
    response = tab.goto(path)
    assert "script-src 'self' 'sha256-" in response.headers["content-security-policy"]
    settle(tab)
    assert violations(tab) == [], path
    assert tab.errors == [], path


def test_charts_redraw_and_hover_with_no_csp_violation(tab):
    open_page(tab, "/indicator/bed_days")
    tab.locator("#indicator-level").select_option(index=1)
    settle(tab)
    graph = tab.locator(".js-plotly-plot").first
    graph.hover()
    tab.mouse.move(5, 5)
    assert violations(tab) == []


def test_login_page_loads_with_no_csp_violation(browser, base_url):
    context = new_context(browser, base_url)
    try:
        tab = recording(context.new_page())
        tab.goto(f"{base_url}/login")
        tab.wait_for_load_state("load")
        assert tab.locator("h1").inner_text() == "Sign in"
        assert violations(tab) == []
    finally:
        context.close()
