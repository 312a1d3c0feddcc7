"""The read-only API through Flask's test client on the published sample: every route as
every role and scope, the same rows the pages read, suppression, crafted filters,
refusals, pages, ETags and the audit."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pandas as pd
import pytest

from dashboard import access, users
from dashboard.api import token_auth
from dashboard.api.declare import ENDPOINTS
from dashboard.scope import Scope
from metrics import export
from tests.dashboard.api.conftest import LOCALITY, NETWORK, OUTSIDE, PASSWORD, PEOPLE, as_user
from tests.dashboard.test_security import sign_in
from wholesystem import api_tokens

METRIC = "emergency_admissions"
SUPPRESSED_METRIC = "nel_last_100_days"  # many suppressed practice months inside HDC
ROUTES = {
    "indicators": "/api/v1/indicators",
    "indicator": f"/api/v1/indicators/{METRIC}",
    "orgs": "/api/v1/orgs",
    "values": f"/api/v1/values?metric={METRIC}&level=practice",
    "spc": f"/api/v1/spc?metric={METRIC}&level=network",
    "snapshots": "/api/v1/snapshots",
    "peers": f"/api/v1/peers?org={NETWORK}",
    "peer_benchmarks": f"/api/v1/peer-benchmarks?metric={METRIC}&org={NETWORK}",
}


def get(client, person, url: str, **headers):
    return client.get(url, headers={**person.headers, **headers})


def test_every_route_is_tested_here():
    assert {route.name for route in ENDPOINTS} == set(ROUTES)


@pytest.mark.parametrize("name", PEOPLE)
@pytest.mark.parametrize("route", ROUTES)
def test_every_route_answers_every_role_within_their_scope(client, people, settings, name, route):
    response = get(client, people[name], ROUTES[route])
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "Set-Cookie" not in response.headers
    rows = response.json["data"]
    assert rows and response.json["count"] == len(rows) == min(response.json["total"], 1000)
    scope = users.get_user(settings, name).scope
    visible = access.visible(scope)
    assert {row["org_code"] for row in rows if "org_code" in row} <= visible


@pytest.mark.parametrize("name", PEOPLE)
def test_values_are_exactly_what_the_pages_read_for_the_same_user(
    app, settings, client, people, name
):
    query = f"metric={METRIC}&level=practice&period_type=quarter"
    api = get(client, people[name], f"/api/v1/values?{query}&limit=10000").json["data"]
    scope = users.get_user(settings, name).scope
    page = as_user(app, settings, name, lambda: access.values(
        scope, metric_ids=[METRIC], levels=["practice"], period_type="quarter"))  # fmt: skip
    assert len(api) == len(page) > 0
    assert [r["org_code"] for r in api] == list(page["org_code"])
    assert [r["value"] for r in api] == pytest.approx(list(page["value"]), nan_ok=True)
    assert [r["period_start"] for r in api] == [f"{d:%Y-%m-%d}" for d in page["period_start"]]


def test_suppressed_values_are_null_in_json_and_star_in_csv_as_on_the_pages(
    app, settings, client, people
):
    url = f"/api/v1/values?metric={SUPPRESSED_METRIC}&level=practice&limit=10000"
    rows = get(client, people["lead"], url).json["data"]
    hidden = [row for row in rows if row["suppressed"]]
    assert len(hidden) > 100
    for row in hidden:
        for column in (*access.MASKED_COLUMNS, "parent_value", "system_value"):
            assert row[column] is None, column
        assert row["comparison_parent"] == row["comparison_system"] == "suppressed"
    scope = Scope("locality", LOCALITY)
    page = as_user(app, settings, "lead", lambda: access.values(
        scope, metric_ids=[SUPPRESSED_METRIC], levels=["practice"]))  # fmt: skip
    assert sum(page["suppressed"]) == len(hidden)
    text = get(client, people["lead"], url + "&format=csv").text
    table = list(csv.DictReader(io.StringIO(text)))
    starred = [row for row in table if row["suppressed"] == "True"]
    assert len(starred) == len(hidden)
    assert {row["numerator"] for row in starred} == {row["value"] for row in starred} == {"*"}
    assert "*" not in {row["value"] for row in table if row["suppressed"] == "False"}


def test_api_csv_and_wholesystem_export_write_the_same_bytes(client, people, settings):
    # A practice with suppressed months and months whose network row is suppressed.
    metric, org = "care_home_admissions_65plus", "X20014"
    url = f"/api/v1/values?metric={metric}&level=practice&org={org}&format=csv&limit=10000"
    api = pd.read_csv(io.StringIO(get(client, people["whole"], url).text), dtype=str)
    api = api[export.EXPORT_COLUMNS].fillna("")
    out = io.StringIO()
    export.write_csv([export.EXPORT_COLUMNS, *api.to_numpy().tolist()], out)
    exported = io.StringIO()
    export.write_csv(export.export_rows(settings, metric, "practice", org), exported)
    assert out.getvalue() == exported.getvalue()
    # both masks are there: a suppressed row's, and a suppressed benchmark's (X2)
    hidden_parent = (api["parent_value"] == "*") & (api["numerator"] != "*")
    assert hidden_parent.any() and (api["numerator"] == "*").any()
    assert set(api.loc[hidden_parent, "comparison_parent"]) == {"*"}


def test_accept_text_csv_asks_for_csv(client, people):
    response = get(client, people["lead"], ROUTES["orgs"], Accept="text/csv")
    assert response.mimetype == "text/csv"
    assert response.text.splitlines()[0] == "level,org_code,org_name,parent_code,closed_on"


def test_a_token_reads_as_its_own_user_not_the_session_s(app, settings, people):
    client = app.server.test_client()
    assert sign_in(client, "admin", PASSWORD).status_code == 302
    url = f"/api/v1/values?metric={METRIC}&level=locality"
    rows = get(client, people["lead"], url).json["data"]
    assert {row["org_code"] for row in rows} == {LOCALITY}
    assert client.get(url).status_code == 401  # the session alone opens nothing here


def test_a_crafted_filter_for_another_locality_gets_nothing(client, people):
    rows = get(client, people["lead"], f"/api/v1/values?metric={METRIC}&org={OUTSIDE}")
    assert rows.status_code == 200 and rows.json["total"] == 0
    for org in (OUTSIDE, "NO-SUCH-ORG"):
        response = get(client, people["lead"], f"/api/v1/spc?metric={METRIC}&org={org}")
        assert response.status_code == 404
        assert response.json == {"error": f"There is no org '{org}' in your scope."}
    orgs = get(client, people["ana"], "/api/v1/orgs?level=network").json["data"]
    assert [row["org_code"] for row in orgs] == [NETWORK]


def test_the_spc_route_carries_points_and_icons(app, settings, client, people):
    body = get(client, people["ana"], f"/api/v1/spc?metric={METRIC}&org={NETWORK}").json
    icons = as_user(app, settings, "ana", lambda: access.spc_summary(
        Scope("network", NETWORK), [METRIC], [NETWORK]))  # fmt: skip
    assert [row["variation"] for row in body["summary"]] == list(icons["variation"])
    assert {row["variation"] for row in body["data"]} == set(icons["variation"])
    assert body["total"] == len(access.months())


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ("/values", "parameter 'metric' is required: an indicator id from /api/v1/indicators."),
        ("/values?metric=nope", "metric 'nope' is not an indicator id from /api/v1/indicators."),
        (f"/values?metric={METRIC}&level=ward",
         "level 'ward' is not one of practice, network, locality, area, system."),
        (f"/values?metric={METRIC}&period_type=week",
         "period_type 'week' is not one of month, rolling12, quarter, fy, board."),
        (f"/values?metric={METRIC}&from=2026-13-01",
         "from '2026-13-01' is not a date: use YYYY-MM-DD or YYYY-MM."),
        (f"/values?metric={METRIC}&limit=10001",
         "limit '10001' is not a whole number from 1 to 10000."),
        (f"/values?metric={METRIC}&offset=-1", "offset '-1' is not a whole number of 0 or more."),
        (f"/values?metric={METRIC}&segment=nope",
         "segment 'nope' is not a published segment, e.g. 'all' or 'age_band:65-74'."),
        (f"/values?metrics={METRIC}", "parameter 'metrics' is not one this route reads "
         "(format, from, level, limit, metric, offset, org, period_type, segment, snapshot, to)."),
        ("/values?metric=x&format=xml",
         "metric 'x' is not an indicator id from /api/v1/indicators."),
        ("/orgs?format=xml", "format 'xml' is not one of json, csv."),
        ("/spc?metric=" + METRIC,
         "parameter 'org' or 'level' is required: which orgs' series to send."),
    ],
)  # fmt: skip
def test_a_bad_query_gets_400_and_one_sentence_naming_it(client, people, query, sentence):
    response = get(client, people["lead"], "/api/v1" + query)
    assert (response.status_code, response.json) == (400, {"error": sentence})


def test_unknown_routes_and_indicators_get_json_404(client, people):
    response = get(client, people["lead"], "/api/v1/indicators/nope")
    assert response.status_code == 404
    assert response.json == {"error": "There is no published indicator 'nope'."}
    assert get(client, people["lead"], "/api/v1/nowhere").status_code == 404


def test_each_indicator_states_the_disclosure_its_snapshot_applied(client, people):
    """The sample rounds the board's counts only: a board indicator's sentence names the HES
    rule, a KPI's does not (metrics.registry Indicator.disclosure_sentence)."""

    def disclosure(metric_id: str) -> str:
        response = get(client, people["lead"], f"/api/v1/indicators/{metric_id}")
        return response.json["data"][0]["disclosure"]

    assert disclosure("bed_days") == (
        "Counts 1–7 shown as *, with the rate and limits derived from them. Other counts are "
        "rounded to the nearest 5, and the values, limits and comparisons are worked out from "
        "the rounded counts (HES rule)."
    )
    assert disclosure("dm_hba1c_control") == (
        "Counts 1–7 shown as *, with the percentage and limits derived from them. Other values "
        "are shown as * too where a hidden count could be worked out from them."
    )


