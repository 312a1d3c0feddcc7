"""Benchmark: dashboard callback latency, concurrent load, a publish under load, and the
time until each page is usable, on the default sample system behind gunicorn.

Targets (issue 4): with gunicorn and 2 workers, a callback's p95 latency is at most 150 ms
with one client; 8 concurrent clients over 60 seconds get no errors; a page is usable
within 2 seconds in headless Chromium; publishing a new snapshot while the dashboard is
under load fails no request. The baseline, measured in the same run against the same
server, is the login page: a request that reads no data, so the gap between it and a
callback is the dashboard's own work. Run with `make bench-dashboard` or
`python -m bench.dashboard`; results go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench.dashboard_browser import browse, usable_rows
from bench.dashboard_load import Tally, distinct, get, many_clients, one_client, post
from bench.dashboard_server import USER, Gunicorn, add_bench_user, sample_settings
from bench.publish import machine
from bench.results import write_section

HEADING = "Dashboard latency, load and page time"


def publish_during(settings, rest_seconds: float = 5.0):
    """Returns a function that runs `wholesystem publish` on the data and then waits a
    little, so the load carries on across the pointer switch."""

    def run() -> None:
        environment = dict(os.environ, WHOLESYSTEM_DATA_DIR=str(settings.data_dir.resolve()))
        command = [str(Path(sys.executable).with_name("wholesystem")), "publish"]
        subprocess.run(command, env=environment, check=True, capture_output=True)
        time.sleep(rest_seconds)

    return run


def served_version(requests, cookie: str) -> str:
    """The snapshot version the router callback names in the footer."""
    url, body = next((u, b) for u, b in requests if "footer.children" in json.loads(b)["output"])
    payload = json.loads(post(url, body, cookie, Tally()))
    return payload["response"]["footer"]["children"].removeprefix("Snapshot ")


# A target at each metric's latest system value, so the icons and on-track verdicts vary.
SEED_METRICS_SQL = """
SELECT i.id, round(arg_max(v.value, v.period_start), 1)
FROM indicators i JOIN indicator_values v ON v.metric_id = i.id
WHERE i."group" IN ('northumbria', 'whole_system') AND i.improvement <> 'neutral'
  AND v.level = 'system' AND v.period_type = 'month' AND v.segment = 'all'
  AND v.value IS NOT NULL
GROUP BY i.id ORDER BY i.id
"""
SEED_AREAS_SQL = "SELECT org_code FROM org_units WHERE level = 'area' ORDER BY org_code"
SEED_PERIOD_SQL = """
SELECT (SELECT max(period_start) FROM period_months WHERE period_type = 'board'),
       list(month ORDER BY month) FILTER (month > last - INTERVAL 12 MONTH)
FROM months, (SELECT max(month) AS last FROM months)
"""


@dataclass
class DashboardRun:
    """Every figure of one run."""

    page_seconds: dict[str, list[float]]
    callbacks: int
    baseline: Tally
    bare: dict[str, Tally]  # before any target or commentary was stored
    single: dict[str, Tally]
    concurrent: Tally
    under_publish: Tally
    versions: tuple[str, str]


def measure(rounds: int, seconds: float, clients: int) -> DashboardRun:
    """Runs every step against one gunicorn with 2 workers."""
    settings = sample_settings()
    password = add_bench_user(settings)
    with Gunicorn(settings, workers=2) as server:
        page_seconds, bodies, cookies = browse(server.url, USER, password)
        cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        requests = distinct(bodies)
        baseline = Tally()
        for _ in range(rounds * len(requests)):
            get(server.url + "/login", "", baseline)
        # The same requests before and after the side store holds targets, trajectories
        # and commentary for every board metric and area, which pages read live.
        bare = one_client(requests, cookie, rounds)
        seed_targets_and_commentary(settings)
        single = one_client(requests, cookie, rounds)
        concurrent = many_clients(requests, cookie, clients, seconds)
        before = served_version(requests, cookie)
        under_publish = many_clients(requests, cookie, clients, 0, publish_during(settings))
        after = served_version(requests, cookie)
    return DashboardRun(
        page_seconds,
        len(requests),
        baseline,
        bare,
        single,
        concurrent,
        under_publish,
        (before, after),
    )


def seed_targets_and_commentary(settings) -> tuple[int, int]:
    """Sets a target with a 12-month trajectory and writes approved commentary for every
    Northumbria and whole-system metric with a better direction, in every area, for the
    latest board period (replacing any a previous run left); returns how many of each."""
    from metrics.serving import open_current
    from wholesystem import commentary, targets

    connection, _ = open_current(settings)
    with connection:
        metrics = connection.execute(SEED_METRICS_SQL).fetchall()
        areas = [row[0] for row in connection.execute(SEED_AREAS_SQL).fetchall()]
        board, months = connection.execute(SEED_PERIOD_SQL).fetchone()
    specs = [
        targets.TargetSpec(metric_id, area, value=float(value), reason="bench",
                           trajectory={month: float(value) for month in months})
        for metric_id, value in metrics for area in areas
    ]  # fmt: skip
    against = targets.checker(settings)
    targets.put_targets(settings, [targets.check_spec(spec, against) for spec in specs], "bench")
    for metric_id, _ in metrics:
        for area in areas:
            comment = commentary.write(
                settings, metric_id, area, board, "Bench commentary.", "bench", action="None."
            )
            commentary.approve(settings, comment.id, "bench")
    return len(specs), len(metrics) * len(areas)


def combined(tallies: dict[str, Tally]) -> Tally:
    """All callbacks' latencies in one tally."""
    every = Tally()
    for tally in tallies.values():
        every.latencies += tally.latencies
        every.failures += tally.failures
    return every


