"""Benchmark: generate, load and publish the whole sample system at growing scales, and
extrapolate to England.

England is about 6,300 practices in about 1,250 networks and 42 areas, 57 million registered
people and 51 million spells over three years; the sample system reaches that shape at scale
114 (`sample_data/organisations.py`: 6,840 practices, 1,254 networks, 42 areas, 56.8 million
on the lists), where its spells are about 42 million (its admission rate is a little below
England's; 51 million spells is about scale 139). A whole England-size system needs about
26 GB of CSV (scale 1 is 228 MB, generated in 8 s) and more for the warehouse, so this bench
measures three smaller scales that fit the machine (default 5, 10 and 20) and extrapolates:
each step's seconds and peak memory (each step in a fresh process, `bench.measure`) are fitted
against the scale, with a straight line and with a power law (which shows any growth faster
than linear), and both are read at England's patients (scale 114) and spells (scale 139). The
figures are an extrapolation from the sizes named, not a measurement at England size. Target:
publish at England size within 15 minutes and 8 GB. Each size's limit baseline
(bench/limit_baseline.py: DuckDB alone reading publish's input once, grouped to the published
cells, and copying the snapshot) is measured and extrapolated too, so that the target can be
read against what the machine can do at that size, as bench/publish.py reads publish.

Run with `make bench-england` or `python -m bench.england [--scales 5,10,20] [--work DIR]`;
generated files are kept under the work directory and reused; results go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.measure import Measurement, measure
from bench.publish import (
    SEED,
    TODAY,
    generate_feeds,
    load_order,
    machine,
    measure_baseline,
    warehouse_counts,
)
from bench.results import write_section

WORK = Path("bench/work")
HEADING = "England scale: load and publish, extrapolated"
ENGLAND = {"patients (57 million, scale 114)": 114.0, "spells (51 million, scale 139)": 139.0}
TARGET_SECONDS = 15 * 60
TARGET_PEAK_MB = 8 * 1024
STEPS = ("generate", "load", "publish", "limit baseline")


@dataclass(frozen=True)
class SizeRun:
    """One scale's figures."""

    scale: float
    counts: dict
    steps: dict[str, Measurement]


def generate_step(out: str, scale: float) -> dict:
    """Generates every feed of the sample system at this scale (kept for reuse)."""
    files = generate_feeds(Path(out), scale, None)
    return {"files": sum(len(paths) for paths in files.values())}


def run_size(scale: float, work: Path, memory_limit: str | None = None) -> SizeRun:
    """Generates (unless kept), loads into a fresh warehouse and publishes, each measured;
    `memory_limit` is DuckDB's while publishing (the product's default when None)."""
    out, data_dir = work / f"england_scale{scale:g}", work / f"england_data{scale:g}"
    steps = {"generate": measure("bench.england.generate_step", out=str(out), scale=scale)}
    files = load_order(generate_feeds(out, scale, None))
    shutil.rmtree(data_dir, ignore_errors=True)
    say(f"scale {scale:g}: loading {len(files)} files")
    steps["load"] = measure("bench.publish.load_step", files=files, data_dir=str(data_dir))
    counts = warehouse_counts(data_dir)
    say(f"scale {scale:g}: {counts}; publishing")
    steps["publish"] = measure(
        "bench.publish.publish_step",
        data_dir=str(data_dir),
        today=TODAY.isoformat(),
        memory_limit=memory_limit,
    )
    steps["limit baseline"] = _baseline(data_dir, steps["publish"].detail["snapshot"])
    say(f"scale {scale:g}: " + ", ".join(f"{k} {m.seconds:.0f} s" for k, m in steps.items()))
    shutil.rmtree(data_dir / "tmp", ignore_errors=True)
    return SizeRun(scale, counts, steps)


def _baseline(data_dir: Path, snapshot: str) -> Measurement:
    """The limit baseline's scan and copy as one step: their seconds added, the larger peak."""
    scan, write = measure_baseline(data_dir, snapshot)
    return Measurement(
        scan.seconds + write.seconds, max(scan.peak_mb, write.peak_mb),
        {"cells": scan.detail["cells"], "rows": write.detail["rows"]},
        scan.cpu_seconds + write.cpu_seconds,
    )  # fmt: skip


def fits(runs: list[SizeRun], step: str, field: str, at: float) -> tuple[float, float, float]:
    """A step's figure (`seconds` or `peak_mb`) read at scale `at` from a straight line and
    from a power law fitted to the runs; returns (linear, power law, exponent)."""
    x = np.array([r.scale for r in runs])
    y = np.array([getattr(r.steps[step], field) for r in runs])
    slope, intercept = np.polyfit(x, y, 1)
    exponent, log_factor = np.polyfit(np.log(x), np.log(y), 1)
    return slope * at + intercept, float(np.exp(log_factor) * at**exponent), float(exponent)


def measured_rows(runs: list[SizeRun]) -> list[str]:
    """One table row per scale and step."""
    rows = []
    for r in runs:
        c = r.counts
        size = (
            f"scale {r.scale:g}: {c['practices']:,} practices, {c['patients']:,} patients, "
            f"{c['spells']:,} spells"
        )
        for step in STEPS:
            m = r.steps[step]
            rows.append(
                f"| {size} | {step} | {m.seconds:,.0f} | {m.cpu_seconds:,.0f} | {m.peak_mb:,.0f} |"
            )
    return rows


