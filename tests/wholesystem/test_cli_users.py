"""The command line's dashboard side: `users`, `serve`, and the end of `demo`
(sign-in line, then serving), with the server replaced by a recorder."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest

from dashboard import users
from wholesystem.cli import main
from wholesystem.settings import Settings


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty data directory named by the environment, and no secret key."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("WHOLESYSTEM_SECRET_KEY", raising=False)
    return tmp_path / "data"


@pytest.fixture
def published_dir(data_dir, published_sample):
    """The data directory, seeing the shared sample snapshot (users are written here)."""
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(published_sample.serving_dir)
    return data_dir


@pytest.fixture
def served(monkeypatch) -> list:
    """Records (app, host, port) instead of running the development server."""
    calls = []
    monkeypatch.setattr("wholesystem.cli.run_server", lambda *call: calls.append(call))
    return calls


def test_users_add_prints_a_generated_password_once(data_dir, capsys):
    assert main(["users", "add", "ann", "--role", "analyst", "--scope", "locality:L1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "added ann: analyst, locality:L1"
    password = re.fullmatch(
        r"password: (\S{20})  \(shown once; only its hash is stored\)", lines[1]
    )
    user = users.authenticate(Settings(data_dir=data_dir), "ann", password.group(1))
    assert (user.role, str(user.scope)) == ("analyst", "locality:L1")


def test_users_add_reads_the_password_from_stdin(data_dir, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a long pass phrase\n"))
    assert main(["users", "add", "bob", "--role", "viewer", "--password-stdin"]) == 0
    assert capsys.readouterr().out == "added bob: viewer, whole system\n"
    assert users.authenticate(Settings(data_dir=data_dir), "bob", "a long pass phrase")


@pytest.mark.parametrize("command", [["add", "bob", "--role", "viewer"], ["set-password", "bob"]])
@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password", "a password needs at least 12 characters"),
        ("12345678", "a password needs at least 12 characters"),
        (" " * 8, "a password needs at least 12 characters"),
        ("password1234", "this password is too easy to guess (this is a very common password)"),
        ("my name is bob", "a password must not contain the user name"),
    ],
)
def test_users_refuse_a_weak_password_in_one_sentence_changing_nothing(
    data_dir, capsys, monkeypatch, command, password, reason
):
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    if command[0] == "set-password":
        main(["users", "add", "bob", "--role", "viewer", "--password-stdin"])
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    assert main(["users", *command, "--password-stdin"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"wholesystem users: {reason}") and error.count("\n") == 1
    known = users.list_users(Settings(data_dir=data_dir))
    assert [user.name for user in known] == (["bob"] if command[0] == "set-password" else [])
    assert all(user.session_epoch == 0 for user in known)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["ann", "--role", "admin"], "a user named 'ann' already exists"),
        (["bob", "--role", "owner"], "role 'owner' is not one of admin, analyst, viewer"),
        (["bob", "--role", "admin", "--scope", "ward:W1"], "scope 'ward:W1' is not LEVEL:CODE"),
    ],
)
def test_users_add_refuses_with_one_line_and_exit_2(data_dir, capsys, arguments, message):
    main(["users", "add", "ann", "--role", "admin"])
    capsys.readouterr()
    assert main(["users", "add", *arguments]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"wholesystem users: {message}")
    assert error.count("\n") == 1


def test_users_add_names_an_org_the_snapshot_does_not_hold(published_dir, capsys):
    assert main(["users", "add", "ann", "--role", "viewer", "--scope", "locality:XYZ"]) == 2
    assert capsys.readouterr().err == (
        "wholesystem users: org code 'XYZ' is not in the published snapshot\n"
    )
    assert main(["users", "add", "ann", "--role", "viewer", "--scope", "locality:HDC"]) == 0


def test_users_list_and_set_password(data_dir, capsys, monkeypatch):
    main(["users", "add", "bob", "--role", "viewer", "--scope", "practice:P1"])
    main(["users", "add", "ann", "--role", "admin"])
    capsys.readouterr()
    assert main(["users", "list"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [row[:3] for row in rows] == [
        ["ann", "admin", "whole system"], ["bob", "viewer", "practice:P1"]
    ]  # fmt: skip
    monkeypatch.setattr("sys.stdin", io.StringIO("another pass phrase\n"))
    assert main(["users", "set-password", "bob", "--password-stdin"]) == 0
    assert capsys.readouterr().out == "new password for bob; every session they had has ended\n"
    user = users.authenticate(Settings(data_dir=data_dir), "bob", "another pass phrase")
    assert user.session_epoch == 1


def test_serve_refuses_before_anything_is_published(data_dir, capsys, served):
    assert main(["serve"]) == 2
    assert capsys.readouterr().err == (
        f"wholesystem serve: nothing is published under {data_dir / 'serving'}; "
        "run `wholesystem publish` first\n"
    )
    assert served == []


def test_serve_refuses_a_public_address_without_a_secret_key(published_dir, capsys, served):
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    assert capsys.readouterr().err == (
        "wholesystem serve: WHOLESYSTEM_SECRET_KEY is not set; set it to serve on 0.0.0.0 "
        "(only 127.0.0.1 or localhost may use a temporary key)\n"
    )
    assert served == []


def test_serve_on_localhost_makes_a_temporary_key(published_dir, capsys, served):
    assert main(["serve", "--port", "8123"]) == 0
    [(app, host, port)] = served
    assert (host, port) == ("127.0.0.1", 8123)
    assert len(app.server.secret_key) == 64
    assert "note: a temporary secret key" in capsys.readouterr().err
    assert app.server.test_client().get("/_dash-layout").status_code == 401


def test_serve_on_a_public_address_uses_the_secret_key(published_dir, monkeypatch, served):
    monkeypatch.setenv("WHOLESYSTEM_SECRET_KEY", "from-the-environment")
    assert main(["serve", "--host", "0.0.0.0"]) == 0
    [(app, host, port)] = served
    assert (app.server.secret_key, host, port) == ("from-the-environment", "0.0.0.0", 8050)


def test_serve_refuses_a_bad_port(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--port", "70000"])
    assert exit_info.value.code == 2
    assert "argument --port: '70000' is not a port number (1-65535)" in capsys.readouterr().err


@pytest.fixture
def demo_already_published(published_dir, monkeypatch):
    """`demo` with its sample, load, status and publish steps skipped: only its end runs."""
    monkeypatch.setattr("sample_data.generate.generate", lambda *args, **kwargs: {})
    monkeypatch.setattr("etl.load.load_files", lambda *args, **kwargs: [])
    monkeypatch.setattr("etl.summary.print_summary", lambda results: None)
    monkeypatch.setattr("wholesystem.cli._status", lambda arguments: 0)
    published = SimpleNamespace(version="snapshot-20261206T001500000000Z", seconds=41.5)
    monkeypatch.setattr("wholesystem.cli._publish_snapshot", lambda arguments: published)
    return published_dir


def test_demo_prints_a_demo_admin_password_then_serves_on_8050(
    demo_already_published, capsys, served
):
    assert main(["demo"]) == 0
    password = re.search(
        r"^Sign in at http://127\.0\.0\.1:8050 as demo-admin with password (\S{20})$",
        capsys.readouterr().out,
        re.MULTILINE,
    ).group(1)
    user = users.authenticate(Settings(data_dir=demo_already_published), "demo-admin", password)
    assert (user.role, user.scope.is_whole_system) == ("admin", True)
    [(app, host, port)] = served
    assert (host, port) == ("127.0.0.1", 8050)


def test_demo_again_resets_the_password_and_no_serve_stops(demo_already_published, capsys, served):
    main(["demo", "--no-serve"])
    main(["demo", "--no-serve"])
    passwords = re.findall(r"with password (\S+)$", capsys.readouterr().out, re.MULTILINE)
    settings = Settings(data_dir=demo_already_published)
    assert len(set(passwords)) == 2
    assert users.authenticate(settings, "demo-admin", passwords[0]) is None
    assert users.authenticate(settings, "demo-admin", passwords[1]).name == "demo-admin"
    assert served == []


def test_ctrl_c_stops_serve_without_an_error(published_dir, capsys, monkeypatch):
    def interrupted(app, host, port):
        raise KeyboardInterrupt

    monkeypatch.setattr("wholesystem.cli.run_server", interrupted)
    assert main(["serve"]) == 0
    assert capsys.readouterr().out.endswith("stopped\n")
