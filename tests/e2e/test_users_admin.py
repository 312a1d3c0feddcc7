"""The Users page in Chromium: an admin adds a viewer through the form and is shown the
password once; the page has no browser errors and no serious accessibility violation,
before and after; the new viewer signs in with that password and finds no Users page and
no Users menu entry."""

from __future__ import annotations

import re

from tests.e2e.browser import axe_violations, choose, describe, new_context, open_page, settle

VIEWER = "e2e-viewer"


def test_an_admin_adds_a_viewer_who_cannot_open_the_users_page(page, browser, base_url):
    open_page(page, "/users")
    assert page.locator("h1").inner_text() == "Users"
    assert page.locator("#users-list").count() == 1
    violations = axe_violations(page)
    assert violations == [], describe(violations)

    page.fill("#users-new-name", VIEWER)
    choose(page, "users-new-role", "Viewer: reads within their scope")
    choose(page, "users-new-scope", "Locality: Hollinsdale Coast (HDC)")
    page.click("#users-add")
    settle(page)
    password = page.locator("#users-password").inner_text()
    assert re.fullmatch(r"[A-Za-z0-9_-]{20}", password)
    row = page.locator("#users-list tr", has_text=VIEWER).inner_text()
    assert "Viewer" in row and "Hollinsdale Coast" in row and "Never" in row
    assert page.errors == [], "\n".join(page.errors)
    violations = axe_violations(page)
    assert violations == [], describe(violations)

    context = new_context(browser, base_url)
    try:
        viewer = context.new_page()
        viewer.goto(f"{base_url}/login")
        viewer.fill("#name", VIEWER)
        viewer.fill("#password", password)
        with viewer.expect_navigation():
            viewer.click("button[type=submit]")
        open_page(viewer, "/users")
        assert "There is no page at /users." in viewer.locator("#page-content").inner_text()
        assert viewer.locator("#nav-users_admin").count() == 0
        assert viewer.locator("#nav-status").count() == 1
    finally:
        context.close()


def test_bad_input_gets_one_sentence(page):
    open_page(page, "/users")
    page.fill("#users-new-name", "no spaces please")
    page.click("#users-add")
    settle(page)
    message = page.locator("#users-message").inner_text()
    assert message.startswith("User name 'no spaces please' is not 1-64 letters")
    assert page.locator("#users-list tr", has_text="no spaces").count() == 0
