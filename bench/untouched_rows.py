"""How much of a snapshot a month's load changes outside the periods it adds to or revises.

An incremental publish could only be cheaper than a full one if the rows of periods that the
load does not reach stayed as they were, so that they could be copied from the last snapshot.
This compares two full publishes, before and after a load, over the rows of the periods that
end before the first month the load adds or revises: how many of those rows a reader sees
differently (a count, value, interval, verdict or suppression), by segment partition, and how
many indicator-periods hold at least one such row. Floating point values are compared to a
relative 1e-9, as metrics.snapshot_diff compares snapshots, so that adding up in another order
is not a change. Used by bench/incremental_publish.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from metrics.snapshot_diff import close_sql
from metrics.workspace import sql_text

KEYS = "metric_id, period_type, period_start, level, org_code, segment"
# What a reader sees of a row, beyond its keys.
FLOATING = ("numerator", "denominator", "value", "lower_95", "upper_95")
EXACT = ("suppressed", "comparison_parent", "comparison_system")

CHANGED_SQL = """
SELECT a.metric_id, a.period_type, a.period_start,
       CASE WHEN a.segment = 'all' THEN 'all' ELSE split_part(a.segment, ':', 1) END
           AS partition,
       {changed} AS changed
FROM before.indicator_values b
JOIN after.indicator_values a USING ({keys})
WHERE a.period_end < $first_changed
"""


@dataclass(frozen=True)
class Untouched:
    """The rows of periods ending before the load's first month, in both snapshots."""

    rows: int
    changed: int
    # partition ('all' for the whole population) -> (rows, rows changed)
    by_partition: dict[str, tuple[int, int]]
    indicator_periods: int
    indicator_periods_changed: int


def untouched_rows(before: Path, after: Path, first_changed: date) -> Untouched:
    """Compares the snapshots `before` and `after` a load whose earliest month added or
    revised is `first_changed`, over the rows both hold of periods ending before it."""
    changed = " OR ".join(
        [f"NOT {close_sql(f'a.{c}', f'b.{c}', 1e-9)}" for c in FLOATING]
        + [f"a.{c} IS DISTINCT FROM b.{c}" for c in EXACT]
    )
    with duckdb.connect() as connection:
        for name, path in (("before", before), ("after", after)):
            connection.execute(f"ATTACH {sql_text(path)} AS {name} (READ_ONLY)")
        connection.execute(
            "CREATE TEMP TABLE compared AS " + CHANGED_SQL.format(changed=changed, keys=KEYS),
            {"first_changed": first_changed},
        )
        partitions = connection.execute(
            "SELECT partition, count(*), count(*) FILTER (WHERE changed) FROM compared "
            "GROUP BY partition ORDER BY partition"
        ).fetchall()
        periods = connection.execute(
            "SELECT count(*), count(*) FILTER (WHERE changed) FROM ("
            "SELECT bool_or(changed) AS changed FROM compared "
            "GROUP BY metric_id, period_type, period_start)"
        ).fetchone()
    by_partition = {name: (rows, changed) for name, rows, changed in partitions}
    return Untouched(
        rows=sum(rows for rows, _ in by_partition.values()),
        changed=sum(changed for _, changed in by_partition.values()),
        by_partition=by_partition, indicator_periods=periods[0],
        indicator_periods_changed=periods[1],
    )  # fmt: skip


def describe(untouched: Untouched, first_changed: date) -> str:
    """One paragraph of Markdown for bench/RESULTS.md."""
    partitions = "; ".join(
        f"{name} {changed:,} of {rows:,} ({_share(changed, rows)})"
        for name, (rows, changed) in sorted(
            untouched.by_partition.items(), key=lambda item: -item[1][1]
        )
    )
    return (
        f"Rows of the periods ending before {first_changed:%Y-%m} (the first month this load "
        f"adds or revises) that a reader sees differently after it (the full publishes before "
        f"and after it compared): **{untouched.changed:,} of {untouched.rows:,} "
        f"({_share(untouched.changed, untouched.rows)})**; by segment partition: {partitions}. "
        f"Indicator-periods holding such a row: {untouched.indicator_periods_changed:,} of "
        f"{untouched.indicator_periods:,} "
        f"({_share(untouched.indicator_periods_changed, untouched.indicator_periods)})."
    )


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "none"
