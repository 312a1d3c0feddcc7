"""The Payments page on the server: its figures are the engine's; practice detail only for
readers who see small numbers; a suppressed network KPI is `*` and nothing it could be
worked out from is shown (page, what-if and downloads); scope holds for a crafted
network; the what-if moves the money as worked by hand and saves nothing."""

from __future__ import annotations

import csv
import io
import json
import shutil

import duckdb
import pytest

from dashboard import access, session, users
from dashboard.app import create_app
from dashboard.pages import payments_data as data
from tests.dashboard.test_security import route, sign_in
from wholesystem import payments, schemes
from wholesystem.settings import Settings

PASSWORD = "Quiet-Harbour-Lantern-42"
PERIOD = "2026-Q2"  # July to September 2026: the sample's last complete quarter
HIDDEN_NETWORK, HIDDEN_KPI = "U92003", "dm_hba1c_control"  # Coastline PCN, in HDC
OTHER_LOCALITY_NETWORK = "U91003"  # Central Quays PCN, in TBC
HIDDEN_LIST = "U92004"  # Saltmarsh PCN, in HDC
KPIS = [
    {"metric_id": "dm_hba1c_control", "weight": 10, "lower": 35, "upper": 75},
    {"metric_id": "dm_bp_control", "weight": 10, "method": "all_or_nothing"},
]
SCHEME = {
    "title": "Care packages 70/30", "upfront_share": 0.7, "period": "quarter",
    "packages": [
        {"name": "Diabetes", "rate": 12.0, "kpis": KPIS},
        {"name": "Cervical screening", "rate": 4.0, "kpis": [
            {"metric_id": "cervical_screening_25_49", "weight": 5, "lower": 45, "upper": 80}]},
    ],
}  # fmt: skip
OWN_PRACTICE = "X10014"  # Hillcrest Medical Practice, in Central Quays PCN (U91003)
PEOPLE = (("adam", "admin", None), ("anna", "analyst", None), ("vera", "viewer", None),
          ("hana", "viewer", "locality:HDC"),
          ("pia", "analyst", f"practice:{OWN_PRACTICE}"))  # fmt: skip
WHATIF_OUTPUT = "payments-whatif-result.children"
USERS_OWN_SCOPE = session.current_scope  # read before any fixture replaces it


@pytest.fixture(scope="module")
def data_dir(published_sample, tmp_path_factory):
    """A copy of the sample snapshot in which Coastline PCN's HbA1c KPI is suppressed at
    the quarter's last month (as publish marks a count of 1 to 7), and Saltmarsh PCN's
    list in one of its months, with the users."""
    root = tmp_path_factory.mktemp("payments") / "data"
    shutil.copytree(published_sample.serving_dir, root / "serving")
    version = (root / "serving" / "CURRENT").read_text().strip()
    with duckdb.connect(str(root / "serving" / f"{version}.duckdb")) as connection:
        connection.execute(
            "UPDATE indicator_values SET suppressed = true WHERE org_code = ? AND metric_id = ? "
            "AND period_type = 'month' AND period_start = DATE '2026-09-01'",
            [HIDDEN_NETWORK, HIDDEN_KPI],
        )
        connection.execute(  # and Saltmarsh PCN's registered list in August
            "UPDATE indicator_values SET suppressed = true WHERE org_code = ? AND metric_id = "
            "'registered_population' AND period_type = 'month' AND period_start = '2026-08-01'",
            [HIDDEN_LIST],
        )
    base = Settings(data_dir=root, secret_key="test-secret")
    for name, role, scope in PEOPLE:
        users.add_user(base, name, role, scope, PASSWORD)
    return root


def settings_of(data_dir, **options) -> Settings:
    t60 = SCHEME | {"title": "Care packages 60/40", "upfront_share": 0.6}
    return Settings(data_dir=data_dir, secret_key="test-secret",
                    payment_schemes={"t70": SCHEME, "t60": t60}, **options)  # fmt: skip


