"""The Users page and the admin functions behind it: add, role, scope, password reset,
deactivate, reactivate and unlock, each audited with who did it and each ending the
user's sessions; bad input gets one sentence and changes nothing; a new password is shown
once and stored only as a hash, never logged."""

from __future__ import annotations

import json
import logging
import sqlite3

import pytest
from werkzeug.exceptions import BadRequest

from dashboard import users
from dashboard.app import create_app
from dashboard.pages import users_admin, users_admin_data
from tests.dashboard.test_security import callback, sign_in
from wholesystem.errors import UserError
from wholesystem.settings import Settings

PASSWORD = "Quiet-Harbour-Lantern-42"
ADMIN = "adam"
BUTTONS = list(users_admin.ACTIONS)
FIELDS = [component for component, _, _ in users_admin.FIELDS]
ACT_OUTPUT = (
    "..users-message.children...users-table.children...users-target.options"
    "...users-audit-user.options...users-new-name.value...users-audit.children.."
)


@pytest.fixture
def settings(published_sample, tmp_path) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(published_sample.serving_dir)
    settings = Settings(data_dir=data_dir, secret_key="test-secret")
    users.add_user(settings, ADMIN, "admin", None, PASSWORD)
    users.add_user(settings, "vera", "viewer", "locality:HDC", PASSWORD)
    return settings


def epoch(settings, name: str) -> int:
    return users.get_user(settings, name).session_epoch


def changes(settings) -> list[tuple]:
    return [
        (e["actor"], e["event"], e["target"], e["detail"]) for e in users.admin_events(settings)
    ]


def test_create_user_returns_a_password_stored_only_as_a_hash(settings):
    password = users.create_user(settings, "nadia", "analyst", "area:E38000992", ADMIN, "10.0.0.9")
    assert len(password) >= 20
    assert settings.users_path.read_bytes().find(password.encode()) == -1
    user = users.authenticate(settings, "nadia", password)
    assert (user.role, str(user.scope)) == ("analyst", "area:E38000992")
    event = users.admin_events(settings)[0]
    assert (event["actor"], event["event"], event["target"]) == (ADMIN, "user_added", "nadia")
    assert event["detail"] == "analyst, area:E38000992" and event["remote_address"] == "10.0.0.9"


def test_set_role_changes_it_ends_sessions_and_is_audited(settings):
    before = epoch(settings, "vera")
    users.set_role(settings, "vera", "analyst", ADMIN)
    assert users.get_user(settings, "vera").role == "analyst"
    assert epoch(settings, "vera") > before
    assert changes(settings)[0] == (ADMIN, "role_set", "vera", "viewer to analyst")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: users.set_role(s, "vera", "owner", ADMIN), "role 'owner' is not one of"),
        (lambda s: users.set_role(s, ADMIN, "viewer", ADMIN), "cannot change your own role"),
        (lambda s: users.set_role(s, "nobody", "viewer", ADMIN), "no user named 'nobody'"),
        (lambda s: users.set_scope(s, "vera", "locality:NOPE", ADMIN), "'NOPE' is not in"),
        (lambda s: users.set_scope(s, "vera", "area:HDC", ADMIN), "is a locality, not an area"),
        (lambda s: users.deactivate(s, ADMIN, ADMIN), "cannot deactivate your own account"),
        (lambda s: users.reactivate(s, "vera", ADMIN), "vera is already active"),
        (lambda s: users.create_user(s, "vera", "viewer", None, ADMIN), "already exists"),
        (lambda s: users.create_user(s, "bad name", "viewer", None, ADMIN), "is not 1-64"),
    ],
)
def test_bad_changes_are_refused_with_a_sentence_and_change_nothing(settings, call, message):
    before = (users.user_table(settings), epoch(settings, "vera"))
    with pytest.raises(UserError, match=message):
        call(settings)
    assert (users.user_table(settings), epoch(settings, "vera")) == before
    assert users.admin_events(settings) == []


def test_set_scope_changes_it_and_ends_sessions(settings):
    before = epoch(settings, "vera")
    users.set_scope(settings, "vera", "locality:HDR", ADMIN)
    assert str(users.get_user(settings, "vera").scope) == "locality:HDR"
    assert epoch(settings, "vera") > before
    assert changes(settings)[0] == (ADMIN, "scope_set", "vera", "locality:HDC to locality:HDR")


