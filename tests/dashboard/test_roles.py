"""Roles, enforced on the server: the permission table, and every page, callback and
download of the real dashboard tried as a viewer, an analyst and an admin.

Downloads come from one route, `/download/<export>.<format>` (`dashboard.exports`):
`test_downloads_as_each_role` tries it as each role; `test_the_only_routes_are_known` fails
if another route is added.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from flask_login import login_user
from werkzeug.exceptions import Forbidden

from dashboard import access, roles, users
from dashboard.app import create_app
from dashboard.pages import all_pages, status
from dashboard.scope import Scope
from tests.dashboard.test_security import callback, route, sign_in
from wholesystem import annotations
from wholesystem.errors import UserError
from wholesystem.settings import Settings, load_settings

PASSWORD = "Quiet-Harbour-Lantern-42"
ROLE_USERS = {"viewer": "vera", "analyst": "anna", "admin": "adam"}
# The table as the issue states it, written out so that any change to roles.ACTIONS shows.
EXPECTED = {
    "read": {"viewer", "analyst", "admin"},
    "download": {"viewer", "analyst", "admin"},
    "subscribe": {"viewer", "analyst", "admin"},
    "use_api": {"viewer", "analyst", "admin"},
    "see_load_details": {"analyst", "admin"},
    "annotate": {"analyst", "admin"},
    "comment": {"analyst", "admin"},
    "draft_snapshot": {"analyst", "admin"},
    "set_targets": {"analyst", "admin"},
    "see_small_numbers": {"analyst", "admin"},
    "manage_users": {"admin"},
    "approve": {"admin"},
    "release": {"admin"},
    "manage_schemes": {"admin"},
    "manage_tokens": {"admin"},
}
# The Users page's callbacks, and the Targets page's (set_targets: admins, with the
# analysts' setting off as here).
ADMIN_ONLY_OUTPUTS = ("users-message", "users-audit", "targets-message", "targets-metric",
                      "schemes-name")  # fmt: skip
METRIC = "nel_last_100_days"  # many practice-months with counts of 1 to 7


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("role", roles.ROLES)
def test_the_permission_table(role, action):
    on = Settings(analysts_see_small_numbers=True, analysts_set_targets=True)
    assert roles.can(role, action, on) == (role in EXPECTED[action])
    if action in roles.SETTING_GATED:
        waived = role == "admin" and action == "set_targets"  # admins always set targets
        assert roles.can(role, action, Settings()) is waived  # off by default
        assert roles.can(role, action) is waived  # and never without settings
    else:
        assert roles.can(role, action) == (role in EXPECTED[action])


def test_every_action_is_in_the_table_and_a_typo_fails_loudly():
    assert set(roles.ACTIONS) == set(EXPECTED)
    assert not roles.can("superuser", "read") and not roles.can(None, "read")
    with pytest.raises(KeyError):
        roles.can("admin", "manage_user")


def test_require_refuses_with_403_outside_the_role(settings):
    app = create_app(settings)
    with app.server.test_request_context("/"):
        with pytest.raises(Forbidden):
            roles.require("read")  # nobody signed in
        login_user(users.get_user(settings, "anna"))
        roles.require("annotate")
        with pytest.raises(Forbidden) as refused:
            roles.require("manage_users")
        assert refused.value.code == 403


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("on", True), ("0", False), ("false", False)]
)
def test_the_small_numbers_setting_reads_a_switch(value, expected):
    environ = {"WHOLESYSTEM_ANALYSTS_SEE_SMALL_NUMBERS": value}
    assert load_settings(environ).analysts_see_small_numbers is expected
    assert load_settings({}).analysts_see_small_numbers is False


@pytest.mark.parametrize(("role", "setting", "allowed"), [
    ("viewer", False, False), ("viewer", True, False), ("analyst", False, False),
    ("analyst", True, True), ("admin", False, True), ("admin", True, True),
])  # fmt: skip
def test_admins_always_set_targets_and_analysts_only_with_the_setting(role, setting, allowed):
    assert roles.can(role, "set_targets", Settings(analysts_set_targets=setting)) is allowed


def test_the_targets_setting_reads_a_switch_and_is_off_by_default():
    assert load_settings({"WHOLESYSTEM_ANALYSTS_SET_TARGETS": "yes"}).analysts_set_targets
    assert load_settings({}).analysts_set_targets is False
    with pytest.raises(UserError, match="WHOLESYSTEM_ANALYSTS_SET_TARGETS is 'maybe'"):
        load_settings({"WHOLESYSTEM_ANALYSTS_SET_TARGETS": "maybe"})


@pytest.fixture(scope="module")
def settings(published_sample, tmp_path_factory) -> Settings:
    """A data directory seeing the sample snapshot, with one whole-system user per role."""
    return _data_dir(published_sample, tmp_path_factory, small_numbers=False)


@pytest.fixture(scope="module")
def small_numbers_settings(published_sample, tmp_path_factory) -> Settings:
    """The same, with WHOLESYSTEM_ANALYSTS_SEE_SMALL_NUMBERS on."""
    return _data_dir(published_sample, tmp_path_factory, small_numbers=True)


def _data_dir(published_sample, tmp_path_factory, small_numbers: bool) -> Settings:
    data_dir = tmp_path_factory.mktemp("roles") / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(published_sample.serving_dir)
    settings = Settings(
        data_dir=data_dir, secret_key="test-secret", analysts_see_small_numbers=small_numbers
    )
    for role, name in ROLE_USERS.items():
        users.add_user(settings, name, role, None, PASSWORD)
    return settings


@pytest.fixture(scope="module")
def app(settings):
    return create_app(settings)


@pytest.fixture
def as_role(app):
    """Returns `client(role)`: a test client signed in as that role's user."""

    def client(role: str, on=app):
        signed_in = on.server.test_client()
        assert sign_in(signed_in, ROLE_USERS[role], PASSWORD).status_code == 302
        return signed_in

    return client


