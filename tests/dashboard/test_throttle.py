"""Sign-in throttling against a fake clock: growing delays refused without checking the
password, a 15-minute lock after ten failures (audited, listed for admins), per address
as well as per name, and the same answers and work whether or not the name exists."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from dashboard import throttle, users
from tests.dashboard.test_auth import PASSWORD, sign_in
from tests.dashboard.test_sessions import START, FakeClock, make_server
from wholesystem.settings import Settings

ALERT = re.compile(r'role="alert"[^>]*>([^<]*)<')
DELAYS = [0, 0, 1, 2, 4, 8, 16, 32, 60]  # the wait after each of the first nine failures


@pytest.fixture
def settings(tmp_path) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", secret_key="test")
    users.add_user(settings, "ann", "analyst", None, PASSWORD)
    return settings


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(settings, clock):
    return make_server(settings, clock).test_client()


def attempt(client, name: str, password: str = "wrong password", address: str = "10.0.0.1"):
    """One sign-in; returns (status, the alert sentence or None)."""
    client.environ_base["REMOTE_ADDR"] = address
    response = sign_in(client, name, password)
    alert = ALERT.findall(response.text)
    return response.status_code, alert[0] if alert else None


def fail_until_locked(client, clock, name: str) -> list:
    """Ten wrong passwords, each as soon as allowed; returns what each attempt and each
    too-early attempt answered."""
    answers = []
    for delay in [*DELAYS, None]:
        answers.append(attempt(client, name))
        if delay:
            answers.append(attempt(client, name))  # too early: refused, not checked
            clock.advance(minutes=delay / 60)
    return answers


def test_the_delays_grow_and_an_early_attempt_is_refused_unchecked(client, clock, settings):
    wrong = (401, "The user name or password is wrong.")
    assert [attempt(client, "ann") for _ in range(3)] == [wrong] * 3
    assert attempt(client, "ann", PASSWORD) == (
        429, "Too many failed sign-ins. Wait 1 second, then try again."
    )  # fmt: skip
    clock.advance(minutes=1 / 60)
    assert attempt(client, "ann") == wrong
    assert attempt(client, "ann")[1] == "Too many failed sign-ins. Wait 2 seconds, then try again."
    clock.advance(minutes=1 / 60)
    assert attempt(client, "ann")[0] == 429  # one second of the two still to wait
    events = [row["event"] for row in users.audit_log(settings)]
    assert (
        events
        == ["login_failed"] * 3 + ["login_throttled", "login_failed"] + ["login_throttled"] * 2
    )


def test_a_throttled_attempt_never_checks_the_password(client, clock, monkeypatch):
    for _ in range(3):
        attempt(client, "ann")
    monkeypatch.setattr(users, "check_password_hash", pytest.fail)
    assert attempt(client, "ann", PASSWORD)[0] == 429


def test_ten_failures_lock_the_name_for_15_minutes(client, clock, settings):
    answers = fail_until_locked(client, clock, "ann")
    assert [status for status, _ in answers].count(401) == 10
    locked_at = clock.now
    assert attempt(client, "ann", PASSWORD) == (
        429, "Too many failed sign-ins. Wait 15 minutes, then try again."
    )  # fmt: skip
    until = datetime.fromtimestamp(locked_at + 15 * 60, UTC).isoformat(timespec="seconds")
    assert users.locked_accounts(settings, clock.now) == [
        {"kind": "account", "key": "ann", "until": until, "failures": 10}
    ]
    assert [row["event"] for row in users.audit_log(settings)].count("account_locked") == 1
    clock.now = locked_at + 15 * 60 - 1
    assert attempt(client, "ann", PASSWORD)[0] == 429
    clock.now = locked_at + 15 * 60
    assert attempt(client, "ann", PASSWORD)[0] == 302


def test_a_good_sign_in_forgets_the_failures(client, clock):
    for _ in range(3):
        attempt(client, "ann")
    clock.advance(minutes=1)
    assert attempt(client, "ann", PASSWORD)[0] == 302
    client.post("/logout")  # no token: still signed in, which does not matter here
    client.delete_cookie("session")
    assert [attempt(client, "ann")[0] for _ in range(3)] == [401] * 3


def test_an_admin_can_lift_a_lock(client, clock, settings):
    fail_until_locked(client, clock, "ann")
    users.unlock_account(settings, "ann")
    assert throttle.locked(settings, clock.now) == []
    assert attempt(client, "ann", PASSWORD)[0] == 302


def test_an_unknown_name_gets_the_same_answers_and_the_same_work(client, clock, monkeypatch):
    hashed = []
    real_check = users.check_password_hash
    monkeypatch.setattr(
        users, "check_password_hash", lambda *args: hashed.append(1) or real_check(*args)
    )
    known = fail_until_locked(client, clock, "ann")
    known_hashes, hashed[:] = len(hashed), []
    clock.advance(hours=1)
    unknown = fail_until_locked(client, clock, "nobody")
    assert unknown == known
    assert len(hashed) == known_hashes == 10


def test_one_address_trying_many_names_is_slowed_then_locked(client, clock, settings):
    for number in range(20):
        assert attempt(client, f"user{number}", address="10.9.9.9")[0] == 401
    assert attempt(client, "ann", PASSWORD, address="10.9.9.9")[0] == 429
    assert attempt(client, "ann", PASSWORD, address="10.1.1.1")[0] == 302  # others go on
    client.delete_cookie("session")
    for number in range(20, 50):  # each as soon as allowed: 1, 2, 4, 8, then 10 seconds
        clock.advance(minutes=10 / 60)
        assert attempt(client, f"user{number}", address="10.9.9.9")[0] == 401
    assert [lock["kind"] for lock in throttle.locked(settings, clock.now)] == ["address"]
    refused = attempt(client, "someone", address="10.9.9.9")
    assert refused == (429, "Too many failed sign-ins. Wait 15 minutes, then try again.")
    assert [row["event"] for row in users.audit_log(settings)].count("address_locked") == 1


def test_failures_older_than_15_minutes_are_forgotten(settings):
    for minute in range(9):
        throttle.record_failure(settings, "ann", "10.0.0.1", START + minute * 60)
    assert throttle.wait_seconds(settings, "ann", "10.0.0.1", START + 9 * 60) == 0
    assert throttle.record_failure(settings, "ann", "10.0.0.1", START + 9 * 60) == ["account"]
    later = START + 9 * 60 + 15 * 60
    assert throttle.wait_seconds(settings, "ann", "10.0.0.1", later) == 0


@pytest.mark.parametrize(
    ("kind", "failures", "delay"),
    [("account", 0, 0), ("account", 2, 0), ("account", 3, 1), ("account", 4, 2),
     ("account", 8, 32), ("account", 9, 60), ("account", 40, 60),
     ("address", 19, 0), ("address", 20, 1), ("address", 23, 8), ("address", 24, 10)],
)  # fmt: skip
def test_the_delay_doubles_to_its_cap(kind, failures, delay):
    assert throttle.delay_after(kind, failures) == delay
