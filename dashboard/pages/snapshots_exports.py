"""The Snapshots page's download: the table of kept snapshots, for analysts and admins
only (the page's own role, `draft_snapshot`, checked on the server: 403 to a viewer),
with the same rows, states and board packs as the page."""

from __future__ import annotations

import pandas as pd

from dashboard import access, exports, roles
from dashboard.pages import snapshots
from metrics import serving
from wholesystem import pack_store

DEFINITION = (
    "Every kept serving snapshot, newest first: when it was published and by whom, the "
    "months it covers, whether it is a draft or released (by whom, when), and the board "
    "packs that refer to it. Times are UTC."
)
TIME_FORMAT = "yyyy-mm-dd hh:mm"


def kept(query: dict) -> exports.Export:
    """The kept snapshots, one row each, as on the page."""
    roles.require(snapshots.ACTION)
    settings = access.configured_settings()
    released = serving.released_version(settings)
    packs = pack_store.packs_by_version(settings)
    rows = [_row(entry, entry.version == released, packs.get(entry.version, []))
            for entry in serving.kept_versions(settings)]  # fmt: skip
    return exports.Export(
        title="Kept snapshots",
        frame=pd.DataFrame(rows, columns=COLUMNS),
        org="Every snapshot kept",
        definition=DEFINITION,
        source=exports.SOURCE,
        period_code="kept",
        formats={"Published (UTC)": TIME_FORMAT, "Released (UTC)": TIME_FORMAT},
    )


COLUMNS = (
    "Version", "Published (UTC)", "Published by", "Months covered", "State",
    "Released (UTC)", "Released by", "Board packs",
)  # fmt: skip


def _row(entry: serving.SnapshotEntry, current: bool, packs: list) -> tuple:
    return (
        entry.version, entry.created_at, entry.published_by or "",
        snapshots.months_covered(entry), snapshots.state_text(entry, current),
        None if entry.draft else entry.released_at, entry.released_by or "",
        "; ".join(snapshots.pack_label(record) for record in packs),
    )  # fmt: skip


exports.register("snapshots", kept, label="the snapshots table")
