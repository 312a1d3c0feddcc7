"""Who is asking the API: the `Authorization: Bearer <token>` header, and nothing else.

The login gate (`dashboard.auth`) hands every request under /api/v1/ (but the OpenAPI
description and the docs page, which are for signed-in people) to `authenticate`. A
session cookie sent along is never read there and none is ever set: the token's user is
made flask-login's current user for this one request by setting `g._login_user`, which
is where flask-login keeps the user of a request (`login_user` would write the user into
the session, and so hand out a cookie). The user is loaded afresh on every request, so a
role, scope or deactivation made after the token was created holds from the next
request. A refusal is JSON 401 with one sentence, never a redirect to /login.

Refusals are limited per remote address (REFUSALS, in the API's rate-limit store, before
anything is written): past the limit an address gets 429 and nothing is audited, so
requests with no or guessed tokens cannot fill the side store or hold its write lock.
"""

from __future__ import annotations

import math
import time

import flask
from limits import parse

from dashboard import users
from dashboard.api.declare import PREFIX
from wholesystem import api_tokens
from wholesystem.settings import Settings

# Served to a signed-in session instead (a person reading about the API in a browser).
SESSION_PATHS = frozenset({f"{PREFIX}/openapi.json", f"{PREFIX}/docs"})
NO_TOKEN = "This API needs a token: send the header 'Authorization: Bearer <token>'."
MALFORMED = "The Authorization header is not 'Bearer <token>'."
UNKNOWN = "This token is not valid: it is wrong, or it has been revoked."
INACTIVE = "This token's user is deactivated, so the token cannot be used."
TOO_MANY_REFUSED = (
    "Too many refused requests from this address: wait {seconds} seconds, then try again."
)
REFUSALS = parse("20/minute")  # per remote address, as the sign-in throttle's free failures


def is_token_path(path: str) -> bool:
    """Whether a path is answered only to a token (the API, but its description)."""
    return path.startswith(PREFIX + "/") and path not in SESSION_PATHS


def authenticate(settings: Settings):
    """Makes the token's user the request's user, or answers 401 with one sentence."""
    header = flask.request.headers.get("Authorization")
    if not header:
        return _refuse(NO_TOKEN)
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return _refuse(MALFORMED)
    token = api_tokens.lookup(settings, secret.strip())
    if token is None:
        return _refuse(UNKNOWN)
    user = users.get_user(settings, token.user_name)
    if user is None or not user.active:
        return _refuse(INACTIVE, token)
    flask.g.api_token = token
    flask.g._login_user = user  # this request's user; the session is never touched
    return None


def over_refusal_limit() -> int:
    """Counts a refused request against its remote address; returns the seconds to wait
    when the address is over REFUSALS (0: under it). The limiter is `install`'s."""
    window = flask.current_app.extensions["api_refusals"]
    address = flask.request.remote_addr or "unknown"
    if window.hit(REFUSALS, "api-refusals", address):
        return 0
    reset = window.get_window_stats(REFUSALS, "api-refusals", address).reset_time
    return max(1, math.ceil(reset - time.time()))


def _refuse(sentence: str, token: api_tokens.Token | None = None):
    flask.g.api_token = token  # audited with the refusal
    wait = over_refusal_limit()
    status = 429 if wait else 401
    response = flask.jsonify(error=TOO_MANY_REFUSED.format(seconds=wait) if wait else sentence)
    response.status_code = status
    if wait:
        flask.g.api_unaudited = True  # past the limit nothing is written
        response.headers["Retry-After"] = str(wait)
    else:
        response.headers["WWW-Authenticate"] = 'Bearer realm="wholesystem"'
    response.headers["Cache-Control"] = "no-store"
    return response
