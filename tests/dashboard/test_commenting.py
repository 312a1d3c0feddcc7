"""Commentary permissions, checked on the server (dashboard.commenting): a viewer may not
write, an analyst may write but not approve, an admin approves, nobody writes or approves
for an area outside their scope, and the author is always the signed-in user."""

from __future__ import annotations

from datetime import date

import pytest
from flask_login import login_user
from werkzeug.exceptions import Forbidden

from dashboard import access, commenting, users
from dashboard.app import create_app
from dashboard.pages import board_data, board_exports, commentary_panel
from dashboard.scope import Scope
from wholesystem import commentary
from wholesystem.settings import Settings

PASSWORD = "Quiet-Harbour-Lantern-42"
PERIOD = date(2026, 8, 1)


@pytest.fixture(scope="module")
def areas(published_sample):
    access.configure(published_sample)
    return access.org_units(Scope.whole_system(), "area")


@pytest.fixture
def settings(published_sample, areas, tmp_path) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(published_sample.serving_dir)
    settings = Settings(data_dir=data_dir, secret_key="test-secret")
    for name, role in (("vera", "viewer"), ("anna", "analyst"), ("adam", "admin")):
        users.add_user(settings, name, role, None, PASSWORD)
    home = f"area:{areas['org_code'].iloc[1]}"
    users.add_user(settings, "lara", "analyst", home, PASSWORD)
    users.add_user(settings, "liam", "admin", home, PASSWORD)
    return settings


@pytest.fixture
def signed_in(settings):
    """Returns `as_user(name)`: a request context of the app signed in as that user."""
    app = create_app(settings)

    def as_user(name: str):
        context = app.server.test_request_context("/")
        context.push()
        login_user(users.get_user(settings, name))
        return context

    contexts = []
    yield lambda name: contexts.append(as_user(name)) or contexts[-1]
    for context in reversed(contexts):
        context.pop()


def test_a_viewer_is_refused_on_the_server_and_nothing_is_stored(settings, signed_in, areas):
    signed_in("vera")
    with pytest.raises(Forbidden) as refused:
        commenting.write("bed_days", areas["org_code"].iloc[0], PERIOD, "Text.", "")
    assert refused.value.code == 403
    assert commentary.for_period(settings, PERIOD) == {}
    assert not commenting.may_write() and not commenting.may_approve()


def test_an_analyst_writes_as_themselves_but_cannot_approve(settings, signed_in, areas):
    signed_in("anna")
    area = areas["org_code"].iloc[0]
    written = commenting.write("bed_days", area, PERIOD, "Up in winter.", "Pilot.")
    assert (written.author, written.org_code, written.action) == ("anna", area, "Pilot.")
    assert commenting.may_write() and not commenting.may_approve()
    with pytest.raises(Forbidden):
        commenting.approve(written.id)
    assert not commentary.get(settings, written.id).approved


def test_an_admin_approves_as_themselves(settings, signed_in, areas):
    signed_in("anna")
    area = areas["org_code"].iloc[0]
    written = commenting.write("bed_days", area, PERIOD, "Up in winter.", "")
    signed_in("adam")
    approved = commenting.approve(written.id)
    assert (approved.approved_by, approved.approved) == ("adam", True)


def test_another_area_out_of_scope_is_refused(settings, signed_in, areas):
    home, other = areas["org_code"].iloc[1], areas["org_code"].iloc[0]
    signed_in("lara")
    assert commenting.write("bed_days", home, PERIOD, "Ours.", "").author == "lara"
    with pytest.raises(Forbidden, match="not in your scope"):
        commenting.write("bed_days", other, PERIOD, "Theirs.", "")
    signed_in("anna")
    theirs = commenting.write("bed_days", other, PERIOD, "Theirs.", "")
    signed_in("liam")
    with pytest.raises(Forbidden, match="not in your scope"):
        commenting.approve(theirs.id)
    assert set(commentary.for_period(settings, PERIOD)) == {("bed_days", home), ("bed_days", other)}
    assert not commentary.get(settings, theirs.id).approved


def test_the_save_callback_shows_a_bad_texts_sentence_and_stores_nothing(
    settings, signed_in, areas
):
    signed_in("anna")
    key = commentary_panel.block_key("bed_days", areas["org_code"].iloc[0], PERIOD)
    children = commentary_panel.save(1, "   ", "", key)
    alerts = [c for c in children if getattr(c, "role", None) == "alert"]
    assert [a.children for a in alerts] == ["commentary needs a line saying what happened"]
    assert commentary.for_period(settings, PERIOD) == {}


def test_the_save_and_approve_callbacks_write_and_redraw_the_block(settings, signed_in, areas):
    area = areas["org_code"].iloc[0]
    key = commentary_panel.block_key("bed_days", area, PERIOD)
    signed_in("anna")
    commentary_panel.save(1, "Up in winter.", "Pilot.", key)
    signed_in("adam")
    children = commentary_panel.approve(1, key)
    assert commentary.for_period(settings, PERIOD)[("bed_days", area)].approved_by == "adam"
    assert "Approved by adam" in str(children[0].to_plotly_json())


def test_a_locality_analyst_may_not_write_its_parent_areas_commentary(settings, signed_in):
    # The parent area is visible to a locality user (a benchmark) but not theirs to write.
    users.add_user(settings, "lena", "analyst", "locality:TBC", PASSWORD)
    signed_in("lena")
    assert "E38000991" in access.visible(Scope.parse("locality:TBC"))
    with pytest.raises(Forbidden, match="not in your scope"):
        commenting.write("bed_days", "E38000991", PERIOD, "The parent's.", "")
    assert commentary.for_period(settings, PERIOD) == {}


def test_a_month_that_does_not_start_a_board_period_is_refused(settings, signed_in, areas):
    signed_in("anna")
    september = date(2026, 9, 1)  # the second month of the August–September board period
    with pytest.raises(commentary.CommentaryError, match="not a board period"):
        commenting.write("bed_days", areas["org_code"].iloc[0], september, "Text.", "")
    assert commentary.for_period(settings, september) == {}


def _panel_text(area: str) -> str:
    return str(commentary_panel.panel("bed_days", area, "area", PERIOD).to_plotly_json())


def test_commentary_not_yet_approved_is_never_sent_to_a_viewer(settings, signed_in, areas):
    area = areas["org_code"].iloc[0]
    signed_in("anna")
    commenting.write("bed_days", area, PERIOD, "Unchecked words.", "")
    assert "Unchecked words." in _panel_text(area) and "Not approved" in _panel_text(area)
    assert board_data.metric_rows(Scope.whole_system(), area, PERIOD)["comment"].notna().any()
    signed_in("vera")
    assert "Unchecked words." not in _panel_text(area)
    rows = board_data.metric_rows(Scope.whole_system(), area, PERIOD)
    assert rows["comment"].isna().all()
    table = board_exports.board_table({"area": area, "period": PERIOD.isoformat()}).frame
    assert set(table["Commentary"]) == {""}


def test_a_viewer_sees_commentary_once_approved(settings, signed_in, areas):
    area = areas["org_code"].iloc[0]
    signed_in("anna")
    written = commenting.write("bed_days", area, PERIOD, "Checked words.", "")
    signed_in("adam")
    commenting.approve(written.id)
    signed_in("vera")
    assert "Checked words." in _panel_text(area) and "Approved by adam" in _panel_text(area)
    table = board_exports.board_table({"area": area, "period": PERIOD.isoformat()}).frame
    assert "Checked words. (anna" in " ".join(table["Commentary"])
