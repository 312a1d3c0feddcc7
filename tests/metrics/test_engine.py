"""The DuckDB engine starts the aggregate part from the hand-off alone, as Spark does, and
lets the working tables go once read (metrics.engine)."""

from __future__ import annotations

import dataclasses
from datetime import date

from metrics import compute
from metrics.engine import compute_on_engine
from metrics.workspace import WORKSPACE_TABLES_SQL, open_workspace
from tests.metrics.every_feed import add_every_feed

TODAY = date(2026, 11, 22)


def _tables(connection) -> set[str]:
    return {name for *_, name in connection.execute(WORKSPACE_TABLES_SQL).fetchall()}


def test_the_aggregate_part_starts_from_the_hand_off_alone(system, monkeypatch):
    add_every_feed(system)
    system.load()
    settings = dataclasses.replace(system.settings, disclosure_rule="hes")
    aggregate, seen = compute.compute_aggregate, {}

    def watched(connection, context, report=None):
        seen["tables"] = _tables(connection)
        aggregate(connection, context, report)

    monkeypatch.setattr(compute, "compute_aggregate", watched)
    with open_workspace(settings) as connection:
        compute_on_engine(connection, settings, TODAY)
        left = _tables(connection)
        values = connection.execute("SELECT count(*) FROM indicator_values").fetchall()
    assert seen["tables"] == set(compute.HANDOFF_TABLES)
    # The counts and values are in indicator_values; the HES rule's exact counts stay for
    # disclosure control's audit (metrics.disclosure_rounding).
    kept = set(compute.HANDOFF_TABLES) - set(compute.AGGREGATE_WORKING_TABLES)
    assert left == kept | {"indicator_values", "exact_counts"}
    assert values[0][0] > 0
