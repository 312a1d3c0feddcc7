"""Limits and headers of the real dashboard, through Flask's test client on the sample.

A body over the size limit is refused with 413 before it is read; every callback, given
each wrong kind of value in each input, answers 400 with one sentence (or a normal
answer), never 500; every answer carries the Content-Security-Policy and data answers
`no-store`; cookies are Secure and HSTS is sent only with `https`; the static routes
serve files only and no anonymous answer names a version.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import json
import re
import sys
import threading
import urllib.request
from dataclasses import replace

import dash
import plotly
import pytest
from werkzeug.serving import make_server

from dashboard import callback_types, hardening, users
from dashboard.app import create_app
from wholesystem import cli
from wholesystem.settings import Settings, load_settings

PASSWORD = "correct horse battery staple"
LIMIT = 1_048_576
# A valid value for the callback inputs of the sample (id or pattern type, property); an
# input not listed is sent empty (null), as the browser sends it before any choice.
VALID = {
    ("url", "pathname"): "/", ("url", "search"): "",
    ("board-area", "value"): "E38000992", ("board-period", "value"): "2026-10-01",
    ("board-side-by-side", "value"): False,
    ("indicator-level", "value"): "locality", ("indicator-org", "value"): "HDC",
    ("indicator-period-type", "value"): "month", ("indicator-period", "value"): "2026-10-01",
    ("indicator-segment", "value"): "all", ("indicator-benchmark", "value"): "system",
    ("indicator-limits", "value"): "auto", ("indicator-metric", "data"): "bed_days",
    ("indicator-change-add", "n_clicks"): 1, ("indicator-change-remove", "n_clicks"): [],
    ("indicator-change-month", "value"): "2026-05", ("indicator-change-label", "value"): "Pilot",
    ("indicator-change-recalculate", "value"): True, ("indicator-change-scope", "value"): "org",
    ("indicator-change-org", "children"): "HDC",
    ("networks-month", "value"): "2026-10-01",
    ("networks-heatmap", "clickData"): {"points": [{"customdata": "U92003|pc_kpi"}]},
    ("networks-network", "value"): "U92003", ("networks-kpi", "value"): None,
    ("drilldown-url", "search"): "?org=HDC", ("drilldown-period", "value"): "rolling12",
    ("practice-org", "value"): "X20015", ("practice-period", "value"): "rolling12",
    ("definitions-search", "value"): "", ("definitions-selected", "data"): None,
    ("comment-save", "n_clicks"): 1, ("comment-text", "value"): "Winter pressures.",
    ("comment-action", "value"): "", ("comment-approve", "n_clicks"): 1,
}  # fmt: skip
MATCH_INDEX = "bed_days|E38000992|2026-10-01"  # the board commentary's metric|area|period
WRONG = {
    "text": "x", "huge text": "y" * 900_000, "object": {"a": 1}, "empty object": {},
    "list": ["x"], "empty list": [], "nested list": [[{"a": None}]], "number": 5,
    "fraction": 1.5, "negative": -1, "true": True, "null": None, "objects": [{"id": 1}],
}  # fmt: skip


@pytest.fixture(scope="module")
def settings(published_sample, tmp_path_factory) -> Settings:
    """A private data directory seeing the sample snapshot, with a whole-system admin."""
    data_dir = tmp_path_factory.mktemp("hardening") / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(published_sample.serving_dir)
    settings = Settings(data_dir=data_dir, secret_key="test-secret")
    users.add_user(settings, "admin", "admin", None, PASSWORD)
    return settings


@pytest.fixture(scope="module")
def app(settings):
    return create_app(settings)


@pytest.fixture
def client(app):
    return app.server.test_client()


@pytest.fixture
def admin(client):
    assert sign_in(client).status_code == 302
    return client


def sign_in(client, name: str = "admin"):
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    return client.post("/login", data={"csrf_token": token, "name": name, "password": PASSWORD})


class CountingStream(io.RawIOBase):
    """A request body of `size` bytes that counts how many of them were read."""

    def __init__(self, size: int):
        self.size, self.read_bytes = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.size - self.read_bytes)
        buffer[:count] = b"x" * count
        self.read_bytes += count
        return count


# Maximum request size -------------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_2_mb_body_gets_413_with_one_sentence(client, signed_in):
    if signed_in:
        sign_in(client)
    response = client.post(
        "/_dash-update-component", data=b"x" * 2_000_000, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json == {"error": "The request is larger than the 1 MB this server accepts."}
    assert client.post("/login", data=b"x" * 2_000_000).status_code == 413


def test_a_100_mb_body_with_a_content_length_is_refused_unread(admin):
    body = CountingStream(100_000_000)
    response = admin.post(
        "/_dash-update-component", content_type="application/json",
        environ_overrides={"wsgi.input": body, "CONTENT_LENGTH": "100000000"},
    )  # fmt: skip
    assert response.status_code == 413 and body.read_bytes == 0


@pytest.mark.parametrize("path", ["/_dash-update-component", "/login"])
def test_a_100_mb_body_without_a_content_length_is_read_only_to_the_limit(admin, path):
    # A chunked body: the server cannot know its size before reading it.
    body = CountingStream(100_000_000)
    chunked = {"wsgi.input": body, "CONTENT_LENGTH": "", "HTTP_TRANSFER_ENCODING": "chunked",
               "wsgi.input_terminated": True}  # fmt: skip
    response = admin.post(path, content_type="application/json", environ_overrides=chunked)
    assert response.status_code == 413
    assert 0 < body.read_bytes <= LIMIT + 65_536


def test_a_chunked_body_within_the_limit_is_read_whole(admin):
    body = json.dumps(GOOD).encode()
    chunked = {"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": "",
               "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True}  # fmt: skip
    response = admin.post(
        "/_dash-update-component", content_type="application/json", environ_overrides=chunked
    )
    assert response.status_code == 200 and "drilldown-body" in response.text


def test_the_size_limit_is_a_setting(settings):
    client = create_app(replace(settings, max_request_bytes=10_000)).server.test_client()
    sign_in(client)
    small = client.post("/_dash-update-component", data=b"x" * 9_000, content_type="text/plain")
    assert small.status_code == 400  # read, and refused as no callback request
    large = client.post("/_dash-update-component", data=b"x" * 11_000)
    assert large.status_code == 413
    assert large.json["error"] == "The request is larger than the 10,000 bytes this server accepts."
    assert load_settings({"WHOLESYSTEM_MAX_REQUEST_BYTES": "2000"}).max_request_bytes == 2000
    assert load_settings({}).max_request_bytes == LIMIT


# Callback inputs ------------------------------------------------------------------------


def server_callbacks(app) -> dict:
    """The callbacks Dash answers on the server (not the clientside menu toggle)."""
    return {output: cb for output, cb in app.callback_map.items() if cb.get("callback")}


def slot_name(dep: dict) -> tuple[str, str]:
    component_id = dep["id"]
    if component_id.startswith("{"):
        component_id = json.loads(component_id)["type"]
    return component_id, dep["property"]


def sent(dep: dict, value):
    """How the browser sends a value for an input: an ALL pattern as a list of components,
    a MATCH pattern as the one component that changed (`MATCH_INDEX`)."""
    if not dep["id"].startswith("{"):
        return {"id": dep["id"], "property": dep["property"], "value": value}
    kind = json.loads(dep["id"])["type"]
    if is_match(dep["id"]):
        matched = {"index": MATCH_INDEX, "type": kind}
        return {"id": matched, "property": dep["property"], "value": value}
    values = value if isinstance(value, list) else [value]
    return [
        {"id": {"index": n, "type": kind}, "property": dep["property"], "value": one}
        for n, one in enumerate(values)
    ]


def is_match(component_id: str) -> bool:
    return component_id.startswith("{") and ["MATCH"] in json.loads(component_id).values()


def request_body(output: str, callback: dict, values: list) -> dict:
    outputs = [
        {"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
        for part in output.strip(".").split("...")
    ]
    for part in outputs:  # a MATCH output is the one component of the input that changed
        if is_match(part["id"]):
            part["id"] = {"index": MATCH_INDEX, "type": json.loads(part["id"])["type"]}
    count = len(callback["inputs"])
    items = [sent(dep, value) for dep, value in zip(
        callback["inputs"] + callback["state"], values, strict=True)]  # fmt: skip
    first = callback["inputs"][0]
    return {
        "output": output, "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": items[:count], "state": items[count:],
        "changedPropIds": [f"{first['id']}.{first['property']}"] if "{" not in first["id"]
        else [],
    }  # fmt: skip


def test_every_callback_input_has_a_declared_kind(app):
    undeclared = [
        f"{output}: {dep['id']}.{dep['property']}"
        for output, callback in server_callbacks(app).items()
        for dep in callback["inputs"] + callback["state"]
        if callback_types.kind_of(dep["id"], dep["property"]) is None
    ]
    assert undeclared == []
    assert len(server_callbacks(app)) >= 14


def test_every_callback_answers_its_valid_inputs(admin, app):
    for output, callback in server_callbacks(app).items():
        values = [VALID.get(slot_name(dep)) for dep in callback["inputs"] + callback["state"]]
        response = admin.post(
            "/_dash-update-component", json=request_body(output, callback, values)
        )
        assert response.status_code in (200, 204), (output, response.text[:300])


@pytest.mark.parametrize("wrong", WRONG)
def test_every_callback_refuses_each_wrong_kind_with_400_never_500(admin, app, wrong):
    value = WRONG[wrong]
    for output, callback in server_callbacks(app).items():
        deps = callback["inputs"] + callback["state"]
        valid = [VALID.get(slot_name(dep)) for dep in deps]
        for n, dep in enumerate(deps):
            values = [*valid[:n], value, *valid[n + 1 :]]
            response = admin.post(
                "/_dash-update-component", json=request_body(output, callback, values)
            )
            where = f"{output} with {wrong} in {dep['id']}.{dep['property']}"
            assert "Traceback" not in response.text, where
            kind = callback_types.kind_of(dep["id"], dep["property"])
            each = value if isinstance(value, list) else [value]  # one per ALL component
            many = dep["id"][0] == "{" and not is_match(dep["id"])
            if all(kind.accepts(one) for one in (each if many else [value])):
                assert response.status_code in (200, 204), (where, response.text[:300])
            else:
                name = ".".join(slot_name(dep))
                assert response.status_code == 400, where
                assert response.json == {"error": f"The value of {name} must be {kind.words}."}


def test_the_finding_is_closed_a_list_for_text_no_longer_breaks_a_page(admin):
    body = {
        "output": "drilldown-body.children",
        "outputs": {"id": "drilldown-body", "property": "children"},
        "inputs": [{"id": "drilldown-url", "property": "search", "value": ["?org=HDC"]}],
        "changedPropIds": ["drilldown-url.search"],
    }
    response = admin.post("/_dash-update-component", json=body)
    assert response.status_code == 400
    assert response.json["error"] == (
        "The value of drilldown-url.search must be text of at most 2,000 characters, or empty."
    )


GOOD = {
    "output": "drilldown-body.children",
    "outputs": {"id": "drilldown-body", "property": "children"},
    "inputs": [{"id": "drilldown-url", "property": "search", "value": "?org=HDC"}],
    "changedPropIds": ["drilldown-url.search"],
}
MALFORMED = {
    "not an object": ([GOOD], callback_types.NOT_A_CALLBACK),
    "no output": ({**GOOD, "output": None}, callback_types.NOT_A_CALLBACK),
    "unknown output": ({**GOOD, "output": "nope.children"}, callback_types.NO_SUCH_CALLBACK),
    "wrong outputs": ({**GOOD, "outputs": "x"}, callback_types.WRONG_SHAPE),
    "no inputs": ({**GOOD, "inputs": None}, callback_types.WRONG_SHAPE),
    "an input too many": ({**GOOD, "inputs": GOOD["inputs"] * 2}, callback_types.WRONG_SHAPE),
    "another component": (
        {**GOOD, "inputs": [{"id": "url", "property": "search", "value": ""}]},
        callback_types.WRONG_SHAPE,
    ),
    "state it does not take": (
        {**GOOD, "state": [{"id": "url", "property": "search", "value": ""}]},
        callback_types.WRONG_SHAPE,
    ),
    "a change it does not carry": (
        {**GOOD, "changedPropIds": ['{"type": broken.search']},
        callback_types.WRONG_CHANGE,
    ),
    "changes not a list": ({**GOOD, "changedPropIds": "x"}, callback_types.WRONG_CHANGE),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_callback_request_gets_400_and_one_sentence(admin, case):
    body, sentence = MALFORMED[case]
    response = admin.post("/_dash-update-component", json=body)
    assert response.status_code == 400 and response.json == {"error": sentence}


def test_an_input_the_browser_sends_without_a_value_counts_as_empty(admin):
    # The browser leaves "value" out for a property that is not set (a Store with no data).
    body = {**GOOD, "inputs": [{"id": "drilldown-url", "property": "search"}]}
    assert admin.post("/_dash-update-component", json=body).status_code == 200


def test_a_request_that_is_not_json_gets_400(admin):
    response = admin.post("/_dash-update-component", data="{", content_type="application/json")
    assert response.status_code == 400
    assert response.json == {"error": callback_types.NOT_A_CALLBACK}


def test_a_pattern_input_must_be_a_list_of_its_components(admin, app):
    output = next(key for key in app.callback_map if "indicator-change-list" in key)
    callback = app.callback_map[output]
    values = [VALID.get(slot_name(dep)) for dep in callback["inputs"] + callback["state"]]
    body = request_body(output, callback, values)
    body["inputs"][1] = {"id": {"index": 1, "type": "indicator-change-remove"},
                         "property": "n_clicks", "value": 1}  # fmt: skip
    assert admin.post("/_dash-update-component", json=body).status_code == 400
    body["inputs"][1] = [{"id": {"index": 1, "type": "other"}, "property": "n_clicks",
                          "value": 1}]  # fmt: skip
    assert admin.post("/_dash-update-component", json=body).status_code == 400


def test_the_callback_check_comes_after_the_login_gate(client):
    assert client.post("/_dash-update-component", json={}).status_code == 401


# Content-Security-Policy and caching -----------------------------------------------------


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


def inline_script_hashes(html: str) -> set[str]:
    html = re.sub(r"<!--.*?-->", "", html, flags=re.S)  # Dash's message for old IE is one
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", html, re.S)
    return {
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for attributes, body in scripts
        if "application/json" not in attributes
    }


@pytest.mark.parametrize("path", ["/", "/networks", "/indicator/bed_days"])
def test_the_app_shell_has_a_policy_that_allows_only_its_own_inline_scripts(admin, path):
    response = admin.get(path)
    found = policy(response)
    hashes = inline_script_hashes(response.text)
    assert len(hashes) >= 2  # Dash's renderer and the menu's clientside callback
    assert set(found["script-src"]) == {"'self'", *hashes}
    assert found["object-src"] == ["'none'"] and found["frame-ancestors"] == ["'self'"]
    assert found["base-uri"] == ["'self'"] and found["form-action"] == ["'self'"]
    assert found["default-src"] == ["'self'"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]


def test_the_login_page_has_the_policy_and_no_inline_script(client):
    response = client.get("/login")
    assert policy(response)["object-src"] == ["'none'"]
    assert inline_script_hashes(response.text) == set()


@pytest.mark.parametrize(
    "path", ["/", "/login", "/status", "/_dash-layout", "/_dash-dependencies", "/nope"]
)
def test_data_answers_are_not_stored(admin, path):
    assert admin.get(path).headers["Cache-Control"] == "no-store"


def test_callback_answers_are_not_stored(admin):
    response = admin.post("/_dash-update-component", json=GOOD)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client, app):
    assert "no-store" not in client.get("/assets/nhs.css").headers.get("Cache-Control", "")
    suite = re.search(r'src="(/_dash-component-suites/dash/dash-renderer/[^"]+)"', app.index())
    answer = client.get(suite.group(1))
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "max-age=31536000"


# HTTPS ----------------------------------------------------------------------------------


def test_with_https_cookies_are_secure_and_hsts_is_sent(settings):
    client = create_app(replace(settings, https=True)).server.test_client()
    response = sign_in(client)
    cookie = response.headers["Set-Cookie"]
    assert {"Secure", "HttpOnly", "SameSite=Lax"} <= {p.strip() for p in cookie.split(";")}
    max_age = re.fullmatch(r"max-age=(\d+)", response.headers["Strict-Transport-Security"])
    assert int(max_age.group(1)) >= 365 * 24 * 3600
    assert load_settings({"WHOLESYSTEM_HTTPS": "1"}).https is True


def test_without_https_neither_secure_cookies_nor_hsts(client):
    response = sign_in(client)
    cookie = response.headers["Set-Cookie"]
    assert "Secure" not in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Strict-Transport-Security" not in response.headers
    assert load_settings({}).https is False


# Static routes and versions -------------------------------------------------------------


VERSIONS = [dash.__version__, plotly.__version__, importlib.metadata.version("werkzeug"),
            sys.version.split()[0], "Python/", "Werkzeug/"]  # fmt: skip


@pytest.mark.parametrize(
    "path",
    ["/assets/", "/assets", "/assets/nope.css", "/assets/x/", "/_dash-component-suites/",
     "/_dash-component-suites/dash/", "/_dash-component-suites/dash/nope.js"],
)  # fmt: skip
def test_static_routes_serve_files_only(client, path):
    response = client.get(path)
    assert response.status_code in (404, 302), path
    assert 'id="react-entry-point"' not in response.text
    assert [version for version in VERSIONS if version in response.text] == []


def test_the_login_page_names_no_version(client):
    page = client.get("/login").text
    assert [version for version in VERSIONS if version in page] == []
    assert "?v=" not in page and "_dash-component-suites" not in page


def test_the_app_shell_names_no_python_dash_or_plotly_version(admin):
    shell = admin.get("/").text
    config = json.loads(re.search(r'id="_dash-config"[^>]*>(.*?)</script>', shell).group(1))
    assert not set(config) & set(hardening.VERSION_KEYS)
    assert sys.version.split()[0] not in shell and f"?v={dash.__version__}" not in shell
    assert 'id="react-entry-point"' in shell


def test_the_local_server_header_names_no_version(app):
    server = make_server(
        "127.0.0.1", 0, app.server, request_handler=hardening.QuietRequestHandler
    )  # fmt: skip
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/login") as answer:
            assert answer.headers.get_all("Server") == ["wholesystem"]
    finally:
        server.shutdown()
        thread.join()


def test_serve_uses_the_quiet_request_handler(monkeypatch):
    calls = []

    class App:
        def run(self, **options):
            calls.append(options)

    cli.run_server(App(), "127.0.0.1", 8050)
    assert calls[0]["request_handler"] is hardening.QuietRequestHandler
