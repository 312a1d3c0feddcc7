"""The Payment schemes page on the server: only admins get it, and its callbacks refuse
anyone else (403) whatever the request says; an admin edits a TOML scheme (kept with who,
when and why, and audited) and ends it with a reason; a bad value gets one sentence
naming the field and saves nothing."""

from __future__ import annotations

import json

import pytest

from dashboard import users
from dashboard.app import create_app
from dashboard.pages import payment_schemes as page
from dashboard.pages import payment_schemes_data as data
from tests.dashboard.pages.test_payments import PASSWORD, SCHEME, find, words
from tests.dashboard.test_security import route, sign_in
from wholesystem import schemes
from wholesystem.settings import Settings

DIABETES = "Payment scheme 't60': package 'Diabetes'"
ACT_OUTPUT = ("..schemes-message.children...schemes-table.children...schemes-history.children"
              "...schemes-chosen.options...schemes-chosen.value..")  # fmt: skip


@pytest.fixture
def settings(published_sample, tmp_path) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(published_sample.serving_dir)
    settings = Settings(data_dir=data_dir, secret_key="test-secret",
                        payment_schemes={"t70": SCHEME})  # fmt: skip
    for name, role in (("adam", "admin"), ("anna", "analyst"), ("vera", "viewer")):
        users.add_user(settings, name, role, None, PASSWORD)
    return settings


@pytest.fixture
def app(settings):
    return create_app(settings)


def client_of(app, name: str):
    client = app.server.test_client()
    assert sign_in(client, name, PASSWORD).status_code == 302
    return client


def form_of(settings, chosen: str, **changes) -> tuple[dict, list[dict], list[dict]]:
    fields, packages, kpis = data.form_values(settings, chosen)
    fields |= changes
    return fields, packages, kpis


def press(client, button: str, chosen: str, form, expect: int = 200) -> str:
    """Presses Save or End with the form's values as the browser sends them."""
    fields, packages, kpis = form
    state = [{"id": "schemes-chosen", "property": "value", "value": chosen}]
    state += [{"id": c, "property": "value", "value": fields[key]} for c, key, _ in page.FIELDS]
    for kind, key in page.ROW_TYPES:
        rows = packages if kind == "package" else kpis
        state.append([{"id": {"type": f"schemes-{kind}-{key}", "index": number},
                       "property": "value", "value": row[key]}
                      for number, row in enumerate(rows, 1)])  # fmt: skip
    outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
               for p in ACT_OUTPUT.strip(".").split("...")]  # fmt: skip
    response = client.post("/_dash-update-component", json={
        "output": ACT_OUTPUT, "outputs": outputs,
        "inputs": [{"id": b, "property": "n_clicks", "value": int(b == button)}
                   for b in page.BUTTONS],
        "state": state, "changedPropIds": [f"{button}.n_clicks"],
    })  # fmt: skip
    assert response.status_code == expect, response.text[:300]
    return response.get_data(as_text=True)


def message(body: str) -> str:
    return words(json.loads(body)["response"]["schemes-message"]["children"])


@pytest.mark.parametrize("name", ["anna", "vera"])
def test_only_admins_get_the_page_and_its_callbacks(app, settings, name):
    client = client_of(app, name)
    assert "Page not found" in route(client, "/payments/schemes")
    form = form_of(settings, "t70", upfront="60", reason="try")
    press(client, "schemes-save", "t70", form, expect=403)
    press(client, "schemes-end", "t70", form, expect=403)
    assert schemes.scheme_history(settings, "t70") == []
    assert "Add, edit or end payment schemes" not in route(client, "/payments")


def test_an_admin_edits_a_toml_scheme_and_ends_it_with_the_history(app, settings):
    admin = client_of(app, "adam")
    assert "Add, edit or end payment schemes" in route(admin, "/payments")
    body = press(admin, "schemes-save", "t70",
                 form_of(settings, "t70", upfront="60", reason="Board agreed 60/40"))  # fmt: skip
    assert message(body) == "Scheme 't70' saved (60/40)."
    assert schemes.load_schemes(settings)["t70"].upfront_share == 0.6
    (record,) = schemes.scheme_history(settings, "t70")
    assert (record.set_by, record.reason, record.in_force) == ("adam", "Board agreed 60/40", True)
    listed = find(json.loads(body), "schemes-list")
    assert "Edited by adam" in words(listed) and "60/40" in words(listed)
    audit = users.admin_events(settings, "adam")
    assert ("scheme_saved", "t70", "Board agreed 60/40") in {
        (row["event"], row["target"], row["detail"]) for row in audit
    }

    body = press(admin, "schemes-end", "t70", form_of(settings, "t70", reason=""))
    assert message(body).startswith("Ending a scheme needs a reason")
    assert "t70" in schemes.load_schemes(settings)
    body = press(admin, "schemes-end", "t70", form_of(settings, "t70", reason="Replaced"))
    assert message(body) == "Scheme 't70' ended."
    assert "t70" not in schemes.load_schemes(settings)
    history = words(find(json.loads(body), "schemes-history-list"))
    assert "Ended" in history and "Replaced" in history


@pytest.mark.parametrize(
    ("changes", "row_changes", "sentence"),
    [
        ({"upfront": "seventy"}, {}, "The up-front share 'seventy' must be a percentage"),
        ({}, {"rate": "ten"}, f"{DIABETES}: rate 'ten' is not a number."),
        ({}, {"weight": "0"},
         f"{DIABETES}: KPI 'dm_hba1c_control': weight 0 must be more than 0 (points)."),
        ({"reason": ""}, {}, "A scheme needs a reason"),
        ({"name": "T 70"}, {}, "Payment scheme name 'T 70' must be 1 to 64 lower-case letters"),
    ],
)  # fmt: skip
def test_a_bad_value_gets_one_sentence_and_saves_nothing(app, settings, changes, row_changes,
                                                         sentence):  # fmt: skip
    fields, packages, kpis = form_of(settings, data.NEW, **{
        "name": "t60", "title": "Care packages 60/40", "upfront": "60", "reason": "New scheme",
        **changes})  # fmt: skip
    packages[0] |= {"name": "Diabetes", "rate": row_changes.get("rate", "12")}
    kpis[0] |= {"metric": "dm_hba1c_control", "package": "Diabetes", "lower": "35", "upper": "75"}
    kpis[0]["weight"] = row_changes.get("weight", "10")
    body = press(client_of(app, "adam"), "schemes-save", data.NEW, (fields, packages, kpis))
    assert message(body).startswith(sentence)
    assert set(schemes.load_schemes(settings)) == {"t70"}
    assert schemes.scheme_history(settings, changes.get("name", "t60")) == []


def test_an_admin_adds_a_scheme_from_the_form(app, settings):
    fields, packages, kpis = form_of(settings, data.NEW, name="t60", title="Care packages 60/40",
                                     upfront="60/40", reason="Proposed for 2027/28")  # fmt: skip
    packages[0] |= {"name": "Diabetes", "rate": "12", "per": "register"}
    kpis[0] |= {"metric": "dm_hba1c_control", "package": "Diabetes", "weight": "10",
                "method": "all_or_nothing", "upper": "75"}  # fmt: skip
    body = press(client_of(app, "adam"), "schemes-save", data.NEW, (fields, packages, kpis))
    assert message(body) == "Scheme 't60' saved (60/40)."
    saved = schemes.load_schemes(settings)["t60"]
    (package,) = saved.packages
    assert (package.rate, package.per, saved.period) == (12.0, "register", "quarter")
    assert package.kpis == (
        schemes.KpiRule("dm_hba1c_control", 10.0, "all_or_nothing", None, 75.0),
    )
