"""Alert digests on a hand-built series: the sample's snapshot with two practices' blood
pressure control (dm_bp_control, TOML thresholds 38% and 90%) set to known values in
September and October 2026, so what turns in October is worked out by hand. Digests are
scoped, never name a suppressed value, are written once per (user, release), only by a
release (not a draft publish), and are e-mailed through a real local SMTP server."""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import socket
from dataclasses import replace
from datetime import date
from types import SimpleNamespace

import duckdb
import pytest
from aiosmtpd.controller import Controller

from dashboard import access, users
from metrics import serving
from wholesystem import alerts, alerts_store, cli, targets
from wholesystem.settings import Settings
from wholesystem.targets import TargetSpec

PASSWORD = "Kestrel-Lantern-4471"
METRIC, SHOWN, HIDDEN, ELSEWHERE = "dm_bp_control", "X20011", "X20012", "X10011"
SEP, OCT = date(2026, 9, 1), date(2026, 10, 1)
SECRET_VALUE = 77.7123  # the suppressed October value: must appear nowhere
# (org, month): value, mean, lower limit, upper limit, rule, point type, suppressed
POINTS = {
    (SHOWN, SEP): (91.0, 95.0, 91.0, 99.0, None, "common_cause", False),
    (SHOWN, OCT): (85.0, 88.0, 80.0, 95.0, "outside_limits", "concern", False),
    (HIDDEN, SEP): (70.0, 60.0, 50.0, 70.5, None, "common_cause", False),
    (HIDDEN, OCT): (SECRET_VALUE, 80.0, 75.0, 96.0, None, "common_cause", True),
}


@pytest.fixture(scope="module")
def serving_dir(published_sample, tmp_path_factory):
    """A copy of the published sample's serving folder with the hand-built points."""
    folder = tmp_path_factory.mktemp("alerts") / "serving"
    shutil.copytree(published_sample.serving_dir, folder)
    version = serving.released_version(published_sample)
    with duckdb.connect(str(folder / f"{version}.duckdb")) as connection:
        for (org, month), point in POINTS.items():
            connection.execute(
                "UPDATE spc_points SET value = ?, mean = ?, lower_limit = ?, upper_limit = ?,"
                " rule = ?, point_type = ?, suppressed = ? WHERE metric_id = ? AND org_code = ?"
                " AND segment = 'all' AND period_start = ?",
                [*point, METRIC, org, month],
            )
    return folder


@pytest.fixture
def settings(serving_dir, tmp_path) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(serving_dir)
    settings = Settings(data_dir=data_dir, secret_key="test-secret")
    access.configure(settings)
    users.add_user(settings, "nina", "viewer", "network:U92003", PASSWORD)
    return settings


def version_of(settings) -> str:
    return serving.released_version(settings)


def subscribe_all(settings, user="nina") -> None:
    for org in (SHOWN, HIDDEN, ELSEWHERE):  # ELSEWHERE is outside nina's network
        alerts_store.subscribe(settings, user, METRIC, org)


def set_trajectory(settings) -> None:
    """Planned 88% in September (91% meets it) and October (85% misses it)."""
    spec = TargetSpec(METRIC, SHOWN, lower=38.0, upper=90.0,
                      trajectory={SEP: 88.0, OCT: 88.0}, reason="network plan")  # fmt: skip
    targets.add_target(settings, spec, "ana")


def test_a_release_writes_the_items_worked_by_hand(settings):
    subscribe_all(settings)
    set_trajectory(settings)
    assert alerts.after_release(settings, version_of(settings)) == 1
    (digest,) = alerts_store.digests(settings, "nina")
    assert (digest.version, digest.previous_version, digest.last_month) == (
        version_of(settings),
        None,
        "2026-10-01",
    )
    texts = [(item["org_code"], item["kind"], item["text"], item["value"]) for item in digest.items]
    assert texts == [
        # 91% -> 85%: the October point is outside the limits, the September one was not
        (SHOWN, "special_cause", "a new special cause of concern (a point outside the "
         "process limits)", "85.0%"),
        # limits 91-99% all meet 90% (pass); 80-95% straddle it (inconsistent)
        (SHOWN, "assurance", "assurance changed from consistently meeting the target to "
         "sometimes meeting the target", "85.0%"),
        # 91% -> 85% with thresholds 38% and 90%: below the upper threshold, not the lower
        (SHOWN, "threshold", "fell below the upper threshold (the target) of 90%: worse", "85.0%"),
        # planned 88%: 91% met it in September, 85% misses it in October
        (SHOWN, "trajectory", "newly off trajectory (planned 88.0%)", "85.0%"),
        # HIDDEN's limits turn from 50-70.5% (all miss 90%) to 75-96% (straddle it), but its
        # October point is suppressed, so, as on the pages, no assurance is said
    ]  # fmt: skip
    first = digest.items[0]
    assert (first["title"], first["org_name"], first["month"]) == (
        access.indicator(METRIC)["title"],
        "Redburn Surgery",
        "2026-10-01",
    )
    assert first["link"] == f"/indicator/{METRIC}?level=practice&org={SHOWN}"


