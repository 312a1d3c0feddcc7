"""Targets in Chromium: an admin sets a target on the Targets page and the indicator
page's assurance icon, target sentence and chart follow at the next page load, without a
republish; ending the target brings the default back. No browser errors and no serious
accessibility violation on the Targets page, before and after."""

from __future__ import annotations

from tests.e2e.browser import (
    axe_violations,
    choose,
    describe,
    open_page,
    settle,
    trace_names,
    trace_y,
)

METRIC, AREA = "dm_hba1c_control", "E38000991"  # limits about 57.7-58.6%; default 75%
INDICATOR = f"/indicator/{METRIC}?level=area&org={AREA}"
FAILING = "Assurance: consistently failing target"
PASSING = "Assurance: consistently passing target"


def icons(tab) -> str:
    return tab.locator("#indicator-spc-icons").inner_text()


def test_setting_a_target_changes_the_indicator_pages_assurance_icon(page):
    open_page(page, INDICATOR)
    assert FAILING in icons(page)  # the default, 75%, is above the upper limit
    assert page.locator("#indicator-target").inner_text().startswith("Target: 75")

    open_page(page, "/targets")
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    choose(page, "targets-metric", f"Diabetes: latest HbA1c 58 mmol/mol or less ({METRIC})")
    choose(page, "targets-org", "Area: Tynebridge Place (E38000991)")
    page.fill("#targets-value", "57")
    page.fill("#targets-trajectory", "2026-08 57.5\n2026-09 58\n2026-10 58.5\n2026-11 59")
    page.fill("#targets-reason", "Place plan 2026/27, agreed at the August board")
    page.click("#targets-add")
    settle(page)
    assert page.locator("#targets-message").inner_text() == "Target #1 added."
    row = page.locator("#targets-list tr", has_text="Tynebridge Place").inner_text()
    assert "57" in row and "4 months, 2026-08 to 2026-11" in row and "e2e-admin" in row
    assert page.errors == [], "\n".join(page.errors)

    open_page(page, INDICATOR)
    assert PASSING in icons(page)  # 57% is below the lower limit: every month meets it
    target = page.locator("#indicator-target").inner_text()
    assert target.startswith("Target: 57") and "by e2e-admin" in target
    track = page.locator("#indicator-on-track").inner_text()
    assert track.startswith("Off track against the trajectory for October 2026: planned 58.5")
    assert {"Target", "Trajectory (planned)"} <= set(trace_names(page, "indicator-spc"))
    assert trace_y(page, "indicator-spc", "Trajectory (planned)") == [57.5, 58, 58.5, 59]
    violations = axe_violations(page)
    assert violations == [], describe(violations)

    open_page(page, "/targets")
    choose(page, "targets-chosen", f"#1 Diabetes: latest HbA1c 58 mmol/mol or less, {AREA}")
    page.fill("#targets-reason", "Superseded")
    page.click("#targets-end")
    settle(page)
    assert page.locator("#targets-message").inner_text() == "Target #1 ended."
    history = page.locator("#targets-history-list tbody tr", has_text="Ended").inner_text()
    assert "e2e-admin" in history
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    open_page(page, INDICATOR)
    assert FAILING in icons(page)
    assert page.errors == [], "\n".join(page.errors)
