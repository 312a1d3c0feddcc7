"""bench.publish's Markdown report: the big warehouse is described only when it was measured."""

from __future__ import annotations

from bench.measure import Measurement
from bench.publish import SystemRun, report

COUNTS = {"spells": 10, "deaths": 2, "care_home_admissions": 1, "patients": 5, "practices": 1}


def run(label: str) -> SystemRun:
    step = Measurement(seconds=1.0, peak_mb=100.0, detail={}, cpu_seconds=1.0)
    return SystemRun(
        label=label, counts=COUNTS, load=step,
        publishes=[Measurement(2.0, 200.0, {"values": 7}, 2.0)],
        scans=[Measurement(0.5, 50.0, {"cells": 3}, 0.5)],
        writes=[Measurement(0.5, 50.0, {"rows": 4, "bytes": 1e6}, 0.5)],
    )  # fmt: skip


def test_the_big_warehouse_is_described_only_when_measured():
    alone = report([run("the default sample")], "python -m bench.publish --spells 0")
    assert "big warehouse" not in alone
    assert alone.rstrip().endswith("copying the finished snapshot's tables into a new DuckDB file.")
    both = report([run("the default sample"), run("about 10 spells")], "python -m bench.publish")
    assert "The big warehouse has the APC" in both
