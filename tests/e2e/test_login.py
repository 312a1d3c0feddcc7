"""Signing in through the browser: the wrong password is refused with one sentence, the
right one lands on the board overview, and a page asked for first is kept."""

from __future__ import annotations

from tests.e2e.browser import USER, new_context, settle, submit_login, watched


def test_a_wrong_password_shows_the_message(browser, base_url):
    context = new_context(browser, base_url)
    tab = context.new_page()
    tab.goto("/login")
    submit_login(tab, password="not-the-password")
    assert tab.url == f"{base_url}/login"
    assert tab.inner_text("#login-error") == "The user name or password is wrong."
    assert tab.input_value("#name") == USER
    context.close()


def test_the_right_password_lands_on_the_board(browser, base_url):
    context = new_context(browser, base_url)
    tab = watched(context.new_page())
    tab.goto("/login")
    submit_login(tab)
    settle(tab)
    assert tab.url == f"{base_url}/"
    assert tab.inner_text("h1") == "Board overview"
    assert tab.locator("#board-table").is_visible()
    assert f"Sign out {USER}" in tab.inner_text("nav")
    assert tab.errors == []
    context.close()


def test_a_page_asked_for_before_signing_in_opens_after_it(browser, base_url):
    context = new_context(browser, base_url)
    tab = context.new_page()
    tab.goto("/status")
    assert tab.url == f"{base_url}/login?next=/status"
    submit_login(tab)
    settle(tab)
    assert tab.url == f"{base_url}/status"
    assert tab.inner_text("h1") == "Data status"
    context.close()
