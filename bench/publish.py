"""Benchmark: `wholesystem publish` on the default sample and on about 10 million spells.

The default sample system (seed 42, scale 1) is loaded into a fresh data directory and
published once per round, each time in a fresh process: the target is well under a
minute. The big warehouse has about N spells: the APC feed at the scale that gives N
spells, with the organisations, population, deaths and care home feeds at that scale too
(so that every spell's practice, and the admissions before every death, are there), and
the person-level feeds (patients, conditions, GP events), survey, aggregate and
deprivation feeds at scale 1, so publish's person-month work stays that of the default
system. On each warehouse, round by round in the same run, `publish` and the pandas
reference of four indicators (bench/pandas_reference.py) each run in a fresh process; the
target is reference / publish ≥ 5 at 10 million spells, with publish's peak memory under
4 GB. So that the ratio can also be read on the same indicators, each round times a third
step: `publish` with only the reference's four indicators defined (still every level,
period type, segment, limit, comparison and SPC series of them). The reference's month
numerators are checked against the published snapshot's. Run with `make bench-publish` or
`python -m bench.publish --spells 10000000`; results go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from bench.etl_load import SPELLS_AT_SCALE_ONE
from bench.measure import Measurement, measure
from bench.pandas_reference import METRICS, check
from bench.results import write_section
from wholesystem.cli import DEMO_LOAD_ORDER

WORK = Path("bench/work")
SEED = 42
END_MONTH = date(2026, 10, 1)  # the last month generated (the ETL benchmark's too)
TODAY = date(2026, 11, 1)  # publish as of the month after it, so October is complete
LOAD_ORDER = DEMO_LOAD_ORDER  # the demo's order: organisations first, deprivation last
SCALED_FEEDS = {"organisations", "population", "apc_spells", "deaths", "care_home_admissions"}
HEADING = "Publish time and memory against a pandas reference"
COUNTS_SQL = """
SELECT (SELECT count(*) FROM apc_spells), (SELECT count(*) FROM deaths),
       (SELECT count(*) FROM care_home_admissions), (SELECT count(*) FROM patients),
       (SELECT count(DISTINCT practice_code) FROM organisations)
"""


@dataclass(frozen=True)
class SystemRun:
    """One warehouse's figures: what it holds, its load, and each round's two steps."""

    label: str
    counts: dict
    load: Measurement
    publishes: list[Measurement]
    four_publishes: list[Measurement]
    references: list[Measurement]
    agreement: pd.DataFrame

    def median(self, step: str) -> float:
        """Median seconds of `publishes`, `four_publishes` or `references`."""
        return statistics.median(m.seconds for m in getattr(self, step))

    def peak(self, step: str) -> float:
        """Highest peak memory (MB) of a step's measurements over the rounds."""
        return max(m.peak_mb for m in getattr(self, step))


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


def publish_step(data_dir: str, today: str) -> dict:
    """The product: `wholesystem publish` with the default settings, in-process."""
    from metrics.publish import publish
    from wholesystem.settings import Settings

    result = publish(Settings(data_dir=Path(data_dir)), date.fromisoformat(today))
    return {"snapshot": str(result.path), "values": result.rows, "series": result.series}


def four_indicator_publish_step(data_dir: str, today: str) -> dict:
    """`publish` as publish_step, with only the reference's four indicator definitions.

    The registry is narrowed in this (fresh) process alone, by filtering the definitions
    it reads, so that the engine does exactly its usual work for those four indicators.
    """
    import metrics.registry as registry

    definitions = registry._raw_definitions()
    registry._raw_definitions = lambda: tuple(d for d in definitions if d[0] in METRICS)
    return publish_step(data_dir, today)


def warehouse_counts(data_dir: Path) -> dict:
    """Rows in the tables that size the work."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        row = connection.execute(COUNTS_SQL).fetchone()
    return dict(
        zip(["spells", "deaths", "care_home_admissions", "patients", "practices"], row, strict=True)
    )


def run_system(label: str, files: list[str], data_dir: Path, rounds: int) -> SystemRun:
    """Loads a fresh warehouse, then times publish and the reference once per round."""
    shutil.rmtree(data_dir, ignore_errors=True)
    say(f"{label}: loading {len(files)} files into {data_dir}")
    load = measure("bench.publish.load_step", files=files, data_dir=str(data_dir))
    counts = warehouse_counts(data_dir)
    out = data_dir / "reference.parquet"
    publishes, four_publishes, references = [], [], []
    arguments = {"data_dir": str(data_dir), "today": TODAY.isoformat()}
    for number in range(rounds):
        say(f"{label}: round {number + 1} of {rounds}")
        publishes.append(measure("bench.publish.publish_step", **arguments))
        four_publishes.append(measure("bench.publish.four_indicator_publish_step", **arguments))
        references.append(
            measure(
                "bench.pandas_reference.run",
                today=TODAY.isoformat(),
                warehouse=str(data_dir / "warehouse.duckdb"),
                out=str(out),
            )
        )
    agreement = check(pd.read_parquet(out), Path(publishes[-1].detail["snapshot"]))
    return SystemRun(label, counts, load, publishes, four_publishes, references, agreement)


def machine() -> str:
    """Cores, memory and versions of the machine the figures come from."""
    memory_kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
    return (
        f"{os.cpu_count()} cores, {memory_kb / 1024**2:.0f} GB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, DuckDB {duckdb.__version__}, "
        f"pandas {pd.__version__}"
    )


def describe(run: SystemRun) -> str:
    """The warehouse and its load, as a list item."""
    c = run.counts
    return (
        f"- {run.label}: {c['spells']:,} spells, {c['deaths']:,} deaths, "
        f"{c['care_home_admissions']:,} care home admissions, {c['patients']:,} patients, "
        f"{c['practices']:,} practices; loaded in {run.load.seconds:.0f} s."
    )


def timing_rows(run: SystemRun) -> list[str]:
    """Three table rows: publish, publish of the four indicators, and the reference; each
    time as a multiple of publish's."""
    steps = [
        ("publishes", "`publish`"),
        ("four_publishes", "`publish`, the reference's four indicators only"),
        ("references", "pandas reference"),
    ]
    rows = []
    for step, title in steps:
        rounds = ", ".join(f"{m.seconds:.1f}" for m in getattr(run, step))
        ratio = run.median(step) / run.median("publishes")
        rows.append(
            f"| {run.label} | {title} | {run.median(step):.2f} | {rounds} | "
            f"{run.peak(step):,.0f} | {ratio:.2f} |"
        )
    return rows


