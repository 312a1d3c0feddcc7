"""Signing out through the browser: the header's button POSTs the form token, and the
cookie the browser held before is refused afterwards; GET /logout only asks."""

from __future__ import annotations

from tests.e2e.browser import PASSWORD, SIGN_OUT_USER, new_context, settle, watched


def sign_in_as_leaver(browser, base_url: str):
    context = new_context(browser, base_url)
    tab = watched(context.new_page())
    tab.goto("/login")
    tab.fill("#name", SIGN_OUT_USER)
    tab.fill("#password", PASSWORD)
    with tab.expect_navigation():
        tab.click("button[type=submit]")
    settle(tab)
    return context, tab


def test_the_sign_out_button_posts_and_the_old_cookie_is_refused(browser, base_url):
    context, tab = sign_in_as_leaver(browser, base_url)
    copied = context.cookies()
    tab.goto("/logout")  # a GET only asks: still signed in
    assert tab.inner_text("h1") == "Sign out"
    tab.goto("/")
    settle(tab)
    button = tab.get_by_role("button", name=f"Sign out {SIGN_OUT_USER}")
    assert button.is_visible()
    with tab.expect_navigation():
        button.click()
    assert tab.url == f"{base_url}/login"
    assert tab.errors == []
    context.close()
    thief = new_context(browser, base_url)
    thief.add_cookies(copied)
    stolen = thief.new_page()
    stolen.goto("/status")
    assert stolen.url == f"{base_url}/login?next=/status"
    thief.close()
