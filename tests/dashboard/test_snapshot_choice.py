"""Which snapshot a read uses: `snapshot=` in the URL (or Dash's header), the user's default,
`access.reading`, and a viewer never receiving a draft's rows however they ask.

The released snapshot is the hand-built one of `snapshots.py` (N2's value 15.833333); the
draft is the same with every value doubled (N2: 31.666666).
"""

from __future__ import annotations

import flask
import pytest
from werkzeug.exceptions import Forbidden

from dashboard import access, roles
from dashboard.scope import Scope
from metrics import serving
from tests.dashboard.drafts import add_draft
from tests.dashboard.snapshots import build_snapshot
from wholesystem.errors import UserError

RELEASED, DRAFT = "snapshot-20261101T000000000000Z", "snapshot-20261201T120000000000Z"
OLD_VALUE, DRAFT_VALUE = 15.833333, 31.666666
WHOLE = Scope.whole_system()


@pytest.fixture
def settings(tmp_path):
    settings = build_snapshot(tmp_path / "data", RELEASED)
    add_draft(settings, RELEASED, DRAFT)
    access.configure(settings)
    return settings


@pytest.fixture
def request_as(monkeypatch):
    """Returns `use(role, url, headers)`: a request context for a signed-in user of a role."""
    app = flask.Flask(__name__)

    def use(role: str, url: str = "/", headers: dict | None = None):
        monkeypatch.setattr(roles, "current_role", lambda: role)
        return app.test_request_context(url, headers=headers or {})

    return use


def n2_value() -> float:
    frame = access.values(WHOLE, metric_ids=["m1"], org_codes=["N2"])
    return round(float(frame["value"].iloc[0]), 6)


def test_outside_a_request_reads_the_released_snapshot(settings):
    assert (access.shown_version(), access.shown_is_draft(), n2_value()) == (
        RELEASED, False, OLD_VALUE,
    )  # fmt: skip


@pytest.mark.parametrize("how", ["parameter", "header"])
def test_a_viewer_asking_for_a_draft_gets_the_released_rows(settings, request_as, how):
    url = f"/?snapshot={DRAFT}" if how == "parameter" else "/"
    headers = {access.SNAPSHOT_HEADER: DRAFT} if how == "header" else {}
    with request_as("viewer", url, headers):
        assert (access.shown_version(), access.shown_is_draft(), n2_value()) == (
            RELEASED, False, OLD_VALUE,
        )  # fmt: skip
        assert access.version() == RELEASED
        assert access.shown_notice() == (
            "That snapshot is not released yet, so this shows the released snapshot "
            f"{RELEASED}."  # the hand-built snapshot records no publication time
        )
        assert [entry.version for entry in access.kept_snapshots()] == [RELEASED]


def test_a_viewer_cannot_pin_a_draft_either(settings, request_as):
    with request_as("viewer"), pytest.raises(Forbidden), access.reading(DRAFT):
        access.values(WHOLE)


def test_access_itself_refuses_a_draft_to_a_viewer_whatever_chose_it(
    settings, request_as, monkeypatch
):
    # Were the choice ever to go wrong, the read itself still refuses.
    monkeypatch.setattr(access, "_shown", lambda: access.Shown(DRAFT, True))
    with request_as("viewer"), pytest.raises(Forbidden):
        access.values(WHOLE)


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_analysts_and_admins_see_the_newer_draft_by_default(settings, request_as, role):
    with request_as(role):
        assert (access.shown_version(), access.shown_is_draft(), n2_value()) == (
            DRAFT, True, DRAFT_VALUE,
        )  # fmt: skip
        assert access.shown_notice() is None
        assert [entry.version for entry in access.kept_snapshots()] == [DRAFT, RELEASED]


def test_snapshot_parameter_opens_an_older_snapshot_with_its_own_numbers(settings, request_as):
    with request_as("analyst", f"/indicator/m1?snapshot={RELEASED}"):
        assert (access.shown_version(), access.shown_is_draft(), n2_value()) == (
            RELEASED, False, OLD_VALUE,
        )  # fmt: skip


@pytest.mark.parametrize("bad", ["snapshot-20200101T000000000000Z", "../CURRENT", "x" * 500])
def test_an_unknown_version_shows_the_default_with_one_sentence(settings, request_as, bad):
    with request_as("analyst", "/", {access.SNAPSHOT_HEADER: bad}):
        assert access.shown_version() == DRAFT
        notice = access.shown_notice()
    assert notice == (
        f"There is no kept snapshot {bad[:80]!r}, so this shows the draft published "
        "1 Dec 2026 12:00."
    )


def test_a_release_makes_the_draft_every_users_default(settings, request_as):
    serving.release(settings, DRAFT, "admin-ann")
    with request_as("viewer"):
        assert (access.shown_version(), access.shown_is_draft(), n2_value()) == (
            DRAFT, False, DRAFT_VALUE,
        )  # fmt: skip


def test_reading_pins_a_version_for_the_pack_and_the_command_line(settings):
    with access.reading(DRAFT):
        assert (access.shown_version(), access.shown_is_draft(), n2_value()) == (
            DRAFT, True, DRAFT_VALUE,
        )  # fmt: skip
    assert n2_value() == OLD_VALUE
    with pytest.raises(UserError, match="there is no kept snapshot 'snapshot-2020'"):
        access.reading("snapshot-2020").__enter__()


def test_small_tables_are_cached_per_version(settings, request_as):
    with request_as("analyst", f"/?snapshot={RELEASED}"):
        access.indicators()
    with request_as("analyst", f"/?snapshot={DRAFT}"):
        access.indicators()
    cached = {key[1] for key in access._cache if key[2] == "indicators"}
    assert cached == {RELEASED, DRAFT}
