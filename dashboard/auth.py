"""The login gate: flask-login sessions, the /login and /logout routes, and a
before-request check that refuses every other route to a request without a session.

Open without a session are exactly /login and the static files: /assets/...,
Dash's JavaScript bundles (/_dash-component-suites/...) and /_favicon.ico. Dash's own
endpoints (/_dash-layout, /_dash-dependencies, /_dash-update-component, /_reload-hash)
answer 401; everything else (pages, downloads, /logout) redirects to the login page,
remembering a same-site `next` path. The login and sign-out forms carry a CSRF token
kept in the session, since flask-wtf is not a dependency. Sign-ins, failures and
sign-outs are audited in the users database.

Sessions end on the server. At sign-in the session stores the user's `session_epoch`
and the time; every gated request reloads the user (one indexed SQLite read, which
flask-login's user loader did already) and refuses the session when the epoch has moved
on (sign-out, a password, role or scope change, deactivation), the user is inactive, the
session has been idle longer than `session_idle_minutes` or is older than
`session_hours`. flask-login's remember-me cookie is never set, and a session it would
restore has no sign-in time, so it is refused too. Sign-in attempts are throttled per
name and per address (`dashboard.throttle`). The clock is `server.config[CLOCK]`, so
tests can move time on.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from datetime import timedelta
from urllib.parse import quote, urlsplit

import flask
from flask_login import LoginManager, current_user, login_user, logout_user

from dashboard import login_page, throttle, users
from dashboard.api import token_auth
from wholesystem.settings import Settings

OPEN_PATHS = frozenset({"/login", "/_favicon.ico"})
OPEN_PREFIXES = ("/assets/", "/_dash-component-suites/")
API_PREFIXES = ("/_dash-", "/_reload-hash")
WRONG_LOGIN = "The user name or password is wrong."
EXPIRED_FORM = "The sign-in form expired. Please sign in again."
EXPIRED_SIGN_OUT = "The sign-out form expired. Please press Sign out again."
SESSION_ENDED = "Your session has ended. Please sign in again."
SESSION_IDLE = "You were signed out after {minutes} minutes without activity. Please sign in again."
SESSION_TOO_OLD = "You were signed out {hours} hours after signing in. Please sign in again."
CLOCK = "WHOLESYSTEM_CLOCK"
# The time a session was last seen is rewritten at most this often, so that not every
# request sends a new cookie; the idle timeout is exact to within this.
TOUCH_SECONDS = 60
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
        # Flask refuses a signed session cookie older than this, whatever it says inside.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
    )  # fmt: skip
    server.config.setdefault(CLOCK, throttle.now)
    manager = LoginManager()
    manager.init_app(server)
    manager.user_loader(lambda name: users.get_user(settings, name))
    server.before_request(lambda: _gate(settings))
    server.after_request(_add_security_headers)
    server.add_url_rule(
        "/login", "login", lambda: _login(settings), methods=["GET", "POST"]
    )  # fmt: skip
    server.add_url_rule(
        "/logout", "logout", lambda: _logout(settings), methods=["GET", "POST"]
    )  # fmt: skip


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


def _gate(settings: Settings):
    path = flask.request.path
    if token_auth.is_token_path(path):  # the API: a token only, never the session
        return token_auth.authenticate(settings)
    # Static files skip the user lookup; /login checks, so a dead session is not
    # sent back and forth between /login and `next`.
    if is_open(path) and path != "/login":
        return None
    if current_user.is_authenticated and not _session_holds(settings):
        return _ended(path)
    if is_open(path) or current_user.is_authenticated:
        return None
    return _refuse(path)


def _refuse(path: str):
    if path.startswith(API_PREFIXES):
        return flask.jsonify(error="Sign in first: this request has no session."), 401
    target = flask.request.full_path.rstrip("?")
    return flask.redirect(f"/login?next={quote(target, safe='/')}", code=302)


def _session_holds(settings: Settings) -> bool:
    """Whether the signed-in session may go on; notes why not for the login page."""
    session, user, now = flask.session, current_user, _clock()
    signed_in, seen = session.get("signed_in_at"), session.get("seen_at")
    if (
        not user.active
        or session.get("epoch") != user.session_epoch
        or not (isinstance(signed_in, int | float) and isinstance(seen, int | float))
    ):
        return _note(SESSION_ENDED)
    if now - signed_in > settings.session_hours * 3600:
        return _note(SESSION_TOO_OLD.format(hours=settings.session_hours))
    if now - seen > settings.session_idle_minutes * 60:
        return _note(SESSION_IDLE.format(minutes=settings.session_idle_minutes))
    if now - seen >= TOUCH_SECONDS:
        session["seen_at"] = now
    return True


def _note(notice: str) -> bool:
    flask.g.session_notice = notice
    return False


def _ended(path: str):
    """Drops a session that no longer holds and answers as for no session at all."""
    logout_user()
    flask.session.clear()
    flask.session["notice"] = flask.g.session_notice
    return None if is_open(path) else _refuse(path)


def _login(settings: Settings):
    request = flask.request
    next_path = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user.is_authenticated:
            return flask.redirect(next_path)
        return _form(next_path, notice=flask.session.pop("notice", None))
    name = request.form.get("name", "").strip()
    if not _csrf_matches(request.form.get("csrf_token", "")):
        return _form(next_path, name, EXPIRED_FORM, status=400)
    now, address = _clock(), _remote()
    wait = throttle.wait_seconds(settings, name, address, now)
    if wait:
        users.record(settings, name, "login_throttled", address)
        return _form(next_path, name, wait_message(wait), status=429)
    user = users.authenticate(settings, name, request.form.get("password", ""), address)
    if user is None:
        for kind in throttle.record_failure(settings, name, address, now):
            users.record(settings, name, f"{kind}_locked", address)
        return _form(next_path, name, WRONG_LOGIN, status=401)
    throttle.clear_account(settings, name)
    _start_session(user, now)
    return flask.redirect(next_path)


def _start_session(user: users.User, now: float) -> None:
    flask.session.clear()  # a fresh session at sign-in: nothing carried over from before
    login_user(user)
    flask.session.update(epoch=user.session_epoch, signed_in_at=now, seen_at=now)
    csrf_token()


def wait_message(seconds: int) -> str:
    """The sentence for a refused attempt: the same whether or not the name exists."""
    wait = _plural(seconds, "second") if seconds < 120 else _plural(round(seconds / 60), "minute")
    return f"Too many failed sign-ins. Wait {wait}, then try again."


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" + ("" if count == 1 else "s")


def _logout(settings: Settings):
    request = flask.request
    name = current_user.name
    if request.method == "GET":  # a link or a prefetch must not sign anyone out
        return _sign_out_form(name)
    if not _csrf_matches(request.form.get("csrf_token", "")):
        return _sign_out_form(name, EXPIRED_SIGN_OUT, status=400)
    users.record(settings, name, "logout", _remote())
    users.end_sessions(settings, name)  # every copy of every cookie of this user, too
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


def _form(
    next_path: str, name: str = "", error: str | None = None, status: int = 200,
    notice: str | None = None,
):  # fmt: skip
    html = login_page.render(csrf_token(), next_path, name, error, notice)
    return flask.Response(html, status=status, mimetype="text/html")


def _sign_out_form(name: str, error: str | None = None, status: int = 200):
    html = login_page.render_sign_out(csrf_token(), name, error)
    return flask.Response(html, status=status, mimetype="text/html")


def csrf_token() -> str:
    """Returns this session's form token (made on first use), for the sign-in form and
    the header's sign-out button; "" outside a request."""
    if not flask.has_request_context():
        return ""
    token = flask.session.get("csrf_token")
    if not token:
        token = flask.session["csrf_token"] = secrets.token_urlsafe(32)
    return token


def _csrf_matches(submitted: str) -> bool:
    expected = flask.session.get("csrf_token", "")
    return bool(expected) and hmac.compare_digest(expected, submitted)


def _remote() -> str | None:
    return flask.request.remote_addr


def _clock() -> float:
    return flask.current_app.config[CLOCK]()


def _add_security_headers(response: flask.Response) -> flask.Response:
    for header, value in SECURITY_HEADERS.items():
        response.headers.setdefault(header, value)
    return response
