"""A draft snapshot for tests: a copy of a published snapshot with different numbers.

A real `publish --draft` of the sample takes minutes; the dashboard only reads the files,
so a copy of the released snapshot with every value doubled and `snapshot_info` marked as
a draft is what a draft publish of changed data would serve.
"""

from __future__ import annotations

import shutil

import duckdb

from metrics.serving import snapshot_path
from wholesystem.settings import Settings

DOUBLED = ("numerator", "value", "lower_95", "upper_95", "lower_998", "upper_998")
# A draft's version, later than any snapshot a test run publishes: those are named by the
# clock, and a draft must sort after the released one (a name of one day's date,
# snapshot-20261206T090000000000Z, sorted before the sample published after 09:00 that day).
DRAFT_VERSION = "snapshot-20991231T000000000000Z"


def add_draft(settings: Settings, released: str, draft: str, factor: float = 2.0) -> str:
    """Writes `draft` as `released` with each value times `factor`; returns its version.
    The pointer is left where it was (a draft never moves it)."""
    shutil.copy(snapshot_path(settings, released), snapshot_path(settings, draft))
    with duckdb.connect(str(snapshot_path(settings, draft))) as connection:
        columns = {row[0] for row in connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
            ["indicator_values"],
        ).fetchall()}  # fmt: skip
        changes = ", ".join(f"{c} = {c} * {factor}" for c in DOUBLED if c in columns)
        connection.execute(f"UPDATE indicator_values SET {changes}")
        if {row[0] for row in connection.execute("SHOW TABLES").fetchall()} >= {"spc_points"}:
            connection.execute(
                f"UPDATE spc_points SET value = value * {factor}, mean = mean * {factor}, "
                f"lower_limit = lower_limit * {factor}, upper_limit = upper_limit * {factor}"
            )
        _mark_draft(connection, draft)
    return draft


def _mark_draft(connection, version: str) -> None:
    info = {row[0] for row in connection.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'snapshot_info'"
    ).fetchall()}  # fmt: skip
    for column, kind in (("draft", "BOOLEAN"), ("published_by", "VARCHAR"),
                         ("created_at", "TIMESTAMP")):  # fmt: skip
        if column not in info:
            connection.execute(f"ALTER TABLE snapshot_info ADD COLUMN {column} {kind}")
    stamp = f"{version[9:13]}-{version[13:15]}-{version[15:17]} {version[18:20]}:{version[20:22]}"
    connection.execute(
        "UPDATE snapshot_info SET version = ?, draft = true, published_by = 'ana', "
        "created_at = CAST(? AS TIMESTAMP)",
        [version, stamp],
    )
