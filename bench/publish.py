"""Benchmark: `wholesystem publish` against the machine's limit, measured in the same run.

The default sample system (seed 42, scale 1) is loaded into a fresh data directory; so is a
big warehouse of about N spells: the APC feed at the scale that gives N spells, with the
organisations, population, deaths and care home feeds at that scale too (so that every
spell's practice, and the admissions before every death, are there), and the person-level
feeds (patients, conditions, GP events), survey, aggregate and deprivation feeds at scale 1.
On each warehouse, round by round, three steps run, each in a fresh process
(`bench.measure`: seconds and peak memory, `VmHWM`): `publish`; the limit baseline's scan of
every warehouse column publish reads, grouped to the published cells; and its copy of the
finished snapshot's tables into a new DuckDB file (`bench/limit_baseline.py`). The figure is
publish ÷ (scan + write), goal ≤ 3× at the default sample and at 10 million spells, with
publish's peak memory ≤ 4 GB at 10 million spells; the same ratio in CPU seconds (every thread)
is shown beside it, since wall time on a shared machine depends on the other work. Run with
`make bench-publish` or `python -m bench.publish --spells 10000000 [--rounds 3] [--work DIR]`;
`--spells 0` measures the default sample only. Results go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import duckdb

from bench.etl_load import SPELLS_AT_SCALE_ONE
from bench.measure import Measurement, measure
from bench.results import write_section
from wholesystem.cli import DEMO_LOAD_ORDER

WORK = Path("bench/work")
SEED = 42
END_MONTH = date(2026, 10, 1)  # the last month generated (the ETL benchmark's too)
TODAY = date(2026, 11, 1)  # publish as of the month after it, so October is complete
LOAD_ORDER = DEMO_LOAD_ORDER  # the demo's order: organisations first, deprivation last
SCALED_FEEDS = {"organisations", "population", "apc_spells", "deaths", "care_home_admissions"}
HEADING = "Publish time and memory against the limit baseline"
TARGET_RATIO = 3.0
TARGET_PEAK_MB = 4096
COUNTS_SQL = """
SELECT (SELECT count(*) FROM apc_spells), (SELECT count(*) FROM deaths),
       (SELECT count(*) FROM care_home_admissions), (SELECT count(*) FROM patients),
       (SELECT count(DISTINCT practice_code) FROM organisations)
"""


@dataclass(frozen=True)
class SystemRun:
    """One warehouse's figures: what it holds, its load, and each round's three steps."""

    label: str
    counts: dict
    load: Measurement
    publishes: list[Measurement]
    scans: list[Measurement]
    writes: list[Measurement]

    def median(self, step: str) -> float:
        """Median seconds of `publishes`, `scans` or `writes`."""
        return statistics.median(m.seconds for m in getattr(self, step))

    def peak(self, step: str) -> float:
        """Highest peak memory (MB) of a step's measurements over the rounds."""
        return max(m.peak_mb for m in getattr(self, step))

    def ratios(self) -> list[float]:
        """Publish ÷ baseline, round by round (each round's own baseline)."""
        return [
            p.seconds / (s.seconds + w.seconds)
            for p, s, w in zip(self.publishes, self.scans, self.writes, strict=True)
        ]

    def ratio(self) -> float:
        """Median of the rounds' ratios."""
        return statistics.median(self.ratios())

    def cpu_ratio(self) -> float:
        """Publish ÷ baseline in CPU seconds (every thread), median over the rounds: the same
        comparison less sensitive to other work on a shared machine."""
        return statistics.median(
            p.cpu_seconds / (s.cpu_seconds + w.cpu_seconds)
            for p, s, w in zip(self.publishes, self.scans, self.writes, strict=True)
        )


def generate_feeds(out: Path, scale: float, feeds: set[str] | None) -> dict[str, list[str]]:
    """Generates the sample system's feeds once (reused while `files.json` is there)."""
    from sample_data.generate import generate

    listing = out / "files.json"
    if listing.exists():
        return json.loads(listing.read_text())
    say(f"generating {sorted(feeds) if feeds else 'all feeds'} at scale {scale:.3f} in {out}")
    written = generate(out, seed=SEED, scale=scale, end_month=END_MONTH, feeds=feeds, progress=say)
    files = {feed: [str(path) for path in sorted(paths)] for feed, paths in written.items()}
    listing.write_text(json.dumps(files))
    return files


def load_order(files: dict[str, list[str]]) -> list[str]:
    """The files in the demo's load order (organisations first, deprivation last)."""
    return [path for feed in LOAD_ORDER for path in files.get(feed, [])]


