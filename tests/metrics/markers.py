"""Publish helpers for tests: the stages a publish reports, a stand-in that fails, a building
marker written as a publish would write it, and the id of a process that has ended (for a
publish whose process is gone)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

from metrics import building
from wholesystem.settings import Settings


def write_marker(settings: Settings, **fields) -> dict:
    """Writes the marker of a publish in stage "counts by level" (from this process and
    host unless `fields` say otherwise) and returns it."""
    marker = {
        "version": "snapshot-20261206T001500000000Z", "draft": False, "published_by": "ana",
        "started_at": "2026-12-06T00:15:00+00:00", "stage": "counts by level",
        "stage_started_at": "2026-12-06T00:15:20+00:00",
        "done": [["calendar, hierarchy and profiles", 4.7], ["units: spells", 1.0]],
        "expected_stages": 15, "expected_seconds": 41.5, "pid": os.getpid(),
        "host": socket.gethostname(), "process_started": building._process_started(os.getpid()),
    } | fields  # fmt: skip
    settings.serving_dir.mkdir(parents=True, exist_ok=True)
    (settings.serving_dir / building.MARKER).write_text(json.dumps(marker))
    return marker


def finished_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(child.stdout)


# Every stage a DuckDB publish of a system with deaths and spells reports, in order.
PUBLISH_STAGES = (
    "calendar, hierarchy and profiles", "units: deaths", "units: spells", "counts by level",
    "denominators", "periods and standardisation", "values and limits", "comparisons",
    "disclosure control", "SPC charts", "writing the snapshot", "peer groups",
)  # fmt: skip


def fail(*args, **kwargs):
    raise RuntimeError("simulated failure")
