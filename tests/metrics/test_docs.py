"""docs/metrics.md documents every family, segment kind and snapshot table (Datasette-style)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from metrics.compute import FAMILIES
from metrics.publish import publish
from metrics.registry import load_registry
from metrics.segments import SEGMENTS

DOCS = (Path(__file__).parents[2] / "docs" / "metrics.md").read_text(encoding="utf-8")


def test_every_family_is_documented():
    families = set(FAMILIES) | {indicator.family for indicator in load_registry().values()}
    missing = [family for family in sorted(families) if f"| {family} |" not in DOCS]
    assert not missing, f"families missing from docs/metrics.md: {missing}"


def test_every_segment_kind_and_value_is_documented():
    for kind, values in SEGMENTS.items():
        row = next((line for line in DOCS.splitlines() if line.startswith(f"| `{kind}` |")), "")
        assert row, f"segment kind {kind} is not documented"
        assert all(value in row for value in values), f"values of {kind} not all documented"


def test_every_snapshot_table_is_documented(system):
    system.add("patients", "P1", gpprac="A00001")
    system.compute()
    result = publish(system.settings, today=date(2026, 11, 22))
    with duckdb.connect(str(result.path), read_only=True) as connection:
        tables = [row[0] for row in connection.execute("SHOW TABLES").fetchall()]
    missing = [table for table in tables if f"| `{table}` |" not in DOCS]
    assert len(tables) >= 10
    assert not missing, f"snapshot tables missing from docs/metrics.md: {missing}"
