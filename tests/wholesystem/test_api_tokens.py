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
