"""`wholesystem publish`: compute everything, chart it, and write a new serving snapshot.

The snapshot is written to a temporary file beside the others and renamed into place
before the pointer moves, so a failed publish leaves the current snapshot untouched.
Disclosure control runs before the SPC charts, so that a suppressed month is a gap in its
series and nothing charted is derived from it. The charts rebase at the analysts' change
points (wholesystem.annotations), and the snapshot records the ones it used.

A draft (`draft=True`, `wholesystem publish --draft`) is written the same way and marked
in `snapshot_info.draft`, but the pointer stays on the released snapshot, so viewers do not
see it until `metrics.serving.release`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from metrics.building import building_marker
from metrics.compute import Report, stage
from metrics.disclosure import mark_suppressed
from metrics.disclosure_rounding import rounded_metrics
from metrics.engine import check_engine_settings, compute_on_engine
from metrics.peers import write_peers
from metrics.people import has_table
from metrics.registry import load_registry
from metrics.series import chart_series
from metrics.serving import (
    new_version,
    point_to,
    pointer_lock,
    prune,
    publish_lock,
    snapshot_path,
)
from metrics.snapshot import VALUE_COLUMNS, feed_status_frames, indicators_frame, segments_frame
from metrics.workspace import open_workspace, sql_text
from wholesystem.annotations import annotations_frame
from wholesystem.settings import Settings


@dataclass(frozen=True)
class PublishResult:
    """What a publish wrote."""

    version: str
    path: Path
    rows: int
    series: int
    seconds: float
    removed: list[str]
    notes: list[str]
    suppressed: int = 0  # rows shown as * to non-operators
    draft: bool = False  # written but not released: the pointer did not move


def publish(
    settings: Settings, today: date | None = None, report: Report | None = None,
    draft: bool = False, published_by: str | None = None, incremental: bool = False,
) -> PublishResult:  # fmt: skip
    """Computes every indicator and publishes a new snapshot; returns what it wrote.

    `report`, when given, hears each stage's name and seconds as it ends (the command line
    prints them), and, if it is a `metrics.building.Listener`, the version as the build
    begins and each stage as it starts; the library itself prints nothing. While it runs,
    the serving folder's building marker says how far it has got (metrics.building). A
    `draft` is written but not released. `published_by` is recorded in the snapshot (and,
    unless a draft, as who released it). `incremental` recomputes the costly families' units
    only where the warehouse changed since the last incremental publish (metrics.incremental).
    """
    check_engine_settings(settings, incremental)
    started = time.perf_counter()
    registry = load_registry(settings.indicators)
    version = new_version()
    staging = settings.serving_dir / f".{version}.partial"
    by = published_by or "publish"
    with publish_lock(settings), building_marker(settings, version, draft, by, report) as report:
        try:
            with open_workspace(settings) as connection:
                compute_on_engine(connection, settings, today, report, incremental)
                notes = _notes(connection)
                stamp = (version, draft, by)
                counts = _write(connection, staging, registry, settings, stamp, report)
            os.replace(staging, snapshot_path(settings, version))
        finally:
            staging.unlink(missing_ok=True)
        if not draft:
            with pointer_lock(settings):
                point_to(settings, version)
        removed = prune(settings, settings.snapshots_kept)
    elapsed = time.perf_counter() - started
    path = snapshot_path(settings, version)
    rows, series, suppressed = counts
    return PublishResult(version, path, rows, series, elapsed, removed, notes, suppressed, draft)


# Supplied values for an indicator with no definition cannot be published: say which.
UNDEFINED_SUPPLIED_SQL = """
SELECT indicator_id, count(*) FROM aggregate_indicators
WHERE indicator_id NOT IN (SELECT metric_id FROM metric_props)
GROUP BY indicator_id ORDER BY indicator_id
"""


def _notes(connection) -> list[str]:
    notes = [
        f"aggregate_indicators: {rows:,} row(s) of {indicator} not published, as no "
        f"definition in metrics/definitions/ has that id"
        for indicator, rows in connection.execute(UNDEFINED_SUPPLIED_SQL).fetchall()
    ]
    if has_table(connection, "units_cache_note"):  # an incremental publish's plan
        notes += [
            note for (note,) in connection.execute("SELECT note FROM units_cache_note").fetchall()
        ]
    return notes


def _write(connection, path: Path, registry, settings, stamp, report) -> tuple[int, ...]:
    """Writes the snapshot (`stamp`: version, draft, published_by); returns (value rows,
    SPC series, suppressed rows)."""
    columns = ", ".join(f"v.{column}" for column in VALUE_COLUMNS)
    connection.execute(PUBLISHABLE_SQL.format(columns=columns))
    rows = connection.execute("SELECT count(*) FROM indicator_values").fetchone()[0]
    rounded = rounded_metrics(registry, settings.disclosure_rule)  # the HES rule's indicators
    with stage(report, "disclosure control"):
        mark_suppressed(connection, settings.suppression_threshold,
                        rounded=rounded, carry=("value_row",))  # fmt: skip
    with stage(report, "SPC charts"):
        annotations = annotations_frame(settings, registry)
        # The monthly frame is passed, not kept here, so that chart_series can let it go.
        points, summary = chart_series(_monthly_values(connection), registry, annotations)
    with stage(report, "writing the snapshot"):
        _write_snapshot(connection, path, registry, settings, stamp, points, summary, rounded)
        del points  # ~1 GB at 10 million spells: not held through the peer groups
        _register_table(connection, "snap.spc_annotations", annotations, ANNOTATIONS_SCHEMA)
        suppressed = connection.execute(SUPPRESSED_COUNT_SQL).fetchone()[0]
    with stage(report, "peer groups"):
        write_peers(connection)
    connection.execute("DETACH snap")
    return rows, len(summary), suppressed


def _write_snapshot(
    connection, path, registry, settings, stamp, points, summary, rounded: list[str]
) -> None:
    feeds, quarantine = feed_status_frames(connection)
    connection.execute(f"ATTACH {sql_text(path)} AS snap")
    connection.execute(SNAPSHOT_FLAGS_SQL)
    connection.execute(SUPPRESSED_VALUES_SQL)
    connection.execute("DROP TABLE snapshot_flags")
    # Read once, straight into the snapshot's sorted table: a workspace copy first only
    # compressed the points (~4 million rows at 10 million spells) to read them back.
    connection.register("spc_points", points)
    connection.execute(SPC_POINTS_SQL)
    connection.unregister("spc_points")
    _register_table(connection, "snap.spc_summary", summary, SUMMARY_SCHEMA)
    tables = {
        "indicators": indicators_frame(registry, settings.suppression_threshold, rounded),
        "segments": segments_frame(),
        "feed_status": feeds,
        "quarantine_by_rule": quarantine,
    }
    for name, frame in tables.items():
        _register_table(connection, f"snap.{name}", frame)
    for name in ("org_units", "practice_months", "months", "period_months"):
        connection.execute(f"CREATE TABLE snap.{name} AS SELECT * FROM {name}")
    info = _info(settings, *stamp) | _rule_info(registry, rounded)
    connection.execute(SNAPSHOT_INFO_SQL.format(rule=RULE_COLUMNS if "rule" in info else ""), info)


# Each monthly value with its disclosure flag: SPC treats a suppressed month as a gap. The
# month is a TIMESTAMP so that it reaches pandas through Arrow as datetime64, as `.df()`
# gave it.
MONTHLY_VALUES_SQL = """
SELECT v.metric_id, v.period_type, v.level, v.org_code, v.segment,
       v.period_start::TIMESTAMP AS period_start, v.value, s.suppressed
