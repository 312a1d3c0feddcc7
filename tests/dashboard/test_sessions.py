"""Sessions that end: a copied cookie is refused after sign-out, a password change,
`end_sessions` and deactivation; the idle timeout and the absolute lifetime, against a
fake clock; the remember-me cookie cannot stand in for a session; old users databases
gain the new columns."""

from __future__ import annotations

import sqlite3

import dash
import pytest
from dash import Input, Output, dcc, html
from flask_login.utils import encode_cookie
from werkzeug.security import generate_password_hash

from dashboard import auth, users
from tests.dashboard.test_auth import ASSETS, CALLBACK, PASSWORD, echo, sign_in, sign_out
from wholesystem.cli import main
from wholesystem.errors import UserError
from wholesystem.settings import Settings

START = 1_800_000_000.0  # a fixed "now" for the fake clock


class FakeClock:
    """Seconds since the epoch, moved on by the test."""

    def __init__(self):
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, minutes: float = 0, hours: float = 0) -> None:
        self.now += minutes * 60 + hours * 3600


@pytest.fixture
def settings(tmp_path) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", secret_key="test")
    users.add_user(settings, "ann", "analyst", "locality:L1", PASSWORD)
    return settings


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(settings, clock):
    return make_server(settings, clock)


def make_server(settings: Settings, clock: FakeClock):
    """test_auth's one-callback app, behind the gate, on the fake clock."""
    app = dash.Dash(__name__, assets_folder=str(ASSETS))
    app.layout = html.Div([dcc.Input(id="word", value="hello"), html.Div(id="echo")])
    app.callback(Output("echo", "children"), Input("word", "value"))(echo)
    app.server.secret_key = settings.secret_key
    app.server.config[auth.CLOCK] = clock
    auth.install(app.server, settings)
    return app.server


@pytest.fixture
def client(server):
    return server.test_client()


def signed_in_copy(server, client):
    """Signs `client` in as ann and returns a second client holding a copy of its cookie
    (what an attacker who copied the cookie would have)."""
    assert sign_in(client, "ann", PASSWORD).status_code == 302
    thief = server.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert works(thief)
    return thief


def works(client) -> bool:
    """Whether a callback answers (200) rather than refusing (401) this client."""
    status = client.post("/_dash-update-component", json=CALLBACK).status_code
    assert status in (200, 401)
    return status == 200


def test_a_copied_cookie_is_refused_after_sign_out(server, client, settings):
    thief = signed_in_copy(server, client)
    sign_out(client)
    assert not works(thief)
    assert thief.get("/anything").headers["Location"] == "/login?next=/anything"
    assert users.get_user(settings, "ann").session_epoch == 1


def test_a_copied_cookie_is_refused_after_a_password_change(server, client, settings):
    thief = signed_in_copy(server, client)
    users.set_password(settings, "ann", "a quite different phrase")
    assert not works(thief) and not works(client)
    assert [row["event"] for row in users.audit_log(settings)][-1] == "password_changed"


def test_a_copied_cookie_is_refused_after_the_command_line_sets_a_password(
    server, client, settings, monkeypatch
):
    thief = signed_in_copy(server, client)
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(settings.data_dir))
    assert main(["users", "set-password", "ann"]) == 0
    assert not works(thief)


def test_end_sessions_refuses_every_cookie_and_a_new_sign_in_works(server, client, settings):
    thief = signed_in_copy(server, client)
    users.end_sessions(settings, "ann")
    assert not works(thief) and not works(client)
    assert sign_in(client, "ann", PASSWORD).status_code == 302
    assert works(client) and not works(thief)


@pytest.mark.parametrize(
    "change",
    [lambda settings: users.deactivate(settings, "ann", "root"),
     lambda settings: users.set_role(settings, "ann", "viewer", "root"),
     lambda settings: users.set_scope(settings, "ann", "locality:L2", "root")],
    ids=["deactivate", "set_role", "set_scope"],
)  # fmt: skip
def test_a_copied_cookie_is_refused_after_an_admin_change(server, client, settings, change):
    thief = signed_in_copy(server, client)
    change(settings)
    assert not works(thief) and not works(client)


