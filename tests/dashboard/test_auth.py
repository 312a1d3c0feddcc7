"""The login gate on a small Dash app: open paths, refusals, sign-in, sign-out, `next`.

Sessions that end (revocation, timeouts) are in test_sessions.py, throttling in
test_throttle.py.

The real dashboard gets the same checks in test_security.py; here a one-callback app
shows the gate works on any Dash app it is installed on.
"""

from __future__ import annotations

import re
from pathlib import Path

import dash
import pytest
from dash import Input, Output, dcc, html

import dashboard
from dashboard import auth, session, users
from wholesystem.settings import Settings

ASSETS = Path(dashboard.__file__).parent / "assets"
PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
CALLBACK = {
    "output": "echo.children",
    "outputs": {"id": "echo", "property": "children"},
    "inputs": [{"id": "word", "property": "value", "value": "hello"}],
    "changedPropIds": ["word.value"],
}


def echo(word: str) -> str:
    return f"{session.current_user_name()} says {word}"


@pytest.fixture
def settings(tmp_path) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", secret_key="test")
    users.add_user(settings, "ann", "analyst", "locality:L1", PASSWORD)
    return settings


@pytest.fixture
def client(settings):
    app = dash.Dash(__name__, assets_folder=str(ASSETS))
    app.layout = html.Div([dcc.Input(id="word", value="hello"), html.Div(id="echo")])
    app.callback(Output("echo", "children"), Input("word", "value"))(echo)
    app.server.secret_key = settings.secret_key
    auth.install(app.server, settings)
    return app.server.test_client()


def sign_in(client, name: str, password: str, next_path: str | None = None):
    """Fills in the login form as a browser would; returns the POST's response."""
    form = client.get("/login" + (f"?next={next_path}" if next_path else ""))
    token = TOKEN.search(form.text).group(1)
    fields = {"csrf_token": token, "name": name, "password": password}
    if next_path:
        fields["next"] = next_path
    return client.post("/login", data=fields)


def sign_out(client):
    """Presses Sign out as a browser would: the confirm page's form, POSTed with its token."""
    token = TOKEN.search(client.get("/logout").text).group(1)
    return client.post("/logout", data={"csrf_token": token})


def test_the_login_page_is_open_and_accessible(client):
    response = client.get("/login")
    assert response.status_code == 200
    page = response.text
    assert '<html lang="en">' in page
    assert page.count("<h1") == 1 and ">Sign in</h1>" in page
    assert '<label for="name"' in page and 'id="name"' in page
    assert '<label for="password"' in page and 'type="password"' in page
    assert 'href="/assets/nhs.css"' in page and 'class="navbar navbar-dark nhs-header"' in page
    assert "http" not in page  # no CDN: the browser tests run offline


@pytest.mark.parametrize(
    "path",
    ["/assets/nhs.css", "/assets/bootstrap.min.css", "/_favicon.ico",
     "/_dash-component-suites/dash/dash-renderer/build/dash_renderer.min.js"],
)  # fmt: skip
def test_static_files_are_open(client, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/", "/anything/else", "/static/x.css", "/logout"])
def test_pages_redirect_to_the_login_page_remembering_where_to(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={path}"


def test_the_query_string_survives_the_redirect(client):
    response = client.get("/drilldown?org=HDC&level=locality")
    assert response.headers["Location"] == "/login?next=/drilldown%3Forg%3DHDC%26level%3Dlocality"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/_dash-layout"), ("GET", "/_dash-dependencies"),
     ("POST", "/_dash-update-component"), ("GET", "/_reload-hash")],
)  # fmt: skip
def test_dash_endpoints_answer_401(client, method, path):
    response = client.open(path, method=method, json=CALLBACK if method == "POST" else None)
    assert response.status_code == 401
    assert response.json == {"error": "Sign in first: this request has no session."}


def test_a_dot_dot_path_under_assets_reaches_nothing(client):
    response = client.get("/assets/../_dash-layout")
    assert response.status_code == 404
    assert b"echo" not in response.data


