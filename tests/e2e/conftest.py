"""Browser-test fixtures: the dashboard on a free local port, Debian's Chromium, a login.

The app serves a copy of the published sample snapshot (the `published_sample` fixture)
from a temporary data directory with one admin user, through werkzeug in a background thread.
Playwright drives `/usr/bin/chromium` headless: `playwright install` is never needed. The
tests skip, saying why, only where no Chromium is installed. One browser and one signed-in
context serve all the browser tests, so the run stays short; they stop when the last
browser test has run (package scope), because Playwright's sync API refuses to start
again in a process where its loop still runs (the board pack's PDF, in the tests that
follow on the same worker).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.browser import (
    ANALYST_USER,
    PASSWORD,
    SIGN_OUT_USER,
    USER,
    new_context,
    serving_app,
    sign_in,
    watched,
)
from wholesystem.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
SECRET = "e2e-secret"


@pytest.fixture(scope="package")
def browser():
    """Debian's Chromium, headless; skips the browser tests where it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM}: apt-get install chromium")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="browser tests need playwright: pip install -e '.[test]'"
    )
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def base_url(published_sample, tmp_path_factory) -> str:
    """Serves the dashboard on the sample snapshot at a free local port; returns its URL."""
    from dashboard.users import add_user

    data_dir = tmp_path_factory.mktemp("e2e-data")
    # A copy, not a link: another test run may rebuild the shared cache under us.
    shutil.copytree(published_sample.serving_dir, data_dir / "serving")
    settings = Settings(data_dir=data_dir, secret_key=SECRET)
    add_user(settings, USER, "admin", None, PASSWORD)
    add_user(settings, SIGN_OUT_USER, "viewer", None, PASSWORD)
    add_user(settings, ANALYST_USER, "analyst", None, PASSWORD)
    with serving_app(settings) as url:
        yield url


@pytest.fixture(scope="package")
def signed_in(browser, base_url):
    """A browser context signed in as the e2e admin, shared by the browser tests."""
    context = new_context(browser, base_url)
    sign_in(context.new_page(), base_url).close()
    yield context
    context.close()


@pytest.fixture
def page(signed_in):
    """A fresh tab in the signed-in context that records console errors and page errors."""
    tab = watched(signed_in.new_page())
    yield tab
    tab.close()