def load_step(files: list[str], data_dir: str) -> dict:
    """Loads the files into a fresh warehouse with the default settings."""
    from etl.load import load_files
    from wholesystem.settings import Settings

    results = load_files(
        [Path(f) for f in files], Settings(data_dir=Path(data_dir)), report=lambda message: None
    )
    rejected = [f"{r.file}: {r.message}" for r in results if r.outcome == "rejected"]
    if rejected:
        raise SystemExit("benchmark files were rejected:\n" + "\n".join(rejected))
    return {"files": len(results)}


def publish_step(data_dir: str, today: str, memory_limit: str | None = None) -> dict:
    """The product: `wholesystem publish` in-process, with the default settings but for
    DuckDB's memory limit when one is given (WHOLESYSTEM_PUBLISH_MEMORY_LIMIT)."""
    from metrics.publish import publish
    from wholesystem.settings import Settings

    settings = Settings(data_dir=Path(data_dir))
    if memory_limit:
        settings = replace(settings, publish_memory_limit=memory_limit)
    result = publish(settings, date.fromisoformat(today))
    return {"snapshot": str(result.path), "values": result.rows, "series": result.series}


def warehouse_counts(data_dir: Path) -> dict:
    """Rows in the tables that size the work."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        row = connection.execute(COUNTS_SQL).fetchone()
    return dict(
        zip(["spells", "deaths", "care_home_admissions", "patients", "practices"], row, strict=True)
    )


def load_system(label: str, files: list[str], data_dir: Path) -> tuple[Measurement, dict]:
    """Loads a fresh warehouse; returns the load's figures and the warehouse's counts."""
    shutil.rmtree(data_dir, ignore_errors=True)
    say(f"{label}: loading {len(files)} files into {data_dir}")
    load = measure("bench.publish.load_step", files=files, data_dir=str(data_dir))
    return load, warehouse_counts(data_dir)


def measure_round(data_dir: Path) -> tuple[Measurement, Measurement, Measurement]:
    """One round: publish, then the baseline's scan and snapshot copy, each in a fresh process."""
    published = measure("bench.publish.publish_step", data_dir=str(data_dir), today=str(TODAY))
    return published, *measure_baseline(data_dir, published.detail["snapshot"])


def measure_baseline(data_dir: Path, snapshot: str) -> tuple[Measurement, Measurement]:
    """The limit baseline of the warehouse in `data_dir` and its published `snapshot`: the
    scan and the snapshot's copy, each in a fresh process (the copy is deleted after)."""
    scan = measure("bench.limit_baseline.scan_step", warehouse=str(data_dir / "warehouse.duckdb"))
    copy = data_dir / "baseline_copy.duckdb"
    write = measure("bench.limit_baseline.write_step", snapshot=snapshot, out=str(copy))
    copy.unlink(missing_ok=True)
    return scan, write


def run_system(label: str, files: list[str], data_dir: Path, rounds: int) -> SystemRun:
    """Loads a fresh warehouse, then measures publish and the baseline once per round."""
    load, counts = load_system(label, files, data_dir)
    steps = []
    for number in range(rounds):
        say(f"{label}: round {number + 1} of {rounds}")
        steps.append(measure_round(data_dir))
        say(
            f"{label}: publish, scan, write = " + ", ".join(f"{m.seconds:.1f} s" for m in steps[-1])
        )
    publishes, scans, writes = (list(column) for column in zip(*steps, strict=True))
    return SystemRun(label, counts, load, publishes, scans, writes)


def machine() -> str:
    """Cores, memory, load and versions of the machine the figures come from."""
    memory_kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores, {memory_kb / 1024**2:.0f} GB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, DuckDB {duckdb.__version__}; "
        f"load average {load} at the end"
    )


def describe(run: SystemRun) -> str:
    """The warehouse, its load and its publish, as a list item."""
    c, last = run.counts, run.publishes[-1].detail
    return (
        f"- {run.label}: {c['spells']:,} spells, {c['deaths']:,} deaths, "
        f"{c['care_home_admissions']:,} care home admissions, {c['patients']:,} patients, "
        f"{c['practices']:,} practices; loaded in {run.load.seconds:.0f} s; publish wrote "
        f"{last['values']:,} values; the baseline scan grouped to "
        f"{run.scans[-1].detail['cells']:,} cells and the copy wrote "
        f"{run.writes[-1].detail['rows']:,} rows ({run.writes[-1].detail['bytes'] / 1e6:,.0f} MB)."
    )