def test_signing_in_opens_every_route_until_signing_out(client, settings):
    assert client.post("/_dash-update-component", json=CALLBACK).status_code == 401
    response = sign_in(client, "ann", PASSWORD, "/anything/else")
    assert (response.status_code, response.headers["Location"]) == (302, "/anything/else")
    assert client.get("/_dash-layout").status_code == 200
    answer = client.post("/_dash-update-component", json=CALLBACK)
    assert answer.json["response"]["echo"]["children"] == "ann says hello"
    response = sign_out(client)
    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    assert client.post("/_dash-update-component", json=CALLBACK).status_code == 401
    assert [row["event"] for row in users.audit_log(settings)] == ["login_ok", "logout"]


def test_get_logout_only_asks_and_signs_nobody_out(client, settings):
    sign_in(client, "ann", PASSWORD)
    page = client.get("/logout")
    assert page.status_code == 200
    assert page.text.count("<h1") == 1 and ">Sign out</h1>" in page.text
    assert '<form method="post" action="/logout"' in page.text
    assert "You are signed in as ann." in page.text
    assert client.get("/_dash-layout").status_code == 200
    assert [row["event"] for row in users.audit_log(settings)] == ["login_ok"]


@pytest.mark.parametrize("fields", [{}, {"csrf_token": "forged"}])
def test_a_sign_out_without_the_form_token_is_refused(client, settings, fields):
    sign_in(client, "ann", PASSWORD)
    response = client.post("/logout", data=fields)
    assert response.status_code == 400
    assert re.findall(r'role="alert"[^>]*>([^<]*)<', response.text) == [
        "The sign-out form expired. Please press Sign out again."
    ]
    assert client.get("/_dash-layout").status_code == 200
    assert users.get_user(settings, "ann").session_epoch == 0


@pytest.mark.parametrize(("name", "password"), [("ann", "wrong password"), ("bob", PASSWORD)])
def test_a_wrong_login_gets_the_form_again_with_401_never_saying_which(
    client, settings, name, password
):
    response = sign_in(client, name, password)
    assert response.status_code == 401
    assert re.findall(r'role="alert"[^>]*>([^<]*)<', response.text) == [
        "The user name or password is wrong."
    ]
    assert f'value="{name}"' in response.text and password not in response.text
    assert client.get("/_dash-layout").status_code == 401
    assert [(row["name"], row["event"]) for row in users.audit_log(settings)] == [
        (name, "login_failed")
    ]


def test_a_login_without_the_form_token_is_refused(client, settings):
    client.get("/login")
    response = client.post("/login", data={"name": "ann", "password": PASSWORD})
    assert response.status_code == 400
    assert "The sign-in form expired. Please sign in again." in response.text
    assert client.get("/_dash-layout").status_code == 401
    assert users.audit_log(settings) == []


def test_the_session_cookie_is_http_only_and_same_site_lax(client):
    cookie = client.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_signed_in_visit_to_the_login_page_goes_on_to_next(client):
    sign_in(client, "ann", PASSWORD)
    response = client.get("/login?next=/networks")
    assert (response.status_code, response.headers["Location"]) == (302, "/networks")


def test_responses_forbid_framing_and_sniffing(client):
    headers = client.get("/login").headers
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/indicator/bed_days?level=practice", "/indicator/bed_days?level=practice"),
        (None, "/"), ("", "/"), ("indicator", "/"),
        ("//evil.example/x", "/"), ("/\\evil.example", "/"), ("https://evil.example/", "/"),
        ("/\t/evil.example", "/"), ("/login", "/"), ("/logout?x=1", "/"),
    ],
)  # fmt: skip
def test_next_is_kept_only_for_paths_on_this_site(target, safe):
    assert auth.safe_next(target) == safe


@pytest.mark.parametrize(
    ("host", "local"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.0.0.2", True),
     ("0.0.0.0", False), ("192.168.1.4", False), ("example.org", False)],
)  # fmt: skip
def test_only_loopback_hosts_count_as_local(host, local):
    assert auth.is_loopback(host) is local