def test_the_only_routes_are_known(app):
    """A new route (a download, say) must be added to this file's role tests."""
    rules = {rule.rule for rule in app.server.url_map.iter_rules()}
    dash_routes = {rule for rule in rules if rule.startswith(("/_dash", "/_reload", "/_favicon"))}
    known = {"/", "/<path:path>", "/login", "/logout", "/assets/<path:filename>",
             "/download/<name>", "/pack", "/packs/<int:pack_id>",
             "/alerts/confirm/<token>"}  # fmt: skip
    # The API's routes, by token: every role and scope in tests/dashboard/api/test_api.py.
    api = {"/api/v1/indicators", "/api/v1/indicators/<metric_id>", "/api/v1/orgs",
           "/api/v1/values", "/api/v1/spc", "/api/v1/snapshots", "/api/v1/<path:rest>",
           "/api/v1/peers", "/api/v1/peer-benchmarks", "/api/v1/openapi.json",
           "/api/v1/docs"}  # fmt: skip
    assert rules - dash_routes - {"/static/<path:filename>"} == known | api


@pytest.mark.parametrize("role", roles.ROLES)
def test_the_email_confirmation_link_as_each_role(as_role, role):
    """Every role may subscribe, so each may open a confirmation link; one that is not
    theirs (here: no such token) confirms nothing. tests/dashboard/pages/test_alerts.py
    confirms a real one."""
    response = as_role(role).get("/alerts/confirm/not-a-token")
    assert (response.status_code, response.location) == (302, "/alerts?email=invalid")


@pytest.mark.parametrize("role", roles.ROLES)
def test_downloads_as_each_role(as_role, role):
    """Every role may download (`download`); the quarantine table, like the page's, only
    for those who may see load details."""
    client = as_role(role)
    assert client.get("/download/board.csv").status_code == 200
    assert client.get("/download/status-feeds.csv").status_code == 200
    details = role in ("analyst", "admin")
    assert client.get("/download/status-quarantine.csv").status_code == (200 if details else 403)
    feeds = client.get("/download/status-feeds.csv").get_data(as_text=True)
    assert ("Latest file" in feeds) is details  # the load details, as on the page


@pytest.mark.parametrize("role", roles.ROLES)
def test_packs_as_each_role(as_role, role):
    """Every role may make a board pack of an area in scope and fetch it again
    (`download`; dashboard/pack/routes.py)."""
    client = as_role(role)
    made = client.get("/pack?area=E38000992&date=2026-10-01&format=html")
    assert made.status_code == 200
    assert made.headers["Content-Disposition"].startswith("attachment; filename=board-pack-")
    stored = client.get(f"/packs/{made.headers['X-Pack-Id']}")
    assert stored.status_code == 200 and stored.data == made.data


PAGE_PATHS = [page.PATH for page in all_pages()]


