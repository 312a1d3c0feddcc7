"""The Alerts page on the server: a viewer subscribes within their scope (a crafted org
outside it is refused with one sentence, nothing stored), removes a subscription, sets an
e-mail address (checked, and mailed only once its owner opens the one-time link sent to
it, signed in), and reads digests: unread ones are marked New and counted in the
navigation, opening one marks it read, and another user's digest cannot be opened. The
Snapshots page's release writes the digests and never waits on the mail server."""

from __future__ import annotations

import json
import shutil
import socket
import threading

import pytest
from aiosmtpd.controller import Controller

from dashboard import session, users
from dashboard.app import create_app
from metrics import serving
from tests.dashboard.test_security import route, sign_in
from tests.dashboard.test_snapshot_pages import press_release
from tests.wholesystem.test_alerts import Inbox, confirmation_link, free_port, with_mail
from wholesystem import alerts, alerts_store, mailer
from wholesystem.settings import Settings

PASSWORD = "Kestrel-Lantern-4471"
ACT = "..alerts-message.children...alerts-subscriptions.children.."
OPEN = "..alerts-digest.children...alerts-digests.children...nav-alerts.children.."
REAL_SCOPE = session.current_scope  # the pages' conftest makes every test whole-system
ITEM = {
    "metric_id": "dm_bp_control", "title": "Diabetes BP control", "org_code": "X20011",
    "org_name": "Redburn Surgery", "month": "2026-10-01", "kind": "threshold",
    "text": "fell below the upper threshold (the target) of 90%: worse", "value": "85.0%",
    "link": "/indicator/dm_bp_control?level=practice&org=X20011",
}  # fmt: skip


@pytest.fixture(scope="module")
def serving_copy(published_sample, tmp_path_factory):
    # A copy: the Snapshots page's release rewrites the pointer.
    folder = tmp_path_factory.mktemp("alerts_page") / "serving"
    shutil.copytree(published_sample.serving_dir, folder)
    return folder


@pytest.fixture
def settings(serving_copy, tmp_path, monkeypatch) -> Settings:
    monkeypatch.setattr(session, "current_scope", REAL_SCOPE)  # each user's own scope
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(serving_copy)
    settings = Settings(data_dir=data_dir, secret_key="test-secret")
    users.add_user(settings, "nina", "viewer", "network:U92003", PASSWORD)
    users.add_user(settings, "vic", "viewer", None, PASSWORD)
    users.add_user(settings, "adam", "admin", None, PASSWORD)
    return settings


@pytest.fixture
def app(settings):
    return create_app(settings)


def client_of(app, name: str):
    client = app.server.test_client()
    assert sign_in(client, name, PASSWORD).status_code == 302
    return client


def press(client, button: str, metric="dm_bp_control", org="X20011", email="", remove=()):
    """The act callback as the browser sends it: `button` pressed, or a Remove button's
    index in `remove` pressed."""
    removes = [{"id": {"type": "alerts-remove", "index": key}, "property": "n_clicks",
                "value": 1} for key in remove]  # fmt: skip
    changed = "alerts-subscribe.n_clicks" if button == "alerts-subscribe" else (
        f"{button}.n_clicks" if not remove else json.dumps(
            {"index": remove[0], "type": "alerts-remove"}, separators=(",", ":")
        ) + ".n_clicks"
    )  # fmt: skip
    outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
               for p in ACT.strip(".").split("...")]  # fmt: skip
    body = {
        "output": ACT, "outputs": outputs,
        "inputs": [
            {"id": "alerts-subscribe", "property": "n_clicks",
             "value": int(button == "alerts-subscribe")},
            {"id": "alerts-save-email", "property": "n_clicks",
             "value": int(button == "alerts-save-email")},
            removes,
        ],
        "state": [
            {"id": "alerts-metric", "property": "value", "value": metric},
            {"id": "alerts-org", "property": "value", "value": org},
            {"id": "alerts-email", "property": "value", "value": email},
        ],
        "changedPropIds": [changed],
    }  # fmt: skip
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.text[:300]
    return response.text


def open_digest(client, digest_id: int) -> str:
    button = {"index": digest_id, "type": "alerts-open"}
    outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
               for p in OPEN.strip(".").split("...")]  # fmt: skip
    body = {
        "output": OPEN, "outputs": outputs,
        "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
        "changedPropIds": [json.dumps(button, separators=(",", ":")) + ".n_clicks"],
    }  # fmt: skip
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.text[:300]
    return response.text


def test_a_viewer_subscribes_within_scope_and_unsubscribes(app, settings):
    nina = client_of(app, "nina")
    assert "Subscribed." in press(nina, "alerts-subscribe")
    assert "You already subscribe to that." in press(nina, "alerts-subscribe")
    (mine,) = alerts_store.subscriptions(settings, "nina")
    assert (mine.metric_id, mine.org_code) == ("dm_bp_control", "X20011")
    page = route(nina, "/alerts")
    assert "Redburn Surgery" in page and "Coastline PCN (Network)" in page
    assert "Hollinsdale Coast (Locality)" not in page  # a benchmark above, not theirs
    assert "Westfield Medical Centre" not in page  # a practice of another network
    assert "Subscription removed." in press(nina, "", remove=["dm_bp_control|X20011"])
    assert alerts_store.subscriptions(settings, "nina") == []


def test_a_crafted_org_outside_scope_or_unknown_indicator_is_refused(app, settings):
    nina = client_of(app, "nina")
    refused = press(nina, "alerts-subscribe", org="X10011")
    assert "You cannot subscribe to 'X10011': it is not in your scope." in refused
    above = press(nina, "alerts-subscribe", org="HDC")  # visible as a benchmark only
    assert "You cannot subscribe to 'HDC': it is not in your scope." in above
    assert "There is no indicator 'bogus'." in press(nina, "alerts-subscribe", metric="bogus")
    assert alerts_store.subscriptions(settings, "nina") == []


