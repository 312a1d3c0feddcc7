"""bench.england's report: publish read against the limit baseline, by scale and at England."""

from __future__ import annotations

import pytest

from bench.england import SizeRun, against_baseline, report
from bench.measure import Measurement

COUNTS = {"practices": 60, "patients": 600, "spells": 400}


def size(scale: float, publish: float, baseline: float) -> SizeRun:
    def step(seconds):
        return Measurement(seconds=seconds, peak_mb=100.0 * scale, detail={}, cpu_seconds=seconds)

    steps = {"generate": step(1.0), "load": step(2.0 * scale), "publish": step(publish),
             "limit baseline": step(baseline)}  # fmt: skip
    return SizeRun(scale, COUNTS, steps)


def test_publish_is_read_against_the_baseline_at_each_scale():
    line = against_baseline([size(10, 100.0, 25.0), size(20, 150.0, 30.0)])
    assert line == (
        "- Publish ÷ the limit baseline, by scale: 10: 4.0×, 20: 5.0× (goal ≤ 3×, as at any size)."
    )


def test_the_baseline_is_read_at_england_size_against_the_fifteen_minutes():
    # The baseline grows in a straight line through the origin, 6 s per scale: 834 s (13.9
    # min) at scale 139 by either fit, so 900 s is 1.1 times it.
    runs = [size(10, 100.0, 60.0), size(20, 200.0, 120.0), size(40, 400.0, 240.0)]
    line = against_baseline(runs)
    assert line.endswith(
        "The baseline alone, read at scale 139: 13.9-13.9 min, so 15 min is 1.1-1.1× it."
    )


@pytest.mark.parametrize("measured", [1, 3])
def test_the_report_has_the_baseline_line_and_row(measured):
    runs = [size(10, 100.0, 60.0), size(20, 200.0, 120.0), size(40, 400.0, 240.0)][:measured]
    text = report(runs, "python -m bench.england --scales 10,20,40")
    assert "- Publish ÷ the limit baseline, by scale: 10: 1.7×" in text
    assert "| scale 10: 60 practices, 600 patients, 400 spells | limit baseline | 60 |" in text
    assert ("| limit baseline | spells (51 million, scale 139) | 13.9 |" in text) == (measured == 3)
