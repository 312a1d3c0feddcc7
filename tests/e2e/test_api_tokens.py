"""The API tokens page in Chromium: a user makes a token, sees it once with an example, and
`curl` (here urllib) with that token reads the values the pages read; the page and the API
docs page have no browser errors and no serious accessibility violation."""

from __future__ import annotations

import json
import re
import urllib.request

from tests.e2e.browser import axe_violations, describe, open_page, settle

VALUES = "/api/v1/values?metric=emergency_admissions&level=area&period_type=fy"


def test_a_new_token_reads_the_api_as_its_user(page, base_url):
    open_page(page, "/api-tokens")
    assert page.locator("h1").inner_text() == "API tokens"
    page.fill("#api-tokens-label", "Council BI")
    page.click("#api-tokens-create")
    settle(page)
    secret = page.locator("#api-tokens-secret").inner_text()
    assert re.fullmatch(r"wsk_[A-Za-z0-9_-]{43}", secret)
    assert f"Bearer {secret}" in page.locator("#api-tokens-message").inner_text()
    assert "Council BI" in page.locator("#api-tokens-list").inner_text()
    assert page.errors == [], "\n".join(page.errors)
    violations = axe_violations(page)
    assert violations == [], describe(violations)

    request = urllib.request.Request(
        base_url + VALUES, headers={"Authorization": f"Bearer {secret}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.load(response)
        assert response.headers["Set-Cookie"] is None
    assert body["total"] == len(body["data"]) > 0
    assert {row["level"] for row in body["data"]} == {"area"}


def test_the_api_docs_page_lists_every_route(page):
    page.goto("/api/v1/docs")
    assert page.locator("h1").inner_text() == "wholesystem read-only API"
    assert page.locator("h2").count() == 8
    assert page.errors == [], "\n".join(page.errors)
    violations = axe_violations(page)
    assert violations == [], describe(violations)
