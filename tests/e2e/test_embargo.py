"""Embargo in the browser: a viewer cannot see a draft; an analyst sees it marked DRAFT and
can open the released snapshot "as published", the choice staying in the URL.

Its own server, on a copy of the sample with a draft beside the released snapshot whose
values are doubled (`tests/dashboard/drafts.py`), and a viewer and an analyst.
"""

from __future__ import annotations

import shutil

import pytest

from dashboard import access, formats
from dashboard.scope import Scope
from metrics import serving
from tests.dashboard.drafts import DRAFT_VERSION, add_draft
from tests.e2e.browser import (
    axe_violations,
    describe,
    new_context,
    open_page,
    serving_app,
    settle,
    watched,
)
from wholesystem.settings import Settings

PASSWORD = "Kestrel-Lantern-4471"
DRAFT = DRAFT_VERSION
PAGE = "/indicator/bed_days"  # its summary names the whole system's latest value


@pytest.fixture(scope="module")
def served(published_sample, tmp_path_factory):
    """(base URL, released version, {version: the summary's figure}) of a server whose
    data directory holds the released sample and a draft with doubled values."""
    from dashboard.users import add_user

    data_dir = tmp_path_factory.mktemp("embargo") / "data"
    shutil.copytree(published_sample.serving_dir, data_dir / "serving")
    settings = Settings(data_dir=data_dir, secret_key="e2e-embargo")
    released = serving.current_version(settings)
    add_draft(settings, released, DRAFT)
    add_user(settings, "vic", "viewer", None, PASSWORD)
    add_user(settings, "ana", "analyst", None, PASSWORD)
    with serving_app(settings) as url:
        yield url, released, _figures(released)


def _figures(released: str) -> dict[str, str]:
    frame = access.values(Scope.whole_system(), metric_ids=["bed_days"], levels=["system"])
    latest, unit = frame.iloc[-1], access.indicator("bed_days")["unit"]
    return {
        released: f"everyone: {formats.number(latest['value'], unit)} ",
        DRAFT: f"everyone: {formats.number(latest['value'] * 2, unit)} ",
    }


def signed_in_tab(browser, base_url: str, name: str):
    context = new_context(browser, base_url)
    tab = watched(context.new_page())
    tab.goto("/login")
    tab.fill("#name", name)
    tab.fill("#password", PASSWORD)
    with tab.expect_navigation():
        tab.click("button[type=submit]")
    return tab


def test_a_viewer_sees_only_the_released_numbers(browser, served):
    base_url, released, figures = served
    tab = signed_in_tab(browser, base_url, "vic")
    text = open_page(tab, PAGE).inner_text("#page-content")
    assert figures[released] in text and figures[DRAFT] not in text
    assert tab.locator("#draft-banner").count() == 0
    assert tab.inner_text("#footer") == f"Snapshot {released}"
    # Asking for the draft by name: the released numbers, and one sentence saying why.
    text = open_page(tab, f"{PAGE}?snapshot={DRAFT}").inner_text("#page-content")
    assert figures[released] in text and figures[DRAFT] not in text
    assert tab.inner_text("#snapshot-notice").startswith("That snapshot is not released yet")
    assert tab.locator("#draft-banner").count() == 0
    assert DRAFT not in tab.inner_text("#snapshot-bar")
    assert tab.errors == []
    tab.context.close()


def test_an_analyst_sees_the_draft_marked_and_can_open_the_released_one(browser, served):
    base_url, released, figures = served
    tab = signed_in_tab(browser, base_url, "ana")
    text = open_page(tab, PAGE).inner_text("#page-content")
    assert figures[DRAFT] in text
    assert tab.inner_text("#draft-banner").startswith("DRAFT: not released; viewers see")
    assert tab.inner_text("#footer") == f"Snapshot {DRAFT} (DRAFT, not released)"
    assert describe(axe_violations(tab)) == ""  # the banner and picker included
    with tab.expect_navigation():
        tab.locator("#snapshot-picker").select_option(released)
    settle(tab)
    assert tab.url.endswith(f"{PAGE}?snapshot={released}")
    assert figures[released] in tab.inner_text("#page-content")
    assert tab.locator("#draft-banner").count() == 0
    # Moving to another page keeps the snapshot chosen, and so do its callbacks.
    tab.click("#nav-status")
    settle(tab)
    assert tab.url.endswith(f"/status?snapshot={released}")
    assert tab.inner_text("#footer") == f"Snapshot {released}"
    assert tab.errors == []
    tab.context.close()
