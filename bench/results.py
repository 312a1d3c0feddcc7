"""Keeps bench/RESULTS.md: one section per benchmark, replaced when that benchmark reruns."""

from __future__ import annotations

import re
from pathlib import Path

TITLE = "# Benchmark results\n\nEach section is written by the benchmark it names.\n"


def write_section(path: Path, heading: str, body: str) -> None:
    """Replaces (or appends) the section `## heading` of the results file."""
    text = path.read_text(encoding="utf-8") if path.exists() else TITLE
    section = f"## {heading}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text, encoding="utf-8")