def test_the_from_and_to_filters_select_period_starts(client, people):
    url = f"/api/v1/values?metric={METRIC}&level=locality&from=2026-01&to=2026-03-01"
    rows = get(client, people["lead"], url).json["data"]
    assert [row["period_start"] for row in rows] == ["2026-01-01", "2026-02-01", "2026-03-01"]


def test_pages_join_to_the_whole(client, people):
    url = f"/api/v1/values?metric={METRIC}&level=practice&period_type=quarter"
    whole = get(client, people["lead"], url + "&limit=10000").json["data"]
    joined, following, pages = [], url + "&limit=7", 0
    while following:
        response = get(client, people["lead"], following)
        body = response.json
        joined += body["data"]
        if body["next"]:
            assert response.headers["Link"] == f'<{body["next"]}>; rel="next"'
        following, pages = body["next"], pages + 1
    assert joined == whole and pages == -(-len(whole) // 7) > 1


def test_the_pages_of_one_result_read_the_snapshot_once(client, people, monkeypatch):
    reads = []

    def counted(*args, **kwargs):
        reads.append(kwargs)
        return values(*args, **kwargs)

    values = access.values
    monkeypatch.setattr(access, "values", counted)
    url = f"/api/v1/values?metric={METRIC}&level=practice&period_type=fy&limit=5"
    first, second = (get(client, people["lead"], f"{url}&offset={n}").json for n in (0, 5))
    as_csv = get(client, people["lead"], f"{url}&offset=10&format=csv")
    assert len(reads) == 1 and as_csv.status_code == 200
    assert first["total"] == second["total"] > 15 and first["data"] != second["data"]
    get(client, people["whole"], f"{url}&offset=5")  # another scope: its own read
    assert len(reads) == 2


def test_an_etag_revalidates_with_304_and_no_body(client, people):
    first = get(client, people["lead"], ROUTES["values"])
    tag = first.headers["ETag"]
    again = get(client, people["lead"], ROUTES["values"], **{"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == tag
    other = get(client, people["whole"], ROUTES["values"], **{"If-None-Match": tag})
    assert other.status_code == 200 and other.headers["ETag"] != tag  # another scope


def test_no_token_a_malformed_header_and_a_wrong_token_get_401_json(client, people):
    cases = {
        None: "This API needs a token: send the header 'Authorization: Bearer <token>'.",
        "Basic YWRtaW46eA==": "The Authorization header is not 'Bearer <token>'.",
        "Bearer": "The Authorization header is not 'Bearer <token>'.",
        "Bearer wsk_" + "A" * 43: "This token is not valid: it is wrong, or it has been revoked.",
        f"Bearer {people['lead'].secret}x": "This token is not valid: it is wrong, or it has "
        "been revoked.",
    }
    for header, sentence in cases.items():
        response = client.get(ROUTES["values"], headers={"Authorization": header} if header else {})
        assert (response.status_code, response.json) == (401, {"error": sentence})
        assert "Location" not in response.headers and "Set-Cookie" not in response.headers


def test_a_revoked_token_is_refused(client, settings):
    token, secret = api_tokens.create(settings, "lead", "short-lived", "lead")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(ROUTES["orgs"], headers=headers).status_code == 200
    api_tokens.revoke(settings, token.id, "lead")
    assert client.get(ROUTES["orgs"], headers=headers).status_code == 401


def test_a_token_follows_its_user_s_current_state(client, settings):
    users.add_user(settings, "mover", "viewer", f"locality:{LOCALITY}", PASSWORD)
    _, secret = api_tokens.create(settings, "mover", "bi", "mover")
    headers = {"Authorization": f"Bearer {secret}"}
    localities = "/api/v1/orgs?level=locality"

    def codes():
        return [row["org_code"] for row in client.get(localities, headers=headers).json["data"]]

    assert codes() == [LOCALITY]
    users.set_scope(settings, "mover", f"locality:{OUTSIDE}", by="admin")
    assert codes() == [OUTSIDE]
    users.deactivate(settings, "mover", by="admin")
    response = client.get(localities, headers=headers)
    assert (response.status_code, response.json) == (401, {"error": token_auth.UNKNOWN})
    assert api_tokens.list_tokens(settings, "mover")[0].revoked_by == "admin"
    users.reactivate(settings, "mover", by="admin")  # deactivating revoked the tokens
    assert client.get(localities, headers=headers).json == {"error": token_auth.UNKNOWN}
    _, secret = api_tokens.create(settings, "mover", "bi again", "mover")
    headers["Authorization"] = f"Bearer {secret}"
    assert codes() == [OUTSIDE]


def test_a_password_reset_revokes_the_user_s_tokens(client, settings):
    users.add_user(settings, "forgetful", "viewer", None, PASSWORD)
    token, secret = api_tokens.create(settings, "forgetful", "bi", "forgetful")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(ROUTES["orgs"], headers=headers).status_code == 200
    users.reset_password(settings, "forgetful", by="admin")
    refused = client.get(ROUTES["orgs"], headers=headers)
    assert (refused.status_code, refused.json) == (401, {"error": token_auth.UNKNOWN})
    (revoked,) = api_tokens.list_tokens(settings, "forgetful")
    assert (revoked.id, revoked.revoked_by) == (token.id, "admin")


def test_refusals_are_limited_per_address_and_counted_in_one_row(client, settings):
    before = len(api_tokens.requests(settings, limit=100_000))
    bad = {"Authorization": "Bearer wsk_" + "B" * 43}
    flood = {"REMOTE_ADDR": "192.0.2.50"}
    statuses = [
        client.get(ROUTES["orgs"], headers=bad, environ_base=flood).status_code for _ in range(50)
    ]
    limit = token_auth.REFUSALS.amount
    assert statuses == [401] * limit + [429] * (50 - limit)
    elsewhere = client.get(ROUTES["orgs"], headers=bad, environ_base={"REMOTE_ADDR": "192.0.2.51"})
    assert elsewhere.status_code == 401  # counted per address
    rows = api_tokens.requests(settings, limit=100_000)
    assert len(rows) == before + 2  # one row per address this minute
    assert [(r["remote_address"], r["status"], r["count"]) for r in rows[:2]] == [
        ("192.0.2.51", 401, 1), ("192.0.2.50", 401, limit)]  # fmt: skip


def test_every_request_is_audited_once(client, settings, people):
    before = len(api_tokens.requests(settings, limit=100_000))
    url = f"/api/v1/values?metric={METRIC}&level=locality&limit=5"
    get(client, people["lead"], url)
    client.get(url, environ_base={"REMOTE_ADDR": "192.0.2.9"})  # no token: counted, no user
    rows = api_tokens.requests(settings, limit=100_000)
    assert len(rows) == before + 2
    refused, served = rows[0], rows[1]
    assert served["user_name"] == "lead" and served["token_id"] == people["lead"].token_id
    assert (served["method"], served["path"], served["status"], served["rows"]) == (
        "GET",
        url,
        200,
        5,
    )
    assert (refused["user_name"], refused["status"], refused["rows"]) == (None, 401, None)
    assert (refused["remote_address"], refused["count"]) == ("192.0.2.9", 1)
    (token,) = [
        t for t in api_tokens.list_tokens(settings, "lead") if t.id == people["lead"].token_id
    ]
    # moved on at most once a minute: this request's time, or one less than a minute before
    age = datetime.fromisoformat(served["time"]) - datetime.fromisoformat(token.last_used_at)
    assert timedelta(0) <= age < timedelta(minutes=1)


def test_the_openapi_description_and_docs_need_a_session(app, client):
    assert client.get("/api/v1/openapi.json").status_code == 302
    signed_in = app.server.test_client()
    sign_in(signed_in, "lead", PASSWORD)
    document = signed_in.get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.0.3"
    paths = {route.openapi_path for route in ENDPOINTS}
    assert set(document["paths"]) == paths
    values = document["paths"]["/api/v1/values"]["get"]
    assert {p["name"] for p in values["parameters"]} >= {"metric", "level", "org", "from", "to"}
    page = signed_in.get("/api/v1/docs")
    assert page.status_code == 200 and "<script" not in page.text
    assert all(f"<code>{path}</code>" in page.text for path in paths)


def test_peers_are_n_s_access_reads_for_the_token_s_user(app, settings, client, people):
    group = get(client, people["ana"], f"/api/v1/peers?org={NETWORK}").json["data"]
    page = as_user(app, settings, "ana", lambda: access.peers(Scope("network", NETWORK), NETWORK))
    codes = [None if pd.isna(code) else code for code in page["peer_code"]]
    assert [row["peer_code"] for row in group] == codes and len(group) == 10
    outside = [row for row in group if not row["in_scope"]]
    assert outside and all(row["distance"] is None for row in outside)
    url = f"/api/v1/peer-benchmarks?metric={METRIC}&org={NETWORK}&period_type=quarter"
    rows = get(client, people["ana"], url).json["data"]
    benchmarks = as_user(app, settings, "ana", lambda: access.peer_benchmarks(
        Scope("network", NETWORK), [METRIC], [NETWORK], "quarter"))  # fmt: skip
    assert [r["peer_value"] for r in rows] == pytest.approx(list(benchmarks["peer_value"]))
    assert get(client, people["ana"], f"/api/v1/peers?org={OUTSIDE}").status_code == 404
    crafted = get(client, people["ana"], f"/api/v1/peer-benchmarks?metric={METRIC}&org=U91003")
    assert crafted.json["total"] == 0
