"""Runs one measured step in a child process and reports its time and peak memory.

Each step runs in a fresh interpreter so that its peak resident memory (ru_maxrss) is its
own, and the parent compares steps measured on the same machine in the same run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Measurement:
    """Wall-clock seconds of the measured code (not interpreter start) and peak RSS in MB;
    `cpu_seconds` (user + system, every thread) shows the work when the machine is shared."""

    seconds: float
    peak_mb: float
    detail: dict
    cpu_seconds: float = 0.0


CHILD = """
import json, sys, time
from importlib import import_module
module, function = sys.argv[1].rsplit(".", 1)
step = getattr(import_module(module), function)
arguments = json.loads(sys.argv[2])
started, cpu_started = time.perf_counter(), time.process_time()
detail = step(**arguments)
seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child would report the
# parent's high-water mark; VmHWM belongs to this process image alone.
status = open("/proc/self/status").read()
peak_mb = int(status.split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "detail": detail or {},
                  "cpu_seconds": cpu_seconds}))
"""


def measure(step: str, **arguments) -> Measurement:
    """Runs `step` ("module.function") with keyword arguments in a child; returns its figures."""
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, step, json.dumps(arguments)],
        check=False, capture_output=True, text=True,
    )  # fmt: skip
    if completed.returncode != 0:
        error = completed.stderr[-4000:]
        raise SystemExit(f"{step} failed (exit {completed.returncode}):\n{error}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return Measurement(
        result["seconds"], result["peak_mb"], result["detail"], result["cpu_seconds"]
    )
