"""Serving snapshots under embargo: a draft never moves the pointer, a release moves it and
is recorded, and pruning keeps the released snapshot, a pending draft and every snapshot a
board pack refers to."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pytest

from metrics import serving
from metrics.publish import publish
from tests.metrics.published_system import add_deaths
from wholesystem import pack_store, release_store
from wholesystem.errors import UserError
from wholesystem.settings import Settings

OLD, MIDDLE, NEW, NEWEST = (f"snapshot-202611{day:02d}T000000000000Z" for day in (1, 2, 3, 4))


def write_snapshot(settings: Settings, version: str, *, draft: bool | None = None) -> None:
    """A snapshot file holding only `snapshot_info`; `draft` None writes the table as
    snapshots did before drafts existed (no draft or published_by column)."""
    settings.serving_dir.mkdir(parents=True, exist_ok=True)
    day = int(version[15:17])
    with duckdb.connect(str(serving.snapshot_path(settings, version))) as connection:
        extra = "" if draft is None else f", {draft} AS draft, 'ana' AS published_by"
        connection.execute(
            f"""CREATE TABLE snapshot_info AS SELECT '{version}' AS version,
                TIMESTAMP '2026-11-{day:02d} 09:30:00' AS created_at,
                DATE '2023-11-01' AS first_month, DATE '2026-10-01' AS last_month{extra}"""
        )


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def test_a_draft_publish_leaves_the_pointer_on_the_released_snapshot(system):
    add_deaths(system)
    released = system.publish()
    draft = publish(system.settings, today=date(2026, 11, 22), draft=True, published_by="ana")
    assert draft.draft and serving.current_version(system.settings) == released.version
    assert serving.released_version(system.settings) == released.version
    with duckdb.connect(str(draft.path), read_only=True) as snapshot:
        assert snapshot.execute("SELECT draft, published_by FROM snapshot_info").fetchone() == (
            True, "ana",
        )  # fmt: skip
    newest, older = serving.kept_versions(system.settings)
    assert (newest.version, newest.draft, newest.released_at) == (draft.version, True, None)
    assert (older.version, older.draft, older.released_by) == (released.version, False, "publish")
    assert older.released_at == older.created_at  # released as it was published


def test_release_moves_the_pointer_and_records_who_and_when(settings):
    write_snapshot(settings, OLD, draft=False)
    write_snapshot(settings, NEW, draft=True)
    serving.point_to(settings, OLD)
    entry = serving.release(settings, NEW, "admin-ann")
    assert serving.current_version(settings) == NEW
    assert (entry.version, entry.draft, entry.released_by) == (NEW, False, "admin-ann")
    assert entry.released_at is not None and entry.created_at == datetime(2026, 11, 3, 9, 30)
    [record] = release_store.latest_releases(settings).values()
    assert (record.version, record.released_by) == (NEW, "admin-ann")
    now = datetime.now(UTC).replace(tzinfo=None)
    assert abs((now - record.released_at).total_seconds()) < 60  # recorded now, in UTC
    assert [e.version for e in serving.kept_versions(settings)] == [NEW, OLD]


def test_releasing_an_unknown_or_pruned_version_is_refused_and_changes_nothing(settings):
    write_snapshot(settings, OLD, draft=False)
    serving.point_to(settings, OLD)
    for version in (MIDDLE, "../../etc/passwd", ""):
        with pytest.raises(UserError, match=r"there is no kept snapshot .*`wholesystem snapshots`"):
            serving.release(settings, version, "admin-ann")
    assert serving.current_version(settings) == OLD
    assert release_store.latest_releases(settings) == {}
    assert not settings.users_path.exists()  # nothing was even recorded


def test_prune_keeps_released_pending_draft_and_pack_referenced_snapshots(settings):
    for version in (OLD, MIDDLE):
        write_snapshot(settings, version, draft=False)
    write_snapshot(settings, NEW, draft=True)  # a draft newer than the released one
    write_snapshot(settings, NEWEST, draft=False)
    serving.point_to(settings, MIDDLE)  # e.g. NEWEST was released, then rolled back
    pack_store.record_pack(
        settings, version=OLD, area="E38000992", board_date=date(2026, 12, 1), format="pdf",
        file_name="pack.pdf", sha256="0" * 64,
    )  # fmt: skip
    assert serving.prune(settings, keep=1) == []  # NEWEST kept as the newest one
    write_snapshot(settings, "snapshot-20261105T000000000000Z", draft=False)
    assert serving.prune(settings, keep=1) == [NEWEST]
    assert serving.stored_versions(settings) == [
        OLD, MIDDLE, NEW, "snapshot-20261105T000000000000Z",
    ]  # fmt: skip


def test_a_released_draft_is_no_longer_pending_and_can_be_pruned(settings):
    write_snapshot(settings, OLD, draft=False)
    write_snapshot(settings, MIDDLE, draft=True)
    write_snapshot(settings, NEW, draft=False)
    serving.point_to(settings, OLD)
    serving.release(settings, MIDDLE, "admin-ann")
    serving.point_to(settings, NEW)  # a later release of NEW, say
    assert serving.prune(settings, keep=1) == [OLD, MIDDLE]


def test_a_snapshot_from_before_drafts_reads_as_released(settings):
    write_snapshot(settings, OLD)
    serving.point_to(settings, OLD)
    [entry] = serving.kept_versions(settings)
    assert (entry.draft, entry.released_at, entry.released_by) == (
        False, datetime(2026, 11, 1, 9, 30), None,
    )  # fmt: skip
    assert (entry.first_month, entry.last_month) == (date(2023, 11, 1), date(2026, 10, 1))


def test_open_version_refuses_a_version_that_is_not_kept(settings):
    write_snapshot(settings, OLD, draft=False)
    connection = serving.open_version(settings, OLD)
    assert connection.execute("SELECT version FROM snapshot_info").fetchone() == (OLD,)
    with pytest.raises(UserError, match="there is no kept snapshot 'nope'"):
        serving.open_version(settings, "nope")


def test_the_command_publishes_a_draft_and_says_how_to_release_it(system, monkeypatch, capsys):
    from wholesystem.cli import main

    add_deaths(system)
    released = system.publish()
    monkeypatch.chdir(system.root)
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(system.settings.data_dir))
    capsys.readouterr()
    assert main(["publish", "--draft"]) == 0
    [draft] = [v for v in serving.stored_versions(system.settings) if v != released.version]
    captured = capsys.readouterr()
    assert captured.out.splitlines()[1] == (
        f"DRAFT: only analysts and admins see it until `wholesystem release {draft}`"
    )
    assert captured.err.splitlines()[0] == (
        f"publish: building {draft} (a draft: released by `wholesystem release`)"
    )
    assert serving.current_version(system.settings) == released.version
    assert main(["release", draft]) == 0
    assert serving.current_version(system.settings) == draft


def test_the_publish_lock_removes_half_written_records_of_a_killed_publish(settings):
    settings.serving_dir.mkdir(parents=True)
    leftovers = [settings.serving_dir / ".BUILDING.json.4242",
                 settings.serving_dir / ".LAST_PUBLISH.json.4242"]  # fmt: skip
    kept = settings.serving_dir / "BUILDING.json"
    for path in [*leftovers, kept]:
        path.write_text("{")
    with serving.publish_lock(settings):
        assert not any(path.exists() for path in leftovers)
    assert kept.exists()  # the marker itself is the building module's to judge
