"""Security of the real dashboard, through Flask's test client on the sample snapshot.

Without a session every route is refused; with one, a user scoped to the Hollinsdale
Coast locality (HDC) never receives another locality's rows, however a callback request
is crafted: asking for an org outside the scope gets exactly what asking for an org that
does not exist gets, and neither the name nor any published value of an org outside the
scope appears in any response. System benchmarks stay visible.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import pandas as pd
import pytest

from dashboard import access, users
from dashboard.app import create_app
from dashboard.pages import drilldown_data, networks_data
from dashboard.scope import Scope
from wholesystem.settings import Settings

PASSWORD = "correct horse battery"
PAGES = ["/", "/indicator/bed_days", "/networks", "/drilldown", "/practice", "/definitions",
         "/status"]  # fmt: skip
LOCALITY = "HDC"  # Hollinsdale Coast, in the Hollinsdale Place area (E38000992)
# Outside HDC's scope, with their levels: a sibling locality (HDR), the other area's
# locality (TBC), one of TBC's networks (Central Quays PCN), and the other area itself.
OUTSIDE = {"HDR": "locality", "TBC": "locality", "U91003": "network", "E38000991": "area"}


@pytest.fixture(scope="module")
def settings(published_sample, tmp_path_factory) -> Settings:
    """A private data directory seeing the shared sample snapshot, with two users."""
    data_dir = tmp_path_factory.mktemp("security") / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(published_sample.serving_dir)
    settings = Settings(data_dir=data_dir, secret_key="test-secret")
    users.add_user(settings, "lead", "viewer", f"locality:{LOCALITY}", PASSWORD)
    users.add_user(settings, "admin", "admin", None, PASSWORD)
    return settings


@pytest.fixture(scope="module")
def app(settings):
    return create_app(settings)


@dataclass(frozen=True)
class Hidden:
    """What HDC's lead must never receive: the names of the orgs outside their scope, and
    those orgs' published values (exact floats, as Dash would send them in a figure or
    table), leaving out any value some visible org also has."""

    names: frozenset[str]
    values: frozenset[str]


@pytest.fixture(scope="module")
def hidden(app) -> Hidden:
    orgs = access.org_units(Scope.whole_system())
    visible = access.visible(Scope("locality", LOCALITY))
    latest_rolling12 = access.periods("rolling12")["period_start"].iloc[-1]
    rows = pd.concat([
        access.values(Scope.whole_system(), period_type="month", segments=None),
        access.values(Scope.whole_system(), period_type="rolling12",
                      period_starts=[latest_rolling12], segments=None),
    ])  # fmt: skip
    inside = rows["org_code"].isin(visible)
    return Hidden(
        names=frozenset(orgs.loc[~orgs["org_code"].isin(visible), "org_name"]),
        values=frozenset(_exact(rows.loc[~inside, "value"]) - _exact(rows.loc[inside, "value"])),
    )


def _exact(values: pd.Series) -> set[str]:
    # Short decimals (0.8174) and simple fractions (50.0, 2/9) are too common to single out
    # an org: a colour scale or an axis has them too.
    return {
        repr(value) for value in values.dropna().astype(float)
        if len(repr(value)) >= 9 and float(Fraction(value).limit_denominator(1000)) != value
    }  # fmt: skip


def leaks(body: str, hidden: Hidden) -> list[str]:
    """Returns the hidden names and values that appear in a response body."""
    numbers = set(re.findall(r"-?\d+\.\d+(?:e-?\d+)?", body))
    return sorted(name for name in hidden.names if name in body) + sorted(hidden.values & numbers)


@pytest.fixture(scope="module")
def outside_practice(settings) -> str:
    """A practice in Tynebridge Central's Central Quays PCN (U91003)."""
    access.configure(settings)
    practices = access.org_units(Scope.whole_system(), "practice")
    return practices.loc[practices["parent_code"] == "U91003", "org_code"].iloc[0]


@pytest.fixture
def client(app):
    return app.server.test_client()


@pytest.fixture
def lead(client):
    assert sign_in(client, "lead", PASSWORD).status_code == 302
    return client


def sign_in(client, name: str, password: str):
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    return client.post("/login", data={"csrf_token": token, "name": name, "password": password})