def test_deactivate_stops_sign_in_and_reactivate_restores_it(settings):
    before = epoch(settings, "vera")
    users.deactivate(settings, "vera", ADMIN)
    assert epoch(settings, "vera") > before
    assert users.authenticate(settings, "vera", PASSWORD) is None
    assert not users.user_table(settings)[1]["active"]
    with pytest.raises(UserError, match="already deactivated"):
        users.deactivate(settings, "vera", ADMIN)
    users.reactivate(settings, "vera", ADMIN)
    assert users.authenticate(settings, "vera", PASSWORD).name == "vera"
    assert [event for _, event, _, _ in changes(settings)] == ["reactivated", "deactivated"]


def test_reset_password_replaces_it_and_ends_sessions(settings):
    before = epoch(settings, "vera")
    password = users.reset_password(settings, "vera", ADMIN)
    assert epoch(settings, "vera") > before
    assert users.authenticate(settings, "vera", PASSWORD) is None
    assert users.authenticate(settings, "vera", password).name == "vera"
    assert settings.users_path.read_bytes().find(password.encode()) == -1
    assert changes(settings)[0] == (ADMIN, "password_reset", "vera", None)


def test_user_table_has_last_sign_in_and_lock(settings):
    users.authenticate(settings, "vera", PASSWORD, "10.0.0.1")
    rows = {row["name"]: row for row in users.user_table(settings)}
    assert rows["vera"]["last_sign_in"] is not None and rows[ADMIN]["last_sign_in"] is None
    assert rows["vera"]["locked_until"] is None
    shown = {row["name"]: row for row in users_admin_data.user_rows(settings)}
    assert shown["vera"]["scope"] == "Locality: Hollinsdale Coast (HDC)"
    assert shown[ADMIN]["last_sign_in"] == "Never" and shown[ADMIN]["locked"] == "No"


def test_a_locked_account_shows_and_can_be_unlocked(settings):
    for _ in range(12):
        users.throttle.record_failure(settings, "vera", "10.0.0.7", users.throttle.now())
    (locked,) = [row for row in users_admin_data.user_rows(settings) if row["name"] == "vera"]
    assert locked["locked"].startswith("Until ")
    users.unlock(settings, "vera", ADMIN)
    (row,) = [row for row in users_admin_data.user_rows(settings) if row["name"] == "vera"]
    assert row["locked"] == "No"
    assert changes(settings)[0] == (ADMIN, "unlocked", "vera", None)


# The page, through the real app as an admin.


@pytest.fixture
def admin(settings):
    client = create_app(settings).server.test_client()
    assert sign_in(client, ADMIN, PASSWORD).status_code == 302
    return client


def press(client, button: str, values: dict, expect: int = 200):
    """Presses a button of the page with the form's values (component id -> value), as
    the browser sends it; returns the response."""
    inputs = [(name, "n_clicks", 1 if name == button else 0) for name in BUTTONS]
    state = [(name, "value", values.get(name)) for name in FIELDS]
    state.append(("users-audit-user", "value", values.get("users-audit-user", "*")))
    outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
               for p in ACT_OUTPUT.strip(".").split("...")]  # fmt: skip
    response = client.post("/_dash-update-component", json={
        "output": ACT_OUTPUT, "outputs": outputs,
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
        "changedPropIds": [f"{button}.n_clicks"],
    })  # fmt: skip
    assert response.status_code == expect, response.text[:300]
    return response


def act(client, button: str, **values) -> str:
    return press(client, button, values).get_data(as_text=True)