FROM indicator_values v
JOIN suppression s USING (metric_id, period_type, period_start, level, org_code, segment)
WHERE v.period_type = 'month'
"""


def _monthly_values(connection) -> pd.DataFrame:
    """The monthly values for the charts, through Arrow: a third of the CPU of `.df()`,
    which turns each string into a Python object on the way (~400,000 rows a sample)."""
    return connection.sql(MONTHLY_VALUES_SQL).to_arrow_table().to_pandas(self_destruct=True)


SUPPRESSED_COUNT_SQL = "SELECT count(*) FILTER (suppressed) FROM snap.indicator_values"

# The published columns, and what disclosure control needs to know of each indicator: a
# view, so that the million-row table is not copied to add three columns from 52 rows.
# `value_row` numbers the values' rows, so that the snapshot finds each row's disclosure
# flags by one number (`suppression` keeps it) rather than by six text columns.
PUBLISHABLE_SQL = """
ALTER TABLE indicator_values RENAME TO computed_values;
CREATE VIEW indicator_values AS
SELECT {columns}, m.method, m.method <> 'count' AS denominator_is_count, m.accumulate,
       v.rowid AS value_row
FROM computed_values v JOIN metric_props m USING (metric_id);
"""


# Each row also carries whether its parent's and the system's rows are suppressed, so a
# reader can hide parent_value and system_value without joining the table to itself. They
# are found on the narrow suppression rows, whose hash tables hold only the rows that can
# be parents (never a practice's) and the system's: joined to the whole table, as before,
# the snapshot's statement spilled 3.3 GB at 10 million spells.
SNAPSHOT_FLAGS_SQL = """
CREATE TABLE snapshot_flags AS
SELECT s.value_row, s.suppressed,
       coalesce(ps.suppressed, false) AS parent_suppressed,
       coalesce(ss.suppressed, false) AS system_suppressed