def callback(client, output: str, inputs: list[tuple[str, str, object]], state=()) -> str:
    """POSTs a crafted /_dash-update-component request; returns the response body.

    `output` is Dash's "id.property" (multi-output: "..id.prop...id.prop.."); inputs and
    state are (id, property, value).
    """

    def props(items):
        return [{"id": id_, "property": prop, "value": value} for id_, prop, value in items]

    outputs = [
        {"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
        for part in output.strip(".").split("...")
    ]
    body = {
        "output": output, "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": props(inputs), "state": props(state),
        "changedPropIds": [f"{id_}.{prop}" for id_, prop, _ in inputs],
    }  # fmt: skip
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code in (200, 204), response.text[:500]
    return response.get_data(as_text=True)


def route(client, path: str, search: str = "") -> str:
    """The router callback's response for a URL, as the browser asks for it."""
    return callback(
        client, "..page-content.children...footer.children..",
        [("url", "pathname", path)], [("url", "search", search)],
    )  # fmt: skip


@pytest.mark.parametrize("path", [*PAGES, "/logout", "/indicator/bed_days?level=practice"])
def test_every_page_redirects_to_login_without_a_session(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/_dash-layout"), ("GET", "/_dash-dependencies"),
     ("POST", "/_dash-update-component")],
)  # fmt: skip
def test_dash_endpoints_answer_401_without_a_session(client, method, path):
    assert client.open(path, method=method, json={}).status_code == 401


def test_a_crafted_callback_without_a_session_gets_nothing(client):
    response = client.post(
        "/_dash-update-component",
        json={"output": "..page-content.children...footer.children..", "inputs": []},
    )
    assert response.status_code == 401 and b"Hollinsdale" not in response.data


@pytest.mark.parametrize("path", ["/login", "/assets/nhs.css", "/assets/bootstrap.min.css"])
def test_login_and_static_assets_are_open(client, path):
    assert client.get(path).status_code == 200


def test_a_wrong_password_is_refused_and_audited(client, settings):
    before = len(users.audit_log(settings))
    response = sign_in(client, "lead", "not the password")
    assert response.status_code == 401
    assert "The user name or password is wrong." in response.text
    assert client.get("/_dash-layout").status_code == 401
    assert users.audit_log(settings)[before:][0]["event"] == "login_failed"


def test_the_right_password_opens_every_page(lead):
    assert lead.get("/_dash-layout").status_code == 200
    assert lead.get("/_dash-dependencies").status_code == 200
    for path in PAGES:
        assert lead.get(path).status_code == 200, path
        assert "There is no page" not in route(lead, path)


@pytest.mark.parametrize("path", ["/nope", "/practice/X10017", "/board", "/status/x"])
def test_an_unknown_path_answers_404_with_a_page_that_says_so_after_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert sign_in(client, "lead", PASSWORD).status_code == 302
    response = client.get(path)
    assert response.status_code == 404
    assert 'id="react-entry-point"' in response.text  # the app shell, which then says so
    assert "There is no page at" in route(client, path)
    assert client.get("/networks/").status_code == 200  # a trailing slash is the page


def test_the_indicator_named_in_the_query_is_sent_on_to_its_page_after_login(client):
    response = client.get("/indicator?metric=bed_days&level=area")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert sign_in(client, "lead", PASSWORD).status_code == 302
    response = client.get("/indicator?metric=bed_days&level=area&segment=sex%3Afemale")
    assert response.status_code == 302
    assert response.headers["Location"] == "/indicator/bed_days?level=area&segment=sex%3Afemale"
    assert client.get("/indicator?metric=eq5d_index").headers["Location"] == "/indicator/eq5d_index"
    assert client.get("/indicator?metric=a/b").headers["Location"] == "/indicator/a%2Fb"
    assert client.get("/indicator").status_code == 200  # no indicator: the page says choose one
    assert "Choose an indicator" in route(client, "/indicator")


@pytest.mark.parametrize("code", OUTSIDE)
def test_drilldown_of_an_org_outside_the_scope_is_like_one_that_does_not_exist(lead, hidden, code):
    crafted = callback(
        lead, "drilldown-body.children", [("drilldown-url", "search", f"?org={code}")]
    )
    missing = callback(lead, "drilldown-body.children", [("drilldown-url", "search", "?org=NOPE")])
    assert drilldown_data.unknown_org_sentence(code) in crafted
    assert crafted.replace(code, "NOPE") == missing
    assert leaks(crafted, hidden) == []


