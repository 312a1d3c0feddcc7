"""Benchmark: `wholesystem publish --incremental` after a month's load, against a full publish.

A loaded default sample (end month October 2026) is turned back into its state at the end
of September (every row dated in October removed; stays and registrations that ended in
October open again; diagnoses resolved in October unresolved). On that warehouse, in one data
directory: a full publish, then an incremental one that finds no cache and writes it (what
the cache costs). The warehouse is then replaced by the October one, with a few hundred
rows revised (September discharges a day later, patients' frailty), as a monthly load
would leave it; an incremental publish and a full publish of it follow, and their snapshots
are compared (metrics.snapshot_diff); so are September's and October's full publishes, over
the periods the load does not reach (bench.untouched_rows: the rows an incremental publish
could copy rather than recompute). Each publish runs in a fresh process (bench.measure:
wall and CPU seconds, peak memory) and records its stages' seconds. Run with
`python -m bench.incremental_publish [--warehouse PATH] [--revised 200]`; without
--warehouse the default sample is generated and loaded as bench/publish.py does. Results
go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
from datetime import date
from pathlib import Path

import duckdb

from bench.measure import Measurement, measure
from bench.publish import SEED, WORK, generate_feeds, load_order, machine, say
from bench.results import write_section
from bench.untouched_rows import describe, untouched_rows

HEADING = "Incremental publish after a month's load"
SEPTEMBER_TODAY = date(2026, 10, 15)  # the last complete month is September
OCTOBER_TODAY = date(2026, 11, 1)
# The first month the October load adds to or revises (REVISIONS_SQL: September discharges),
# before which bench.untouched_rows compares September's and October's full publishes.
FIRST_ADDED, FIRST_REVISED = date(2026, 10, 1), date(2026, 9, 1)
FIRST_NEW = f"DATE '{FIRST_ADDED.isoformat()}'"
SEPTEMBER_KEPT = "september_full.duckdb"  # publish keeps 3 snapshots; the bench makes 4
# The warehouse as a load up to the end of September would have left it.
AS_AT_SEPTEMBER_SQL = f"""
DELETE FROM apc_spells WHERE admidate >= {FIRST_NEW};
UPDATE apc_spells SET disdate = NULL, disdest = NULL WHERE disdate >= {FIRST_NEW};
DELETE FROM gp_events WHERE event_date >= {FIRST_NEW};
DELETE FROM conditions WHERE diagnosed_on >= {FIRST_NEW};
UPDATE conditions SET resolved_on = NULL WHERE resolved_on >= {FIRST_NEW};
DELETE FROM patients WHERE registered_from >= {FIRST_NEW};
UPDATE patients SET registered_to = NULL WHERE registered_to >= {FIRST_NEW};
DELETE FROM deaths WHERE dod >= {FIRST_NEW};
DELETE FROM care_home_admissions WHERE admission_date >= {FIRST_NEW};
DELETE FROM survey_responses WHERE response_date >= {FIRST_NEW};
DELETE FROM ae_attendances WHERE arrivaldate >= {FIRST_NEW};
DELETE FROM population WHERE extract_date >= {FIRST_NEW};
"""
# A few revisions the October load brings to rows already loaded.
REVISIONS_SQL = """
UPDATE apc_spells SET disdate = disdate + 1 WHERE spell_id IN (
    SELECT spell_id FROM apc_spells WHERE disdate BETWEEN DATE '2026-09-01' AND DATE '2026-09-29'
    ORDER BY spell_id LIMIT $revised);
UPDATE patients SET frailty = CASE frailty WHEN 'fit' THEN 'mild' ELSE 'fit' END
WHERE person_id IN (SELECT person_id FROM patients ORDER BY person_id LIMIT $revised);
"""


def publish_step(data_dir: str, today: str, incremental: bool) -> dict:
    """`wholesystem publish` (with --incremental or not) in-process; returns the snapshot,
    the notes and each stage's seconds."""
    from metrics.publish import publish
    from wholesystem.settings import Settings

    stages = {}
    result = publish(
        Settings(data_dir=Path(data_dir)), date.fromisoformat(today),
        report=lambda name, seconds: stages.update({name: seconds}), incremental=incremental,
    )  # fmt: skip
    return {"snapshot": str(result.path), "notes": result.notes, "stages": stages}