def test_the_inactive_flag_alone_refuses_a_session(server, client, settings):
    thief = signed_in_copy(server, client)
    with sqlite3.connect(settings.users_path) as connection:
        connection.execute("UPDATE users SET active = 0 WHERE name = 'ann'")
    assert not works(thief) and not works(client)


def test_an_inactive_user_cannot_sign_in_and_is_told_nothing_more(client, settings):
    with sqlite3.connect(settings.users_path) as connection:
        connection.execute("UPDATE users SET active = 0 WHERE name = 'ann'")
    response = sign_in(client, "ann", PASSWORD)
    assert response.status_code == 401
    assert auth.WRONG_LOGIN in response.text
    assert not works(client)
    assert [row["event"] for row in users.audit_log(settings)] == ["login_inactive"]


def test_end_sessions_names_an_unknown_user(settings):
    with pytest.raises(UserError, match="^there is no user named 'bob'$"):
        users.end_sessions(settings, "bob")


def test_an_idle_session_ends_after_30_minutes(client, clock):
    sign_in(client, "ann", PASSWORD)
    clock.advance(minutes=29)
    assert works(client)
    clock.advance(minutes=29)  # 29 minutes after the last request: still in time
    assert works(client)
    clock.advance(minutes=30, hours=0.001)
    assert not works(client)
    page = client.get("/login")
    assert "You were signed out after 30 minutes without activity." in page.text
    assert 'role="status"' in page.text


def test_a_busy_session_still_ends_12_hours_after_sign_in(client, clock):
    sign_in(client, "ann", PASSWORD)
    for _ in range(11 * 3):
        clock.advance(minutes=20)
        assert works(client)
    clock.advance(minutes=60, hours=0.001)  # 12 hours and a few seconds after sign-in
    response = client.get("/anything")
    assert response.headers["Location"] == "/login?next=/anything"
    assert "You were signed out 12 hours after signing in." in client.get("/login").text


def test_the_timeouts_follow_the_settings(tmp_path, clock):
    settings = Settings(
        data_dir=tmp_path / "data", secret_key="test", session_idle_minutes=5, session_hours=1
    )
    users.add_user(settings, "ann", "analyst", None, PASSWORD)
    server = make_server(settings, clock)
    client = server.test_client()
    sign_in(client, "ann", PASSWORD)
    clock.advance(minutes=4.9)
    assert works(client)
    clock.advance(minutes=5.1)
    assert not works(client)
    sign_in(client, "ann", PASSWORD)
    for _ in range(14):  # 56 minutes of activity
        clock.advance(minutes=4)
        assert works(client)
    clock.advance(minutes=4.1)  # an hour and six seconds after signing in
    assert not works(client)
    assert server.permanent_session_lifetime.total_seconds() == 3600


def test_the_remember_me_cookie_does_not_stand_in_for_a_session(server, client):
    with server.test_request_context():
        remembered = encode_cookie("ann")
    client.set_cookie("remember_token", remembered)
    assert not works(client)
    assert client.get("/anything").status_code == 302


def test_the_session_cookie_lasts_no_longer_than_the_absolute_lifetime(server):
    assert server.permanent_session_lifetime.total_seconds() == 12 * 3600


def test_an_old_users_database_gains_the_new_columns(tmp_path):
    settings = Settings(data_dir=tmp_path / "old")
    settings.data_dir.mkdir()
    with sqlite3.connect(settings.users_path) as connection:
        connection.executescript(
            "CREATE TABLE users (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL,"
            " role TEXT NOT NULL, scope_level TEXT NOT NULL, scope_code TEXT NOT NULL,"
            " created_at TEXT NOT NULL);"
        )
        connection.execute(
            "INSERT INTO users VALUES ('ann', ?, 'admin', 'locality', 'L1', '2026-01-01')",
            (generate_password_hash(PASSWORD),),
        )
    user = users.authenticate(settings, "ann", PASSWORD)
    assert (user.name, user.active, user.session_epoch) == ("ann", True, 0)
    users.end_sessions(settings, "ann")
    assert users.get_user(settings, "ann").session_epoch == 1