def verdicts(run: DashboardRun, clients: int, seconds: float) -> list[str]:
    """The issue's four targets, each with its figure."""
    p95 = combined(run.single).percentile(95)
    bare = combined(run.bare).percentile(95)
    slowest_page = max(max(times) for times in run.page_seconds.values())
    switched = run.versions[0] != run.versions[1]
    return [
        f"- One client: callback p95 **{p95:.0f} ms** over {run.callbacks} distinct callback "
        f"requests (target ≤ 150 ms: {'met' if p95 <= 150 else 'not met'}); baseline (login "
        f"page, no data) p95 {run.baseline.percentile(95):.0f} ms. With targets, "
        f"trajectories and commentary read live for every board metric and area; the same "
        f"requests before any was stored: p95 {bare:.0f} ms.",
        f"- {clients} concurrent clients for {seconds:.0f} s: {len(run.concurrent.latencies):,} "
        f"requests, **{len(run.concurrent.failures)} failed** (target 0), p95 "
        f"{run.concurrent.percentile(95):.0f} ms.",
        f"- Publish under load ({clients} clients while `wholesystem publish` ran): "
        f"{len(run.under_publish.latencies):,} requests, **{len(run.under_publish.failures)} "
        f"failed** (target 0); snapshot served before {run.versions[0]}, after "
        f"{run.versions[1]} ({'switched' if switched else '**not switched**'}).",
        f"- Slowest page to usable: **{slowest_page:.2f} s** (target ≤ 2 s: "
        f"{'met' if slowest_page <= 2 else 'not met'}).",
    ]


def callback_rows(run: DashboardRun) -> list[str]:
    """One Markdown row per callback output: median, p95 and slowest latency."""
    return [
        f"| `{output[:90]}` | {len(t.latencies)} | {t.percentile(50):.0f} | "
        f"{t.percentile(95):.0f} | {max(t.latencies) * 1000:.0f} |"
        for output, t in sorted(run.single.items())
        if t.latencies
    ]


def report(run: DashboardRun, command: str, clients: int, seconds: float) -> str:
    """The results as a Markdown section."""
    return "\n".join([
        f"Command: `{command}` (run {date.today().isoformat()}; gunicorn with 2 workers "
        "serving the default sample's snapshot; requests replay what headless Chromium sent).",
        "",
        f"Machine: {machine()}.",
        "",
        *verdicts(run, clients, seconds),
        "",
        "| callback output | requests | median ms | p95 ms | slowest ms |",
        "|---|---|---|---|---|",
        *callback_rows(run),
        "",
        "Time until each page is usable (no callback in flight, every chart drawn), from "
        "the start of navigation, 5 loads each:",
        "",
        "| page | median s | slowest s |",
        "|---|---|---|",
        *usable_rows(run.page_seconds),
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="one-client rounds per callback")
    parser.add_argument("--seconds", type=float, default=60, help="length of the load test")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    arguments = parser.parse_args(argv)
    run = measure(arguments.rounds, arguments.seconds, arguments.clients)
    command = "python -m bench.dashboard " + " ".join(argv if argv is not None else sys.argv[1:])
    body = report(run, command.strip(), arguments.clients, arguments.seconds)
    write_section(Path("bench/RESULTS.md"), HEADING, body)
    print(body)


if __name__ == "__main__":
    main()
