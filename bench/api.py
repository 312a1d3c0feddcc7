"""The read-only API under load: p95 latency of a values query against the login page.

`python -m bench.api [--data DIR] [--seconds N]` (`make bench-api`) copies the released
snapshot of a published data directory (default: the dashboard benchmark's sample,
built on first use) into a temporary directory, makes a whole-system viewer with an API
token there, and runs gunicorn with 2 workers as the Procfile does. Then 8 concurrent
clients for N seconds (30 by default) each:
- ask `/api/v1/values` for one indicator (emergency admissions) at practice level, every
  month, every row in one page (`limit=10000`), with the token, as JSON; then
- fetch the login page without a session: the no-data baseline (routing, the gate,
  headers and a small template, no snapshot read).
The token's rate limit is raised for the run, so nothing is refused by design; any answer
but 200 (and any 429) counts as an error. Results go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.dashboard_load import Tally
from bench.dashboard_server import Gunicorn, add_data_dir_argument, sample_settings
from bench.results import write_section
from metrics import serving
from wholesystem.settings import Settings

CLIENTS, WORKERS = 8, 2
VALUES = "/api/v1/values?metric=emergency_admissions&level=practice&period_type=month&limit=10000"
BASELINE = "/login"
RESULTS = Path("bench/RESULTS.md")
HEADING = "API latency under load"


def fetch(url: str, headers: dict, tally: Tally) -> int:
    """GETs a URL, adding its latency or its failure (any status but 200) to `tally`;
    returns the bytes read."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
            size = len(r.read())
            if r.status != 200:
                raise urllib.error.HTTPError(url, r.status, "", None, None)
    except (OSError, urllib.error.HTTPError) as error:
        tally.failures.append(f"{type(error).__name__}: {error}")
        return 0
    tally.latencies.append(time.perf_counter() - started)
    return size


def load(url: str, headers: dict, seconds: float) -> tuple[Tally, int]:
    """`CLIENTS` threads fetch the URL for `seconds`; returns the tally and one body size."""
    tally, stop, sizes = Tally(), threading.Event(), []

    def client() -> None:
        while not stop.is_set():
            sizes.append(fetch(url, headers, tally))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return tally, max(sizes, default=0)


def private_copy(source: Settings, into: Path) -> Settings:
    """A data directory holding only the source's released snapshot (so the benchmark's
    user, token and audit rows never land in the source)."""
    version = serving.current_version(source)
    settings = Settings(data_dir=into)
    settings.serving_dir.mkdir(parents=True)
    shutil.copy(serving.snapshot_path(source, version), serving.snapshot_path(settings, version))
    serving.point_to(settings, version)
    return settings


def token_for(settings: Settings) -> str:
    from dashboard import users
    from wholesystem import api_tokens

    users.add_or_reset(settings, "bench-viewer", "viewer", users.new_password())
    return api_tokens.create(settings, "bench-viewer", "bench", "bench")[1]


def run(source: Settings, seconds: float) -> str:
    with tempfile.TemporaryDirectory(prefix="bench-api-") as temp:
        settings = private_copy(source, Path(temp) / "data")
        headers = {"Authorization": f"Bearer {token_for(settings)}"}
        os.environ["WHOLESYSTEM_API_RATE_LIMIT"] = "1000000/minute"
        before = os.getloadavg()[0]
        with Gunicorn(settings, workers=WORKERS) as server:
            fetch(server.url + VALUES, headers, Tally())  # each worker's first read
            fetch(server.url + VALUES, headers, Tally())
            api, size = load(server.url + VALUES, headers, seconds)
            baseline, _ = load(server.url + BASELINE, {}, seconds)
            audited = _audited(settings)
    load_average = (before, os.getloadavg()[0])
    return report(api, baseline, size, seconds, audited, load_average)


def _audited(settings: Settings) -> int:
    from wholesystem import api_tokens

    return len(api_tokens.requests(settings, "bench-viewer", limit=10**9))


def report(
    api: Tally, baseline: Tally, size: int, seconds: float, audited: int, load_average: tuple
) -> str:
    def line(name: str, tally: Tally) -> str:
        rate = len(tally.latencies) / seconds
        return (
            f"| {name} | {len(tally.latencies):,} | {rate:,.1f} | {tally.percentile(50):,.0f} "
            f"| {tally.percentile(95):,.0f} | {tally.percentile(99):,.0f} | {len(tally.failures)} |"
        )

    errors = sorted(set(api.failures + baseline.failures))[:5]
    return "\n".join(
        [
            f"`make bench-api`: gunicorn with {WORKERS} workers (`--preload`, as the Procfile), "
            f"{CLIENTS} concurrent clients for {seconds:g} s per row, on "
            f"{platform.machine()} with {os.cpu_count()} cores (shared). The values query is "
            f"`{VALUES}` with a whole-system viewer's token: one indicator at practice level, "
            f"every month, one page of {size:,} bytes of JSON. The baseline is the login "
            "page without a session (no data read).",
            "",
            "| request | answered | per second | p50 ms | p95 ms | p99 ms | errors |",
            "|---|---:|---:|---:|---:|---:|---:|",
            line("API values (JSON, token)", api),
            line("login page (baseline)", baseline),
            "",
            f"Audit rows written for the token: {audited:,} (one per request, warm-up included). "
            "Each API request commits its audit row to `data/users.sqlite` (WAL, "
            "`synchronous=NORMAL`: no fsync per commit; the token's `last_used_at` moves on at "
            "most once a minute); a values page of this size spends its time mostly in turning "
            "rows into JSON.",
            f"Load average (1 min) at the start and end: {load_average[0]:.1f}, "
            f"{load_average[1]:.1f} (other work on the machine shares its cores).",
            f"Errors: {', '.join(errors) if errors else 'none'}.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_dir_argument(parser, "--data")
    parser.add_argument("--seconds", type=float, default=30.0)
    arguments = parser.parse_args()
    source = sample_settings(arguments.data_dir)
    body = run(source, arguments.seconds)
    print(body)
    write_section(RESULTS, HEADING, body)


if __name__ == "__main__":
    main()