def prepare_warehouses(source: Path, work: Path, revised: int) -> tuple[Path, Path]:
    """Copies `source` to work/september.duckdb (as at September) and work/october.duckdb
    (with `revised` spells and patients revised); returns both paths."""
    september, october = work / "september.duckdb", work / "october.duckdb"
    for path, sql, parameters in ((september, AS_AT_SEPTEMBER_SQL, None),
                                  (october, REVISIONS_SQL, {"revised": revised})):  # fmt: skip
        shutil.copyfile(source, path)
        os.chmod(path, 0o644)
        with duckdb.connect(str(path)) as connection:
            for statement in filter(str.strip, sql.split(";")):
                connection.execute(statement, parameters if "$" in statement else None)
    return september, october


def run(september: Path, october: Path, data_dir: Path) -> dict[str, Measurement]:
    """The four publishes, in one data directory; returns each one's measurement."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    shutil.copyfile(september, data_dir / "warehouse.duckdb")
    steps = {}
    for label, warehouse, today, incremental in (
        ("September, full", None, SEPTEMBER_TODAY, False),
        ("September, incremental without a cache (writes it)", None, SEPTEMBER_TODAY, True),
        ("October, incremental", october, OCTOBER_TODAY, True),
        ("October, full", None, OCTOBER_TODAY, False),
    ):
        if warehouse is not None:
            shutil.copyfile(warehouse, data_dir / "warehouse.duckdb")
        say(f"publish: {label}")
        steps[label] = measure("bench.incremental_publish.publish_step", data_dir=str(data_dir),
                               today=str(today), incremental=incremental)  # fmt: skip
        say(f"  {steps[label].seconds:.1f} s, {steps[label].cpu_seconds:.1f} CPU s")
        if label == "September, full":
            shutil.copyfile(steps[label].detail["snapshot"], data_dir.parent / SEPTEMBER_KEPT)
    return steps


def report(
    steps: dict[str, Measurement], identical: list[str], untouched: str, command: str
) -> str:
    """The RESULTS.md section; `untouched` is bench.untouched_rows' paragraph."""
    lines = [f"Command: `{command}`", "", machine(), "",
             "| publish | wall s | CPU s | peak MB | units s | note |",
             "|---|---:|---:|---:|---:|---|"]  # fmt: skip
    for label, step in steps.items():
        stages = step.detail["stages"]
        units = sum(s for name, s in stages.items() if name.startswith("units")
                    or name == "saving the units cache")  # fmt: skip
        note = "; ".join(n for n in step.detail["notes"] if n.startswith("incremental"))
        lines.append(f"| {label} | {step.seconds:.1f} | {step.cpu_seconds:.1f} | "
                     f"{step.peak_mb:.0f} | {units:.1f} | {note} |")  # fmt: skip
    full, fast = steps["October, full"], steps["October, incremental"]
    lines += ["", f"October incremental ÷ full: {fast.seconds / full.seconds:.2f} (wall), "
              f"{fast.cpu_seconds / full.cpu_seconds:.2f} (CPU). Snapshots of October: "
              + ("identical." if not identical else "; ".join(identical))]  # fmt: skip
    lines += ["", untouched]
    lines += ["", "Stage seconds (October incremental, then full):", ""]
    for name in full.detail["stages"] | fast.detail["stages"]:
        a, b = fast.detail["stages"].get(name), full.detail["stages"].get(name)
        lines.append(f"- {name}: {_seconds(a)} / {_seconds(b)}")
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def main(argv: list[str] | None = None) -> None:
    """Runs the benchmark and writes its section of bench/RESULTS.md."""
    from metrics.snapshot_diff import differences

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="a loaded default sample (end 2026-10)")
    parser.add_argument("--revised", type=int, default=200)
    parser.add_argument("--work", type=Path, default=WORK / "incremental")
    arguments = parser.parse_args(argv)
    work = arguments.work
    work.mkdir(parents=True, exist_ok=True)
    source = arguments.warehouse
    if source is None:
        from bench.publish import load_system

        files = generate_feeds(WORK / f"sample_seed{SEED}", 1.0, None)
        load_system("default sample", load_order(files), work / "loaded")
        source = work / "loaded" / "warehouse.duckdb"
    september, october = prepare_warehouses(source, work, arguments.revised)
    steps = run(september, october, work / "data")
    snapshots = [Path(steps[label].detail["snapshot"])
                 for label in ("October, incremental", "October, full")]  # fmt: skip
    command = "python -m bench.incremental_publish" + (
        f" --warehouse {arguments.warehouse}" if arguments.warehouse else ""
    )
    first_changed = FIRST_REVISED if arguments.revised else FIRST_ADDED
    untouched = untouched_rows(work / SEPTEMBER_KEPT, snapshots[1], first_changed)
    section = report(steps, differences(*snapshots), describe(untouched, first_changed), command)
    print(section)
    write_section(Path("bench/RESULTS.md"), HEADING, section)


if __name__ == "__main__":
    main()
