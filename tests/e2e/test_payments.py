"""Payments in Chromium: a commissioner opens the Payments page under the demo's 70/30
scheme, sees every network's payment for the last quarter, tries 60/40 in the what-if
and sees the money move beside the scheme's; the scheme editor opens for an admin. No
browser errors and no serious accessibility violation on either page."""

from __future__ import annotations

import pytest

from tests.e2e.browser import (
    PASSWORD,
    USER,
    axe_violations,
    choose,
    describe,
    new_context,
    open_page,
    serving_app,
    settle,
    sign_in,
    watched,
)
from wholesystem.demo_schemes import DEMO_SCHEMES
from wholesystem.settings import Settings

QUARTER = "2026/27 Q2 (July to September 2026)"


@pytest.fixture(scope="module")
def payments_url(published_sample, tmp_path_factory) -> str:
    """The dashboard with the demo's two schemes in its settings, at a free local port."""
    from dashboard.users import add_user

    data_dir = tmp_path_factory.mktemp("e2e-payments") / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(published_sample.serving_dir)
    settings = Settings(data_dir=data_dir, secret_key="e2e-secret", payment_schemes=DEMO_SCHEMES)
    add_user(settings, USER, "admin", None, PASSWORD)
    with serving_app(settings) as url:
        yield url


@pytest.fixture
def tab(browser, payments_url):
    context = new_context(browser, payments_url)
    sign_in(context.new_page(), payments_url).close()
    tab = watched(context.new_page())
    yield tab
    context.close()


def test_a_commissioner_sees_each_networks_payment_and_a_60_40_what_if(tab):
    open_page(tab, "/payments?scheme=care_packages_70_30")
    assert tab.locator("h1").count() == 1
    assert tab.locator("#payments-period").evaluate("s => s.selectedOptions[0].text") == QUARTER
    rows = tab.locator("#payments-networks tbody tr")
    assert rows.count() == 11  # every network of the sample, for a whole-system admin
    first = rows.first.inner_text()
    assert first.startswith("Central Quays PCN") and first.count("£") == 7
    assert tab.locator("#payments-networks tfoot").inner_text().startswith("All networks shown")
    violations = axe_violations(tab)
    assert violations == [], describe(violations)

    tab.fill("#payments-whatif-upfront", "60")
    tab.click("#payments-whatif-show")
    settle(tab)
    assert tab.locator("#payments-whatif-words").inner_text() == (
        "The what-if changes the split from 70/30 to 60/40. Nothing is saved."
    )
    assert tab.locator("#payments-whatif-table tbody tr").count() == 11
    assert "−£" in tab.locator("#payments-whatif-table tfoot").inner_text()
    violations = axe_violations(tab)
    assert violations == [], describe(violations)

    choose(tab, "payments-compare", "Care packages 60/40 (care_packages_60_40, 60/40)")
    assert tab.locator("#payments-compare-table tbody tr").count() == 11
    open_page(tab, "/payments/schemes")
    assert tab.locator("#schemes-list tbody tr").count() == 2
    violations = axe_violations(tab)
    assert violations == [], describe(violations)
    assert tab.errors == [], "\n".join(tab.errors)
