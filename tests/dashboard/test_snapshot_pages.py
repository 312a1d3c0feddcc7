"""History and embargo through the real dashboard (Flask's test client): the DRAFT banner,
old numbers under `snapshot=`, a viewer never served a draft, and the Snapshots page with
its Release button for admins only.

The sample's released snapshot is copied with a draft beside it whose values are doubled
(`drafts.py`); Dash's requests carry the chosen version as the browser's script sends it,
in the X-Wholesystem-Snapshot header.
"""

from __future__ import annotations

import json
import shutil

import pytest

from dashboard import access, formats, users
from dashboard.app import create_app
from dashboard.scope import Scope
from metrics import serving
from tests.dashboard.drafts import DRAFT_VERSION, add_draft
from tests.dashboard.snapshots import build_snapshot
from tests.dashboard.test_security import callback, sign_in
from wholesystem.settings import Settings

PASSWORD = "correct horse battery"
DRAFT = DRAFT_VERSION
ROUTER = "..page-content.children...footer.children.."
PAGE = "/indicator/bed_days"  # its summary names the whole system's latest value


@pytest.fixture(scope="module")
def settings(published_sample, tmp_path_factory) -> Settings:
    data_dir = tmp_path_factory.mktemp("snapshot-pages") / "data"
    shutil.copytree(published_sample.serving_dir, data_dir / "serving")
    settings = Settings(data_dir=data_dir, secret_key="test-secret")
    add_draft(settings, serving.current_version(settings), DRAFT)
    for name, role in (("vic", "viewer"), ("ana", "analyst"), ("adam", "admin")):
        users.add_user(settings, name, role, None, PASSWORD)
    return settings


@pytest.fixture(scope="module")
def app(settings):
    previous = access.configured_settings() if access._reader is not None else None
    yield create_app(settings)
    if previous is not None:  # `access` reads one data directory per process
        access.configure(previous)


@pytest.fixture(scope="module")
def numbers(app, settings) -> dict[str, str]:
    """The page's summary sentence of each snapshot: "October 2026, everyone: 636.5"."""
    frame = access.values(Scope.whole_system(), metric_ids=["bed_days"], levels=["system"])
    latest, unit = frame.iloc[-1], access.indicator("bed_days")["unit"]
    month = f"{latest['period_start']:%B %Y}, everyone: "
    return {
        serving.current_version(settings): month + formats.number(latest["value"], unit),
        DRAFT: month + formats.number(latest["value"] * 2, unit),
    }


def signed_in(app, name: str, version: str | None = None):
    client = app.server.test_client()
    assert sign_in(client, name, PASSWORD).status_code == 302
    if version is not None:  # as assets/snapshot.js sends it from `?snapshot=`
        client.environ_base["HTTP_X_WHOLESYSTEM_SNAPSHOT"] = version
    return client


def page_and_bar(client, path: str = PAGE) -> tuple[str, str]:
    page = callback(client, ROUTER, [("url", "pathname", path)], [("url", "search", "")])
    bar = callback(client, "snapshot-bar.children", [("url", "pathname", path)])
    return page, bar


def test_an_analyst_sees_the_draft_by_default_with_the_banner(app, settings, numbers):
    page, bar = page_and_bar(signed_in(app, "ana"))
    assert numbers[DRAFT] in page and f"Snapshot {DRAFT} (DRAFT, not released)" in page
    released = serving.current_version(settings)
    assert numbers[released] not in page
    assert '"id":"draft-banner"' in bar.replace(" ", "")
    assert "DRAFT: not released; viewers see the snapshot of " in bar


def test_a_viewer_asking_for_the_draft_gets_released_numbers_and_no_banner(app, settings, numbers):
    released = serving.current_version(settings)
    page, bar = page_and_bar(signed_in(app, "vic", DRAFT))
    assert numbers[released] in page and numbers[DRAFT] not in page
    assert f'"Snapshot {released}"' in page and "DRAFT" not in page
    assert "draft-banner" not in bar and DRAFT not in bar  # not even offered in the picker
    assert "That snapshot is not released yet, so this shows the released snapshot" in bar


