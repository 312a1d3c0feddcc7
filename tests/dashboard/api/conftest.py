"""Shared fixtures of the API tests: the real app on the published sample, four users of
different roles and scopes, and a token for each."""

from __future__ import annotations

from dataclasses import dataclass

import flask
import pytest

from dashboard import access, users
from dashboard.app import create_app
from wholesystem import api_tokens
from wholesystem.settings import Settings

PASSWORD = "Quiet-Harbour-Lantern-42"
LOCALITY = "HDC"  # Hollinsdale Coast: networks U92003 and U92004
NETWORK = "U92003"  # Coastline PCN, in HDC
OUTSIDE = "TBC"  # a locality of the other area
# name: (role, scope)
PEOPLE = {
    "admin": ("admin", None),
    "ana": ("analyst", f"network:{NETWORK}"),
    "lead": ("viewer", f"locality:{LOCALITY}"),
    "whole": ("viewer", None),
}


@dataclass(frozen=True)
class Person:
    name: str
    secret: str
    token_id: int

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.secret}"}


@pytest.fixture(scope="module")
def settings(published_sample, tmp_path_factory) -> Settings:
    data_dir = tmp_path_factory.mktemp("api") / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(published_sample.serving_dir)
    settings = Settings(data_dir=data_dir, secret_key="test-secret")
    for name, (role, scope) in PEOPLE.items():
        users.add_user(settings, name, role, scope, PASSWORD)
    return settings


@pytest.fixture(scope="module")
def people(settings) -> dict[str, Person]:
    made = {}
    for name in PEOPLE:
        token, secret = api_tokens.create(settings, name, f"{name}'s notebook", name)
        made[name] = Person(name, secret, token.id)
    return made


@pytest.fixture(scope="module")
def app(settings):
    previous = access.configured_settings() if access._reader is not None else None
    yield create_app(settings)
    if previous is not None:  # `access` reads one data directory per process
        access.configure(previous)


@pytest.fixture
def client(app):
    return app.server.test_client()


def as_user(app, settings, name: str, read, path: str = "/"):
    """What `read()` returns inside a request of the signed-in user `name` (the pages'
    reads), for comparing the API with what the pages show."""
    with app.server.test_request_context(path):
        flask.g._login_user = users.get_user(settings, name)
        return read()
