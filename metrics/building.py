"""The building marker: which snapshot a running publish is building and how far it has got.

While `publish` holds the publish lock it keeps `BUILDING.json` in the serving folder: the
version being built, whether it is a draft, who started it and when, the stage running
(and when it began) and the stages done with their seconds, plus the process id and host
so that a reader can tell a live publish from one that was killed. Each change is
written to a temporary file and renamed, so a reader never sees half of one. When the
publish ends, however it ends (finished, failed, interrupted), the marker is removed and
`LAST_PUBLISH.json` records how it ended, when, in how many seconds and through which
stages (the next build's "of about N stages" comes from it).

Only stage names and times are written, never a value: the dashboard may show the marker
to every signed-in user while only the released snapshot is served.
"""

from __future__ import annotations

import json
import os
import socket
import time
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wholesystem.settings import Settings

MARKER = "BUILDING.json"
LAST_PUBLISH = "LAST_PUBLISH.json"
# A marker written on another host cannot be checked for a live process: one that has not
# changed (a stage started) for twice the last finished publish's seconds, or for
# STALE_AFTER when no publish has finished yet, is taken to have stopped. STALE_AT_LEAST
# allows for the two hosts' clocks differing and for a quick last publish.
STALE_AFTER = timedelta(hours=1)
STALE_AT_LEAST = timedelta(minutes=1)
DUCKDB_INTERRUPTED = "Query interrupted"  # DuckDB's error when SIGINT stops a query


class Listener:
    """What a publish tells its caller; override what you need. `metrics.compute.stage`
    calls `starting(name)` and, when the stage ends, the listener itself with (name,
    seconds), so a listener is also a plain `Report`."""

    def begun(self, version: str, draft: bool) -> None:
        """The publish holds the lock and is building `version`."""

    def starting(self, name: str) -> None:
        """A stage starts."""

    def __call__(self, name: str, seconds: float) -> None:
        """A stage ended after `seconds`."""


class Progress(Listener):
    """Keeps the marker up to date as stages start and end, and passes each event on to
    the caller's report (a plain (name, seconds) function, a Listener or None)."""

    def __init__(self, settings: Settings, version: str, draft: bool, by: str, report=None):
        self.path = settings.serving_dir / MARKER
        self.report = report
        self.state = {
            "version": version, "draft": draft, "published_by": by, "started_at": _now(),
            "stage": None, "stage_started_at": None, "done": [], **_expected(settings),
            "pid": os.getpid(), "host": socket.gethostname(),
            "process_started": _process_started(os.getpid()),
        }  # fmt: skip
        self.clock = time.perf_counter()

    def begun(self, version: str, draft: bool) -> None:
        _write_json(self.path, self.state)
        _tell(self.report, "begun", version, draft)

    def starting(self, name: str) -> None:
        self.state.update(stage=name, stage_started_at=_now())
        _write_json(self.path, self.state)
        _tell(self.report, "starting", name)

    def __call__(self, name: str, seconds: float) -> None:
        self.state["done"].append([name, round(seconds, 3)])
        self.state.update(stage=None, stage_started_at=None)
        _write_json(self.path, self.state)
        if self.report is not None:
            self.report(name, seconds)

    def finish(self, outcome: str) -> None:
        """Removes the marker and records how the publish ended."""
        self.path.unlink(missing_ok=True)
        last = {key: self.state[key] for key in ("version", "draft", "published_by", "done")}
        last.update(
            outcome=outcome, started_at=self.state["started_at"], finished_at=_now(),
            seconds=round(time.perf_counter() - self.clock, 3), stage=self.state["stage"],
        )  # fmt: skip
        # A record that cannot be written (a full disk) must not hide why the publish ended.
        with suppress(OSError):
            _write_json(self.path.with_name(LAST_PUBLISH), last)


@contextmanager
def building_marker(settings: Settings, version: str, draft: bool, by: str, report=None):
    """Yields a Progress (pass it on as the publish's report) with the marker written;
    removes it when the block ends, recording the outcome, whatever ends it."""
    progress = Progress(settings, version, draft, by, report)
    progress.begun(version, draft)
    outcome = "failed"
    try:
        yield progress
        outcome = "finished"
    except KeyboardInterrupt:
        outcome = "interrupted"
        raise
    except RuntimeError as error:
        if str(error) != DUCKDB_INTERRUPTED:
            raise
        # DuckDB turns Ctrl-C during a query into this error: raise it as the interrupt it
        # is, so that the command line says "interrupted" instead of printing a traceback.
        outcome = "interrupted"
        raise KeyboardInterrupt from error
    finally:
        progress.finish(outcome)


def read_marker(settings: Settings, now: datetime | None = None) -> dict | None:
    """The marker of the publish building a snapshot, with `state` "building", or
    "stopped" if its process is gone (or, from another host, it has not changed for
    `stale_after(marker)`); None when no publish is running or the marker cannot be read."""
    marker = _read_json(settings.serving_dir / MARKER)
    if marker is None:
        return None
    alive = _alive(marker, now or datetime.now(UTC))
    return {**marker, "state": "building" if alive else "stopped"}


def read_last_publish(settings: Settings) -> dict | None:
    """How the last publish ended (`outcome` finished, failed or interrupted), or None."""
    return _read_json(settings.serving_dir / LAST_PUBLISH)


def stale_after(marker: dict) -> timedelta:
    """How long another host's marker may go unchanged before its publish reads as stopped:
    twice the seconds the last finished publish took (at least STALE_AT_LEAST), or
    STALE_AFTER when that is not known."""
    seconds = marker.get("expected_seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        return STALE_AFTER
    return max(timedelta(seconds=2 * seconds), STALE_AT_LEAST)


def _alive(marker: dict, now: datetime) -> bool:
    if marker.get("host") != socket.gethostname():
        changed = moment(marker.get("stage_started_at") or marker.get("started_at"))
        return changed is not None and now - changed < stale_after(marker)
    pid = marker.get("pid")
    if not isinstance(pid, int) or not _running(pid):
        return False
    # The id of a process that died may have been given to another since: compare starts.
    recorded = marker.get("process_started")
    return recorded is None or _process_started(pid) in (None, recorded)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def _process_started(pid: int) -> int | None:
    """When the process started, in clock ticks since boot (Linux /proc), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
        # The command name, in brackets, may hold spaces: the fields after it are plain.
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):  # no /proc (not Linux), or gone meanwhile
        return None


def _expected(settings: Settings) -> dict:
    """What the last finished publish suggests: its number of stages and its seconds."""
    last = read_last_publish(settings)
    if last is None or last.get("outcome") != "finished":
        return {"expected_stages": None, "expected_seconds": None}
    return {"expected_stages": len(last.get("done") or []) or None,
            "expected_seconds": last.get("seconds")}  # fmt: skip


def _write_json(path: Path, content: dict) -> None:
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    staging.write_text(json.dumps(content, indent=1), encoding="utf-8")
    os.replace(staging, path)


def _read_json(path: Path) -> dict | None:
    # Written by publish only and renamed into place: anything unreadable is ignored, as
    # the marker is a courtesy to readers and must never stop a page.
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return content if isinstance(content, dict) else None


def _tell(listener, event: str, *arguments) -> None:
    method = getattr(listener, event, None)
    if method is not None:
        method(*arguments)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def moment(text) -> datetime | None:
    """A marker's ISO 8601 time as an aware datetime (UTC when it names no zone), or None
    when it is missing or unreadable."""
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