def test_nothing_names_or_implies_a_suppressed_value(settings):
    subscribe_all(settings)
    alerts.after_release(settings, version_of(settings))
    (digest,) = alerts_store.digests(settings, "nina")
    hidden = [item for item in digest.items if item["org_code"] == HIDDEN]
    # nothing at all: no crossing or trajectory, which would need the suppressed value,
    # and no assurance change (its limits did change), as the pages show no assurance
    # icon for a suppressed month; and no figure of it anywhere
    assert hidden == []
    everything = json.dumps(digest.items) + "".join(alerts.bodies(settings, digest))
    assert "77.7" not in everything and "77.71" not in everything


def test_an_org_outside_the_scope_gives_nothing(settings):
    subscribe_all(settings)
    alerts.after_release(settings, version_of(settings))
    (digest,) = alerts_store.digests(settings, "nina")
    assert {item["org_code"] for item in digest.items} == {SHOWN}


def test_a_digest_is_written_once_per_user_and_release(settings):
    subscribe_all(settings)
    version = version_of(settings)
    assert alerts.after_release(settings, version) == 1
    assert alerts.after_release(settings, version) == 0
    assert len(alerts_store.digests(settings, "nina")) == 1


def test_nothing_turned_is_still_a_digest(settings):
    alerts_store.subscribe(settings, "nina", "imm_dtap_8m", "U92003")
    alerts.after_release(settings, version_of(settings))
    (digest,) = alerts_store.digests(settings, "nina")
    assert digest.items == []
    text, html = alerts.bodies(settings, digest)
    assert alerts.NOTHING in text and alerts.NOTHING in html


def test_months_since_the_previous_digest_are_each_compared(settings):
    subscribe_all(settings)
    alerts_store.write_digest(settings, "nina", "snapshot-older", None, "2026-08-01", [])
    alerts.after_release(settings, version_of(settings))
    digest = alerts_store.digests(settings, "nina")[0]
    assert digest.previous_version == "snapshot-older"
    months = [date(2026, m, 1) for m in range(1, 11)]
    assert alerts.judged_months(months, date(2026, 8, 1)) == [SEP, OCT]
    assert alerts.judged_months(months, date(2026, 10, 1)) == []  # nothing newer
    assert alerts.judged_months(months, date(2026, 11, 1)) == []
    assert alerts.judged_months(months, None) == [OCT]
    # September against August (42.6%, limits 39.2-45.4%, common cause, in the sample):
    # 91% crosses the 90% target, and limits 91-99% turn the assurance from fail to pass
    september = [(i["org_code"], i["text"]) for i in digest.items if i["month"] == "2026-09-01"]
    assert september == [
        (SHOWN, "assurance changed from consistently missing the target to consistently "
         "meeting the target"),
        (SHOWN, "rose to or above the upper threshold (the target) of 90%: better"),
    ]  # fmt: skip
    # October: SHOWN's special cause, assurance and crossing (HIDDEN's is suppressed)
    assert len([i for i in digest.items if i["month"] == "2026-10-01"]) == 3


@pytest.mark.parametrize("newer_month", ["2026-10-01", "2026-11-01"])
def test_releasing_an_older_snapshot_again_writes_no_digest(settings, newer_month):
    # The user's last digest is of a later release (to October, or November); this one,
    # to October, holds no month after it, so nothing is written, not a stale "turned".
    subscribe_all(settings)
    alerts_store.write_digest(settings, "nina", "snapshot-newer", None, newer_month, [])
    assert alerts.after_release(settings, version_of(settings)) == 0
    assert [d.version for d in alerts_store.digests(settings, "nina")] == ["snapshot-newer"]


