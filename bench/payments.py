"""Benchmark: payments for a full year of the default sample under two schemes.

Target (issue 14): payments for a full year of the default sample in under 5 s. For the
last complete financial year of the snapshot, each of its quarters and the year itself
are computed (`wholesystem.payments.compute`: open the snapshot, read the practices'
counts, lists, membership and targets, work out every network's money) under the demo's
70/30 scheme and its 60/40 scheme with a gain share. The baseline, measured in the same
run, opens the snapshot and reads the same practice rows (the period's month rows of the
scheme's KPIs, the lists and the admissions) into pandas and does nothing else, so the
difference is the engine's own work. Run with `make bench-payments` or
`python -m bench.payments`; results go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from contextlib import closing
from datetime import date
from pathlib import Path

from bench.dashboard_server import add_data_dir_argument, sample_settings
from bench.publish import machine
from bench.results import write_section
from wholesystem import payments, schemes
from wholesystem.demo_schemes import DEMO_SCHEMES
from wholesystem.settings import Settings

HEADING = "Payments for a full year"
TARGET_SECONDS = 5.0
BASELINE_SQL = """
SELECT metric_id, org_code, period_start, numerator, denominator, suppressed
FROM indicator_values
WHERE level = 'practice' AND period_type = 'month' AND segment = 'all'
  AND period_start BETWEEN ? AND ? AND metric_id IN (SELECT unnest(?::VARCHAR[]))
"""


def year_periods(settings: Settings) -> list[str]:
    """The last complete financial year's quarters, then the year."""
    year = payments.periods(settings, kind="fy")[0]
    months = set(payments.period_months(year))
    quarters = [
        period
        for period in payments.periods(settings, kind="quarter")
        if set(payments.period_months(period)) <= months
    ]
    return sorted(quarters) + [year]


def engine_seconds(settings, scheme, period: str, rounds: int) -> list[float]:
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        payments.compute(settings, scheme, period)
        seconds.append(time.perf_counter() - started)
    return seconds


def baseline_seconds(settings, scheme, period: str, rounds: int) -> list[float]:
    """Opening the snapshot and reading the same practice rows, nothing more."""
    from metrics import serving

    months = payments.period_months(period)
    wanted = [rule.metric_id for rule in scheme.kpis] + ["registered_population"]
    if scheme.gain_share is not None:
        wanted.append(scheme.gain_share.metric_id)
    first = date(months[0].year - 1, months[0].month, 1)  # the gain share's year before
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        version = serving.released_version(settings)
        with closing(serving.open_version(settings, version)) as connection:
            connection.execute(BASELINE_SQL, (first, months[-1], wanted)).df()
            connection.execute("SELECT * FROM practice_months").df()
        seconds.append(time.perf_counter() - started)
    return seconds


def run(settings: Settings, rounds: int) -> list[tuple]:
    """(scheme, period, engine median, baseline median) for each scheme and period."""
    rows = []
    for name, table in DEMO_SCHEMES.items():
        scheme = schemes.parse_scheme(name, table, "the demo")
        payments.compute(settings, scheme, year_periods(settings)[0])  # imports, caches
        for period in year_periods(settings):
            engine = statistics.median(engine_seconds(settings, scheme, period, rounds))
            base = statistics.median(baseline_seconds(settings, scheme, period, rounds))
            rows.append((scheme.title, period, engine, base))
    return rows


def report(command: str, rows: list[tuple], rounds: int) -> str:
    lines = [
        f"Command: `{command}` (run {date.today().isoformat()}; the default sample's "
        f"snapshot; median of {rounds} rounds each).",
        "",
        f"Machine: {machine()}.",
        "",
        "| scheme | period | payments (s) | baseline: reading the same rows (s) |",
        "|---|---|---:|---:|",
    ]
    lines += [f"| {s} | {p} | {e:.3f} | {b:.3f} |" for s, p, e, b in rows]
    for title in dict.fromkeys(row[0] for row in rows):
        total = sum(row[2] for row in rows if row[0] == title)
        base = sum(row[3] for row in rows if row[0] == title)
        verdict = "met" if total < TARGET_SECONDS else "not met"
        lines += [
            "",
            f"- {title}: the whole year (four quarters and the year) in **{total:.2f} s**, "
            f"against {base:.2f} s for reading the same rows (target < {TARGET_SECONDS:.0f} s: "
            f"{verdict}).",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs of each period")
    add_data_dir_argument(parser)
    arguments = parser.parse_args(argv)
    settings = sample_settings(arguments.data_dir)
    rows = run(settings, arguments.rounds)
    command = "python -m bench.payments " + " ".join(argv if argv is not None else sys.argv[1:])
    body = report(command.strip(), rows, arguments.rounds)
    write_section(Path("bench/RESULTS.md"), HEADING, body)
    print(body)


if __name__ == "__main__":
    main()