def shown_password(body: str) -> str:
    """The password in the message's `users-password` element."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == "users-password":
                found.append(node["props"]["children"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(body)["response"]["users-message"])
    (password,) = found
    return password


def message_of(body: str) -> str:
    return json.dumps(json.loads(body)["response"]["users-message"]["children"])


def test_adding_a_user_shows_the_password_once_and_logs_nothing(admin, settings, caplog):
    with caplog.at_level(logging.DEBUG):
        body = act(admin, "users-add", **{"users-new-name": " nadia ",
                   "users-new-role": "analyst", "users-new-scope": "locality:HDC"})  # fmt: skip
    password = shown_password(body)
    assert users.authenticate(settings, "nadia", password).role == "analyst"
    assert "shown only this once" in body and "nadia" in body
    assert password not in caplog.text
    assert settings.users_path.read_bytes().find(password.encode()) == -1


@pytest.mark.parametrize(
    ("button", "values", "sentence"),
    [
        ("users-add", {}, "Type the new user's name."),
        ("users-add", {"users-new-name": "bad name!", "users-new-role": "viewer"},
         "User name 'bad name!' is not 1-64 letters"),
        ("users-add", {"users-new-name": "x", "users-new-role": "root"},
         "Role 'root' is not one of admin, analyst, viewer."),
        ("users-set-role", {"users-target-role": "admin"}, "Choose a user first."),
        ("users-set-scope", {"users-target": "vera", "users-target-scope": "locality:ZZZ"},
         "Org code 'ZZZ' is not in the published snapshot."),
        ("users-deactivate", {"users-target": ADMIN},
         "You cannot deactivate your own account; ask another admin."),
    ],
)  # fmt: skip
def test_bad_input_gets_one_sentence_and_changes_nothing(admin, settings, button, values, sentence):
    before = users.user_table(settings)
    body = act(admin, button, **values)
    assert sentence in message_of(body)
    assert "Traceback" not in body
    assert users.user_table(settings) == before


@pytest.mark.parametrize("bad", [["vera"], {"a": 1}, 7])
def test_a_wrong_typed_value_is_refused_with_400(admin, settings, bad):
    values = {"users-target": bad}
    response = press(admin, "users-deactivate", values, expect=400)
    # hardening's check of every callback's types answers first; the page's own is behind it
    assert "must be text" in response.get_data(as_text=True)
    assert users.user_table(settings)[1]["active"]


def test_the_page_checks_types_itself_too():
    assert users_admin_data.text_value(None, "user") == ""
    assert users_admin_data.text_value("  vera ", "user") == "vera"
    with pytest.raises(BadRequest, match="The user must be text."):
        users_admin_data.text_value(["vera"], "user")


def test_each_button_changes_the_chosen_user(admin, settings):
    target = {"users-target": "vera"}
    act(admin, "users-set-role", **target, **{"users-target-role": "analyst"})
    act(admin, "users-set-scope", **target, **{"users-target-scope": "system"})
    password = shown_password(act(admin, "users-reset", **target))
    assert users.authenticate(settings, "vera", password).name == "vera"
    assert "vera (deactivated)" in act(admin, "users-deactivate", **target)
    row = users.user_table(settings)[1]
    assert (row["role"], str(row["scope"]), row["active"]) == ("analyst", "whole system", False)
    assert "vera (deactivated)" not in act(admin, "users-reactivate", **target)
    assert users.user_table(settings)[1]["active"]
    assert [event for _, event, _, _ in changes(settings)] == [
        "reactivated", "deactivated", "password_reset", "scope_set", "role_set",
    ]  # fmt: skip
    assert {actor for actor, _, _, _ in changes(settings)} == {ADMIN}


def test_the_audit_filters_by_user(admin, settings):
    users.authenticate(settings, "vera", "wrong password", "10.0.0.5")
    body = callback(
        admin, "users-audit.children",
        [("users-audit-user", "value", "vera")],
    )  # fmt: skip
    assert "Sign-ins of vera" in body and "Wrong name or password" in body
    assert "10.0.0.5" in body and f'"{ADMIN}"' not in body
    everyone = callback(
        admin, "users-audit.children",
        [("users-audit-user", "value", "*")],
    )  # fmt: skip
    assert f'"{ADMIN}"' in everyone  # the admin's own sign-in


def test_the_page_lists_every_user_with_its_columns(admin):
    body = callback(
        admin, "..page-content.children...footer.children..",
        [("url", "pathname", "/users")], [("url", "search", "")],
    )  # fmt: skip
    for heading in ("Name", "Role", "Scope", "Active", "Last sign-in", "Sign-in locked"):
        assert f'"{heading}"' in body
    assert "Locality: Hollinsdale Coast (HDC)" in body and '"Whole system"' in body


def test_the_users_database_has_the_admin_audit_table(settings):
    users.set_role(settings, "vera", "analyst", ADMIN)
    with sqlite3.connect(settings.users_path) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(admin_audit)")]
    assert columns == ["time", "actor", "event", "target", "detail", "remote_address"]
