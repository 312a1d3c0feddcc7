"""The Data status page while a publish runs: a banner names the snapshot being built, its
stage, how long it has run and how many stages are done, refreshed by an interval only
while the publish is live; a stopped publish is said to have stopped; the last publish's
end is stated. Viewers hear of a build that will reach them, never of a draft's, and the
page goes on showing the released snapshot."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest
from dash import dcc, html

from dashboard import access, roles
from dashboard.pages import status, status_building
from metrics import building, serving
from tests.dashboard.pages.tree import walk, words
from tests.metrics.markers import finished_pid, write_marker

VERSION = "snapshot-20261206T001500000000Z"
NOW = datetime(2026, 12, 6, 0, 15, 32, tzinfo=UTC)  # 12 s into the stage the marker names
BANNER = (
    f"Snapshot {VERSION} is being built: stage counts by level (started 00:15:20 UTC, 12 s "
    "so far); 2 of ~15 stages done."
)
LAST = {
    "version": "snapshot-20261205T212234369613Z", "draft": False, "published_by": "ana",
    "done": [["counts by level", 6.8]], "outcome": "finished",
    "started_at": "2026-12-05T21:22:34+00:00", "finished_at": "2026-12-05T21:23:15+00:00",
    "seconds": 41.46, "stage": None,
}  # fmt: skip


@pytest.fixture
def settings(published_sample, tmp_path):
    """A data directory serving the published sample (its files linked), where a test
    writes the building marker and the last publish's record."""
    serving_dir = tmp_path / "data" / "serving"
    serving_dir.mkdir(parents=True)
    for path in published_sample.serving_dir.glob("*"):
        if path.name not in (building.MARKER, building.LAST_PUBLISH):
            (serving_dir / path.name).symlink_to(path)
    chosen = dataclasses.replace(published_sample, data_dir=tmp_path / "data")
    access.configure(chosen)
    yield chosen
    access.configure(published_sample)


@pytest.fixture
def role(monkeypatch):
    def use(name: str) -> None:
        monkeypatch.setattr(roles, "current_role", lambda: name)

    use("analyst")
    return use


def write_last(settings, **fields) -> None:
    (settings.serving_dir / building.LAST_PUBLISH).write_text(json.dumps(LAST | fields))


def ids(page) -> set:
    return {getattr(node, "id", None) for node in walk(page)}


def test_a_live_publish_shows_its_banner_and_refreshes_it(settings, role):
    write_marker(settings, version=VERSION)
    section = status_building.section(NOW)
    assert words(section).startswith(BANNER + " Pages show the released snapshot until ")
    assert "(the last publish took 42 s)." in words(section)
    [interval] = [node for node in walk(section) if isinstance(node, dcc.Interval)]
    assert (interval.id, interval.interval) == (status_building.TICK, 2_000)
    page = status.layout("/status", {})
    assert {status_building.BANNER, "status-building-banner", status_building.TICK} <= ids(page)
    # The page goes on showing the released snapshot, not the one being built.
    [shown] = [node for node in walk(page) if getattr(node, "id", None) == "status-version"]
    assert shown.children == serving.current_version(settings) != VERSION


def test_between_stages_the_banner_says_the_build_is_finishing(settings, role):
    write_marker(settings, version=VERSION, stage=None, stage_started_at=None)
    assert words(status_building.section(NOW)).startswith(
        f"Snapshot {VERSION} is being built: finishing (started 00:15:00 UTC, 32 s so far); "
        "2 of ~15 stages done."
    )


def test_without_a_last_publish_to_go_by_the_stages_are_counted_alone(settings, role):
    write_marker(settings, version=VERSION, expected_stages=None, expected_seconds=None)
    assert words(status_building.section(NOW)) == (
        f"Snapshot {VERSION} is being built: stage counts by level (started 00:15:20 UTC, "
        "12 s so far); 2 stages done. Pages show the released snapshot until the new one is "
        "published."
    )


def test_a_stopped_publish_is_said_to_have_stopped_and_not_refreshed(settings, role):
    write_marker(settings, version=VERSION, pid=finished_pid(), process_started=None)
    section = status_building.section(NOW)
    assert words(section) == (
        f"Snapshot {VERSION} was being built (from 00:15:00 UTC), but its publish stopped "
        "during stage counts by level without finishing. Nothing of it is shown: the pages "
        "show the snapshot named below. Publish again to build a new one."
    )
    assert status_building.TICK not in ids(section)


def test_with_no_publish_running_the_last_ones_end_is_stated(settings, role):
    assert words(status_building.section(NOW)) == ""
    write_last(settings)
    section = status_building.section(NOW)
    assert words(section) == (
        "The last publish finished at 5 Dec 2026 21:23:15 UTC "
        "(snapshot snapshot-20261205T212234369613Z, 41.5 s)."
    )
    assert status_building.TICK not in ids(section)
    write_last(settings, outcome="failed", stage="disclosure control")
    assert words(status_building.section(NOW)) == (
        "The last publish (snapshot snapshot-20261205T212234369613Z) failed at 5 Dec 2026 "
        "21:23:15 UTC during stage disclosure control; the snapshot shown is unchanged."
    )


def test_the_refresh_follows_the_publish_and_stops_when_it_ends(settings, role):
    write_marker(settings, version=VERSION)
    children, stop = status_building.refresh(3)
    assert not stop and words(html.Div(children)).startswith(f"Snapshot {VERSION} is being")
    (settings.serving_dir / building.MARKER).unlink()
    write_last(settings, version=VERSION)
    children, stop = status_building.refresh(4)
    assert stop and words(html.Div(children)) == (
        f"The last publish finished at 5 Dec 2026 21:23:15 UTC (snapshot {VERSION}, 41.5 s). "
        "Reload the page to see it."
    )


def test_viewers_hear_of_a_released_build_but_not_who_runs_it(settings, role):
    role("viewer")
    write_marker(settings, version=VERSION)
    marker = access.building()
    assert marker["version"] == VERSION and marker["stage"] == "counts by level"
    assert not {"published_by", "pid", "host", "process_started"} & set(marker)
    assert words(status_building.section(NOW)).startswith(BANNER)


def test_viewers_hear_nothing_of_a_drafts_build_analysts_do(settings, role):
    write_marker(settings, version=VERSION, draft=True)
    write_last(settings, draft=True)
    role("viewer")
    assert access.building() is None and access.last_publish() is None
    assert words(status_building.section(NOW)) == ""
    assert status_building.TICK not in ids(status.layout("/status", {}))
    role("analyst")
    assert words(status_building.section(NOW)).startswith(f"Draft snapshot {VERSION} is being")
