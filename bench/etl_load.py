"""Benchmark: loading and validating a large APC file against DuckDB's bare read_csv.

The baseline is `CREATE TABLE … AS SELECT * FROM read_csv(file)` into a fresh DuckDB file:
no validation, quarantine, revision or logging. The targets (issue 15): the product's load
of a clean 10-million-row file at most 1.25 times the baseline, of the copy with 1% bad rows
at most twice, with peak memory under 2 GB. Both files take the one pass (`etl.fastpath`):
its INSERT keeps the rows it leaves out (`etl.left_out`), and the copy with 1% bad rows then
reads only its key column again, numbered, to give them their lines. Run
with `make bench` or `python -m bench.etl_load --spells 10000000 [--rounds N]`; results go
to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
from datetime import date
from pathlib import Path

from bench.measure import Measurement, measure
from bench.results import write_section

WORK = Path("bench/work")
SPELLS_AT_SCALE_ONE = 367_000  # the sample system's 36 months at scale 1, measured


def make_apc_file(spells: int, work: Path) -> Path:
    """Generates the sample system's APC feed at the scale that gives about `spells` rows."""
    from sample_data.generate import generate

    out = work / f"apc_{spells}"
    files = list((out).glob("apc_spells.csv"))
    if not files:
        scale = spells / SPELLS_AT_SCALE_ONE
        written = generate(out, scale=scale, end_month=date(2026, 10, 1), feeds={"apc_spells"})
        files = written["apc_spells"]
    return files[0]


def make_dirty_copy(clean: Path) -> Path:
    """The same file with every 100th spell's practice code broken (1% of rows quarantined)."""
    import duckdb

    dirty = clean.with_name("apc_spells_1pct_bad.csv")
    if not dirty.exists():
        duckdb.execute(
            f"""COPY (SELECT * REPLACE (CASE WHEN hash(spell_id) % 100 = 0 THEN 'BAD'
                                             ELSE gpprac END AS gpprac)
                      FROM read_csv('{clean}', all_varchar = true))
                TO '{dirty}' (HEADER)"""
        )
    return dirty


def bare_read_csv(path: str, database: str) -> dict:
    """The baseline: DuckDB's bare read_csv of the file into a table."""
    import duckdb

    with duckdb.connect(database) as connection:
        connection.execute(f"CREATE TABLE apc_spells AS SELECT * FROM read_csv('{path}')")
        return {"rows": connection.execute("SELECT count(*) FROM apc_spells").fetchone()[0]}


def product_load(path: str, data_dir: str) -> dict:
    """The product: `wholesystem load FILE` with the default settings, in-process."""
    from etl.load import load_files
    from wholesystem.settings import Settings

    [result] = load_files([Path(path)], Settings(data_dir=Path(data_dir)), report=lambda m: None)
    if result.outcome != "loaded":
        raise SystemExit(f"the benchmark file did not load: {result.message}")
    return {"rows": result.counts.rows_accepted, "quarantined": result.counts.rows_quarantined}


def run_pair(path: Path, work: Path, round_number: int) -> tuple[Measurement, Measurement]:
    """One baseline run and one product run, each into a fresh database."""
    database = work / f"bare_{round_number}.duckdb"
    data_dir = work / f"data_{round_number}"
    database.unlink(missing_ok=True)
    shutil.rmtree(data_dir, ignore_errors=True)
    bare = measure("bench.etl_load.bare_read_csv", path=str(path), database=str(database))
    ours = measure("bench.etl_load.product_load", path=str(path), data_dir=str(data_dir))
    database.unlink(missing_ok=True)
    shutil.rmtree(data_dir, ignore_errors=True)
    return bare, ours


def report(files: dict[str, tuple[Path, list]], command: str) -> str:
    """The results as a Markdown section: one row per file and step, with wall-clock and CPU
    seconds (user + system, every thread), which show the work when the machine is shared."""
    lines = [
        f"Command: `{command}` (run {date.today().isoformat()}; medians over the rounds; "
        "each step in a fresh process and a fresh database).",
        "",
        "| file | step | seconds | CPU seconds | peak memory (MB) | ratio (CPU ratio) |",
        "|---|---|---|---|---|---|",
    ]
    for label, (path, pairs) in files.items():
        bare, ours = (_medians([pair[side] for pair in pairs]) for side in (0, 1))
        detail = pairs[0][1].detail
        spells = detail["rows"] + detail["quarantined"]
        name = f"{label}: {spells:,} spells, {path.stat().st_size / 1e9:.2f} GB"
        lines.append(
            f"| {name} | DuckDB bare `read_csv` into a table | {bare[0]:.2f} | {bare[1]:.1f} | "
            f"{max(p[0].peak_mb for p in pairs):,.0f} | 1.00 |"
        )
        lines.append(
            f"| {name} | `wholesystem load` ({detail['quarantined']:,} quarantined) | "
            f"{ours[0]:.2f} | {ours[1]:.1f} | {max(p[1].peak_mb for p in pairs):,.0f} | "
            f"**{ours[0] / bare[0]:.2f}×** ({ours[1] / bare[1]:.2f}×) |"
        )
    return "\n".join(lines)


def _medians(runs: list[Measurement]) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of one step's runs."""
    return (
        statistics.median(run.seconds for run in runs),
        statistics.median(run.cpu_seconds for run in runs),
    )


def memory_check(spells: int) -> None:
    """Loads one large clean file once and records its time and peak memory."""
    path = make_apc_file(spells, WORK)
    data_dir = WORK / "data_memory"
    shutil.rmtree(data_dir, ignore_errors=True)
    ours = measure("bench.etl_load.product_load", path=str(path), data_dir=str(data_dir))
    shutil.rmtree(data_dir, ignore_errors=True)
    section = (
        f"Command: `python -m bench.etl_load --memory-check-spells {spells}` "
        f"(run {date.today().isoformat()}, one load).\n\n"
        f"`wholesystem load` of {ours.detail['rows']:,} clean spells "
        f"({path.stat().st_size / 1e9:.2f} GB CSV): {ours.seconds:.1f} s, "
        f"peak memory **{ours.peak_mb:,.0f} MB**. DuckDB runs under "
        "`WHOLESYSTEM_ETL_MEMORY_LIMIT` (1 GB) and spills to data/tmp beyond it."
    )
    print(section)
    write_section(Path("bench/RESULTS.md"), "ETL peak memory on a larger file", section)


def main(argv: list[str] | None = None) -> None:
    """Runs the benchmark and writes its section of bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spells", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--memory-check-spells", type=int, help="instead, load one file of this size once and "
        "record peak memory (to show it does not grow with the file)",
    )  # fmt: skip
    arguments = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    if arguments.memory_check_spells:
        return memory_check(arguments.memory_check_spells)
    clean = make_apc_file(arguments.spells, WORK)
    files = {"clean": clean, "1% bad rows": make_dirty_copy(clean)}
    results = {
        label: (path, [run_pair(path, WORK, number) for number in range(arguments.rounds)])
        for label, path in files.items()
    }
    command = f"python -m bench.etl_load --spells {arguments.spells} --rounds {arguments.rounds}"
    section = report(results, command)
    print(section)
    write_section(Path("bench/RESULTS.md"), "ETL load throughput and memory", section)


if __name__ == "__main__":
    main()