@pytest.fixture(autouse=True)
def reading(data_dir, whole_system, monkeypatch):
    """Every read in this file is of the copy with the suppressed KPI, as the signed-in
    user with their own scope (the page tests' conftest makes everyone whole-system)."""
    access.configure(settings_of(data_dir))
    monkeypatch.setattr(session, "current_scope", USERS_OWN_SCOPE)


@pytest.fixture(scope="module")
def app(data_dir):
    return create_app(settings_of(data_dir))


@pytest.fixture(scope="module")
def small_numbers_app(data_dir):
    return create_app(settings_of(data_dir, analysts_see_small_numbers=True))


@pytest.fixture(scope="module")
def engine(data_dir) -> payments.Payments:
    """The engine's payments for the scheme and quarter, unmasked."""
    settings = settings_of(data_dir)
    return payments.compute(settings, schemes.get_scheme(settings, "t70"), PERIOD)


def client_of(app, name: str):
    client = app.server.test_client()
    assert sign_in(client, name, PASSWORD).status_code == 302
    return client


def find(node, component_id):
    """The component with this id in a JSON component tree, or None."""
    if isinstance(node, list):
        return next((f for f in (find(n, component_id) for n in node) if f is not None), None)
    if not isinstance(node, dict):
        return None
    if node.get("props", {}).get("id") == component_id:
        return node
    return find(list(node.values()), component_id)


def words(node) -> str:
    if isinstance(node, list):
        return " ".join(words(n) for n in node)
    if isinstance(node, dict):
        return words(node.get("props", node).get("children"))
    return "" if node is None else str(node)


def rows_of(body: str, table_id: str, part: str = "Tbody") -> list[list[str]]:
    """The rows of a table on the page, cell texts."""
    table = find(json.loads(body), table_id)
    assert table is not None, f"no table {table_id}"
    section = next(c for c in table["props"]["children"] if c["type"] == part)
    rows = section["props"]["children"]
    rows = rows if isinstance(rows, list) else [rows]
    return [[words(cell) for cell in row["props"]["children"]] for row in rows]


def page(client, query: str = f"?scheme=t70&period={PERIOD}") -> str:
    return route(client, "/payments", query)


def test_the_network_table_is_the_engines_money(small_numbers_app, engine):
    body = page(client_of(small_numbers_app, "adam"))  # sees small numbers: nothing withheld
    rows = {row[0]: row for row in rows_of(body, "payments-networks")}
    networks = engine.networks.set_index("network_name")
    assert set(rows) == set(networks.index)  # every network, for a whole-system admin
    for name, row in rows.items():
        expected = networks.loc[name]
        assert row[1:] == [
            f"{expected['patients']:,.0f}",
            *(data.money(expected[column]) for column, _ in data.MONEY_COLUMNS),
        ]
    (footer,) = rows_of(body, "payments-networks", "Tfoot")
    assert footer[-1] == data.money(engine.networks["total"].sum())
    # 70/30: the up-front amount is 70% of the scheme's money, the rest at risk.
    first = engine.networks.iloc[0]
    assert first["upfront"] == pytest.approx(0.7 * first["money"])
    assert first["upfront"] + first["at_risk"] == pytest.approx(first["money"])


