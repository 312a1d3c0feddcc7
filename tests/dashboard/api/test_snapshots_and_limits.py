"""The API on a private copy of the sample with a draft: which snapshots each role may
read, ETags across a release, and the per-user rate limit."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from dashboard import access, users
from dashboard.app import create_app
from metrics import serving
from tests.dashboard.api.conftest import PASSWORD
from tests.dashboard.drafts import DRAFT_VERSION, add_draft
from wholesystem import api_tokens
from wholesystem.settings import Settings

DRAFT = DRAFT_VERSION
VALUES = "/api/v1/values?metric=bed_days&level=system&period_type=fy"


@pytest.fixture(scope="module")
def settings(published_sample, tmp_path_factory) -> Settings:
    data_dir = tmp_path_factory.mktemp("api-snapshots") / "data"
    shutil.copytree(published_sample.serving_dir, data_dir / "serving")
    settings = Settings(data_dir=data_dir, secret_key="test-secret")
    add_draft(settings, serving.current_version(settings), DRAFT)
    for name, role in (("vic", "viewer"), ("ana", "analyst")):
        users.add_user(settings, name, role, None, PASSWORD)
    return settings


@pytest.fixture(scope="module")
def headers(settings) -> dict[str, dict]:
    return {
        name: {"Authorization": f"Bearer {api_tokens.create(settings, name, 'bi', name)[1]}"}
        for name in ("vic", "ana")
    }


@pytest.fixture(scope="module")
def released(settings) -> str:
    return serving.current_version(settings)


def versions(client, headers) -> list[tuple[str, bool]]:
    rows = client.get("/api/v1/snapshots", headers=headers).json["data"]
    return [(row["version"], row["draft"]) for row in rows]


def test_viewers_read_only_released_snapshots(app, headers, released):
    client = app.server.test_client()
    kept = versions(client, headers["vic"])
    assert (released, False) in kept and not any(draft for _, draft in kept)
    assert versions(client, headers["ana"]) == [(DRAFT, True), *kept]
    refused = client.get(f"{VALUES}&snapshot={DRAFT}", headers=headers["vic"])
    assert refused.status_code == 404
    assert refused.json == {
        "error": f"Snapshot '{DRAFT}' is not one you can read: it is not kept, or not released."
    }
    viewer = client.get(VALUES, headers=headers["vic"]).json
    draft = client.get(f"{VALUES}&snapshot={DRAFT}", headers=headers["ana"]).json
    assert (viewer["snapshot"], draft["snapshot"]) == (released, DRAFT)
    doubled = [row["numerator"] * 2 for row in viewer["data"]]
    assert [row["numerator"] for row in draft["data"]] == pytest.approx(doubled)


def test_a_token_reads_with_its_user_s_role_now(app, settings, headers):
    client = app.server.test_client()
    users.set_role(settings, "vic", "analyst", by="admin")
    try:
        assert versions(client, headers["vic"])[0] == (DRAFT, True)
    finally:
        users.set_role(settings, "vic", "viewer", by="admin")
    assert (DRAFT, True) not in versions(client, headers["vic"])


def test_a_release_changes_the_etag_and_the_rows(app, settings, headers, released):
    client = app.server.test_client()
    first = client.get(VALUES, headers=headers["vic"])
    tag = first.headers["ETag"]
    revalidated = client.get(VALUES, headers={**headers["vic"], "If-None-Match": tag})
    assert revalidated.status_code == 304 and revalidated.data == b""
    serving.release(settings, DRAFT, "ana")
    fresh = client.get(VALUES, headers={**headers["vic"], "If-None-Match": tag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != tag
    assert fresh.json["snapshot"] == DRAFT != released
    assert [r["numerator"] for r in fresh.json["data"]] == pytest.approx(
        [r["numerator"] * 2 for r in first.json["data"]]
    )


def test_too_many_requests_get_429_with_retry_after(settings, headers):
    previous = access.configured_settings()
    limited = create_app(dataclasses.replace(settings, api_rate_limit="2/minute"))
    try:
        client = limited.server.test_client()
        statuses = [
            client.get("/api/v1/orgs", headers=headers["vic"]).status_code for _ in range(3)
        ]
        refused = client.get("/api/v1/orgs", headers=headers["vic"])
        other = client.get("/api/v1/orgs", headers=headers["ana"])  # counted per user
        unknown = client.get("/api/v1/nowhere", headers=headers["vic"])  # the 404 counts too
    finally:
        access.configure(previous)
    assert statuses == [200, 200, 429] and other.status_code == 200
    assert unknown.status_code == 429
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 61
    wait = refused.headers["Retry-After"]
    sentence = f"Too many requests with your tokens: wait {wait} seconds, then try again."
    assert refused.json == {"error": sentence}
    assert api_tokens.requests(settings, "vic", limit=1)[0]["status"] == 429


@pytest.fixture(scope="module")
def app(settings):
    previous = access.configured_settings() if access._reader is not None else None
    yield create_app(settings)
    if previous is not None:
        access.configure(previous)


def test_a_user_s_tokens_share_one_budget(settings):
    previous = access.configured_settings()
    limited = create_app(dataclasses.replace(settings, api_rate_limit="2/minute"))
    second = {"Authorization": f"Bearer {api_tokens.create(settings, 'ana', 'bi 2', 'ana')[1]}"}
    first = {"Authorization": f"Bearer {api_tokens.create(settings, 'ana', 'bi 3', 'ana')[1]}"}
    try:
        client = limited.server.test_client()
        used = [client.get("/api/v1/orgs", headers=first).status_code for _ in range(2)]
        refused = client.get("/api/v1/orgs", headers=second)
    finally:
        access.configure(previous)
    assert used == [200, 200] and refused.status_code == 429
