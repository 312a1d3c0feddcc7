"""API tokens in the side store: only a digest kept, shown once, revoked not deleted."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from wholesystem import api_tokens
from wholesystem.errors import UserError
from wholesystem.settings import Settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path)


def test_a_token_is_random_and_only_its_sha256_is_stored(settings):
    token, secret = api_tokens.create(settings, "lead", "notebook", "lead")
    other = api_tokens.create(settings, "lead", "notebook", "lead")[1]
    assert api_tokens.TOKEN_PATTERN.fullmatch(secret) and secret != other
    with sqlite3.connect(settings.users_path) as connection:
        stored = connection.execute("SELECT * FROM api_tokens WHERE id = ?", (token.id,)).fetchone()
    assert secret not in map(str, stored)
    assert hashlib.sha256(secret.encode()).hexdigest() in stored
    assert api_tokens.lookup(settings, secret) == token
    assert api_tokens.lookup(settings, secret[:-1] + "!") is None


def test_revoking_keeps_the_record_with_who_and_when(settings):
    token, secret = api_tokens.create(settings, "lead", "bi", "admin")
    with pytest.raises(UserError, match=f"there is no API token {token.id} of yours"):
        api_tokens.revoke(settings, token.id, "ana")
    revoked = api_tokens.revoke(settings, token.id, "ana", any_user=True)
    assert (revoked.created_by, revoked.revoked_by, revoked.active) == ("admin", "ana", False)
    assert api_tokens.lookup(settings, secret) is None
    assert api_tokens.list_tokens(settings, "lead") == [revoked]
    with pytest.raises(UserError, match="already revoked"):
        api_tokens.revoke(settings, token.id, "lead")


@pytest.mark.parametrize("label", ["", "   ", "x" * 101, None])
def test_a_label_is_needed(settings, label):
    with pytest.raises(UserError, match="a token's label must be 1 to 100 characters"):
        api_tokens.create(settings, "lead", label, "lead")
    assert api_tokens.list_tokens(settings) == []


def test_a_request_is_audited_with_the_token_s_last_use(settings):
    token, _ = api_tokens.create(settings, "lead", "bi", "lead")
    api_tokens.record_request(
        settings, "lead", token.id, "GET", "/api/v1/orgs?level=network", 200, 3
    )
    (row,) = api_tokens.requests(settings)
    assert (row["user_name"], row["token_id"], row["path"], row["status"], row["rows"]) == (
        "lead", token.id, "/api/v1/orgs?level=network", 200, 3)  # fmt: skip
    assert api_tokens.list_tokens(settings)[0].last_used_at == row["time"]


def test_a_user_has_at_most_ten_live_tokens(settings):
    made = [api_tokens.create(settings, "lead", f"t{n}", "lead")[0] for n in range(10)]
    with pytest.raises(UserError, match="^lead has 10 API tokens already: revoke one before"):
        api_tokens.create(settings, "lead", "eleventh", "lead")
    api_tokens.revoke(settings, made[0].id, "lead")
    assert api_tokens.create(settings, "lead", "eleventh", "lead")[0].label == "eleventh"
    assert api_tokens.create(settings, "ana", "hers", "ana")[0].user_name == "ana"


def test_revoke_all_ends_every_live_token_of_one_user(settings):
    first, secret = api_tokens.create(settings, "lead", "a", "lead")
    api_tokens.revoke(settings, first.id, "lead")
    _, second = api_tokens.create(settings, "lead", "b", "lead")
    _, hers = api_tokens.create(settings, "ana", "c", "ana")
    assert api_tokens.revoke_all(settings, "lead", "admin") == 1
    assert api_tokens.lookup(settings, second) is None and api_tokens.lookup(settings, hers)
    assert [t.revoked_by for t in api_tokens.list_tokens(settings, "lead")] == ["admin", "lead"]


def test_last_use_moves_on_at_most_once_a_minute(settings, monkeypatch):
    token, _ = api_tokens.create(settings, "lead", "bi", "lead")
    times = iter(["2026-12-05T10:00:00+00:00", "2026-12-05T10:00:59+00:00",
                  "2026-12-05T10:01:00+00:00"])  # fmt: skip
    monkeypatch.setattr(api_tokens.side_store, "now", lambda: next(times))
    used = []
    for _ in range(3):
        api_tokens.record_request(settings, "lead", token.id, "GET", "/api/v1/orgs", 200, 1)
        used.append(api_tokens.list_tokens(settings)[0].last_used_at)
    assert used == ["2026-12-05T10:00:00+00:00"] * 2 + ["2026-12-05T10:01:00+00:00"]


def test_refusals_are_one_row_per_address_per_minute_with_a_count(settings, monkeypatch):
    times = iter(["2026-12-05T10:00:00+00:00", "2026-12-05T10:00:30+00:00",
                  "2026-12-05T10:00:40+00:00", "2026-12-05T10:01:00+00:00"])  # fmt: skip
    monkeypatch.setattr(api_tokens.side_store, "now", lambda: next(times))
    for address in ("192.0.2.1", "192.0.2.1", "192.0.2.2", "192.0.2.1"):
        api_tokens.record_refusal(settings, address, "GET", "/api/v1/orgs", 401)
    found = api_tokens.requests(settings)
    rows = [(row["time"][11:19], row["remote_address"], row["count"]) for row in found]
    assert rows == [("10:01:00", "192.0.2.1", 1), ("10:00:40", "192.0.2.2", 1),
                    ("10:00:00", "192.0.2.1", 2)]  # fmt: skip


def test_an_audit_table_of_the_first_form_gets_the_new_columns(settings):
    settings.users_path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(settings.users_path) as connection:
        connection.execute(
            """CREATE TABLE api_requests (time TEXT NOT NULL, user_name TEXT, token_id INTEGER,
               method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL, rows INTEGER)"""
        )
        connection.execute("INSERT INTO api_requests VALUES ('t', 'lead', 1, 'GET', '/', 200, 3)")
    api_tokens._migrated.discard(str(settings.users_path))
    api_tokens.record_refusal(settings, "192.0.2.1", "GET", "/api/v1/orgs", 401)
    rows = [
        (r["user_name"], r["remote_address"], r["count"]) for r in api_tokens.requests(settings)
    ]
    assert rows == [(None, "192.0.2.1", 1), ("lead", None, 1)]