def test_the_kpi_table_says_what_was_missed_in_patients(app, engine):
    body = page(client_of(app, "vera"), f"?scheme=t70&period={PERIOD}&network=U91003")
    rows = {row[0]: row for row in rows_of(body, "payments-kpis")}
    kpis = engine.kpis[engine.kpis["network_code"] == "U91003"].set_index("metric_id")
    hba1c = kpis.loc["dm_hba1c_control"]
    row = rows[hba1c["title"]]
    assert row[2:5] == [f"{hba1c['attainment']:.1f}%", "35.0%", "75.0%"]
    assert row[7:9] == [data.money(hba1c["earned"]), data.money(hba1c["missed"])]
    # By hand: the fewest whole patients reaching 75% of the register, less those there.
    needed = -(-75 * int(hba1c["denominator"]) // 100) - int(hba1c["numerator"])
    gap = 75 - hba1c["attainment"]
    assert row[9] == (f"Short of the upper threshold by {gap:.1f} points: "
                      f"{needed:,} more patients needed.")  # fmt: skip


def test_practice_detail_only_for_those_who_see_small_numbers(app, small_numbers_app):
    query = f"?scheme=t70&period={PERIOD}&network=U91003"
    for name in ("vera", "anna"):  # a viewer; an analyst without the setting
        body = page(client_of(app, name), query)
        assert data.PRACTICES_NEED_PERMISSION in body
        assert find(json.loads(body), "payments-practices") is None
    body = page(client_of(small_numbers_app, "anna"), query)
    rows = rows_of(body, "payments-practices")
    shortfalls = [int(row[6].replace(",", "")) for row in rows]
    assert shortfalls and shortfalls == sorted(shortfalls, reverse=True)  # largest first
    assert data.PRACTICES_NEED_PERMISSION not in body
    refused = client_of(app, "vera").get(f"/download/payments-practices.csv{query}")
    assert refused.status_code == 403
    assert refused.text == data.PRACTICES_NEED_PERMISSION
    download = client_of(small_numbers_app, "anna").get(f"/download/payments-practices.csv{query}")
    table = list(csv.DictReader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert [int(row["Shortfall (patients)"]) for row in table] == shortfalls


def test_a_practice_scoped_reader_sees_only_their_own_practice(small_numbers_app, engine):
    query = f"?scheme=t70&period={PERIOD}&network={OTHER_LOCALITY_NETWORK}"
    short = engine.practices[(engine.practices["network_code"] == OTHER_LOCALITY_NETWORK)
                             & (engine.practices["shortfall"] > 0)]  # fmt: skip
    assert len(set(short["practice_code"])) == 7  # its six siblings fell short too
    pia = client_of(small_numbers_app, "pia")  # an analyst who sees small numbers
    rows = rows_of(page(pia, query), "payments-practices")
    own = short[short["practice_code"] == OWN_PRACTICE].sort_values("shortfall", ascending=False)
    assert [(row[0], int(row[6])) for row in rows] == [
        ("Hillcrest Medical Practice", int(value)) for value in own["shortfall"]
    ]  # 61, 57 and 19 patients
    download = pia.get(f"/download/payments-practices.csv{query}")
    table = list(csv.DictReader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert [(row["Code"], int(row["Shortfall (patients)"])) for row in table] == [
        (OWN_PRACTICE, int(value)) for value in own["shortfall"]
    ]


def test_switching_network_reuses_the_computed_payments(small_numbers_app, monkeypatch):
    calls = []

    def counted(*arguments, **options):
        calls.append(arguments[2])
        return compute(*arguments, **options)

    compute = payments.compute
    monkeypatch.setattr(payments, "compute", counted)
    data._results.clear()
    admin = client_of(small_numbers_app, "adam")
    first = page(admin, f"?scheme=t70&period={PERIOD}&network=U91003")
    assert calls == [PERIOD] and "payments-practices" in first
    for network in ("U92003", "U91001", "U91003"):
        assert network in page(admin, f"?scheme=t70&period={PERIOD}&network={network}")
    assert admin.get(f"/download/payments-kpis.csv?scheme=t70&period={PERIOD}").status_code == 200
    assert calls == [PERIOD]  # one compute for the page, every network and the download


def hidden_values(engine) -> list[float]:
    """The withheld figures, and the figures they could be worked out from."""
    kpi = engine.kpis.set_index(["network_code", "metric_id"]).loc[(HIDDEN_NETWORK, HIDDEN_KPI)]
    network = engine.networks.set_index("network_code").loc[HIDDEN_NETWORK]
    totals = [engine.networks[column].sum() for column in ("earned", "missed", "total")]
    return [kpi["numerator"], kpi["denominator"], kpi["attainment"], kpi["earned"],
            kpi["missed"], kpi["points_earned"], network["earned"], network["missed"],
            network["total"], *totals]  # fmt: skip


def shown_texts(body: str) -> set[str]:
    """Every text a page's component tree shows."""

    def leaves(node):
        if isinstance(node, list):
            for item in node:
                yield from leaves(item)
        elif isinstance(node, dict):
            yield from leaves(node.get("props", node).get("children"))
        elif node is not None:
            yield str(node)

    return set(leaves(json.loads(body)["response"]))


def leaked(values: list[float], page_texts: set[str], csv_texts: list[str]) -> list:
    """The hidden values the page shows (in the page's formats) or a download holds."""
    formatted = {data.money(v) for v in values} | {f"{v:.1f}%" for v in values}
    numbers = []
    for cell in csv_texts:
        try:
            numbers.append(float(cell))
        except ValueError:
            continue
    found = sorted(formatted & page_texts)
    return found + [v for v in values if any(abs(n - v) < 1e-6 for n in numbers)]


def test_a_suppressed_network_kpi_is_a_star_and_cannot_be_recovered(app, engine):
    viewer = client_of(app, "vera")
    query = f"?scheme=t70&period={PERIOD}&network={HIDDEN_NETWORK}"
    body = page(viewer, query)
    rows = {row[0]: row for row in rows_of(body, "payments-networks")}
    coastline = rows["Coastline PCN"]
    assert coastline[5] == coastline[6] == coastline[8] == data.WITHHELD  # earned, missed, total
    assert coastline[3] != data.WITHHELD  # its up-front money stays (scheme × patients)
    (footer,) = rows_of(body, "payments-networks", "Tfoot")
    assert footer[5] == footer[6] == footer[8] == data.WITHHELD
    kpis = {row[0]: row for row in rows_of(body, "payments-kpis")}
    hidden = kpis["Diabetes: latest HbA1c 58 mmol/mol or less"]
    assert hidden[2] == hidden[6] == hidden[7] == hidden[8] == hidden[9] == "*"
    assert data.WITHHELD_NOTE in body
    downloads = [
        viewer.get(f"/download/payments-{name}.csv{query}").get_data(as_text=True)
        for name in ("networks", "kpis")
    ]
    for name in ("networks", "kpis"):  # the same frames as the CSVs, as workbooks
        workbook = viewer.get(f"/download/payments-{name}.xlsx{query}")
        assert workbook.status_code == 200 and workbook.data[:2] == b"PK"
    cells = [cell for text in downloads for row in csv.reader(io.StringIO(text)) for cell in row]
    assert leaked(hidden_values(engine), shown_texts(body), cells) == []
    table = list(csv.DictReader(io.StringIO(downloads[0].lstrip("\ufeff"))))
    assert {row["Total paid"] for row in table if row["Code"] in (HIDDEN_NETWORK, "")} == {
        data.WITHHELD
    }
    # Without the setting an admin is masked too.
    admin = {
        row[0]: row for row in rows_of(page(client_of(app, "adam"), query), "payments-networks")
    }
    assert admin["Coastline PCN"][8] == data.WITHHELD


def test_the_what_if_cannot_probe_a_suppressed_kpi(app):
    viewer = client_of(app, "vera")
    body = what_if(viewer, "60", {HIDDEN_KPI: ("linear", "0", "1")},
                   network=HIDDEN_NETWORK)  # fmt: skip
    rows = {row[0]: row for row in rows_of(body, "payments-whatif-table")}
    assert rows["Coastline PCN"][4:] == [data.WITHHELD] * 4
    assert rows["Coastline PCN"][2] != data.WITHHELD  # up front under the what-if stays
    (footer,) = rows_of(body, "payments-whatif-table", "Tfoot")
    assert footer[3:] == [data.WITHHELD] * 5  # earned and total, both columns, and the change


def test_a_network_scoped_user_sees_only_their_networks(app):
    hana = client_of(app, "hana")  # locality HDC: Coastline and Saltmarsh
    body = page(hana)
    names = [row[0] for row in rows_of(body, "payments-networks")]
    assert names == ["Coastline PCN", "Saltmarsh PCN"]
    crafted = page(hana, f"?scheme=t70&period={PERIOD}&network={OTHER_LOCALITY_NETWORK}")
    assert f"There is no network '{OTHER_LOCALITY_NETWORK}' you can see." in crafted
    assert "Central Quays" not in crafted
    for name in ("networks", "kpis"):
        response = hana.get(f"/download/payments-{name}.csv?scheme=t70&period={PERIOD}"
                            f"&network={OTHER_LOCALITY_NETWORK}")  # fmt: skip
        assert response.status_code == 404
        assert response.get_data(as_text=True) == (
            f"There is no network '{OTHER_LOCALITY_NETWORK}' you can see."
        )
    table = hana.get(f"/download/payments-networks.csv?scheme=t70&period={PERIOD}").text
    assert "Central Quays" not in table and "Coastline PCN" in table
    crafted = what_if(hana, "60", {}, network=OTHER_LOCALITY_NETWORK)
    assert f"There is no network '{OTHER_LOCALITY_NETWORK}' you can see." in crafted
    assert "Central Quays" not in crafted


def what_if(client, upfront: str, changes: dict, network: str = "U91003") -> str:
    """Presses "Show the what-if" with the scheme's KPI rules, some changed."""
    rules = {rule["metric_id"]: (rule.get("method", "linear"), str(rule.get("lower", "")),
                                 str(rule.get("upper", "")))
             for package in SCHEME["packages"] for rule in package["kpis"]}  # fmt: skip
    rules |= changes

    def pattern(kind: str, position: int) -> list[dict]:
        return [{"id": {"type": f"payments-whatif-{kind}", "index": metric}, "property": "value",
                 "value": values[position]} for metric, values in rules.items()]  # fmt: skip

    state = [
        {"id": "payments-scheme", "property": "value", "value": "t70"},
        {"id": "payments-period", "property": "value", "value": PERIOD},
        {"id": "payments-network", "property": "value", "value": network},
        {"id": "payments-whatif-upfront", "property": "value", "value": upfront},
        pattern("method", 0), pattern("lower", 1), pattern("upper", 2),
    ]  # fmt: skip
    response = client.post("/_dash-update-component", json={
        "output": WHATIF_OUTPUT,
        "outputs": {"id": "payments-whatif-result", "property": "children"},
        "inputs": [{"id": "payments-whatif-show", "property": "n_clicks", "value": 1}],
        "state": state, "changedPropIds": ["payments-whatif-show.n_clicks"],
    })  # fmt: skip
    assert response.status_code == 200, response.text[:300]
    return json.dumps(json.loads(response.text)["response"]["payments-whatif-result"]["children"])


def test_the_what_if_split_moves_the_money_as_worked_by_hand(small_numbers_app, engine, data_dir):
    admin = client_of(small_numbers_app, "adam")  # sees small numbers: nothing withheld
    body = what_if(admin, "60", {})
    rows = {row[0]: row for row in rows_of(body, "payments-whatif-table")}
    for _, network in engine.networks.iterrows():
        row = rows[network["network_name"]]
        # 60/40 against 70/30: up front falls by exactly 10% of the money; the money at
        # risk grows from 30% to 40%, so each KPI's earned money grows by 4/3.
        upfront = network["upfront"] - 0.1 * network["money"]
        earned = network["earned"] * 4 / 3
        total = upfront + earned + network["gain_share"]
        assert row[1:] == [
            data.money(network["upfront"]),
            data.money(upfront),
            data.money(network["earned"]),
            data.money(earned),
            data.money(network["total"]),
            data.money(total),
            data.signed_money(total - network["total"]),
        ]
    assert "the split from 70/30 to 60/40" in body
    assert schemes.load_schemes(settings_of(data_dir))["t70"].upfront_share == 0.7  # unsaved
    body = what_if(admin, "30/70", {})  # 30/70: 40 points less up front than 70/30
    rows = {row[0]: row for row in rows_of(body, "payments-whatif-table")}
    first = engine.networks.iloc[0]
    assert rows[first["network_name"]][2] == data.money(first["upfront"] - 0.4 * first["money"])


def test_the_what_if_threshold_change_moves_one_kpis_money(app, engine):
    # HbA1c linear from 35-75% to 50-60%: Central Quays' 58.2% earns 82.5% of its share.
    body = what_if(client_of(app, "adam"), "70", {"dm_hba1c_control": ("linear", "50", "60")})
    kpi = engine.kpis.set_index(["network_code", "metric_id"]).loc[("U91003", "dm_hba1c_control")]
    network = engine.networks.set_index("network_code").loc["U91003"]
    fraction = (kpi["attainment"] - 50) / 10
    earned = network["earned"] - kpi["earned"] + kpi["at_risk"] * fraction
    row = {r[0]: r for r in rows_of(body, "payments-whatif-table")}["Central Quays PCN"]
    assert row[4] == data.money(earned)


@pytest.mark.parametrize(
    ("upfront", "changes", "sentence"),
    [
        ("sixty", {}, "The up-front share 'sixty' must be a percentage from 0 to 100"),
        ("70", {"dm_bp_control": ("linear", "90", "38")}, "lower 90 is beyond upper 38"),
        ("70", {"dm_bp_control": ("linear", "abc", "")},
         "KPI 'dm_bp_control': lower 'abc' is not a number"),
    ],
)  # fmt: skip
def test_a_bad_what_if_value_gets_one_sentence(app, upfront, changes, sentence):
    body = what_if(client_of(app, "adam"), upfront, changes)
    error = find(json.loads(body), "payments-whatif-error")
    assert error is not None and sentence in words(error)
    assert find(json.loads(body), "payments-whatif-table") is None


def test_two_schemes_side_by_side(small_numbers_app, engine):
    """The 60/40 scheme beside the 70/30: up front 10% of the money less, each KPI's
    earned money 4/3 of the 70/30's (40% at risk instead of 30%)."""
    admin = client_of(small_numbers_app, "adam")
    response = admin.post("/_dash-update-component", json={
        "output": "payments-compare-result.children",
        "outputs": {"id": "payments-compare-result", "property": "children"},
        "inputs": [{"id": "payments-compare", "property": "value", "value": "t60"}],
        "state": [{"id": "payments-scheme", "property": "value", "value": "t70"},
                  {"id": "payments-period", "property": "value", "value": PERIOD},
                  {"id": "payments-network", "property": "value", "value": "U91003"}],
        "changedPropIds": ["payments-compare.value"],
    })  # fmt: skip
    body = json.dumps(response.json["response"]["payments-compare-result"]["children"])
    row = {r[0]: r for r in rows_of(body, "payments-compare-table")}["Central Quays PCN"]
    network = engine.networks.set_index("network_code").loc["U91003"]
    upfront, earned = network["upfront"] - 0.1 * network["money"], network["earned"] * 4 / 3
    assert row[1:5] == [data.money(network["upfront"]), data.money(upfront),
                        data.money(network["earned"]), data.money(earned)]  # fmt: skip
    headings = words(find(json.loads(body), "payments-compare-table")["props"]["children"][1])
    assert "Total: Care packages 60/40" in headings


def test_money_from_a_suppressed_list_is_withheld_with_every_total(app, engine):
    viewer = client_of(app, "vera")
    body = page(viewer)
    saltmarsh = {row[0]: row for row in rows_of(body, "payments-networks")}["Saltmarsh PCN"]
    # Patients and every money column but the gain share, which this scheme has none of.
    assert saltmarsh[1:] == [data.WITHHELD] * 6 + ["£0", data.WITHHELD]
    (footer,) = rows_of(body, "payments-networks", "Tfoot")
    assert footer[1:] == [data.WITHHELD] * 6 + ["£0", data.WITHHELD]
    network = engine.networks.set_index("network_code").loc[HIDDEN_LIST]
    shown = shown_texts(body)
    assert {data.money(network[c]) for c in ("money", "upfront", "at_risk")} & shown == set()
    table = viewer.get(f"/download/payments-networks.csv?scheme=t70&period={PERIOD}").text
    rows = {row["Code"]: row for row in csv.DictReader(io.StringIO(table.lstrip("\ufeff")))}
    assert set(rows[HIDDEN_LIST].values()) == {"Saltmarsh PCN", HIDDEN_LIST, data.WITHHELD, "0.0"}
    assert rows[""]["Patients"] == rows[""]["Up front"] == data.WITHHELD
