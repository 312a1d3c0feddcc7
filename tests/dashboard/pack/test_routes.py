"""The pack's routes through Flask's test client: behind login, within the user's scope,
from the snapshot the user is shown, and always disclosure-controlled."""

from __future__ import annotations

import dataclasses
from datetime import date

import duckdb
import pytest

from dashboard import access, users
from dashboard.app import create_app
from dashboard.pack.routes import PACK_ID_HEADER
from dashboard.pages.board_data import board_period_of
from metrics.serving import current_version, snapshot_path
from tests.dashboard.pack.conftest import HOLLINSDALE, TYNEBRIDGE, numbers_in
from tests.dashboard.test_security import sign_in
from wholesystem import commentary, pack_store

PASSWORD = "correct horse battery"
OCTOBER = "2026-10-01"


@pytest.fixture(scope="module")
def app(pack_settings):
    # Analysts see small numbers on screen here, so a pack that followed the screen would
    # leak them: the pack must mask them all the same.
    settings = dataclasses.replace(pack_settings, analysts_see_small_numbers=True)
    users.add_user(settings, "hollinsdale", "viewer", f"area:{HOLLINSDALE}", PASSWORD)
    users.add_user(settings, "analyst", "analyst", None, PASSWORD)
    return create_app(settings)


def client_of(app, name: str):
    client = app.server.test_client()
    assert sign_in(client, name, PASSWORD).status_code == 302
    return client


def pack_url(area: str, fmt: str = "html", when: str = OCTOBER) -> str:
    return f"/pack?area={area}&date={when}&format={fmt}"


def test_the_pack_needs_a_session(app):
    for path in (pack_url(HOLLINSDALE), "/packs/1"):
        response = app.server.test_client().get(path)
        assert response.status_code == 302 and "/login?next=" in response.location


def test_a_viewer_downloads_a_pack_of_their_area(app, pack_settings):
    response = client_of(app, "hollinsdale").get(pack_url(HOLLINSDALE))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=board-pack-{HOLLINSDALE}-2026-10.html"
    )
    numbers = numbers_in(response.text)
    assert {code for areas in numbers["metrics"].values() for code in areas} == {HOLLINSDALE}
    assert numbers["version"] == current_version(pack_settings)
    assert f'href="/?snapshot={numbers["version"]}"' in response.text
    newest = pack_store.list_packs(pack_settings)[0]
    assert (newest.area, newest.created_by) == (HOLLINSDALE, "hollinsdale")


def test_an_area_outside_the_scope_is_refused_and_nothing_is_made(app, pack_settings):
    viewer = client_of(app, "hollinsdale")
    before = pack_store.list_packs(pack_settings)
    outside = viewer.get(pack_url(TYNEBRIDGE))
    unknown = viewer.get(pack_url("E99999999"))
    assert outside.status_code == unknown.status_code == 404
    # The same answer as for an area that does not exist, echoing only the code asked for.
    assert outside.text.replace(TYNEBRIDGE, "?") == unknown.text.replace("E99999999", "?")
    assert "Tynebridge" not in outside.text
    assert pack_store.list_packs(pack_settings) == before
    everything = numbers_in(viewer.get(pack_url(pack_store.ALL_AREAS)).text)
    assert {code for areas in everything["metrics"].values() for code in areas} == {HOLLINSDALE}


def test_a_stored_pack_is_sent_again_only_within_scope(app, pack_settings):
    analyst, viewer = client_of(app, "analyst"), client_of(app, "hollinsdale")
    made = analyst.get(pack_url(TYNEBRIDGE))
    record = pack_store.list_packs(pack_settings)[0]
    assert record.area == TYNEBRIDGE
    again = analyst.get(f"/packs/{record.id}")
    assert again.status_code == 200 and again.data == made.data
    assert viewer.get(f"/packs/{record.id}").status_code == 404
    assert analyst.get("/packs/999999").status_code == 404


def test_a_pack_masks_small_numbers_even_for_an_analyst_who_sees_them(app, pack_settings):
    response = client_of(app, "analyst").get(pack_url(HOLLINSDALE))
    numbers = numbers_in(response.text)
    hidden = _suppressed_points(pack_settings, HOLLINSDALE)
    assert hidden
    for metric_id, month in hidden:
        points = {p[0]: p for p in numbers["metrics"][metric_id][HOLLINSDALE]["points"]}
        assert points[month][1] is None, (metric_id, month)