def agreement_rows(run: SystemRun) -> list[str]:
    """One table row per metric: how the reference's month numerators compare."""
    rows = []
    for a in run.agreement.itertuples():
        verdict = "exact" if a.system_months_equal == a.system_months else "**differs**"
        rows.append(
            f"| {run.label} | {a.metric_id} | {a.system_months_equal} of {a.system_months} "
            f"({verdict}) | {a.reference_total:,.0f} | {a.published_total:,.0f} | "
            f"{'yes' if a.system_denominators_agree else '**no**'} | "
            f"{a.other_level_rows_differing:,} of {a.other_level_rows:,} |"
        )
    return rows


def verdicts(default: SystemRun, big: SystemRun) -> str:
    """The issue's three targets, each with its figure, and the same-indicator ratio."""
    ratio = big.median("references") / big.median("publishes")
    four_ratio = big.median("references") / big.median("four_publishes")
    peak = big.peak("publishes")
    return (
        f"- Default sample: `publish` takes {default.median('publishes'):.1f} s "
        "(target: well under a minute).\n"
        f"- {big.counts['spells']:,} spells: reference ÷ publish = **{ratio:.2f}×** "
        f"(target ≥ 5×: {'met' if ratio >= 5 else 'not met'}); `publish` peak memory "
        f"{peak:,.0f} MB (target < 4,096 MB: {'met' if peak < 4096 else 'not met'}).\n"
        f"- On the same four indicators: reference ÷ `publish` of those four = "
        f"**{four_ratio:.2f}×**."
    )


def scope(run: SystemRun) -> str:
    """What each side computes, so that the ratio can be read."""
    from metrics.registry import load_registry

    return (
        f"`publish` computes all {len(load_registry()):,} indicators (here "
        f"{run.publishes[-1].detail['values']:,} values: five levels, every segment, months, "
        "rolling 12 months, quarters, two-month board periods and financial years, with "
        "confidence limits, comparisons and SPC) and writes the snapshot; with only the "
        f"four indicators defined it computes {run.four_publishes[-1].detail['values']:,} "
        "values the same way. The reference "
        "(bench/pandas_reference.py) computes "
        "bed_days, nel_last_100_days, acsc_chronic (crude rate) and care_home_admissions_65plus "
        f"for the five levels, months and quarters only ({run.references[-1].detail['rows']:,} "
        "values). The big warehouse has the APC, organisations, population, deaths and care "
        "home feeds at the scale named, and the default sample's patients, conditions, GP "
        "events, survey, aggregate and deprivation files."
    )


def report(default: SystemRun, big: SystemRun, command: str) -> str:
    """The results as a Markdown section."""
    lines = [
        f"Command: `{command}` (run {date.today().isoformat()}; medians over the rounds; "
        "in each round `publish`, `publish` of the four indicators, then the reference, each in a "
        "fresh process; peak memory is "
        "that process's `VmHWM`, highest over the rounds).",
        "",
        f"Machine: {machine()}.",
        "",
        verdicts(default, big),
        "",
        describe(default),
        describe(big),
        "",
        "| warehouse | step | seconds (median) | rounds (s) | peak memory (MB) | ÷ publish |",
        "|---|---|---|---|---|---|",
        *timing_rows(default),
        *timing_rows(big),
        "",
        scope(big),
        "",
        "Agreement of the reference's month numerators with the published snapshot's "
        "(`indicator_values`, segment `all`; denominators to a relative 1e-9):",
        "",
        "| warehouse | metric | system months equal | reference total | published total | "
        "system denominators agree | other-level rows differing |",
        "|---|---|---|---|---|---|---|",
        *agreement_rows(default),
        *agreement_rows(big),
    ]
    return "\n".join(lines)


def say(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    """Runs the benchmark and writes its section of bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spells", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    sample = generate_feeds(WORK / f"sample_seed{SEED}", 1.0, None)
    default = run_system(
        "default sample", load_order(sample), WORK / "data_default", arguments.rounds
    )
    scale = arguments.spells / SPELLS_AT_SCALE_ONE
    scaled = generate_feeds(WORK / f"publish_{arguments.spells}", scale, SCALED_FEEDS)
    files = {**{f: p for f, p in sample.items() if f not in SCALED_FEEDS}, **scaled}
    big = run_system(
        f"about {arguments.spells:,} spells (scale {scale:.2f})",
        load_order(files),
        WORK / f"data_{arguments.spells}",
        arguments.rounds,
    )
    command = f"python -m bench.publish --spells {arguments.spells} --rounds {arguments.rounds}"
    section = report(default, big, command)
    print(section)
    write_section(Path("bench/RESULTS.md"), HEADING, section)


if __name__ == "__main__":
    main()
