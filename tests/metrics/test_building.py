"""The building marker: a publish says which snapshot it is building and how far it has got,
stage by stage, and removes the marker however it ends; a marker whose process is gone
reads as stopped, never as being built."""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime

import pytest

from metrics import building, serving
from metrics.publish import publish
from tests.metrics.markers import PUBLISH_STAGES, fail, finished_pid, write_marker
from tests.metrics.published_system import add_deaths
from wholesystem.cli import main
from wholesystem.settings import Settings


class Watcher(building.Listener):
    """Reads the marker as the publish tells of each event: what a reader saw then."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.seen: list[tuple] = []

    def begun(self, version: str, draft: bool) -> None:
        self.seen.append(("begun", version, draft, serving.building(self.settings)))

    def starting(self, name: str) -> None:
        self.seen.append(("starting", name, serving.building(self.settings)))

    def __call__(self, name: str, seconds: float) -> None:
        self.seen.append(("ended", name, seconds, serving.building(self.settings)))


def test_the_marker_follows_every_stage_and_is_removed_when_the_publish_ends(system):
    add_deaths(system)
    system.load()
    watcher = Watcher(system.settings)
    result = publish(system.settings, report=watcher, published_by="ana")
    _, version, draft, first = watcher.seen[0]
    assert (watcher.seen[0][0], version, draft) == ("begun", result.version, False)
    assert first["version"] == result.version and first["published_by"] == "ana"
    assert (first["stage"], first["done"], first["state"]) == (None, [], "building")
    assert (first["pid"], first["host"]) == (os.getpid(), socket.gethostname())
    assert first["expected_stages"] is None  # no publish has finished before this one
    starts = [event for event in watcher.seen if event[0] == "starting"]
    ends = [event for event in watcher.seen if event[0] == "ended"]
    assert [name for _, name, _ in starts] == [name for _, name, _, _ in ends]
    assert [name for _, name, _ in starts if name in PUBLISH_STAGES] == list(PUBLISH_STAGES)
    for n, (_, name, marker) in enumerate(starts):
        assert (marker["stage"], len(marker["done"])) == (name, n)
        assert marker["stage_started_at"] >= marker["started_at"]
    for n, (_, name, seconds, marker) in enumerate(ends):
        assert marker["stage"] is None and marker["done"][-1] == [name, round(seconds, 3)]
        assert len(marker["done"]) == n + 1
    assert serving.building(system.settings) is None
    assert not (system.settings.serving_dir / building.MARKER).exists()
    last = serving.last_publish(system.settings)
    assert (last["version"], last["outcome"], last["draft"]) == (result.version, "finished", False)
    assert [name for name, _ in last["done"]] == [name for _, name, _ in starts]
    assert 0 < last["seconds"] <= result.seconds


def test_the_next_publish_expects_as_many_stages_as_the_last_finished_one(system):
    add_deaths(system)
    system.publish()
    last = serving.last_publish(system.settings)
    watcher = Watcher(system.settings)
    publish(system.settings, report=watcher, draft=True)
    marker = watcher.seen[0][3]
    assert (marker["expected_stages"], marker["draft"]) == (len(last["done"]), True)
    assert marker["expected_seconds"] == last["seconds"] > 0


# In the first stage, and with the new snapshot half-written.
@pytest.mark.parametrize(
    ("failing", "stage"),
    [
        ("metrics.compute.prepare", "calendar, hierarchy and profiles"),
        ("metrics.publish.segments_frame", "writing the snapshot"),
    ],
)
def test_a_failed_publish_removes_the_marker_and_says_where_it_failed(
    system, monkeypatch, failing, stage
):
    add_deaths(system)
    system.load()
    monkeypatch.setattr(failing, fail)
    watcher = Watcher(system.settings)
    with pytest.raises(RuntimeError, match="simulated failure"):
        publish(system.settings, report=watcher)
    assert watcher.seen[0][3]["state"] == "building"  # it was there while the publish ran
    assert watcher.seen[-1][:2] == ("starting", stage)  # the last it heard: no stage ended
    assert serving.building(system.settings) is None
    last = serving.last_publish(system.settings)
    assert (last["outcome"], last["stage"]) == ("failed", stage)


# Ctrl-C between queries is Python's KeyboardInterrupt; during a query DuckDB raises this.
@pytest.mark.parametrize("interruption", [KeyboardInterrupt, RuntimeError("Query interrupted")])
def test_an_interrupted_publish_removes_the_marker(system, monkeypatch, capsys, interruption):
    def interrupt(*args, **kwargs):
        raise interruption

    system.load()
    monkeypatch.setattr("metrics.publish.mark_suppressed", interrupt)
    monkeypatch.chdir(system.root)
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(system.settings.data_dir))
    capsys.readouterr()
    assert main(["publish"]) == 130
    assert capsys.readouterr().err.endswith("\nwholesystem publish: interrupted\n")
    assert serving.building(system.settings) is None
    last = serving.last_publish(system.settings)
    assert (last["outcome"], last["stage"]) == ("interrupted", "disclosure control")


def test_a_refused_publish_leaves_the_running_ones_marker(system):
    system.load()
    marker = write_marker(system.settings, pid=os.getpid())
    with serving.publish_lock(system.settings), pytest.raises(Exception, match="another publish"):
        publish(system.settings)
    assert json.loads((system.settings.serving_dir / building.MARKER).read_text()) == marker


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def test_a_live_publishing_process_reads_as_building(settings):
    marker = write_marker(settings)
    assert serving.building(settings) == marker | {"state": "building"}


def test_a_marker_whose_process_is_gone_reads_as_stopped(settings):
    write_marker(settings, pid=finished_pid(), process_started=None)
    assert serving.building(settings)["state"] == "stopped"


def test_a_process_id_given_to_another_process_reads_as_stopped(settings):
    # This process is alive, but it is not the one that started the publish.
    started = building._process_started(os.getpid())
    write_marker(settings, process_started=started - 1)
    assert serving.building(settings)["state"] == "stopped"


def state_at(settings: Settings, *clock: int) -> str:
    """The marker's state read at 2026-12-06 `clock` (hour, minute, second) UTC."""
    return building.read_marker(settings, datetime(2026, 12, 6, *clock, tzinfo=UTC))["state"]


