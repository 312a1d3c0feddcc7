"""Limits and headers: what a request to the dashboard may be, and what every answer carries.

`install(app, settings)` (from `create_app`) adds to the Flask server:
- a body larger than `max_request_bytes` is refused with 413 before it is read (with or
  without a Content-Length: werkzeug stops reading at the limit);
- a callback request is checked against the callback it names (`callback_types`) and
  refused with 400 and one sentence, before Dash passes its values to a page;
- a Content-Security-Policy on every answer: scripts only from this site, and Dash's own
  inline scripts (its renderer and the clientside callbacks) allowed by their hashes;
- `Cache-Control: no-store` on everything but the static files;
- with `https`, Secure cookies and HSTS (never over plain http, where they would break
  local `serve`);
- /assets/ and /_dash-component-suites/ serve files only (anything else there is a plain
  404, never the app shell), and the app shell names no Python, Dash or Plotly version.
"""

from __future__ import annotations

import functools
import io
import json
import re

import dash
import flask
from dash.exceptions import DependencyException
from werkzeug.exceptions import NotFound, RequestEntityTooLarge
from werkzeug.serving import WSGIRequestHandler

from dashboard import callback_types
from dashboard.auth import API_PREFIXES
from dashboard.auth import OPEN_PREFIXES as STATIC_PREFIXES
from wholesystem.settings import Settings

STATIC_PATHS = ("/_favicon.ico",)
CALLBACK_ROUTE = "_dash-update-component"
HSTS = "max-age=31536000"  # one year; not includeSubDomains: other services share the domain
VERSION_KEYS = ("python_version", "dash_version", "plotly_version", "ddk_version",
                "dash_version_url")  # fmt: skip
CSP = {
    "default-src": "'self'",
    "script-src": "'self' {hashes}",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'self'",
}


class QuietRequestHandler(WSGIRequestHandler):
    """werkzeug's request handler for `wholesystem serve`, whose Server header names no
    versions (werkzeug's own says `Werkzeug/3.x Python/3.x`)."""

    def version_string(self) -> str:
        return "wholesystem"


def install(app: dash.Dash, settings: Settings) -> None:
    """Adds the request limits, the callback check and the response headers to a Dash app.
    Runs before the login gate is installed, so its refusals need no session."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    if settings.https:
        server.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    static = _static_endpoints(server)
    server.before_request(lambda: _refuse(settings.max_request_bytes, static))
    server.register_error_handler(
        RequestEntityTooLarge, lambda error: _too_large(settings.max_request_bytes)
    )
    # Dash answers an unknown file under /_dash-component-suites/ with this (HTTP 500).
    server.register_error_handler(DependencyException, lambda error: NotFound())
    server.after_request(functools.partial(_headers, app, settings, static))
    callbacks = app.config.routes_pathname_prefix + CALLBACK_ROUTE
    server.view_functions[callbacks] = _checked(app, server.view_functions[callbacks])
    original = app.interpolate_index
    app.interpolate_index = lambda **parts: original(**_without_versions(parts))


def size_text(limit: int) -> str:
    """The request size limit in words: "1 MB" for 1,048,576 bytes."""
    megabytes = limit / 1_048_576
    return f"{megabytes:g} MB" if megabytes.is_integer() else f"{limit:,} bytes"


def content_security_policy(app: dash.Dash) -> str:
    """The policy for the app's pages; Dash's inline scripts by hash (computed once all
    callbacks are registered, on the first answer)."""
    hashes = app.server.config.get("WHOLESYSTEM_CSP_HASHES")
    if hashes is None:
        hashes = app.server.config["WHOLESYSTEM_CSP_HASHES"] = " ".join(app.csp_hashes())
    return "; ".join(f"{name} {value}".format(hashes=hashes) for name, value in CSP.items())


def _static_endpoints(server: flask.Flask) -> frozenset[str]:
    return frozenset(
        rule.endpoint
        for rule in server.url_map.iter_rules()
        if rule.rule.startswith(STATIC_PREFIXES) or rule.rule in STATIC_PATHS
    )


def _refuse(limit: int, static: frozenset[str]):
    request = flask.request
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    if request.headers.get("Transfer-Encoding", "").lower() == "chunked":
        _buffer_chunked(request.environ, limit)
    if request.path.startswith(STATIC_PREFIXES) and request.endpoint not in static:
        raise NotFound()  # a folder or a page path under the static prefixes: no app shell
    return None


def _buffer_chunked(environ: dict, limit: int) -> None:
    """Reads a chunked body (which has no Content-Length) up to one byte past the limit,
    refusing it there; a body within the limit is kept with its length. werkzeug alone
    would cut such a body at the limit and pass on the first part as if it were whole."""
    stream, body = environ["wsgi.input"], bytearray()
    while len(body) <= limit:
        chunk = stream.read(min(65_536, limit + 1 - len(body)))
        if not chunk:
            break
        body += chunk
    if len(body) > limit:
        raise RequestEntityTooLarge()
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ.update({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})


def _too_large(limit: int):
    sentence = f"The request is larger than the {size_text(limit)} this server accepts."
    if flask.request.path.startswith(API_PREFIXES):
        return flask.jsonify(error=sentence), 413
    return flask.Response(sentence, status=413, mimetype="text/plain")


def _checked(app: dash.Dash, dispatch):
    """Wraps Dash's callback view: a request it cannot answer gets 400 and one sentence."""

    @functools.wraps(dispatch)
    def checked(*args, **kwargs):
        body = flask.request.get_json(silent=True)
        problem = callback_types.problem(app.callback_map, body)
        if problem is not None:
            return flask.jsonify(error=problem), 400
        return dispatch(*args, **kwargs)

    return checked


def _headers(app: dash.Dash, settings: Settings, static, response: flask.Response):
    response.headers.setdefault("Content-Security-Policy", content_security_policy(app))
    # The API's answers say themselves how they may be kept (private, with ETags).
    own = flask.request.path.startswith("/api/v1/") and "Cache-Control" in response.headers
    if not own and (flask.request.endpoint not in static or response.status_code >= 400):
        response.headers["Cache-Control"] = "no-store"
    if settings.https:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _without_versions(parts: dict) -> dict:
    """The app shell's parts without versions: Dash's config names Python's, Dash's and
    Plotly's (read only by its development tools), the favicon URL Dash's."""
    config = parts.get("config", "")
    start, end = config.find(">") + 1, config.rfind("<")
    if start > 0 and end > start:
        values = json.loads(config[start:end])
        for key in VERSION_KEYS:
            values.pop(key, None)
        text = json.dumps(values).replace("<", "\\u003c")  # never a closing </script>
        parts["config"] = config[:start] + text + config[end:]
    parts["favicon"] = re.sub(r"\?v=[^\"']*", "", parts.get("favicon", ""))
    return parts