def _suppressed_points(settings, org_code: str) -> list[tuple[str, str]]:
    path = snapshot_path(settings, current_version(settings))
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(
            "SELECT metric_id, strftime(period_start, '%Y-%m-%d') FROM spc_points "
            "WHERE org_code = ? AND segment = 'all' AND suppressed AND value IS NOT NULL "
            "AND metric_id IN ('decedents_3plus_nel_last_100_days', "
            "'care_home_admissions_18_64') AND period_start <= DATE '2026-10-01'",
            [org_code],
        ).fetchall()


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("2026-10-99", "is not a date like 2026-10-01"),
        ("2019-10-01", "holds no month October 2019"),
    ],
)
def test_a_bad_date_is_one_sentence(app, when, message):
    response = client_of(app, "analyst").get(pack_url(HOLLINSDALE, when=when))
    assert response.status_code == 400 and message in response.text


def test_a_pdf_pack_downloads_as_a_pdf(app):
    response = client_of(app, "analyst").get(pack_url(HOLLINSDALE, fmt="pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert date(2026, 10, 1).strftime("%B %Y").encode() in response.data  # in its /Title


def test_a_pack_made_by_someone_who_sees_more_is_not_sent_to_a_viewer_who_sees_less(
    app, pack_settings
):
    # A whole-system analyst's Hollinsdale pack holds Tynebridge's figures too (the other
    # areas' table and numbers): a Hollinsdale viewer must not get it, though it is "of"
    # Hollinsdale. The viewer's own pack holds only Hollinsdale: both may have that one.
    analyst, viewer = client_of(app, "analyst"), client_of(app, "hollinsdale")
    wide = analyst.get(pack_url(HOLLINSDALE)).headers[PACK_ID_HEADER]
    assert TYNEBRIDGE in numbers_in(analyst.get(f"/packs/{wide}").text)["metrics"]["bed_days"]
    refused = viewer.get(f"/packs/{wide}")
    assert refused.status_code == 404 and "Tynebridge" not in refused.text
    assert refused.text == viewer.get("/packs/999999").text  # as for no such pack
    narrow = viewer.get(pack_url(HOLLINSDALE)).headers[PACK_ID_HEADER]
    assert viewer.get(f"/packs/{narrow}").status_code == 200
    assert analyst.get(f"/packs/{narrow}").status_code == 200
    everything = analyst.get(pack_url(pack_store.ALL_AREAS)).headers[PACK_ID_HEADER]
    assert viewer.get(f"/packs/{everything}").status_code == 404
    assert pack_store.get_pack(pack_settings, int(wide)).scope == "whole system"
    assert pack_store.get_pack(pack_settings, int(narrow)).scope == f"area:{HOLLINSDALE}"


def test_the_same_pack_asked_again_is_sent_again_not_stored_again(app, pack_settings):
    viewer, analyst = client_of(app, "hollinsdale"), client_of(app, "analyst")
    url = pack_url(HOLLINSDALE, when="2026-08-01")
    first = viewer.get(url)
    count = len(pack_store.list_packs(pack_settings))
    again = viewer.get(url)
    assert again.headers[PACK_ID_HEADER] == first.headers[PACK_ID_HEADER]
    assert again.data == first.data
    assert len(pack_store.list_packs(pack_settings)) == count
    # Another scope is another pack; so is a pack that would show something new.
    other = analyst.get(url).headers[PACK_ID_HEADER]
    assert other != first.headers[PACK_ID_HEADER]
    period = board_period_of(date(2026, 8, 1))
    written = commentary.write(
        pack_settings, "bed_days", HOLLINSDALE, period, "August's bed days.", "analyst.jo"
    )
    commentary.approve(pack_settings, written.id, "admin.sam")
    renewed = viewer.get(url)
    assert renewed.headers[PACK_ID_HEADER] != first.headers[PACK_ID_HEADER]
    assert "August&#39;s bed days." in renewed.text
    assert len(pack_store.list_packs(pack_settings)) == count + 2


def test_a_snapshot_that_may_not_be_read_is_refused_as_downloads_refuse_it(app, pack_settings):
    viewer = client_of(app, "hollinsdale")
    before = pack_store.list_packs(pack_settings)
    unknown = "snapshot-20000101T000000000000Z"
    pack = viewer.get(pack_url(HOLLINSDALE) + f"&snapshot={unknown}")
    download = viewer.get(f"/download/board.csv?area={HOLLINSDALE}&snapshot={unknown}")
    sentence = access.NOT_DOWNLOADABLE.format(version=unknown)
    assert pack.status_code == download.status_code == 404
    assert download.text == sentence
    assert sentence.replace("'", "&#39;") in pack.text
    assert pack_store.list_packs(pack_settings) == before


def test_the_link_in_a_pack_never_comes_from_the_request_host(app):
    client = app.server.test_client()
    client.environ_base["HTTP_HOST"] = "attacker.example"  # every request, sign-in too
    assert sign_in(client, "hollinsdale", PASSWORD).status_code == 302
    response = client.get(pack_url(HOLLINSDALE, when="2026-06-01"))
    assert response.status_code == 200
    assert "attacker.example" not in response.text
    assert 'id="snapshot-link" href="/?snapshot=' in response.text
