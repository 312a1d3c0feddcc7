"""The Targets page on the server: only roles that may set targets get it (admins; an
analyst only with WHOLESYSTEM_ANALYSTS_SET_TARGETS on), and every write refuses anyone
else with 403 whatever the request says; add, edit and end keep the history with who,
when and why; bad input gets one sentence and writes nothing; and the indicator page's
assurance icon follows a new target at the next page load, without republishing."""

from __future__ import annotations

import pytest

from dashboard import users
from dashboard.app import create_app
from dashboard.pages import targets as page
from dashboard.pages import targets_data
from dashboard.scope import Scope
from tests.dashboard.test_security import route, sign_in
from wholesystem import targets
from wholesystem.settings import Settings
from wholesystem.targets import TargetSpec

PASSWORD = "Quiet-Harbour-Lantern-42"
BUTTONS = list(page.ACTIONS)
FIELDS = [component for component, _, _ in page.FIELDS]
ACT_OUTPUT = (
    "..targets-message.children...targets-table.children...targets-history.children"
    "...targets-chosen.options...targets-chosen.value.."
)
METRIC, AREA = "dm_hba1c_control", "E38000991"  # limits about 57.7-58.6%; default 75%
FORM = {
    "targets-metric": METRIC, "targets-org": AREA, "targets-value": "57",
    "targets-trajectory": "2026-09 58\n2026-10 58.5", "targets-reason": "Place plan 2026/27",
}  # fmt: skip


def make_settings(published_sample, tmp_path, **options) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    if not (data_dir / "serving").exists():
        (data_dir / "serving").symlink_to(published_sample.serving_dir)
    settings = Settings(data_dir=data_dir, secret_key="test-secret", **options)
    people = (("adam", "admin", None), ("anna", "analyst", None), ("vera", "viewer", None),
              ("lena", "admin", "locality:HDC"))  # fmt: skip
    for name, role, scope in people:
        if users.get_user(settings, name) is None:
            users.add_user(settings, name, role, scope, PASSWORD)
    return settings


@pytest.fixture
def settings(published_sample, tmp_path) -> Settings:
    return make_settings(published_sample, tmp_path)


def client_of(settings, name: str):
    client = create_app(settings).server.test_client()
    assert sign_in(client, name, PASSWORD).status_code == 302
    return client


def press(client, button: str, values: dict, expect: int = 200):
    """Presses a button with the form's values as the browser sends them."""
    inputs = [(name, "n_clicks", 1 if name == button else 0) for name in BUTTONS]
    state = [(name, "value", values.get(name, "")) for name in FIELDS]
    outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
               for p in ACT_OUTPUT.strip(".").split("...")]  # fmt: skip
    response = client.post("/_dash-update-component", json={
        "output": ACT_OUTPUT, "outputs": outputs,
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
        "changedPropIds": [f"{button}.n_clicks"],
    })  # fmt: skip
    assert response.status_code == expect, response.text[:300]
    return response.get_data(as_text=True)


def test_an_admin_adds_edits_and_ends_a_target_with_its_history(settings):
    admin = client_of(settings, "adam")
    assert "Target #1 added." in press(admin, "targets-add", FORM)
    (added,) = targets.list_targets(settings)
    assert (added.metric_id, added.org_code, added.value, added.set_by) == (
        METRIC,
        AREA,
        57.0,
        "adam",
    )
    assert len(added.trajectory) == 2 and added.reason == "Place plan 2026/27"
    edit = {"targets-chosen": "1", "targets-value": "58", "targets-reason": "Revised in October"}
    body = press(admin, "targets-edit", FORM | edit)
    assert "Target #1 ended and replaced by #2." in body
    body = press(admin, "targets-end", {"targets-chosen": "2"})
    assert "Target #2 ended." in body and targets.list_targets(settings) == []
    history = targets.list_targets(settings, in_force_only=False)
    assert [(t.id, t.value, t.replaces, t.ended_by) for t in history] == [
        (1, 57.0, None, "adam"), (2, 58.0, 1, "adam")
    ]  # fmt: skip
    page_body = route(admin, "/targets")
    assert "Revised in October" in page_body and "Place plan 2026" in page_body


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"targets-value": "lots"}, "Value 'lots' is not a number."),
        ({"targets-value": "101"}, "Value 101 is not a percentage from 0 to 100."),
        ({"targets-reason": ""}, "A target needs a reason"),
        ({"targets-metric": ""}, "Choose an indicator."),
        ({"targets-valid-from": "June"}, "Valid from 'June' is not a month"),
        ({"targets-value": "", "targets-lower": "70", "targets-upper": "60"},
         "The lower threshold 70 is above the upper threshold 60."),
        ({"targets-trajectory": "2026-10"},
         "Trajectory line 1 ('2026-10') is not a month and a value."),
        ({"targets-metric": "prevalence_dm"}, "Indicator 'prevalence_dm' has no better direction"),
    ],
)  # fmt: skip
def test_bad_input_gets_one_sentence_and_writes_nothing(settings, changes, sentence):
    body = press(client_of(settings, "adam"), "targets-add", FORM | changes)
    assert sentence in body
    assert targets.list_targets(settings, in_force_only=False) == []