def test_drilldown_of_the_system_shows_system_values_but_no_other_locality(lead, hidden):
    body = callback(lead, "drilldown-body.children", [("drilldown-url", "search", "?org=SYSTEM")])
    population = system_value("registered_population", "rolling12")
    assert f"{population:,.0f}" in body
    assert re.findall(r"drilldown-child-(\w+)", body) == ["E38000992"]  # Hollinsdale Place
    assert leaks(body, hidden) == []


def test_drilldown_of_the_area_lists_only_the_users_locality(lead, hidden):
    body = callback(
        lead, "drilldown-body.children", [("drilldown-url", "search", "?org=E38000992")]
    )
    assert "drilldown-child-HDC" in body
    assert re.findall(r"drilldown-child-(\w+)", body) == ["HDC"]
    assert leaks(body, hidden) == []


def board(client, area: str, side_by_side: bool) -> str:
    """The board overview's callback for an area and October 2026 (the table, the URL, the
    summary matrix and the pack and download links)."""
    return callback(
        client,
        "..board-content.children...board-url.search...board-matrix.children"
        "...board-actions.children..",
        [("board-area", "value", area), ("board-period", "value", "2026-10-01"),
         ("board-side-by-side", "value", side_by_side),
         ("board-period-type", "value", "month"), ("board-order", "value", "board")],
    )  # fmt: skip


@pytest.mark.parametrize("side_by_side", [False, True])
def test_the_board_of_the_other_area_is_like_an_area_that_does_not_exist(
    lead, hidden, side_by_side
):
    crafted = board(lead, "E38000991", side_by_side)
    assert crafted.replace("E38000991", "NOPE") == board(lead, "NOPE", side_by_side)
    assert leaks(crafted, hidden) == []


def test_the_board_of_the_users_own_area_side_by_side_shows_no_other_area(lead, hidden):
    body = board(lead, "E38000992", True)
    assert "Hollinsdale Place" in body
    assert leaks(body, hidden) == []


def network_detail(client, network: str) -> str:
    """The network comparison's league table and exceptions for a network, October 2026."""
    kpi = networks_data.care_package_kpis().index[0]
    return callback(
        client, "..networks-detail.children...networks-url.search..",
        [("networks-network", "value", network), ("networks-kpi", "value", kpi),
         ("networks-month", "value", "2026-10-01")],
    )  # fmt: skip


@pytest.mark.parametrize("network", ["U91003", "U92001"])  # TBC's and HDT's networks
def test_another_localitys_network_is_like_one_that_does_not_exist(lead, hidden, network):
    crafted = network_detail(lead, network)
    assert crafted.replace(network, "NOPE") == network_detail(lead, "NOPE")
    assert leaks(crafted, hidden) == []


def test_the_heat_map_shows_only_the_users_networks(lead, hidden):
    body = callback(
        lead, "networks-heatmap-section.children", [("networks-month", "value", "2026-10-01")]
    )
    assert "Coastline PCN" in body and "Saltmarsh PCN" in body  # HDC's two networks
    assert leaks(body, hidden) == []


def test_the_users_own_network_has_its_league_table(lead, hidden):
    body = network_detail(lead, "U92003")  # Coastline PCN
    for practice in ("Cedar House Group Practice", "Headland Family Practice", "Redburn Surgery",
                     "Seaview Medical Practice", "Whitley Road Health Centre"):  # fmt: skip
        assert practice in body
    assert leaks(body, hidden) == []


def indicator_detail(client, level: str, org: str, metric_id: str = "bed_days") -> str:
    """The indicator detail's charts and tables for an org, October 2026, system benchmark."""
    controls = {"level": level, "org": org, "period-type": "month", "period": "2026-10-01",
                "segment": "all", "benchmark": "system", "limits": "auto"}  # fmt: skip
    return callback(
        client, "..indicator-content.children...indicator-url.search..",
        [(f"indicator-{name}", "value", value) for name, value in controls.items()],
        [("indicator-metric", "data", metric_id)],
    )  # fmt: skip


