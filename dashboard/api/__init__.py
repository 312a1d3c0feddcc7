"""The read-only API under /api/v1/: JSON and CSV for other tools, by personal token.

`install(server, settings)` (from `create_app`, after the login gate) adds:
- a GET rule per declared route (`routes`), each checking the `use_api` role, the query
  (`params`) and the snapshot asked for, and answering a bad request with one sentence;
- Flask-Limiter's per-user rate limit (`api_rate_limit`; all of a user's tokens share
  it), on every route and the 404 of an unknown path, kept in `api_rate_limit_storage`:
  the default in-memory store counts per worker process, so with 2 gunicorn workers a
  user may make up to twice the limit, unless the workers share a store such as Redis;
  the same store counts refusals per address (`token_auth.REFUSALS`);
- the audit: one row per request under /api/v1/ in `api_requests`; refusals with no
  known token are counted, one row per address per minute (`api_tokens.record_refusal`);
- `/api/v1/openapi.json` and the docs page `/api/v1/docs`, for signed-in people (the
  session gate; everything here is behind login, the description included);
- a JSON 404 for any other path under /api/v1/.
Authentication is `token_auth`, called by the login gate for every API path.
"""

from __future__ import annotations

import functools
import math
import time

import flask
from flask_limiter import Limiter
from werkzeug.exceptions import Forbidden

from dashboard import access, roles
from dashboard.api import openapi, params, responses, routes  # noqa: F401 (declares routes)
from dashboard.api.declare import ENDPOINTS, PREFIX, Endpoint
from dashboard.api.token_auth import is_token_path
from wholesystem import api_tokens
from wholesystem.errors import UserError
from wholesystem.settings import Settings

TOO_MANY = "Too many requests with your tokens: wait {seconds} seconds, then try again."
NOT_READABLE = "Snapshot {version} is not one you can read: it is not kept, or not released."
NO_ROUTE = "There is no API route {path}; see /api/v1/docs."


def install(server: flask.Flask, settings: Settings) -> None:
    """Adds the API's routes, rate limit and audit to the dashboard's server."""
    limiter = Limiter(
        key_func=_user_key, app=server, storage_uri=settings.api_rate_limit_storage,
        on_breach=_too_many,
    )  # fmt: skip
    server.extensions["api_refusals"] = limiter.limiter  # token_auth's count per address
    limit = limiter.shared_limit(lambda: settings.api_rate_limit, scope="api")
    for route in ENDPOINTS:
        view = limit(_served(route))
        server.add_url_rule(PREFIX + route.path, f"api_{route.name}", view)
    server.add_url_rule(f"{PREFIX}/<path:rest>", "api_not_found", limit(_no_route))
    server.add_url_rule(f"{PREFIX}/openapi.json", "api_openapi", _openapi)
    server.add_url_rule(f"{PREFIX}/docs", "api_docs", _docs)
    server.after_request(functools.partial(_audit, settings))


def _served(route: Endpoint):
    @functools.wraps(route.view)
    def serve(**arguments):
        try:
            roles.require("use_api")
            params.check_known(route)
            if access.shown_notice():
                version = params.shown(_requested_snapshot())
                raise params.BadQuery(NOT_READABLE.format(version=version), 404)
            return route.view(**arguments)
        except params.BadQuery as bad:
            return responses.error(str(bad), bad.status)
        except Forbidden:
            return responses.error(roles.FORBIDDEN, 403)
        except UserError as problem:  # nothing published yet
            return responses.error(f"{str(problem).capitalize()}.", 503)

    return serve


def _requested_snapshot() -> str:
    request = flask.request
    return request.args.get(access.SNAPSHOT_PARAMETER) or request.headers.get(
        access.SNAPSHOT_HEADER, ""
    )


def _user_key() -> str:
    # Per user, not per token: more tokens must not buy more requests.
    token = flask.g.get("api_token")
    return f"user:{token.user_name}" if token is not None else "no-token"


def _too_many(limit) -> flask.Response:
    seconds = max(1, math.ceil(limit.reset_at - time.time()))
    response = responses.error(TOO_MANY.format(seconds=seconds), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def _no_route(rest: str) -> flask.Response:
    return responses.error(NO_ROUTE.format(path=params.shown(f"{PREFIX}/{rest}")), 404)


def _openapi() -> flask.Response:
    roles.require("read")
    return flask.jsonify(openapi.description())


def _docs() -> flask.Response:
    roles.require("read")
    html = openapi.docs_page(openapi.description(), flask.request.host_url)
    return flask.Response(html, mimetype="text/html")


def _audit(settings: Settings, response: flask.Response) -> flask.Response:
    """One row per API request with a known token (who, which token, what, the status,
    the rows sent); a refusal without one is counted per address and minute."""
    request = flask.request
    if not is_token_path(request.path):
        return response
    # A token request never writes a session cookie, even where something on the way
    # (Dash's first-request set-up draws the page shell, with its form token) touched one.
    flask.session.modified = False
    token, path = flask.g.get("api_token"), request.full_path.rstrip("?")
    if flask.g.get("api_unaudited"):
        return response  # past the refusal limit: nothing is written
    if token is None:  # refused with no known token: counted per address and minute
        api_tokens.record_refusal(
            settings, request.remote_addr, request.method, path, response.status_code
        )
        return response
    api_tokens.record_request(
        settings, token.user_name, token.id, request.method, path, response.status_code,
        flask.g.get("api_rows"), request.remote_addr,
    )  # fmt: skip
    return response
