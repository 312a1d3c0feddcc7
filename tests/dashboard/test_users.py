"""Users: hashed passwords, roles, scopes checked against the snapshot, the audit log."""

from __future__ import annotations

import sqlite3

import pytest

from dashboard import users
from dashboard.scope import Scope
from wholesystem.errors import UserError
from wholesystem.settings import Settings

PASSWORD = "correct horse battery"


@pytest.fixture
def settings(tmp_path) -> Settings:
    """A data directory with no snapshot: scopes are checked for form only."""
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def published(published_sample, tmp_path) -> Settings:
    """A private data directory that sees the shared sample snapshot (users stay here)."""
    data_dir = tmp_path / "published"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(published_sample.serving_dir)
    return Settings(data_dir=data_dir)


def test_a_password_is_stored_only_as_a_werkzeug_hash(settings):
    users.add_user(settings, "ann", "analyst", "locality:L1", PASSWORD)
    with sqlite3.connect(settings.users_path) as connection:
        row = connection.execute("SELECT * FROM users").fetchone()
    assert row[0] == "ann"
    assert row[1].startswith("scrypt:") and PASSWORD not in row[1]
    assert row[2:5] == ("analyst", "locality", "L1")


def test_authenticate_returns_the_user_with_role_and_scope(settings):
    users.add_user(settings, "ann", "viewer", "network:N1", PASSWORD)
    user = users.authenticate(settings, "ann", PASSWORD, "10.0.0.1")
    assert (user.name, user.role, user.scope) == ("ann", "viewer", Scope("network", "N1"))
    assert user.get_id() == "ann" and user.is_authenticated
    assert users.audit_log(settings)[-1] | {"time": None} == {
        "time": None, "name": "ann", "event": "login_ok", "remote_address": "10.0.0.1",
    }  # fmt: skip


@pytest.mark.parametrize(("name", "password"), [("ann", "wrong password"), ("bob", PASSWORD)])
def test_a_failed_sign_in_returns_none_and_is_audited(settings, name, password):
    users.add_user(settings, "ann", "admin", None, PASSWORD)
    assert users.authenticate(settings, name, password, "10.0.0.2") is None
    assert [(row["name"], row["event"]) for row in users.audit_log(settings)] == [
        (name, "login_failed")
    ]


def test_no_scope_means_the_whole_system(settings):
    assert users.add_user(settings, "ann", "admin", None, PASSWORD).scope == Scope.whole_system()
    assert users.get_user(settings, "ann").scope.is_whole_system


@pytest.mark.parametrize(
    ("name", "role", "scope", "message"),
    [
        ("ann", "admin", None, "a user named 'ann' already exists"),
        ("bob", "owner", None, "role 'owner' is not one of admin, analyst, viewer"),
        ("bob", "admin", "ward:W1", "scope 'ward:W1' is not LEVEL:CODE with LEVEL one of"),
        ("bob smith", "admin", None, "user name 'bob smith' is not 1-64 letters"),
        ("", "admin", None, "user name '' is not 1-64 letters"),
    ],
)
def test_bad_users_are_refused_with_one_sentence(settings, name, role, scope, message):
    users.add_user(settings, "ann", "admin", None, PASSWORD)
    with pytest.raises(UserError) as error:
        users.add_user(settings, name, role, scope, PASSWORD)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)
    assert [user.name for user in users.list_users(settings)] == ["ann"]


def test_a_short_password_is_refused(settings):
    with pytest.raises(UserError, match="^a password needs at least 12 characters$"):
        users.add_user(settings, "ann", "admin", None, "short pass")
    assert users.list_users(settings) == []


def test_new_users_are_active_at_epoch_0_and_set_password_moves_the_epoch(settings):
    user = users.add_user(settings, "ann", "admin", None, PASSWORD)
    assert (user.active, user.session_epoch) == (True, 0)
    users.set_password(settings, "ann", "a new password")
    users.end_sessions(settings, "ann")
    assert users.get_user(settings, "ann").session_epoch == 2
    assert [row["event"] for row in users.audit_log(settings)] == ["password_changed"]


def test_a_scope_must_name_an_org_of_the_published_snapshot_at_its_level(published):
    assert users.add_user(published, "ann", "analyst", "locality:HDC", PASSWORD).scope == Scope(
        "locality", "HDC"
    )
    with pytest.raises(UserError, match=r"^org code 'XYZ' is not in the published snapshot$"):
        users.add_user(published, "bob", "analyst", "locality:XYZ", PASSWORD)
    with pytest.raises(UserError, match=r"^org code 'U92003' is a network, not a locality$"):
        users.add_user(published, "bob", "analyst", "locality:U92003", PASSWORD)
    assert [user.name for user in users.list_users(published)] == ["ann"]


def test_set_password_replaces_the_old_one(settings):
    users.add_user(settings, "ann", "admin", None, PASSWORD)
    users.set_password(settings, "ann", "a new password")
    assert users.authenticate(settings, "ann", PASSWORD) is None
    assert users.authenticate(settings, "ann", "a new password").name == "ann"
    with pytest.raises(UserError, match="there is no user named 'bob'"):
        users.set_password(settings, "bob", "a new password")


def test_add_or_reset_creates_then_resets_a_whole_system_user(settings):
    users.add_or_reset(settings, "demo-admin", "admin", "first password")
    users.add_or_reset(settings, "demo-admin", "admin", "second password")
    assert users.authenticate(settings, "demo-admin", "first password") is None
    user = users.authenticate(settings, "demo-admin", "second password")
    assert (user.role, user.scope) == ("admin", Scope.whole_system())


def test_new_passwords_are_long_and_different():
    passwords = {users.new_password() for _ in range(20)}
    assert len(passwords) == 20
    assert {len(password) for password in passwords} == {20}


def test_only_known_audit_events_are_recorded(settings):
    users.record(settings, "ann", "logout", None)
    with pytest.raises(ValueError, match="unknown audit event 'deleted'"):
        users.record(settings, "ann", "deleted", None)
    assert [row["event"] for row in users.audit_log(settings)] == ["logout"]
