"""What a serving snapshot holds: aggregate tables only, never a person or a record.

Every table written here is built from the published values, the indicator definitions,
the org hierarchy and the warehouse's load statistics. No column carries a person_id or a
record key, and `ROW_LEVEL_COLUMNS` lists the names a test checks are absent.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import pandas as pd

from etl.feeds import FEEDS
from etl.status import feed_status
from metrics.segments import SEGMENT_DESCRIPTIONS, SEGMENTS, all_segments, segment_kind

ROW_LEVEL_COLUMNS = ("person_id", "spell_id", "event_id", "response_id", "lsoa", "birth_month")
VALUE_COLUMNS = [
    "metric_id", "period_type", "period_start", "period_end", "months", "level", "org_code",
    "parent_code", "segment", "numerator", "denominator", "value", "lower_95", "upper_95",
    "lower_998", "upper_998", "comparison_parent", "comparison_system", "parent_value",
    "system_value", "expected", "isr", "isr_lower_95", "isr_upper_95", "isr_lower_998",
    "isr_upper_998", "comparison_parent_998", "comparison_system_998",
]  # fmt: skip

FEED_STATUS_SQL = """
SELECT l.feed, count(*) FILTER (l.outcome = 'loaded') AS files_loaded,
       max(l.finished_at) AS latest_load, arg_max(l.file, l.finished_at) AS latest_file,
       sum(l.rows_accepted) AS rows_accepted, sum(l.rows_quarantined) AS rows_quarantined,
       count(*) FILTER (l.outcome = 'rejected') AS files_rejected
FROM load_log l GROUP BY l.feed ORDER BY l.feed
"""

QUARANTINE_SQL = """
SELECT l.feed, q.rule, count(DISTINCT (q.load_id, q.line)) AS rows
FROM quarantine q JOIN load_log l USING (load_id)
GROUP BY ALL ORDER BY l.feed, rows DESC
"""


def indicators_frame(registry, threshold: int, rounded: list[str]) -> pd.DataFrame:
    """Returns one row per indicator with its whole definition (lists as JSON text), its
    disclosure in words for the `threshold` and the indicators `rounded` (the HES rule)."""
    rows = []
    for indicator in registry.values():
        row = asdict(indicator)
        row["disclosure"] = indicator.disclosure_sentence(threshold, indicator.id in rounded)
        target = row.pop("target")
        row.update({f"target_{key}": value for key, value in target.items()})
        row["improvement"] = indicator.improvement
        for key in ("sources", "levels", "segments", "caveats", "references", "ages", "parameters"):
            row[key] = json.dumps(row[key])
        rows.append(row)
    return pd.DataFrame(rows)


def segments_frame() -> pd.DataFrame:
    """Returns every segment with its kind, value and description."""
    return pd.DataFrame(
        {
            "segment": segment,
            "kind": segment_kind(segment),
            "value": segment.split(":", 1)[-1],
            "description": SEGMENT_DESCRIPTIONS.get(segment_kind(segment), "whole population"),
            "kind_order": list(SEGMENTS).index(segment_kind(segment)) + 1 if ":" in segment else 0,
        }
        for segment in all_segments()
    )


def feed_status_frames(connection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns (per-feed load statistics with the dates each feed's table covers, quarantined
    rows by feed and rule). The dates let the dashboard show how fresh each feed is.
    """
    loads = connection.execute(FEED_STATUS_SQL).df()
    coverage = pd.DataFrame(
        {"feed": feed, "date_from": status["date_from"], "date_to": status["date_to"]}
        for table, status in feed_status(connection).items()
        for feed in _feeds_of(table)
    )
    feeds = loads.merge(coverage, on="feed", how="left")
    for column in ("date_from", "date_to"):
        feeds[column] = pd.to_datetime(feeds[column]).dt.date
    return feeds, connection.execute(QUARANTINE_SQL).df()


def _feeds_of(table: str) -> list[str]:
    return [feed.name for feed in FEEDS if feed.table == table]