def test_another_hosts_marker_stops_after_twice_the_last_publish_without_a_change(settings):
    # The stage began at 00:15:20 and the last publish took 41.5 s: stopped after 83 s.
    write_marker(settings, host="publisher.example", pid=1, expected_seconds=41.5)
    assert state_at(settings, 0, 16, 42) == "building"
    assert state_at(settings, 0, 16, 43) == "stopped"
    # A quick last publish (10 s) still allows a minute, for the hosts' clocks.
    write_marker(settings, host="publisher.example", pid=1, expected_seconds=10)
    assert state_at(settings, 0, 16, 19) == "building"
    assert state_at(settings, 0, 16, 20) == "stopped"
    write_marker(settings, host="publisher.example", pid=1, expected_seconds=600)
    assert state_at(settings, 0, 35, 19) == "building"
    assert state_at(settings, 0, 35, 20) == "stopped"


@pytest.mark.parametrize("expected", [None, 0, "41.5"])
def test_another_hosts_marker_stops_after_an_hour_when_no_publish_has_finished(settings, expected):
    write_marker(settings, host="publisher.example", pid=1, expected_seconds=expected)
    assert state_at(settings, 1, 15, 19) == "building"
    assert state_at(settings, 1, 15, 20) == "stopped"


def test_a_marker_between_stages_counts_from_the_publish_start(settings):
    write_marker(settings, host="publisher.example", pid=1, stage=None, stage_started_at=None)
    assert state_at(settings, 0, 16, 22) == "building"  # 83 s after 00:15:00
    assert state_at(settings, 0, 16, 23) == "stopped"


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "\xff"])
def test_an_unreadable_marker_is_ignored(settings, content):
    settings.serving_dir.mkdir(parents=True)
    (settings.serving_dir / building.MARKER).write_bytes(content.encode("latin-1"))
    assert serving.building(settings) is None