@pytest.mark.parametrize("path", PAGE_PATHS)
@pytest.mark.parametrize("role", roles.ROLES)
def test_each_page_as_each_role(as_role, role, path):
    client = as_role(role)
    page = next(page for page in all_pages() if path == page.PATH)
    allowed = roles.can(role, getattr(page, "ACTION", "read"))
    assert client.get(path).status_code == (200 if allowed else 404)
    assert ("There is no page at" in route(client, path)) is not allowed
    layout = client.get("/_dash-layout").get_data(as_text=True)  # the header and its menu
    assert (f'"nav-{page.__name__.split(".")[-1]}"' in layout) is (allowed and page.IN_NAV)


def test_the_users_page_is_for_admins_only(as_role):
    assert "users-list" in route(as_role("admin"), "/users")
    for role in ("viewer", "analyst"):
        body = route(as_role(role), "/users")
        assert "users-list" not in body and "adam" not in body and "vera" not in body


def status_page(client) -> str:
    return route(client, "/status")


@pytest.mark.parametrize("role", roles.ROLES)
def test_the_status_page_shows_file_names_to_analysts_and_admins_only(as_role, role):
    feeds = access.feed_status()
    files = {status.base_name(path) for path in feeds["latest_file"].dropna()}
    assert files  # the sample has loaded files to name
    body = status_page(as_role(role))
    details = role in ("analyst", "admin")
    assert all((name in body) is details for name in files), role
    assert ("Rows quarantined" in body) is details
    assert ("Quarantined rows by rule" in body) is details
    # Every role sees the feeds, what they cover and when they were last loaded.
    assert "Activity covered" in body and "Last load" in body
    assert status.feed_name("deaths") in body  # "Deaths (ONS)"


def _layout_values(body: str) -> dict[str, dict]:
    """The props of every component with a plain id in a router or callback response."""
    found: dict[str, dict] = {}

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict) and isinstance(props.get("id"), str):
                found[props["id"]] = props
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(body))
    return found


def _every_callback(app, client) -> list[tuple[str, list, list]]:
    """Each registered callback with plain ids, as (output, inputs, state), its values
    taken from the pages as an admin sees them (so every page's controls are present)."""
    props: dict[str, dict] = {}
    for path in PAGE_PATHS:
        props.update(_layout_values(route(client, path)))
    calls = []
    for output, spec in app.callback_map.items():
        if "callback" not in spec:
            continue  # runs in the browser (the menu button): nothing reaches the server
        ids = [item["id"] for item in spec["inputs"] + spec["state"]]
        if any(not isinstance(id_, str) or id_.startswith("{") for id_ in ids):
            continue  # pattern-matching ids (the change points' Remove buttons): see below
        inputs, state = (
            [(item["id"], item["property"], props.get(item["id"], {}).get(item["property"]))
             for item in spec[kind]]
            for kind in ("inputs", "state")
        )  # fmt: skip
        calls.append((output, inputs, state))
    return calls