@pytest.mark.parametrize("code", OUTSIDE)
def test_an_indicator_for_an_org_outside_the_scope_is_like_one_that_does_not_exist(
    lead, hidden, code
):
    crafted = indicator_detail(lead, OUTSIDE[code], code)
    assert crafted.replace(code, "NOPE") == indicator_detail(lead, OUTSIDE[code], "NOPE")
    assert leaks(crafted, hidden) == []


@pytest.mark.parametrize(("level", "org"), [("locality", "HDC"), ("network", "U92003")])
def test_an_indicator_in_scope_shows_the_org_and_the_system_but_nothing_outside(
    lead, hidden, level, org
):
    # mean_los_emergency is compared with the system's own value (bed_days, an indirectly
    # standardised indicator, is compared through its ratio against 1 instead).
    body = indicator_detail(lead, level, org, "mean_los_emergency")
    october = access.values(
        Scope.whole_system(), metric_ids=["mean_los_emergency"], org_codes=[org, "SYSTEM"],
        period_starts=[date(2026, 10, 1)],
    ).set_index("org_code")["value"]  # fmt: skip
    assert repr(float(october[org])) in body
    assert repr(float(october["SYSTEM"])) in body  # the system benchmark stays visible
    assert leaks(body, hidden) == []


@pytest.mark.parametrize("level", ["area", "locality", "network", "practice"])
def test_the_org_chooser_offers_only_orgs_in_scope(lead, hidden, level):
    body = callback(
        lead, "..indicator-org.options...indicator-org.value..",
        [("indicator-level", "value", level)],
    )  # fmt: skip
    offered = {
        option["value"] for option in json.loads(body)["response"]["indicator-org"]["options"]
    }
    assert offered and offered <= access.visible(Scope("locality", LOCALITY))
    assert leaks(body, hidden) == []


def practice_profile(client, code: str) -> str:
    return callback(
        client, "..practice-body.children...practice-url.search..",
        [("practice-org", "value", code), ("practice-period", "value", "rolling12")],
    )  # fmt: skip


def test_another_localitys_practice_profile_is_like_one_that_does_not_exist(
    lead, hidden, outside_practice
):
    crafted = practice_profile(lead, outside_practice)
    assert crafted.replace(outside_practice, "NOPE") == practice_profile(lead, "NOPE")
    assert leaks(crafted, hidden) == []


def test_a_practice_in_scope_has_its_profile(lead, hidden):
    body = practice_profile(lead, "X20015")
    assert "Cedar House Group Practice (X20015)" in body
    assert leaks(body, hidden) == []


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("code", OUTSIDE)
def test_no_page_shows_an_org_outside_the_scope_whatever_the_url_asks(lead, hidden, path, code):
    keys = ("org", "area", "network", "practice", "locality", "orgs", "compare")
    search = f"?level={OUTSIDE[code]}&" + "&".join(f"{key}={code}" for key in keys)
    crafted = route(lead, path, search)
    missing = route(lead, path, search.replace(code, "NOPE"))
    assert leaks(crafted, hidden) == []
    assert crafted.replace(code, "NOPE") == missing


def test_an_admin_does_see_other_localities(client, hidden):
    sign_in(client, "admin", PASSWORD)
    body = callback(client, "drilldown-body.children", [("drilldown-url", "search", "?org=TBC")])
    assert "Tynebridge Central" in body


def test_signing_out_ends_the_session(lead):
    # The header's Sign out button POSTs the session's form token; a GET only asks.
    token = re.search(r'"value":\s*"([^"]+)",\s*"type":\s*"hidden",\s*"name":\s*"csrf_token"',
                      lead.get("/_dash-layout").text)  # fmt: skip
    assert lead.get("/logout").status_code == 200
    response = lead.post("/logout", data={"csrf_token": token.group(1)})
    assert response.headers["Location"] == "/login"
    assert lead.post("/_dash-update-component", json={}).status_code == 401


def system_value(metric_id: str, period_type: str) -> float:
    """The system's latest value of a metric, straight from the data-access module."""
    latest = access.periods(period_type)["period_start"].iloc[-1]
    rows = access.values(
        Scope.whole_system(), metric_ids=[metric_id], levels=["system"],
        period_type=period_type, period_starts=[latest],
    )  # fmt: skip
    return rows["value"].iloc[0]