def test_with_email_off_no_address_is_saved(app, settings):
    nina = client_of(app, "nina")
    refused = press(nina, "alerts-save-email", email="nina@example.nhs.uk")
    assert (
        "E-mail is off on this server (no mail server is set), so no address can be "
        "confirmed; nothing was saved." in refused
    )
    assert users.email_of(settings, "nina") is None
    assert alerts_store.pending_confirmation(settings, "nina") is None
    assert "E-mail is off on this server" in route(nina, "/alerts")


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def test_an_address_is_confirmed_by_its_link_for_its_user_only(settings, smtp):
    controller, inbox = smtp
    settings = with_mail(settings, controller.port)
    app = create_app(settings)
    nina, vic = client_of(app, "nina"), client_of(app, "vic")
    refused = press(nina, "alerts-save-email", email="not an address")
    assert "'not an address' is not an e-mail address like name@example.nhs.uk." in refused
    assert inbox.messages == []
    saved = press(nina, "alerts-save-email", email="nina@example.nhs.uk")
    assert "A confirmation link was e-mailed to nina@example.nhs.uk: open it within a day" in saved
    assert "nina@example.nhs.uk is awaiting confirmation" in route(nina, "/alerts")
    path = confirmation_link(inbox, settings, "nina@example.nhs.uk").removeprefix(
        settings.public_url
    )
    assert app.server.test_client().get(path).location.startswith("/login?next=")
    assert vic.get(path).location == "/alerts?email=invalid"  # not vic's link
    assert users.confirmed_email_of(settings, "nina") is None
    assert nina.get(path).location == "/alerts?email=confirmed"
    assert users.confirmed_email_of(settings, "nina") == "nina@example.nhs.uk"
    page = route(nina, "/alerts", "?email=confirmed")
    assert "Your e-mail address is confirmed: digests will be e-mailed to it." in page
    assert "each digest is also sent to nina@example.nhs.uk (confirmed)." in page
    assert nina.get(path).location == "/alerts?email=invalid"  # used up
    assert "That confirmation link does not hold" in route(nina, "/alerts", "?email=invalid")


def test_unread_digests_are_marked_and_opening_one_marks_it_read(app, settings):
    first = alerts_store.write_digest(settings, "nina", "snapshot-a", None, "2026-09-01", [])
    second = alerts_store.write_digest(settings, "nina", "snapshot-b", "snapshot-a",
                                       "2026-10-01", [ITEM])  # fmt: skip
    nina = client_of(app, "nina")
    assert "Alerts (2 new)" in nina.get("/_dash-layout").text
    page = route(nina, "/alerts")
    assert page.count('"New"') == 2
    assert page.index("Release to October 2026: 1 change") < page.index(
        "Release to September 2026: nothing turned"
    )  # newest first
    opened = open_digest(nina, second)
    assert "Threshold crossed: " in opened and "Value: 85.0%." in opened
    link = "/indicator/dm_bp_control?level=practice&org=X20011"
    assert f'"href": "{link}"' in json.dumps(json.loads(opened))
    assert opened.count('"New"') == 1
    assert alerts_store.digest(settings, "nina", second).read_at is not None
    assert alerts_store.digest(settings, "nina", first).read_at is None
    assert '"nav-alerts":{"children":"Alerts (1 new)"}' in opened  # the menu follows
    assert "Alerts (1 new)" in nina.get("/_dash-layout").text


def test_another_users_digest_cannot_be_opened(app, settings):
    theirs = alerts_store.write_digest(settings, "vic", "snapshot-a", None, "2026-10-01", [ITEM])
    opened = open_digest(client_of(app, "nina"), theirs)
    assert "There is no such digest." in opened and "Redburn" not in opened
    assert alerts_store.digest(settings, "vic", theirs).read_at is None


def test_the_snapshots_page_release_writes_the_digests(app, settings):
    alerts_store.subscribe(settings, "nina", "dm_bp_control", "X20011")
    version = serving.released_version(settings)
    response = press_release(app, client_of(app, "adam"), version)
    assert response.status_code == 200 and "Released the snapshot of" in response.text
    (digest,) = alerts_store.digests(settings, "nina")
    assert digest.version == version and digest.last_month == "2026-10-01"


def test_the_release_page_never_waits_on_the_mail_server(settings, monkeypatch):
    # A mail server that takes the connection and never greets: each send would wait the
    # whole timeout (made long here); the release must answer without waiting on it.
    monkeypatch.setattr(mailer, "TIMEOUT_SECONDS", 60)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    settings = with_mail(settings, silent.getsockname()[1])
    users.set_email(settings, "nina", "nina@example.nhs.uk")
    users.confirm_email(settings, "nina", "nina@example.nhs.uk")
    alerts_store.subscribe(settings, "nina", "dm_bp_control", "X20011")
    app = create_app(settings)
    version = serving.released_version(settings)
    response = press_release(app, client_of(app, "adam"), version)
    assert response.status_code == 200 and "Released the snapshot of" in response.text
    (digest,) = alerts_store.digests(settings, "nina")  # written in the request
    (sender,) = [t for t in threading.enumerate() if t.name == alerts.SENDER_THREAD]
    assert sender.daemon and sender.is_alive()  # still waiting on the silent server
    assert digest.emailed_at is None
    silent.close()  # the waiting connection is reset: the send fails at once
    sender.join(30)
    assert not sender.is_alive()
    (digest,) = alerts_store.digests(settings, "nina")
    assert digest.emailed_at is None  # the failure is kept for `wholesystem alerts send`
    assert f"the mail server 127.0.0.1:{settings.smtp_port} " in digest.email_error
