"""The publish workspace: in memory for a small warehouse, a scratch file for a large one,
never left behind, and the same snapshot either way."""

from __future__ import annotations

import os
from datetime import date

import pytest

from metrics import workspace
from metrics.publish import publish
from metrics.snapshot_diff import differences
from metrics.workspace import in_memory, open_workspace
from tests.metrics.every_feed import add_every_feed
from wholesystem.errors import UserError
from wholesystem.settings import Settings

TODAY = date(2026, 11, 22)


def _scratch(settings):
    return settings.temp_dir / f"publish-{os.getpid()}.duckdb"


def _share_of(settings, bytes_: float) -> float:
    """The IN_MEMORY_SHARE at which the publish memory limit's share is `bytes_`."""
    return bytes_ / workspace.size_in_bytes(settings.publish_memory_limit)


def test_the_workspace_is_in_memory_up_to_its_share_of_the_memory_limit(system, monkeypatch):
    system.load()
    size = system.settings.warehouse_path.stat().st_size
    assert in_memory(system.settings)  # a few MB against 1/16 of the 2 GB default
    monkeypatch.setattr(workspace, "IN_MEMORY_SHARE", _share_of(system.settings, size + 0.5))
    assert in_memory(system.settings)
    monkeypatch.setattr(workspace, "IN_MEMORY_SHARE", _share_of(system.settings, size - 0.5))
    assert not in_memory(system.settings)


@pytest.mark.parametrize("share, on_file", [(workspace.IN_MEMORY_SHARE, False), (0.0, True)])
def test_a_scratch_file_is_made_only_for_a_large_warehouse_and_always_removed(
    system, monkeypatch, share, on_file
):
    system.load()
    monkeypatch.setattr(workspace, "IN_MEMORY_SHARE", share)
    with open_workspace(system.settings) as connection:
        assert connection.execute("SELECT count(*) FROM organisations").fetchone()[0] == 4
        assert _scratch(system.settings).exists() == on_file
    assert not _scratch(system.settings).exists()
    with pytest.raises(RuntimeError), open_workspace(system.settings):
        raise RuntimeError("a publish that fails part way")
    assert not _scratch(system.settings).exists()


def test_no_warehouse_is_one_sentence_before_any_workspace_is_made(tmp_path):
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(UserError, match="no warehouse at"), open_workspace(settings):
        pass
    assert not settings.temp_dir.exists()


def test_a_publish_worked_in_memory_writes_what_one_worked_on_file_writes(system, monkeypatch):
    add_every_feed(system)
    system.load()
    in_memory_snapshot = publish(system.settings, today=TODAY).path
    monkeypatch.setattr(workspace, "IN_MEMORY_SHARE", 0.0)
    on_file_snapshot = publish(system.settings, today=TODAY).path
    assert differences(in_memory_snapshot, on_file_snapshot) == []
