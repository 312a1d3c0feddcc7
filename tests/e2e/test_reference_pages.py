"""The Definitions and Data status pages in Chromium: searching as the user types, an
indicator addressed by its URL, and the snapshot version and file names shown."""

from __future__ import annotations

from dashboard import access
from dashboard.pages import definitions
from tests.e2e.browser import open_page, settle


def card_ids(tab) -> list[str]:
    return tab.eval_on_selector_all(
        "#definitions-list article", "cards => cards.map(card => card.id.slice(11))"
    )


def test_definitions_are_searched_as_the_user_types(page, base_url):
    open_page(page, "/definitions")
    page.type("#definitions-search", "last 100")
    page.wait_for_url("**/definitions?q=last+100")
    settle(page)
    frame = access.indicators()
    # Every field is searched (tests/dashboard/pages/test_definitions.py checks the rule).
    found = definitions.matching(frame, "last 100")
    assert sorted(card_ids(page)) == sorted(found["id"]) and len(found) >= 2
    assert page.inner_text("#definitions-count") == (
        f"{len(found)} of {len(frame)} indicators match “last 100”."
    )
    assert page.errors == []


def test_fast_typing_on_a_slow_computer_reaches_the_search_as_typed(page, base_url):
    """On a computer four times slower (Chromium's CPU throttling), keystrokes come faster
    than the page's work between them; every one must land where it was typed (dcc.Input's
    debounce scrambled them: "las 10 sfeoif l day0t")."""
    open_page(page, "/definitions")
    throttle = page.context.new_cdp_session(page)
    throttle.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    page.type("#definitions-search", "last 100 days of life")
    page.wait_for_url("**/definitions?q=last+100+days+of+life")
    throttle.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    settle(page)
    assert page.input_value("#definitions-search") == "last 100 days of life"
    found = definitions.matching(access.indicators(), "last 100 days of life")
    assert sorted(card_ids(page)) == sorted(found["id"]) and len(found) >= 1
    assert page.errors == []


def test_an_indicator_is_addressable_and_links_to_its_data(page, base_url):
    open_page(page, "/definitions?id=bed_days")
    assert card_ids(page) == ["bed_days"]
    page.click("#definition-bed_days >> text=See the data for Total bed days")
    page.wait_for_url("**/indicator/bed_days")
    settle(page)
    assert page.inner_text("h1") == "Total bed days"
    assert page.errors == []


def test_data_status_names_the_snapshot_and_only_file_names(page):
    open_page(page, "/status")
    assert page.inner_text("#status-version") == access.version()
    files = page.eval_on_selector_all(
        "#status-feeds tbody tr td:last-child", "cells => cells.map(cell => cell.innerText)"
    )
    assert len(files) == len(access.feed_status())
    assert files and not any("/" in name or "\\" in name for name in files)