def test_snapshot_parameter_shows_the_older_snapshots_numbers(app, settings, numbers):
    released = serving.current_version(settings)
    page, bar = page_and_bar(signed_in(app, "ana", released))
    assert numbers[released] in page and numbers[DRAFT] not in page
    assert "draft-banner" not in bar
    picker = json.loads(bar)["response"]["snapshot-bar"]["children"][-1]["props"]["children"][1]
    assert picker["props"]["value"] == released
    labels = [option["label"] for option in picker["props"]["options"]]
    assert labels[0].endswith(", DRAFT") and labels[1].endswith("(current)")


def test_an_unknown_version_is_one_sentence_and_the_default(app, numbers):
    page, bar = page_and_bar(signed_in(app, "ana", "snapshot-20000101T000000000000Z"))
    assert numbers[DRAFT] in page
    assert (
        "There is no kept snapshot 'snapshot-20000101T000000000000Z', so this shows the "
        "draft published 31 Dec 2099 00:00." in bar
    )


def test_the_snapshots_page_is_for_analysts_and_admins(app, settings):
    analyst = callback(signed_in(app, "ana"), ROUTER, [("url", "pathname", "/snapshots")],
                       [("url", "search", "")])  # fmt: skip
    assert "DRAFT, not released" in analyst and "Open as published" in analyst
    assert f'?snapshot={DRAFT}"' in analyst and "snapshots-release" not in analyst
    admin = callback(signed_in(app, "adam"), ROUTER, [("url", "pathname", "/snapshots")],
                     [("url", "search", "")])  # fmt: skip
    assert "snapshots-release" in admin
    viewer = callback(signed_in(app, "vic"), ROUTER, [("url", "pathname", "/snapshots")],
                      [("url", "search", "")])  # fmt: skip
    assert "Page not found" in viewer and "snapshots-release" not in viewer


RELEASED, SMALL_DRAFT = "snapshot-20261101T000000000000Z", "snapshot-20261201T000000000000Z"


@pytest.fixture
def small(tmp_path):
    """A data directory of the hand-built snapshot and a draft of it, with three users."""
    settings = build_snapshot(tmp_path / "data", RELEASED)
    settings = Settings(data_dir=settings.data_dir, secret_key="test-secret")
    add_draft(settings, RELEASED, SMALL_DRAFT)
    for name, role in (("ana", "analyst"), ("adam", "admin")):
        users.add_user(settings, name, role, None, PASSWORD)
    return settings


def _release_output(app) -> str:
    """The Release callback's output key (Dash names duplicate outputs with a hash)."""
    return next(key for key in app.callback_map if key.startswith("..snapshots-message."))


def press_release(app, client, version: str):
    output = _release_output(app)
    button = {"index": version, "type": "snapshots-release"}
    body = {
        "output": output,
        "outputs": [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
                    for part in output.strip(".").split("...")],
        "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
        "changedPropIds": [json.dumps(button, separators=(",", ":")) + ".n_clicks"],
    }  # fmt: skip
    return client.post("/_dash-update-component", json=body)


def test_only_an_admin_may_release_and_the_release_is_recorded_and_audited(small):
    app = create_app(small)
    assert press_release(app, signed_in(app, "ana"), SMALL_DRAFT).status_code == 403
    assert serving.current_version(small) == RELEASED
    response = press_release(app, signed_in(app, "adam"), SMALL_DRAFT)
    assert response.status_code == 200 and "Released the snapshot of" in response.text
    # The page's bar and footer are redrawn: no DRAFT banner on the released snapshot.
    assert f'"Snapshot {SMALL_DRAFT}"' in response.text and "draft-banner" not in response.text
    assert serving.current_version(small) == SMALL_DRAFT
    [entry] = [e for e in serving.kept_versions(small) if e.version == SMALL_DRAFT]
    assert (entry.draft, entry.released_by) == (False, "adam")
    [event] = [e for e in users.admin_events(small) if e["event"] == "snapshot_released"]
    assert (event["actor"], event["target"]) == ("adam", SMALL_DRAFT)


def test_releasing_a_version_that_is_not_kept_changes_nothing(small):
    app = create_app(small)
    response = press_release(app, signed_in(app, "adam"), "snapshot-20200101T000000000000Z")
    assert response.status_code == 200 and "There is no kept snapshot" in response.text
    assert serving.current_version(small) == RELEASED
    assert [e for e in users.admin_events(small) if e["event"] == "snapshot_released"] == []