def timing_rows(run: SystemRun) -> list[str]:
    """Table rows: publish, the scan, the write and the baseline, with their rounds."""
    rows = []
    for step, title in [
        ("publishes", "`publish`"),
        ("scans", "baseline: scan grouped to cells"),
        ("writes", "baseline: copy of the snapshot"),
    ]:
        measured = getattr(run, step)
        rounds = ", ".join(f"{m.seconds:.1f}" for m in measured)
        cpu = statistics.median(m.cpu_seconds for m in measured)
        rows.append(
            f"| {run.label} | {title} | {run.median(step):.2f} | {rounds} | {cpu:.1f} | "
            f"{run.peak(step):,.0f} |"
        )
    ratios = ", ".join(f"{r:.2f}" for r in run.ratios())
    rows.append(
        f"| {run.label} | **publish ÷ baseline** | **{run.ratio():.2f}×** | {ratios} | "
        f"{run.cpu_ratio():.2f}× | |"
    )
    return rows


def verdict(run: SystemRun, memory_goal: bool) -> str:
    """The goals for one warehouse, each with its figure."""
    ratio, peak = run.ratio(), run.peak("publishes")
    met = "met" if ratio <= TARGET_RATIO else "not met"
    line = (
        f"- {run.label}: publish {run.median('publishes'):.1f} s, baseline "
        f"{run.median('scans') + run.median('writes'):.1f} s; publish ÷ baseline "
        f"**{ratio:.2f}×** (goal ≤ {TARGET_RATIO:.0f}×: {met})"
        f"; publish peak memory {peak:,.0f} MB"
    )
    if memory_goal:
        line += f" (goal ≤ {TARGET_PEAK_MB:,} MB: {'met' if peak <= TARGET_PEAK_MB else 'not met'})"
    return line + "."


def report(runs: list[SystemRun], command: str) -> str:
    """The results as a Markdown section."""
    lines = [
        f"Command: `{command}` (run {date.today().isoformat()}; medians over the rounds; in each "
        "round `publish`, the baseline's scan and its snapshot copy, each in a fresh process; "
        "the ratio is each round's publish ÷ that round's scan + copy, median over rounds; peak "
        "memory is that process's `VmHWM`, highest over the rounds).",
        "",
        f"Machine: {machine()}.",
        "",
        *(verdict(run, memory_goal=run is runs[-1] and len(runs) > 1) for run in runs),
        "",
        *(describe(run) for run in runs),
        "",
        "| warehouse | step | seconds (median) | rounds (s) | CPU seconds (median) | "
        "peak memory (MB) |",
        "|---|---|---|---|---|---|",
        *(row for run in runs for row in timing_rows(run)),
        "",
        "The baseline (`bench/limit_baseline.py`) is what DuckDB alone needs for publish's input "
        "and output: one scan of every warehouse column publish reads, grouped to the published "
        "cells (practice × month × person profile for patients, conditions and GP events; "
        "practice or council × month for spells, A&E, deaths, care home admissions, survey, "
        "population and supplied aggregates), plus copying the finished snapshot's tables into a "
        "new DuckDB file.",
    ]
    if len(runs) > 1:  # a big warehouse was measured too (not with --spells 0)
        lines[-1] += (
            " The big warehouse has the APC, organisations, population, deaths and care home "
            "feeds at the scale named, and the default sample's patients, conditions, GP "
            "events, A&E, survey, aggregate and deprivation files."
        )
    return "\n".join(lines)


def say(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    """Runs the benchmark and writes its section of bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spells", type=int, default=10_000_000, help="0: default sample only")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=WORK, help="generated files and warehouses")
    arguments = parser.parse_args(argv)
    work = arguments.work
    work.mkdir(parents=True, exist_ok=True)
    sample = generate_feeds(work / f"sample_seed{SEED}", 1.0, None)
    runs = [
        run_system("default sample", load_order(sample), work / "data_default", arguments.rounds)
    ]
    if arguments.spells:
        scale = arguments.spells / SPELLS_AT_SCALE_ONE
        scaled = generate_feeds(work / f"publish_{arguments.spells}", scale, SCALED_FEEDS)
        files = {**{f: p for f, p in sample.items() if f not in SCALED_FEEDS}, **scaled}
        label = f"about {arguments.spells:,} spells (scale {scale:.2f})"
        runs.append(
            run_system(
                label, load_order(files), work / f"data_{arguments.spells}", arguments.rounds
            )
        )
    command = f"python -m bench.publish --spells {arguments.spells} --rounds {arguments.rounds}"
    section = report(runs, command)
    print(section)
    write_section(Path("bench/RESULTS.md"), HEADING, section)


if __name__ == "__main__":
    main()
