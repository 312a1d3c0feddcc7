"""Helpers the browser tests share: sign in, watch for errors, wait for Dash, run axe-core.

Dash renders after the page loads and updates through callbacks, so "ready" means: the
router has filled the page, no component is marked loading, and every chart has been
drawn by Plotly, seen on a few consecutive polls.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin

import pytest

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_URL = "/e2e-axe.min.js"  # answered by the test from AXE_SCRIPT, never by the app
USER, PASSWORD = "e2e-admin", "e2e-password-1"
# Signs out in test_sign_out.py, which ends all of its sessions: never the shared USER.
SIGN_OUT_USER = "e2e-leaver"
ANALYST_USER = "e2e-analyst"  # writes board commentary (test_board_commentary.py)
BUSY_JS = """() => {
  const main = document.querySelector('#page-content');
  if (!main || main.children.length === 0) return 'no page yet';
  if (document.querySelector('._dash-loading, [data-dash-is-loading="true"]')) return 'loading';
  const graphs = [...document.querySelectorAll('.dash-graph')];
  if (graphs.some(graph => !graph.querySelector('.js-plotly-plot .main-svg'))) return 'drawing';
  return '';
}"""
# The whole document is audited: the pages use native selects, not Dash 4's dcc.Dropdown,
# whose aria-hidden focus proxy axe reports as serious (see dashboard/controls.py).
AXE_JS = """async () => (await axe.run(document, {resultTypes: ['violations']}))
  .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                         targets: v.nodes.map(node => node.target.join(' '))}))"""
SETTLE_SECONDS = 20
TIMEOUT_MS = 10_000
QUIET_POLLS = 3  # consecutive idle polls, 100 ms apart, before a page counts as settled


@contextmanager
def serving_app(settings):
    """Serves the dashboard on `settings` at a free local port, through werkzeug in a
    background thread; yields its URL. `dashboard.access` reads one data directory per
    process, and `create_app` points it at this one: the one it read before is given back
    when the server stops, as the tests that follow (the session's server) rely on it and
    this one's directory is removed with its module."""
    from werkzeug.serving import make_server

    from dashboard import access
    from dashboard.app import create_app

    previous = access.configured_settings() if access._reader is not None else None
    server = make_server("127.0.0.1", 0, create_app(settings).server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        if previous is not None:
            access.configure(previous)


def new_context(browser, base_url: str):
    """Returns a fresh browser context (no cookies) on the app, failing fast on a missing
    element rather than after Playwright's default 30 seconds."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    return context


def sign_in(tab, base_url: str):
    """Signs in through the login page and returns the tab (on the page it lands on)."""
    tab.goto(f"{base_url}/login")
    return submit_login(tab)


def submit_login(tab, password: str = PASSWORD):
    """Fills in and sends the login form the tab is showing; returns the tab."""
    tab.fill("#name", USER)
    tab.fill("#password", password)
    with tab.expect_navigation():
        tab.click("button[type=submit]")
    return tab


def watched(tab):
    """Returns the tab with `tab.errors` (its console errors and uncaught exceptions) and
    `tab.callbacks` (the Dash callback requests in flight)."""
    tab.errors, tab.callbacks = [], set()
    tab.on("console", lambda message: _console(tab, message))
    tab.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))
    tab.on("request", lambda request: _track(tab.callbacks.add, request))
    tab.on("requestfinished", lambda request: _track(tab.callbacks.discard, request))
    tab.on("requestfailed", lambda request: _track(tab.callbacks.discard, request))
    return tab


def _track(change, request) -> None:
    if "/_dash-update-component" in request.url:
        change(request)


def _console(tab, message) -> None:
    if message.type == "error":
        tab.errors.append(f"console: {message.text} ({message.location.get('url', '')})")


def settle(tab) -> None:
    """Waits until Dash is idle (page rendered, no callback request in flight, no component
    loading) and every chart has been drawn, as seen on a few consecutive polls; fails
    naming what it was waiting for."""
    deadline, quiet, state = time.monotonic() + SETTLE_SECONDS, 0, ""
    while quiet < QUIET_POLLS:
        state = "callbacks running" if getattr(tab, "callbacks", None) else tab.evaluate(BUSY_JS)
        quiet = 0 if state else quiet + 1
        if time.monotonic() > deadline:
            raise AssertionError(f"{tab.url} did not settle: {state}")
        tab.wait_for_timeout(100)


def open_page(tab, path: str):
    """Opens a path in the tab and waits for it to settle."""
    tab.goto(path)
    settle(tab)
    return tab


def axe_violations(tab) -> list[dict]:
    """Runs axe-core in the page; returns its serious and critical violations."""
    if not AXE_SCRIPT.exists():
        pytest.skip(f"accessibility checks need axe-core at {AXE_SCRIPT}: run `make test`")
    # The pages' Content-Security-Policy runs scripts from the site only, never an inline
    # one: axe is served at a path of the site, from the local file.
    url = urljoin(tab.url, AXE_URL)
    tab.route(url, lambda route: route.fulfill(path=AXE_SCRIPT, content_type="text/javascript"))
    tab.add_script_tag(url=url)
    violations = tab.evaluate(AXE_JS)
    return [found for found in violations if found["impact"] in ("serious", "critical")]


def describe(violations: list[dict]) -> str:
    """Returns violations as readable lines: rule id, impact, help and failing nodes."""
    return "\n".join(
        f"{found['id']} ({found['impact']}): {found['help']} at {', '.join(found['targets'][:8])}"
        for found in violations
    )


def dropdown_text(tab, control_id: str) -> str:
    """Returns the label a native select shows as its value."""
    return tab.evaluate(
        "id => document.getElementById(id).selectedOptions[0]?.text ?? ''", control_id
    )


def choose(tab, control_id: str, label: str) -> None:
    """Picks the option with this label in a native select, then waits for the page to
    settle."""
    tab.locator(f"#{control_id}").select_option(label=label)
    settle(tab)


def trace_names(tab, graph_id: str) -> list[str]:
    """Returns the names of the traces Plotly drew in a dcc.Graph."""
    return tab.evaluate(
        "id => document.getElementById(id).querySelector('.js-plotly-plot').data"
        ".map(trace => trace.name)",
        graph_id,
    )


def trace_y(tab, graph_id: str, name: str) -> list:
    """Returns the y values of the named trace Plotly drew in a dcc.Graph."""
    return tab.evaluate(
        """([id, name]) => Array.from(document.getElementById(id)
             .querySelector('.js-plotly-plot').data.find(trace => trace.name === name).y)""",
        [graph_id, name],
    )
