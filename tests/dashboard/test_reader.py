"""The snapshot reader (`dashboard.reader`): one connection per snapshot, whether it is
asked for by version or followed through the pointer, and only the last few kept open."""

from __future__ import annotations

import shutil

import pytest

from dashboard.reader import KEPT_OPEN, SnapshotReader
from metrics.serving import point_to
from tests.dashboard.snapshots import build_snapshot
from wholesystem.errors import UserError
from wholesystem.settings import Settings

FIRST = "snapshot-20261101T000000000000Z"


def _copies(settings: Settings, count: int) -> list[str]:
    versions = [f"snapshot-202612{day:02d}T000000000000Z" for day in range(1, count + 1)]
    for version in versions:
        shutil.copy(
            settings.serving_dir / f"{FIRST}.duckdb", settings.serving_dir / f"{version}.duckdb"
        )
    return versions


def _version(cursor) -> str:
    return cursor.execute("SELECT version FROM snapshot_info").fetchone()[0]


def test_the_pointer_and_a_version_share_one_connection(tmp_path):
    settings = build_snapshot(tmp_path)
    reader = SnapshotReader(settings)
    assert _version(reader.cursor()) == _version(reader.cursor(FIRST)) == FIRST
    assert list(reader._versions) == [FIRST]  # one connection, not one per way of asking
    [newer] = _copies(settings, 1)
    point_to(settings, newer)
    assert reader.current_version() == newer
    reader.cursor()
    assert list(reader._versions) == [FIRST, newer]


def test_only_the_last_few_snapshots_stay_open(tmp_path):
    settings = build_snapshot(tmp_path)
    reader = SnapshotReader(settings)
    versions = _copies(settings, KEPT_OPEN + 1)
    for version in versions:
        reader.cursor(version)
    reader.cursor(versions[1])  # the most recently used stays
    point_to(settings, versions[0])
    reader.cursor()
    assert list(reader._versions) == [*versions[2:], versions[1], versions[0]][-KEPT_OPEN:]


def test_before_any_publish_one_sentence(tmp_path):
    reader = SnapshotReader(Settings(data_dir=tmp_path))
    with pytest.raises(UserError, match="no published snapshot .* run `wholesystem publish`"):
        reader.cursor()