def test_no_assurance_item_where_the_months_point_is_suppressed(settings):
    alerts_store.subscribe(settings, "nina", METRIC, HIDDEN)
    alerts.after_release(settings, version_of(settings))
    (digest,) = alerts_store.digests(settings, "nina")
    assert digest.items == []
    # the same limits with the October point shown: the assurance change is said
    point = {"suppressed": False, "value": 80.0, "month": OCT, "lower_limit": 75.0,
             "upper_limit": 96.0}  # fmt: skip
    then = {**point, "month": SEP, "lower_limit": 50.0, "upper_limit": 70.5}
    indicator = {"id": METRIC, **access.indicator(METRIC)}
    book = alerts.targets_live.book()
    assert alerts._assurance(indicator, HIDDEN, point, then, book) == (
        "assurance",
        "assurance changed from consistently missing the target to sometimes meeting the target",
    )
    assert alerts._assurance(indicator, HIDDEN, {**point, "suppressed": True}, then, book) is None


def test_a_draft_publish_writes_no_digest_and_a_release_does(settings, monkeypatch, capsys):
    subscribe_all(settings)
    version = version_of(settings)
    monkeypatch.setattr(cli, "load_settings", lambda: settings)
    result = SimpleNamespace(version=version, rows=1, suppressed=0, series=1, seconds=0.1,
                             path="x", draft=True, removed=[], notes=[])  # fmt: skip
    monkeypatch.setattr("metrics.publish.publish", lambda *a, **k: result)
    assert cli.main(["publish", "--draft"]) == 0
    assert alerts_store.digests(settings, "nina") == []
    assert cli.main(["release", version]) == 0
    assert len(alerts_store.digests(settings, "nina")) == 1
    assert "alerts: wrote 1 alert digest(s)" in capsys.readouterr().err


def test_a_publish_that_releases_writes_the_digest(settings, monkeypatch):
    subscribe_all(settings)
    monkeypatch.setattr(cli, "load_settings", lambda: settings)
    result = SimpleNamespace(version=version_of(settings), rows=1, suppressed=0, series=1,
                             seconds=0.1, path="x", draft=False, removed=[], notes=[])  # fmt: skip
    monkeypatch.setattr("metrics.publish.publish", lambda *a, **k: result)
    assert cli.main(["publish"]) == 0
    (digest,) = alerts_store.digests(settings, "nina")
    assert digest.version == version_of(settings)


