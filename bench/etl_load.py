"""Benchmark: loading and validating a large APC file against DuckDB's bare read_csv.

The baseline is `CREATE TABLE … AS SELECT * FROM read_csv(file)` into a fresh DuckDB file:
no validation, quarantine, revision or logging. Beside it, the baseline proposed in its place
(`typed_read_csv`): the same read with the warehouse's own column types, into a table of
them. The targets (issue 15): the product's load of a clean 10-million-row file at most 1.25
times the baseline, of the copy with 1% bad rows at most twice, with peak memory under 2 GB.
Both files take the one pass (`etl.fastpath`): its INSERT keeps the rows it leaves out
(`etl.left_out`), and the copy with 1% bad rows then
reads only its key column again, in the file's order, to give them their lines. Run
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


def typed_read_csv(path: str, database: str) -> dict:
    """The baseline proposed in place of the bare one (RESULTS, "Issue 15's targets"): the
    same read_csv, but with the warehouse's own column types (codes as text, dates as DATE),
    into a table of those types, so that both sides write the same table."""
    import duckdb

    from etl.schema import feed_tables

    types = {name: kind for name, kind in feed_tables()["apc_spells"] if name != "load_id"}
    columns = ", ".join(f"{name} {kind}" for name, kind in types.items())
    with duckdb.connect(database) as connection:
        connection.execute(f"CREATE TABLE apc_spells ({columns})")
        connection.execute(
            f"INSERT INTO apc_spells BY NAME SELECT * FROM read_csv('{path}', types = $types)",
            {"types": types},
        )
        return {"rows": connection.execute("SELECT count(*) FROM apc_spells").fetchone()[0]}


def product_load(path: str, data_dir: str) -> dict:
    """The product: `wholesystem load FILE` with the default settings, in-process."""
    from etl.load import load_files
    from wholesystem.settings import Settings

    [result] = load_files([Path(path)], Settings(data_dir=Path(data_dir)), report=lambda m: None)
    if result.outcome != "loaded":
        raise SystemExit(f"the benchmark file did not load: {result.message}")
    return {"rows": result.counts.rows_accepted, "quarantined": result.counts.rows_quarantined}


def run_pair(path: Path, work: Path, round_number: int) -> tuple[Measurement, ...]:
    """The two baselines' runs and one product run, each into a fresh database."""
    database = work / f"bare_{round_number}.duckdb"
    data_dir = work / f"data_{round_number}"
    runs = []
    for step in ("bare_read_csv", "typed_read_csv"):
        database.unlink(missing_ok=True)
        runs.append(measure(f"bench.etl_load.{step}", path=str(path), database=str(database)))
    database.unlink(missing_ok=True)
    shutil.rmtree(data_dir, ignore_errors=True)
    runs.append(measure("bench.etl_load.product_load", path=str(path), data_dir=str(data_dir)))
    shutil.rmtree(data_dir, ignore_errors=True)
    return tuple(runs)


def report(files: dict[str, tuple[Path, list]], command: str) -> str:
    """The results as a Markdown section: one row per file and step, with wall-clock and CPU
    seconds (user + system, every thread), which show the work when the machine is shared."""
    lines = [
        f"Command: `{command}` (run {date.today().isoformat()}; medians over the rounds; "
        "each step in a fresh process and a fresh database).",
        "",
        "| file | step | seconds | CPU seconds | peak memory (MB) | ratio to the bare read "
        "(CPU ratio) | ratio to the typed read (CPU ratio) |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, (path, runs) in files.items():
        bare, typed, ours = (_medians([run[side] for run in runs]) for side in (0, 1, 2))
        detail = runs[0][2].detail
        spells = detail["rows"] + detail["quarantined"]
        name = f"{label}: {spells:,} spells, {path.stat().st_size / 1e9:.2f} GB"
        steps = (
            ("DuckDB bare `read_csv` into a table", bare),
            ("`read_csv` with the warehouse's types into a table of them", typed),
            (f"`wholesystem load` ({detail['quarantined']:,} quarantined)", ours),
        )
        for side, (step, seconds) in enumerate(steps):
            peak = max(run[side].peak_mb for run in runs)
            lines.append(
                f"| {name} | {step} | {seconds[0]:.2f} | {seconds[1]:.1f} | {peak:,.0f} | "
                f"{_ratio(seconds, bare, side == 2)} | {_ratio(seconds, typed, side == 2)} |"
            )
    return "\n".join(lines)


def _ratio(seconds: tuple[float, float], baseline: tuple[float, float], bold: bool) -> str:
    """`seconds` ÷ `baseline`, wall-clock then (CPU), the product's in bold."""
    wall = f"{seconds[0] / baseline[0]:.2f}×"
    return f"{f'**{wall}**' if bold else wall} ({seconds[1] / baseline[1]:.2f}×)"


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
