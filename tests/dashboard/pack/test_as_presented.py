"""A pack "as presented": built from the snapshot it names, whatever is published after it,
and that snapshot is kept while the pack refers to it.

A new publish is stood in for by a new snapshot file beside the sample's (a copy with every
area value changed, its own version name inside, the pointer moved to it): the same thing
`publish` leaves behind, without a few minutes of computing.
"""

from __future__ import annotations

import os
from datetime import date

import pytest

from dashboard import users
from dashboard.app import create_app
from dashboard.pack import build_pack
from metrics import serving
from metrics.serving import current_version, point_to, snapshot_path
from tests.dashboard.pack.conftest import (
    HOLLINSDALE,
    copy_snapshot,
    numbers_in,
    pack_bytes,
    pack_numbers,
)
from tests.dashboard.test_security import sign_in
from wholesystem import pack_store

OCTOBER = date(2026, 10, 1)
NEWER = "snapshot-20990101T000000000000Z"
UNREFERENCED = ("snapshot-20980101T000000000000Z", "snapshot-20980201T000000000000Z")
DRAFT = "snapshot-20990201T000000000000Z"
PASSWORD = "correct horse battery"
DOUBLED = """
UPDATE indicator_values SET value = value * 2 WHERE level = 'area';
UPDATE spc_points SET value = value * 2, mean = mean * 2 WHERE level = 'area';
"""


@pytest.fixture(scope="module")
def old_pack(pack_settings):
    """(the pack of the sample's snapshot, its numbers), then a newer snapshot published."""
    record = build_pack(pack_settings, HOLLINSDALE, OCTOBER, "html")
    numbers = pack_numbers(pack_settings, record)
    point_to(pack_settings, copy_snapshot(pack_settings, record.version, NEWER, DOUBLED))
    return record, numbers


def test_a_pack_of_the_old_snapshot_still_gives_the_old_numbers(pack_settings, old_pack):
    old, old_numbers = old_pack
    assert current_version(pack_settings) == NEWER
    again = build_pack(pack_settings, HOLLINSDALE, OCTOBER, "html", version=old.version)
    assert again.version == old.version
    assert pack_numbers(pack_settings, again) == old_numbers
    latest = build_pack(pack_settings, HOLLINSDALE, OCTOBER, "html")  # the released one
    latest_numbers = pack_numbers(pack_settings, latest)
    assert latest.version == NEWER
    was = old_numbers["metrics"]["bed_days"][HOLLINSDALE]["value"]
    assert latest_numbers["metrics"]["bed_days"][HOLLINSDALE]["value"] == pytest.approx(2 * was)


def test_a_snapshot_a_pack_refers_to_is_not_pruned(pack_settings, old_pack):
    old, old_numbers = old_pack
    for version in UNREFERENCED:  # published between the pack's snapshot and the newest
        os.link(snapshot_path(pack_settings, old.version), snapshot_path(pack_settings, version))
    assert old.version in pack_store.referenced_versions(pack_settings)
    removed = serving.prune(pack_settings, keep=1)
    assert sorted(removed) == list(UNREFERENCED)
    assert snapshot_path(pack_settings, old.version).exists()
    kept = [entry.version for entry in serving.kept_versions(pack_settings)]
    assert kept[-2:] == [NEWER, old.version]  # (and a pending draft, if there is one)
    again = build_pack(pack_settings, HOLLINSDALE, OCTOBER, "html", version=old.version)
    assert pack_numbers(pack_settings, again) == old_numbers


@pytest.fixture(scope="module")
def draft(pack_settings, old_pack) -> str:
    """A draft snapshot newer than the released one, not yet released."""
    return copy_snapshot(
        pack_settings, NEWER, DRAFT,
        "ALTER TABLE snapshot_info ADD COLUMN IF NOT EXISTS draft BOOLEAN; "
        "UPDATE snapshot_info SET draft = true",
    )  # fmt: skip


def test_a_pack_of_a_draft_snapshot_says_draft(pack_settings, draft):
    record = build_pack(pack_settings, HOLLINSDALE, OCTOBER, "html", version=draft)
    html_text = pack_bytes(pack_settings, record).decode("utf-8")
    assert pack_numbers(pack_settings, record)["draft"] is True
    assert 'id="draft-banner"' in html_text and f"{draft} (DRAFT)" in html_text
    assert current_version(pack_settings) == NEWER  # a draft is not released by a pack


def test_a_viewer_never_gets_a_pack_of_a_draft(pack_settings, draft):
    app = create_app(pack_settings)
    users.add_user(pack_settings, "drafter", "analyst", None, PASSWORD)
    users.add_user(pack_settings, "reader", "viewer", None, PASSWORD)
    analyst, viewer = app.server.test_client(), app.server.test_client()
    assert sign_in(analyst, "drafter", PASSWORD).status_code == 302
    assert sign_in(viewer, "reader", PASSWORD).status_code == 302
    asked = f"/pack?area={HOLLINSDALE}&date=2026-10-01&format=html&snapshot={draft}"
    assert numbers_in(analyst.get(asked).text)["version"] == draft
    drafted = pack_store.list_packs(pack_settings, draft)[0]
    # Refused as `/download` refuses it, not quietly built from the released snapshot.
    before = pack_store.list_packs(pack_settings)
    refused = viewer.get(asked)
    assert refused.status_code == 404
    assert f"Snapshot &#39;{draft}&#39; is not one you can download" in refused.text
    assert pack_store.list_packs(pack_settings) == before
    assert viewer.get(f"/packs/{drafted.id}").status_code == 404  # as for no such pack
    assert analyst.get(f"/packs/{drafted.id}").status_code == 200


def test_a_whole_system_viewer_never_gets_an_all_pack_of_a_draft(pack_settings, draft):
    # An ALL pack's ids are sequential and a whole-system viewer sees every area: the
    # draft check must come first all the same, answering as for no such pack.
    app = create_app(pack_settings)
    users.add_user(pack_settings, "all.drafter", "analyst", None, PASSWORD)
    users.add_user(pack_settings, "all.reader", "viewer", None, PASSWORD)
    analyst, viewer = app.server.test_client(), app.server.test_client()
    assert sign_in(analyst, "all.drafter", PASSWORD).status_code == 302
    assert sign_in(viewer, "all.reader", PASSWORD).status_code == 302
    asked = f"/pack?area={pack_store.ALL_AREAS}&date=2026-10-01&format=html&snapshot={draft}"
    made = analyst.get(asked)
    assert made.status_code == 200 and numbers_in(made.text)["version"] == draft
    pack_id = made.headers["X-Pack-Id"]
    refused = viewer.get(f"/packs/{pack_id}")
    assert refused.status_code == 404
    assert refused.text == viewer.get("/packs/999999").text
    assert analyst.get(f"/packs/{pack_id}").status_code == 200