def _post(client, output, inputs, state, wildcards=()):
    """POSTs a callback request; `wildcards` are pattern-matching (ALL) inputs, each a list
    of {id, property, value} entries, after the plain ones."""
    outputs = [
        {"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
        for part in output.strip(".").split("...")
    ]
    body = {
        "output": output, "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs] + list(wildcards),
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
        "changedPropIds": [f"{i}.{p}" for i, p, _ in inputs],
    }  # fmt: skip
    return client.post("/_dash-update-component", json=body)


def test_each_callback_as_each_role(app, as_role):
    """Every callback answers each role as the table says: the users and targets pages'
    refuse (403) all but admins; the rest answer every role, and with small numbers off a viewer
    and an analyst receive exactly the same figures."""
    clients = {role: as_role(role) for role in roles.ROLES}
    calls = _every_callback(app, clients["admin"])
    assert len(calls) >= 15
    admin_only = 0
    for output, inputs, state in calls:
        answers = {role: _post(clients[role], output, inputs, state) for role in roles.ROLES}
        if any(name in output for name in ADMIN_ONLY_OUTPUTS):
            admin_only += 1
            assert answers["viewer"].status_code == answers["analyst"].status_code == 403
            assert "adam" not in answers["viewer"].get_data(as_text=True)
            assert answers["admin"].status_code in (200, 204), output
            continue
        for role, answer in answers.items():
            assert answer.status_code in (200, 204), (role, output, answer.text[:300])
        if "indicator-content" not in output:  # that one adds the change-point form
            # The board adds the commentary form for analysts: the figures must still match.
            viewer, analyst = (_without_commentary(answers[r].json) for r in ("viewer", "analyst"))
            assert viewer == analyst, output
    assert admin_only == 5  # the last: the payment schemes form's fill (issue 14)


def _without_commentary(tree):
    """A callback answer without the board's commentary rows (the write form is the
    analyst's; a viewer sees no row for a metric nobody has commented on)."""
    if isinstance(tree, list):
        return [_without_commentary(item) for item in tree if not _is_commentary(item)]
    if isinstance(tree, dict):
        return {key: _without_commentary(value) for key, value in tree.items()}
    return tree


def _is_commentary(item) -> bool:
    props = item.get("props", {}) if isinstance(item, dict) else {}
    return isinstance(props, dict) and props.get("className") == "board-commentary-row"


def _change_point(client, metric_id="bed_days", org="SYSTEM"):
    return _post(
        client, "..indicator-change-list.children...indicator-change-message.children..",
        [("indicator-change-add", "n_clicks", 1)],
        [("indicator-change-month", "value", "2025-04"),
         ("indicator-change-label", "value", "New pathway"),
         ("indicator-change-recalculate", "value", True),
         ("indicator-change-scope", "value", "org"),
         ("indicator-change-org", "children", org),
         ("indicator-metric", "data", metric_id)],
        [[]],  # no Remove buttons (pattern-matching ids) on the page yet
    )  # fmt: skip


def test_only_analysts_and_admins_record_change_points(as_role, settings):
    viewer = _change_point(as_role("viewer"))
    assert "Only analysts and admins can record" in viewer.get_data(as_text=True)
    assert annotations.list_annotations(settings, "bed_days") == []
    for role in ("analyst", "admin"):
        assert _change_point(as_role(role)).status_code == 200
    authors = [item.author for item in annotations.list_annotations(settings, "bed_days")]
    assert authors == ["anna", "adam"]


def _values_as(app, settings, role: str | None, row: dict) -> dict:
    """What access.values returns for one practice-month to a user of that role (None:
    nobody signed in)."""
    with app.server.test_request_context("/"):
        if role is not None:
            login_user(users.get_user(settings, ROLE_USERS[role]))
        frame = access.values(
            Scope.whole_system(), metric_ids=[METRIC], org_codes=[row["org"]],
            period_starts=[row["period"]],
        )  # fmt: skip
    return frame.iloc[0].to_dict()


def _suppressed_practice_month(app) -> dict:
    """A practice-month whose value the snapshot suppresses (as anyone unsigned sees it)."""
    with app.server.test_request_context("/"):
        masked = access.values(Scope.whole_system(), metric_ids=[METRIC], levels=["practice"])
    row = masked[masked["suppressed"]].iloc[-1]
    return {"org": row["org_code"], "period": row["period_start"]}


def test_small_numbers_are_suppressed_for_every_role_by_default(app, settings):
    row = _suppressed_practice_month(app)
    for role in (None, *roles.ROLES):
        seen = _values_as(app, settings, role, row)
        assert seen["suppressed"] and pd.isna(seen["value"]) and pd.isna(seen["numerator"])


def test_with_the_setting_analysts_and_admins_see_small_numbers(small_numbers_settings):
    app = create_app(small_numbers_settings)
    row = _suppressed_practice_month(app)
    seen = {role: _values_as(app, small_numbers_settings, role, row) for role in roles.ROLES}
    assert seen["viewer"]["suppressed"] and pd.isna(seen["viewer"]["value"])
    for role in ("analyst", "admin"):
        assert not seen[role]["suppressed"] and seen[role]["numerator"] >= 0
        assert not pd.isna(seen[role]["value"])
    assert seen["analyst"]["value"] == seen["admin"]["value"]
    assert _values_as(app, small_numbers_settings, None, row)["suppressed"]


def _headline(client, row) -> str:
    month = str(pd.Timestamp(row["period"]).date())
    controls = {"level": "practice", "org": row["org"], "period-type": "month", "period": month,
                "segment": "all", "benchmark": "system", "limits": "auto"}  # fmt: skip
    return callback(
        client, "..indicator-content.children...indicator-url.search..",
        [(f"indicator-{name}", "value", value) for name, value in controls.items()],
        [("indicator-metric", "data", METRIC)],
    )  # fmt: skip


def test_the_indicator_page_serves_small_numbers_only_as_the_setting_allows(
    app, settings, small_numbers_settings, as_role
):
    row = _suppressed_practice_month(app)
    for role in roles.ROLES:
        assert "suppressed (*) to protect confidentiality" in _headline(as_role(role), row)
    opened = create_app(small_numbers_settings)
    assert "suppressed (*)" in _headline(as_role("viewer", opened), row)
    for role in ("analyst", "admin"):
        assert "suppressed (*)" not in _headline(as_role(role, opened), row)
