"""The dashboard benchmark's server: the sample snapshot, a user, and gunicorn around them.

The data directory (bench/work/dashboard/data) holds the default sample system, loaded and
published once and reused while it is there. gunicorn runs `dashboard.app:server` exactly
as the Procfile does (`--preload`), with the worker count asked for and a secret key made
for the run.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

from wholesystem.settings import Settings

WORK = Path("bench/work/dashboard")
END_MONTH = date(2026, 10, 1)
USER = "bench-admin"


def add_data_dir_argument(parser, flag: str = "--data-dir") -> None:
    """The benches' one option naming a published data directory (`arguments.data_dir`)."""
    parser.add_argument(
        flag, type=Path, dest="data_dir",
        help="a data directory holding the published default sample (default: the "
        "dashboard benchmark's, built on first use)",
    )  # fmt: skip


def sample_settings(data_dir: Path | None = None) -> Settings:
    """Settings for `data_dir`, else for the benches' own data directory holding the
    published sample (built on first use)."""
    if data_dir is not None:
        return Settings(data_dir=data_dir)
    settings = Settings(data_dir=WORK / "data")
    if not (settings.serving_dir / "CURRENT").exists():
        _build(settings)
    return settings


def _build(settings: Settings) -> None:
    from etl.load import load_files
    from metrics.publish import publish
    from sample_data.generate import generate
    from wholesystem.cli import DEMO_LOAD_ORDER

    written = generate(WORK / "sample", seed=42, scale=1.0, end_month=END_MONTH)
    files = [path for feed in DEMO_LOAD_ORDER for path in sorted(written.get(feed, []))]
    load_files(files, settings, report=lambda message: None)
    publish(settings)


def add_bench_user(settings: Settings) -> str:
    """Creates (or recreates) the benchmark's whole-system admin; returns its password."""
    from dashboard import users

    password = users.new_password()
    users.add_or_reset(settings, USER, "admin", password)
    return password


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn serving the dashboard on a free local port; a context manager."""

    def __init__(self, settings: Settings, workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.environment = dict(
            os.environ,
            WHOLESYSTEM_DATA_DIR=str(settings.data_dir.resolve()),
            WHOLESYSTEM_SECRET_KEY=secrets.token_hex(32),
        )
        self.command = [
            str(Path(sys.executable).with_name("gunicorn")), "dashboard.app:server",
            "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
            "--log-level", "warning", "--preload",
        ]  # fmt: skip

    def __enter__(self) -> Gunicorn:
        self.process = subprocess.Popen(self.command, env=self.environment)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/login", timeout=2).read()
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("gunicorn exited before serving") from None
                time.sleep(0.25)
        raise RuntimeError("gunicorn did not answer within 60 s")

    def __exit__(self, *_) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