FROM suppression s
LEFT JOIN (SELECT metric_id, period_type, period_start, segment, org_code, suppressed
           FROM suppression WHERE level <> 'practice') ps
  ON ps.metric_id = s.metric_id AND ps.period_type = s.period_type
 AND ps.period_start = s.period_start AND ps.segment = s.segment AND ps.org_code = s.parent_code
LEFT JOIN (SELECT metric_id, period_type, period_start, segment, suppressed
           FROM suppression WHERE level = 'system') ss
  ON ss.metric_id = s.metric_id AND ss.period_type = s.period_type
 AND ss.period_start = s.period_start AND ss.segment = s.segment
"""

SUPPRESSED_VALUES_SQL = """
CREATE TABLE snap.indicator_values AS
SELECT v.* EXCLUDE (denominator_is_count, accumulate, value_row), f.suppressed,
       f.parent_suppressed, f.system_suppressed
FROM indicator_values v JOIN snapshot_flags f USING (value_row)
ORDER BY v.metric_id, v.level, v.org_code, v.segment, v.period_type, v.period_start
"""

# SPC points carry their month's disclosure flag, so that a chart can mask them too.
SPC_POINTS_SQL = """
CREATE TABLE snap.spc_points AS
SELECT metric_id, level, org_code, segment, period_start::DATE AS period_start, value, mean,
       lower_limit, upper_limit, rule::VARCHAR AS rule, point_type::VARCHAR AS point_type,
       suppressed, phase::INTEGER AS phase, in_limits::BOOLEAN AS in_limits,
       excluded_reason::VARCHAR AS excluded_reason
FROM spc_points
ORDER BY metric_id, level, org_code, segment, period_start
"""

SUMMARY_SCHEMA = (
    "metric_id VARCHAR, level VARCHAR, org_code VARCHAR, segment VARCHAR, variation VARCHAR, "
    "assurance VARCHAR, status VARCHAR, points INTEGER"
)
ANNOTATIONS_SCHEMA = (
    "metric_id VARCHAR, org_code VARCHAR, month DATE, label VARCHAR, recalculate BOOLEAN"
)

SNAPSHOT_INFO_SQL = """
CREATE TABLE snap.snapshot_info AS
SELECT $version AS version, $created AS created_at, (SELECT min(month) FROM months) AS first_month,
       (SELECT max(month) FROM months) AS last_month, $threshold AS suppression_threshold,
       $value_set AS eq5d_5l_value_set, $draft AS draft, $published_by AS published_by{rule}
"""
# The disclosure rule is recorded only when some indicator is under the HES rule (by default
# the board's: metrics.registry DISCLOSURE_RULES): a snapshot without the columns (every one
# before the setting) used complementary suppression throughout. The rule is 'hes' when every
# indicator is under it, else 'mixed'; `rounded_indicators` lists them.
RULE_COLUMNS = ", $rule AS disclosure_rule, $rounded::VARCHAR[] AS rounded_indicators"


def _info(settings: Settings, version: str, draft: bool, published_by: str) -> dict:
    info = {
        "version": version,
        "draft": draft,
        "published_by": published_by,
        "created": datetime.now(UTC).replace(tzinfo=None),
        "threshold": settings.suppression_threshold,
        "value_set": settings.eq5d_5l_value_set,
    }
    return info


def _rule_info(registry: dict, rounded: list[str]) -> dict:
    """The disclosure rule's columns of `snapshot_info` (RULE_COLUMNS) for the indicators
    `rounded`, none by default."""
    if not rounded:
        return {}
    return {"rule": "hes" if len(rounded) == len(registry) else "mixed", "rounded": rounded}


def _register_table(connection, name: str, frame: pd.DataFrame, schema: str = "") -> None:
    """Copies a frame into a table; with `schema`, typed so that an empty frame is too."""
    connection.register("frame_to_copy", frame)
    if schema:
        connection.execute(f"CREATE TABLE {name} ({schema})")
        connection.execute(f"INSERT INTO {name} SELECT * FROM frame_to_copy")
    else:
        connection.execute(f"CREATE TABLE {name} AS SELECT * FROM frame_to_copy")
    connection.unregister("frame_to_copy")
