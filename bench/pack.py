"""Benchmark: the time to make a board pack of one area of the default sample.

Target (issue 13): a PDF pack for one area in at most 20 s. Each cold round runs
`wholesystem pack --area AREA --date MONTH --format pdf` as a fresh process, so the figure
includes everything a user waits for: Python's start and imports, the reads, Kaleido's
first start of Chromium, 23 charts, the HTML and Chromium printing it. The warm rounds
build the HTML pack and then the PDF pack again in one process (the dashboard's case after
its first pack), so the share of the reads and charts and of the printing can be seen.
Run with `make bench-pack` or `python -m bench.pack`; results go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from bench.dashboard_server import END_MONTH, add_data_dir_argument, sample_settings
from bench.publish import machine
from bench.results import write_section
from wholesystem.settings import Settings

HEADING = "Board pack time"
AREA = "E38000992"  # Hollinsdale Place
TARGET_SECONDS = 20.0


def cold_seconds(settings: Settings, rounds: int) -> list[float]:
    """Seconds for each `wholesystem pack` PDF run, each in a fresh process."""
    environment = dict(os.environ, WHOLESYSTEM_DATA_DIR=str(settings.data_dir.resolve()))
    command = [
        str(Path(sys.executable).with_name("wholesystem")), "pack", "--area", AREA,
        "--date", END_MONTH.isoformat(), "--format", "pdf",
    ]  # fmt: skip
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run(command, env=environment, check=True, capture_output=True)
        seconds.append(time.perf_counter() - started)
    return seconds


def warm_seconds(settings: Settings, rounds: int) -> dict[str, list[float]]:
    """Seconds for the HTML pack and the PDF pack, built again and again in this process
    (after one untimed pack, which starts Kaleido)."""
    from dashboard import access
    from dashboard.pack import build_pack

    access.configure(settings)
    build_pack(settings, AREA, END_MONTH, "html")
    timings: dict[str, list[float]] = {"html": [], "pdf": []}
    for _ in range(rounds):
        for fmt in timings:
            started = time.perf_counter()
            build_pack(settings, AREA, END_MONTH, fmt)
            timings[fmt].append(time.perf_counter() - started)
    return timings


def pdf_facts(settings: Settings) -> tuple[int, int]:
    """(pages, bytes) of the newest PDF pack."""
    from wholesystem import pack_store

    record = next(p for p in pack_store.list_packs(settings) if p.format == "pdf")
    data = (pack_store.packs_dir(settings) / record.file_name).read_bytes()
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", data)), len(data)


def report(command: str, cold: list[float], warm: dict, facts: tuple[int, int]) -> str:
    """The results as a Markdown section."""
    worst = max(cold)
    verdict = "met" if worst <= TARGET_SECONDS else "not met"
    pages, size = facts
    return "\n".join([
        f"Command: `{command}` (run {date.today().isoformat()}; area {AREA}, board month "
        f"{END_MONTH:%B %Y}, the default sample's snapshot).",
        "",
        f"Machine: {machine()}; load average {_load()} when the runs ended (other work on "
        "the machine slows every figure).",
        "",
        f"- PDF pack from the command line, fresh process: median **{statistics.median(cold):.1f} "
        f"s**, slowest **{worst:.1f} s** over {len(cold)} runs (target ≤ {TARGET_SECONDS:.0f} s: "
        f"{verdict}). The PDF has {pages} pages, {size / 1024:.0f} KB.",
        f"- In one process after the first pack: HTML pack median "
        f"{statistics.median(warm['html']):.1f} s (reads, 23 charts through Kaleido, the "
        f"template); PDF pack median {statistics.median(warm['pdf']):.1f} s (the same, then "
        "Chromium launched and printing it).",
    ])  # fmt: skip


def _load() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="runs of each kind")
    add_data_dir_argument(parser)
    arguments = parser.parse_args(argv)
    settings = sample_settings(arguments.data_dir)
    cold = cold_seconds(settings, arguments.rounds)
    warm = warm_seconds(settings, arguments.rounds)
    command = "python -m bench.pack " + " ".join(argv if argv is not None else sys.argv[1:])
    body = report(command.strip(), cold, warm, pdf_facts(settings))
    write_section(Path("bench/RESULTS.md"), HEADING, body)
    print(body)


if __name__ == "__main__":
    main()