def test_a_scoped_admin_cannot_set_a_target_outside_the_scope_or_for_every_org(settings, scope_as):
    scope_as(Scope("locality", "HDC"))  # the pages' tests otherwise read as the whole system
    lena = client_of(settings, "lena")
    assert "Org code 'E38000991' is not in your scope." in press(lena, "targets-add", FORM)
    body = press(lena, "targets-add", FORM | {"targets-org": "*"})
    assert "Only a whole-system user can set a target for every organisation." in body
    assert "Target #1 added." in press(lena, "targets-add", FORM | {"targets-org": "HDC"})


def test_a_crafted_value_of_the_wrong_type_is_refused(settings):
    admin = client_of(settings, "adam")
    press(admin, "targets-add", FORM | {"targets-value": 57}, expect=400)
    assert targets.list_targets(settings, in_force_only=False) == []


@pytest.mark.parametrize("name", ["vera", "anna"])
def test_a_viewer_and_an_analyst_without_the_setting_are_refused(settings, name):
    client = client_of(settings, name)
    assert "Page not found" in route(client, "/targets")
    press(client, "targets-add", FORM, expect=403)
    assert targets.list_targets(settings, in_force_only=False) == []


def test_an_analyst_may_set_targets_where_the_setting_allows(published_sample, tmp_path):
    settings = make_settings(published_sample, tmp_path, analysts_set_targets=True)
    anna = client_of(settings, "anna")
    assert '"Targets in force"' in route(anna, "/targets")
    assert "Target #1 added." in press(anna, "targets-add", FORM)
    assert targets.list_targets(settings)[0].set_by == "anna"
    assert "Page not found" in route(client_of(settings, "vera"), "/targets")


def test_the_indicator_pages_icon_follows_a_new_target_without_republishing(settings):
    admin = client_of(settings, "adam")
    view = ("/indicator/" + METRIC, f"?level=area&org={AREA}")
    before = route(admin, *view)
    assert "Assurance: consistently failing target" in before  # the default, 75%
    assert "Target: 75.0% (thresholds 35.0% to 75.0%); the default: QOF 2025" in before
    targets.add_target(settings, TargetSpec(METRIC, org_code=AREA, value=57, reason="Plan"), "adam")
    after = route(admin, *view)
    assert "Assurance: consistently passing target" in after  # 57% is below the lower limit
    assert "Target: 57.0%; set for this organisation by adam on" in after
    targets.add_target(
        settings,
        TargetSpec(METRIC, org_code=AREA, value=58.2, reason="Stretch",
                   trajectory={__import__("datetime").date(2026, 10, 1): 58.0}),
        "adam",
    )  # fmt: skip
    latest = route(admin, *view)
    assert "Assurance: inconsistently passing and failing target" in latest
    assert (
        "On track against the trajectory for October 2026: planned 58.0%, actual 58.5%." in latest
    )


def test_the_form_fills_from_a_chosen_target(settings):
    target = targets.add_target(
        settings, TargetSpec(METRIC, org_code=AREA, lower=50, upper=70, reason="QOF"), "adam"
    )
    values = targets_data.form_values(settings, str(target.id), _whole_system())
    assert (values["metric"], values["org"], values["lower"], values["upper"]) == (
        METRIC, AREA, "50", "70"
    )  # fmt: skip
    assert (
        values["reason"] == ""
        and targets_data.form_values(settings, "new", _whole_system())["org"] == "*"
    )


def _whole_system():
    return Scope.whole_system()


def test_the_tables_download_for_those_who_may_set_targets_only(settings):
    targets.add_target(settings, TargetSpec(METRIC, org_code=AREA, value=57, reason="Plan"), "adam")
    admin = client_of(settings, "adam")
    assert "download-targets-in-force-csv" in route(admin, "/targets")  # the link
    csv = admin.get("/download/targets-in-force.csv")
    assert csv.status_code == 200
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "Id,Indicator,Organisation,Months,Target,Trajectory,Why,Set by,Set at"
    assert lines[1].startswith("1,Diabetes: latest HbA1c 58 mmol/mol or less,Tynebridge Place")
    assert ",57,None,Plan,adam," in lines[1]
    history = admin.get("/download/targets-history.xlsx")
    assert history.status_code == 200 and history.data[:2] == b"PK"
    for name in ("vera", "anna"):
        assert client_of(settings, name).get("/download/targets-in-force.csv").status_code == 403
