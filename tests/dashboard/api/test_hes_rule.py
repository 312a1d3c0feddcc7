"""The API on a snapshot published under the HES rule: it serves the rounded counts the
snapshot holds and nothing of a suppressed row, as the pages do (tests/metrics/
test_disclosure_hes.py has the fixture's February, worked by hand)."""

from __future__ import annotations

import dataclasses

import pytest

from dashboard import access, users
from dashboard.app import create_app
from tests.metrics.conftest import FixtureSystem
from tests.metrics.published_system import MONTHS
from tests.metrics.test_disclosure_hes import FEBRUARY, add_deaths
from wholesystem import api_tokens

URL = "/api/v1/values?metric=nel_last_100_days&period_type=month&limit=10000"
KPI_URL = "/api/v1/indicators/dm_hba1c_control"


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    system = FixtureSystem(tmp_path_factory.mktemp("api_hes"), MONTHS)
    system.settings = dataclasses.replace(
        system.settings, disclosure_rule="hes", secret_key="test-secret"
    )
    add_deaths(system)
    system.publish()
    users.add_user(system.settings, "viewer", "viewer", None, "Quiet-Harbour-Lantern-42")
    return system.settings


def viewer_reads(settings, url: str) -> list[dict]:
    """The rows the API gives a viewer at `url`."""
    previous = access.configured_settings() if access._reader is not None else None
    app = create_app(settings)
    _, secret = api_tokens.create(settings, "viewer", "notebook", "viewer")
    try:
        response = app.server.test_client().get(url, headers={"Authorization": f"Bearer {secret}"})
    finally:
        if previous is not None:  # `access` reads one data directory per process
            access.configure(previous)
    assert response.status_code == 200
    return response.json["data"]


@pytest.fixture(scope="module")
def february(settings) -> dict:
    """Each org's February row of nel_last_100_days, as the API gives it to a viewer."""
    rows = viewer_reads(settings, URL)
    return {
        row["org_code"]: row
        for row in rows
        if row["period_start"].startswith(FEBRUARY) and row["segment"] == "all"
    }


def test_the_api_serves_the_rounded_counts(february):
    assert (february["A00003"]["numerator"], february["A00003"]["denominator"]) == (10, 10)
    assert (february["A00004"]["numerator"], february["A00004"]["denominator"]) == (15, 15)
    assert (february["U00001"]["numerator"], february["U00001"]["denominator"]) == (20, 15)
    assert february["U00001"]["value"] == pytest.approx(20 / 15 * 100)


def test_the_api_serves_nothing_of_a_suppressed_row(february):
    hidden = february["A00002"]  # 3 deaths
    assert hidden["suppressed"]
    for column in (*access.MASKED_COLUMNS, "parent_value", "system_value"):
        assert hidden[column] is None, column
    assert hidden["comparison_parent"] == hidden["comparison_system"] == "suppressed"


def test_an_indicator_exact_by_definition_states_the_hes_rule_it_was_published_under(settings):
    # dm_hba1c_control's definition keeps its counts exact; this snapshot's setting rounds them.
    [indicator] = viewer_reads(settings, KPI_URL)
    assert indicator["disclosure"] == (
        "Counts 1–7 shown as *, with the percentage and limits derived from them. Other counts "
        "are rounded to the nearest 5, and the values, limits and comparisons are worked out "
        "from the rounded counts (HES rule)."
    )
