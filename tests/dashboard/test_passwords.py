"""The password policy: 12 characters or more, not the user's name, and not common or
trivial (zxcvbn's lists and pattern checks), applied wherever a password is set."""

from __future__ import annotations

import pytest

from dashboard import passwords, users
from wholesystem.errors import UserError
from wholesystem.settings import Settings

GUESSABLE = "this password is too easy to guess"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password", "a password needs at least 12 characters"),
        ("12345678", "a password needs at least 12 characters"),
        (" " * 8, "a password needs at least 12 characters"),
        ("", "a password needs at least 12 characters"),
        (" " * 12, "a password must not be only spaces"),
        ("x" * 257, "a password may have at most 256 characters"),
        ("annabel-smith-2026", "a password must not contain the user name"),
        ("ANNABEL-SMITH", "a password must not contain the user name"),
        ("password1234", GUESSABLE + " (this is a very common password)"),
        ("passwordpassword", GUESSABLE),
        ("123456789012", GUESSABLE),
        ("aaaaaaaaaaaa", GUESSABLE + ' (repeats like "aaa" are easy to guess)'),
        ("abcdefghijklmnop", GUESSABLE + ' (sequences like "abc" or "6543" are easy to guess)'),
        ("qwertyuiopasdf", GUESSABLE),
        ("iloveyou12345", GUESSABLE),
    ],
)
def test_common_and_trivial_passwords_are_refused_with_one_sentence(password, reason):
    refused = users.check_password("annabel-smith", password)
    assert refused is not None and refused.startswith(reason)
    assert "\n" not in refused


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery",
        "e2e-password-1",
        "tawny kettle orbit 42",
        "Überraschung im Gemüsegarten: sieben Kürbisse, ein Maulwurf namens Olaf, kein Zaun",
    ],
)
def test_long_unusual_passwords_are_accepted(password):
    assert users.check_password("annabel-smith", password) is None


def test_generated_passwords_always_pass(monkeypatch):
    assert all(users.check_password("ann", users.new_password("ann")) is None for _ in range(300))
    # A draw the policy refuses (here: the user name in it) is drawn again.
    draws = iter(["xxANNxxxxxxxxxxxxxxx", "aaaaaaaaaaaaaaaaaaaa", "Qm7-vT2pLk9_Zr4sWx8c"])
    monkeypatch.setattr(users.secrets, "token_urlsafe", lambda size: next(draws))
    assert users.new_password("ann") == "Qm7-vT2pLk9_Zr4sWx8c"


def test_the_minimum_length_follows_the_settings(tmp_path):
    settings = Settings(data_dir=tmp_path, password_min_length=16)
    assert users.check_password("ann", "tawny kettle 42", settings) == (
        "a password needs at least 16 characters"
    )
    assert users.check_password("ann", "tawny kettle orbit", settings) is None
    assert passwords.check_password("ann", "tawny kettle 42") is None  # 12 by default


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.mark.parametrize(
    "password", ["password", "12345678", " " * 8, "password1234", "ann-ann-ann-"]
)
def test_add_user_and_set_password_refuse_and_change_nothing(settings, password):
    with pytest.raises(UserError):
        users.add_user(settings, "ann", "admin", None, password)
    assert users.list_users(settings) == []
    users.add_user(settings, "ann", "admin", None, "correct horse battery")
    with pytest.raises(UserError):
        users.set_password(settings, "ann", password)
    assert users.authenticate(settings, "ann", "correct horse battery").session_epoch == 0