def extrapolated_rows(runs: list[SizeRun]) -> list[str]:
    """One table row per step and England measure: time and memory, two fits each."""
    rows = []
    for step in ("load", "publish", "limit baseline"):
        for label, at in ENGLAND.items():
            t_line, t_power, t_exp = fits(runs, step, "seconds", at)
            m_line, m_power, m_exp = fits(runs, step, "peak_mb", at)
            rows.append(
                f"| {step} | {label} | {t_line / 60:,.1f} | {t_power / 60:,.1f} (exponent "
                f"{t_exp:.2f}) | {m_line:,.0f} | {m_power:,.0f} (exponent {m_exp:.2f}) |"
            )
    return rows


def verdict(runs: list[SizeRun]) -> str:
    """The target, read at the larger England measure and the worse of the two fits."""
    at = max(ENGLAND.values())
    minutes = max(fits(runs, "publish", "seconds", at)[:2]) / 60
    peak = max(fits(runs, "publish", "peak_mb", at)[:2])
    met = minutes <= TARGET_SECONDS / 60 and peak <= TARGET_PEAK_MB
    return (
        f"- Extrapolated publish at England size (scale {at:g}, the worse of the two fits): "
        f"**{minutes:,.0f} min, {peak:,.0f} MB** (target ≤ 15 min within 8,192 MB: "
        f"{'met' if met else 'not met'}; an extrapolation from scales "
        f"{', '.join(f'{r.scale:g}' for r in runs)}, not a measurement)."
    )


def against_baseline(runs: list[SizeRun]) -> str:
    """Publish ÷ the limit baseline at each scale measured, and the baseline read at England's
    spells (both fits) against the 15 minutes allowed."""
    ratios = ", ".join(
        f"{r.scale:g}: {r.steps['publish'].seconds / r.steps['limit baseline'].seconds:.1f}×"
        for r in runs
    )
    line = f"- Publish ÷ the limit baseline, by scale: {ratios} (goal ≤ 3×, as at any size)."
    if len(runs) < 3:
        return line
    at = max(ENGLAND.values())
    low, high = sorted(fits(runs, "limit baseline", "seconds", at)[:2])
    return line + (
        f" The baseline alone, read at scale {at:g}: {low / 60:,.1f}-{high / 60:,.1f} min, so "
        f"15 min is {TARGET_SECONDS / high:.1f}-{TARGET_SECONDS / low:.1f}× it."
    )


def report(runs: list[SizeRun], command: str) -> str:
    """The results as a Markdown section (the extrapolation once three sizes are measured)."""
    from datetime import date

    if len(runs) < 3:
        extrapolation = [f"- Measured {len(runs)} size(s) so far; the run did not finish."]
    else:
        extrapolation = [verdict(runs)]
    extrapolation.append(against_baseline(runs))
    lines = [
        f"Command: `{command}` (run {date.today().isoformat()}; each step once, in a fresh "
        "process; peak memory is that process's `VmHWM`; generation is skipped, and shows "
        "its earlier figure, when the files were kept from an earlier run).",
        "",
        f"Machine: {machine()}.",
        "",
        *extrapolation,
        "",
        "| size | step | seconds | CPU seconds (all threads) | peak memory (MB) |",
        "|---|---|---|---|---|",
        *measured_rows(runs),
    ]
    if len(runs) >= 3:
        lines += [
            "",
            "Extrapolated to England (straight line and power law in the scale, fitted to the "
            "rows above):",
            "",
            "| step | England by | minutes (line) | minutes (power law) | peak MB (line) | "
            "peak MB (power law) |",
            "|---|---|---|---|---|---|",
            *extrapolated_rows(runs),
        ]
    return "\n".join(lines)


def say(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    """Runs the benchmark and writes its section of bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="5,10,20", help="three or more, comma-separated")
    parser.add_argument("--work", type=Path, default=WORK, help="generated files and warehouses")
    parser.add_argument(
        "--publish-memory-limit", default=None,
        help="DuckDB's memory limit while publishing (WHOLESYSTEM_PUBLISH_MEMORY_LIMIT; the "
        "product's 2GB when not given); the England target allows 8 GB for the whole process",
    )  # fmt: skip
    arguments = parser.parse_args(argv)
    scales = sorted(float(s) for s in arguments.scales.split(","))
    if len(scales) < 3:
        parser.error("--scales needs three sizes or more to extrapolate from")
    arguments.work.mkdir(parents=True, exist_ok=True)
    say(f"seed {SEED}; scales {scales}")
    limit = arguments.publish_memory_limit
    command = f"python -m bench.england --scales {arguments.scales}" + (
        f" --publish-memory-limit {limit}" if limit else ""
    )
    runs: list[SizeRun] = []
    for scale in scales:  # the section is rewritten after each size, so a cut run keeps them
        runs.append(run_size(scale, arguments.work, limit))
        section = report(runs, command)
        write_section(Path("bench/RESULTS.md"), HEADING, section)
    print(section)


if __name__ == "__main__":
    main()
