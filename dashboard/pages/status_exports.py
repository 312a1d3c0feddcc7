"""The data status page's downloads: the feeds table (load details only for a role that
may see them, exactly as on the page) and the quarantined rows by rule (analysts and
admins only: refused with 403 to a viewer, on the server)."""

from __future__ import annotations

import pandas as pd

from dashboard import access, exports, roles
from dashboard.pages import status

COUNTS = ("rows_accepted", "rows_quarantined", "files_loaded", "files_rejected")


def feeds(query: dict) -> exports.Export:
    """The feeds of the snapshot shown, with the page's columns for the user's role."""
    details = roles.current_can("see_load_details")
    columns = status.FEED_COLUMNS if details else status.VIEWER_COLUMNS
    info = access.snapshot_info()
    raw = access.feed_status()
    shown = pd.DataFrame(status.feed_rows(raw, info, columns))
    for name in COUNTS:  # numbers as numbers, not as the page's text
        if name in shown:
            shown[name] = raw[name].astype("Int64").astype(object).where(raw[name].notna(), None)
    frame = shown.rename(columns=dict(columns))
    return _export("Data status: the feeds", frame, info, "Per feed: " + ", ".join(
        label.lower() for _, label in columns[1:]) + ".")  # fmt: skip


def quarantine(query: dict) -> exports.Export:
    """Rows quarantined by feed and rule (analysts and admins)."""
    roles.require("see_load_details")
    rules = access.quarantine_by_rule()
    frame = pd.DataFrame(
        {
            "Feed": rules["feed"].map(status.feed_name),
            "Rule": rules["rule"],
            "Rows quarantined": rules["rows"],
        }
    )
    info = access.snapshot_info()
    return _export("Data status: quarantined rows by rule", frame, info,
                   "Rows each load rule quarantined, by feed.")  # fmt: skip


def _export(title: str, frame: pd.DataFrame, info: dict, definition: str) -> exports.Export:
    first, last = (pd.Timestamp(info[key]) for key in ("first_month", "last_month"))
    counts = [label for name, label in status.FEED_COLUMNS if name in COUNTS]
    return exports.Export(
        title=title,
        frame=frame,
        org="Every feed",
        period=f"{first:%B %Y} to {last:%B %Y}",
        definition=definition,
        period_code="snapshot",
        formats=dict.fromkeys([*counts, "Rows quarantined"], exports.COUNT_FORMAT),
    )


exports.register("status-feeds", feeds, label="the feeds table")
exports.register("status-quarantine", quarantine, label="the quarantine table")