class Inbox:
    """aiosmtpd's handler: keeps every message received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def with_mail(settings, port: int) -> Settings:
    return replace(
        settings, smtp_host="127.0.0.1", smtp_port=port, smtp_from="alerts@example.nhs.uk",
        public_url="https://ws.example.nhs.uk",
    )  # fmt: skip


def test_the_digest_is_emailed_through_a_real_smtp_server(settings, smtp):
    controller, inbox = smtp
    settings = with_mail(settings, controller.port)
    users.set_email(settings, "nina", "nina@example.nhs.uk")
    users.confirm_email(settings, "nina", "nina@example.nhs.uk")
    subscribe_all(settings)
    set_trajectory(settings)
    assert alerts.after_release(settings, version_of(settings)) == 1
    (envelope,) = inbox.messages
    assert envelope.mail_from == "alerts@example.nhs.uk"
    assert envelope.rcpt_tos == ["nina@example.nhs.uk"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "wholesystem alerts: 4 changes in the release to October 2026"
    text = message.get_body(("plain",)).get_content()
    assert "Redburn Surgery, October 2026: newly off trajectory (planned 88.0%). Value: 85.0%." in (
        text
    )
    assert f"https://ws.example.nhs.uk/indicator/{METRIC}?level=practice&org={SHOWN}" in text
    assert "Your alerts page: https://ws.example.nhs.uk/alerts" in text
    assert "77.7" not in envelope.content.decode()
    assert "<li>" in message.get_body(("html",)).get_content()
    (digest,) = alerts_store.digests(settings, "nina")
    assert digest.emailed_at is not None and digest.email_error is None


def test_smtp_down_is_recorded_and_the_release_still_stands(settings, monkeypatch, capsys):
    settings = with_mail(settings, free_port())  # nothing listens there
    users.set_email(settings, "nina", "nina@example.nhs.uk")
    users.confirm_email(settings, "nina", "nina@example.nhs.uk")
    subscribe_all(settings)
    monkeypatch.setattr(cli, "load_settings", lambda: settings)
    version = version_of(settings)
    assert cli.main(["release", version]) == 0
    assert serving.released_version(settings) == version
    (digest,) = alerts_store.digests(settings, "nina")
    assert digest.emailed_at is None
    assert digest.email_error.startswith("cannot reach the mail server 127.0.0.1:")
    # `alerts send` tries again, and says it failed
    assert cli.main(["alerts", "send", "--version", version]) == 1
    assert "sent 0 alert e-mail(s); 1 failed" in capsys.readouterr().out


def test_an_alert_failure_never_fails_the_release(settings, monkeypatch, capsys):
    subscribe_all(settings)
    monkeypatch.setattr(cli, "load_settings", lambda: settings)

    def broken(*_):
        raise RuntimeError("disk full")

    monkeypatch.setattr(alerts, "_after_release", broken)
    assert cli.main(["release", version_of(settings)]) == 0
    assert "alerts: the release stands, but its alert digests could not be written (disk " in (
        capsys.readouterr().err
    )


def test_alerts_send_without_smtp_is_one_sentence(settings, monkeypatch, capsys):
    monkeypatch.setattr(cli, "load_settings", lambda: settings)
    assert cli.main(["alerts", "send"]) == 2
    assert capsys.readouterr().err == (
        "wholesystem alerts: e-mail is off: set WHOLESYSTEM_SMTP_HOST to send alert digests\n"
    )


def test_an_email_address_is_checked(settings):
    users.set_email(settings, "nina", " nina@example.nhs.uk ")
    assert users.email_of(settings, "nina") == "nina@example.nhs.uk"
    with pytest.raises(Exception, match="'nina@' is not an e-mail address"):
        users.set_email(settings, "nina", "nina@")
    assert users.email_of(settings, "nina") == "nina@example.nhs.uk"


def confirmation_link(inbox, settings, to: str) -> str:
    """The link of the one confirmation e-mail in the inbox, sent to `to`."""
    (envelope,) = [e for e in inbox.messages if e.rcpt_tos == [to]]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == alerts.CONFIRM_SUBJECT
    text = message.get_body(("plain",)).get_content()
    (link,) = [line for line in text.splitlines() if "/alerts/confirm/" in line]
    assert link.startswith(f"{settings.public_url}{alerts.CONFIRM_PATH}/")
    assert link in message.get_body(("html",)).get_content()
    return link


def test_an_unconfirmed_address_is_sent_nothing_until_its_link_is_opened(settings, smtp):
    controller, inbox = smtp
    settings = with_mail(settings, controller.port)
    users.add_user(settings, "mal", "viewer", None, PASSWORD)
    address = users.set_email(settings, "nina", "nina@example.nhs.uk")
    alerts.request_confirmation(settings, "nina", address)
    token = confirmation_link(inbox, settings, address).rsplit("/", 1)[1]
    subscribe_all(settings)
    alerts.after_release(settings, version_of(settings))
    assert alerts.send_unsent(settings) == (0, 0)  # awaiting confirmation: nothing sent
    assert [e.rcpt_tos for e in inbox.messages] == [[address]]  # the confirmation only
    stored = alerts_store.side_store.read(settings, "SELECT * FROM alert_email_confirmations")
    assert [row["token_hash"] for row in stored] != [token] and token not in str(
        [dict(row) for row in stored]
    )  # only its hash is kept
    assert alerts.confirm(settings, "mal", token) is None  # another user's link: nothing
    assert alerts.confirm(settings, "nina", "not-the-token") is None
    assert users.confirmed_email_of(settings, "nina") is None
    assert alerts.confirm(settings, "nina", token) == address
    assert alerts.confirm(settings, "nina", token) is None  # one use
    assert alerts.send_unsent(settings) == (1, 0)
    assert inbox.messages[-1].rcpt_tos == [address]
    users.set_email(settings, "nina", f" {address} ")  # the same address stays confirmed
    assert users.confirmed_email_of(settings, "nina") == address
    # a new address awaits its own confirmation; the digests stop going to the old one
    users.set_email(settings, "nina", "nina.new@example.nhs.uk")
    assert users.confirmed_email_of(settings, "nina") is None


def test_a_confirmation_link_expires_after_a_day(settings, monkeypatch):
    address = users.set_email(settings, "nina", "nina@example.nhs.uk")
    monkeypatch.setattr(alerts_store, "CONFIRMATION_LIFETIME", -alerts_store.CONFIRMATION_LIFETIME)
    token = alerts_store.start_confirmation(settings, "nina", address)  # expired yesterday
    assert alerts_store.pending_confirmation(settings, "nina") is None
    assert alerts.confirm(settings, "nina", token) is None
    assert users.confirmed_email_of(settings, "nina") is None
