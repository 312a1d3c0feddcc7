"""The login gate: flask-login sessions, the /login and /logout routes, and a
before-request check that refuses every other route to a request without a session.

Open without a session are exactly /login and the static files: /assets/...,
Dash's JavaScript bundles (/_dash-component-suites/...) and /_favicon.ico. Dash's own
endpoints (/_dash-layout, /_dash-dependencies, /_dash-update-component, /_reload-hash)
answer 401; everything else (pages, downloads, /logout) redirects to the login page,
remembering a same-site `next` path. The login form carries a CSRF token kept in the
session, since flask-wtf is not a dependency. Sign-ins, failures and sign-outs are
audited in the users database.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from urllib.parse import quote, urlsplit

import flask
from flask_login import LoginManager, current_user, login_user, logout_user

from dashboard import login_page, users
from wholesystem.settings import Settings

OPEN_PATHS = frozenset({"/login", "/_favicon.ico"})
OPEN_PREFIXES = ("/assets/", "/_dash-component-suites/")
API_PREFIXES = ("/_dash-", "/_reload-hash")
WRONG_LOGIN = "The user name or password is wrong."
EXPIRED_FORM = "The sign-in form expired. Please sign in again."
SECURITY_HEADERS = {
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def install(server: flask.Flask, settings: Settings) -> None:
    """Adds login, logout and the session gate to a Dash app's Flask server."""
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Lax",
    )  # fmt: skip
    manager = LoginManager()
    manager.init_app(server)
    manager.user_loader(lambda name: users.get_user(settings, name))
    server.before_request(_gate)
    server.after_request(_add_security_headers)
    server.add_url_rule(
        "/login", "login", lambda: _login(settings), methods=["GET", "POST"]
    )  # fmt: skip
    server.add_url_rule("/logout", "logout", lambda: _logout(settings))


def is_open(path: str) -> bool:
    """Returns whether a path is served without a session (login and static files)."""
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def is_loopback(host: str) -> bool:
    """Returns whether a listening address is this machine only (where a temporary secret
    key is allowed): localhost or a loopback IP address."""
    try:
        return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _gate():
    path = flask.request.path
    if is_open(path) or current_user.is_authenticated:
        return None
    if path.startswith(API_PREFIXES):
        return flask.jsonify(error="Sign in first: this request has no session."), 401
    target = flask.request.full_path.rstrip("?")
    return flask.redirect(f"/login?next={quote(target, safe='/')}", code=302)


def _login(settings: Settings):
    request = flask.request
    next_path = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user.is_authenticated:
            return flask.redirect(next_path)
        return _form(next_path)
    name = request.form.get("name", "").strip()
    if not _csrf_matches(request.form.get("csrf_token", "")):
        return _form(next_path, name, EXPIRED_FORM, status=400)
    user = users.authenticate(settings, name, request.form.get("password", ""), _remote())
    if user is None:
        return _form(next_path, name, WRONG_LOGIN, status=401)
    flask.session.clear()  # a fresh session at sign-in: nothing carried over from before
    login_user(user)
    return flask.redirect(next_path)


def _logout(settings: Settings):
    users.record(settings, current_user.name, "logout", _remote())
    logout_user()
    flask.session.clear()
    return flask.redirect("/login")


def safe_next(target: str | None) -> str:
    """Returns `target` if it is a path on this site (not /login or /logout), else "/".

    Refuses anything a browser could read as another host: a scheme, `//host`, or a
    backslash (which browsers treat as a slash).
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or not target.isprintable():
        return "/"
    return "/" if parts.path in ("/login", "/logout") else target


def _form(next_path: str, name: str = "", error: str | None = None, status: int = 200):
    html = login_page.render(_csrf_token(), next_path, name, error)
    return flask.Response(html, status=status, mimetype="text/html")


def _csrf_token() -> str:
    token = flask.session.get("csrf_token")
    if not token:
        token = flask.session["csrf_token"] = secrets.token_urlsafe(32)
    return token


def _csrf_matches(submitted: str) -> bool:
    expected = flask.session.get("csrf_token", "")
    return bool(expected) and hmac.compare_digest(expected, submitted)


def _remote() -> str | None:
    return flask.request.remote_addr


def _add_security_headers(response: flask.Response) -> flask.Response:
    for header, value in SECURITY_HEADERS.items():
        response.headers.setdefault(header, value)
    return response
