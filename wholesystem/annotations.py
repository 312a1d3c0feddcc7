"""Change points that analysts record on SPC charts, kept beside the users in SQLite.

An annotation marks a month on one indicator's charts, for every org or for one org, with a
label ("New discharge pathway") and whether the process limits recalculate there. The web
tier never writes DuckDB, so annotations live in `settings.users_path` (stdlib sqlite3) and
survive every publish; `wholesystem publish` reads them, rebases the charts at the
recalculating ones and writes the ones it used into the snapshot's `spc_annotations`.
A change takes effect at the next publish.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import date

import pandas as pd

from wholesystem import side_checks, side_store
from wholesystem.errors import UserError
from wholesystem.settings import Settings

MAX_LABEL_LENGTH = 200
SCHEMA = """
CREATE TABLE IF NOT EXISTS annotations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, metric_id TEXT NOT NULL, org_code TEXT,
    month TEXT NOT NULL, label TEXT NOT NULL, recalculate INTEGER NOT NULL,
    author TEXT, created_at TEXT NOT NULL);
"""
FRAME_COLUMNS = ["metric_id", "org_code", "month", "label", "recalculate"]


class AnnotationError(UserError):
    """A bad annotation: an unknown indicator, a date that is not a month, an empty label."""


@dataclass(frozen=True)
class Annotation:
    """One change point: `org_code` None means every org; `month` is a first of month."""

    id: int
    metric_id: str
    org_code: str | None
    month: date
    label: str
    recalculate: bool
    author: str | None
    created_at: str


def add_annotation(
    settings: Settings,
    metric_id: str,
    month: date,
    label: str,
    *,
    recalculate: bool = True,
    org_code: str | None = None,
    author: str | None = None,
) -> Annotation:
    """Records a change point and returns it; raises AnnotationError (one sentence) for an
    unknown indicator or org, a month that is not a first of month, or an empty label."""
    side_checks.check_metric(settings, metric_id, AnnotationError)
    side_checks.check_month(month, AnnotationError)
    missing = "an annotation needs a label saying what changed"
    label = side_checks.checked_line(label, "label", MAX_LABEL_LENGTH, missing, AnnotationError)
    org_code = _checked_org(settings, org_code)
    created = side_store.now()
    row = (metric_id, org_code, month.isoformat(), label, int(bool(recalculate)), author, created)
    with closing(_connect(settings)) as connection, connection:
        cursor = connection.execute(
            "INSERT INTO annotations (metric_id, org_code, month, label, recalculate, author, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            row,
        )
    return Annotation(cursor.lastrowid, metric_id, org_code, month, label, bool(recalculate),
                      author, created)  # fmt: skip


def list_annotations(settings: Settings, metric_id: str | None = None) -> list[Annotation]:
    """Returns the annotations (of one indicator, or all), by indicator, month and id."""
    if not settings.users_path.exists():
        return []
    where, parameters = ("WHERE metric_id = ?", (metric_id,)) if metric_id else ("", ())
    with closing(_connect(settings)) as connection:
        rows = connection.execute(
            f"SELECT * FROM annotations {where} ORDER BY metric_id, month, id", parameters
        ).fetchall()
    return [_annotation(row) for row in rows]


def remove_annotation(settings: Settings, annotation_id: int) -> bool:
    """Deletes one annotation; returns whether there was one with that id."""
    if not settings.users_path.exists():
        return False
    with closing(_connect(settings)) as connection, connection:
        deleted = connection.execute("DELETE FROM annotations WHERE id = ?", (annotation_id,))
    return deleted.rowcount > 0


def annotations_frame(settings: Settings, metric_ids) -> pd.DataFrame:
    """The annotations of the given indicators as publish uses them (FRAME_COLUMNS)."""
    rows = [a for a in list_annotations(settings) if a.metric_id in set(metric_ids)]
    frame = pd.DataFrame(
        [(a.metric_id, a.org_code, a.month, a.label, a.recalculate) for a in rows],
        columns=FRAME_COLUMNS,
    )
    return frame.astype({"metric_id": object, "org_code": object, "label": object})


def _checked_org(settings: Settings, org_code: str | None) -> str | None:
    """None (every org), or a code that the published snapshot holds (when there is one)."""
    orgs = None if org_code is None else side_checks.published_orgs(settings)
    if orgs is not None and org_code not in orgs:
        raise AnnotationError(f"org code {org_code!r} is not in the published snapshot")
    return org_code


def _connect(settings: Settings) -> sqlite3.Connection:
    return side_store.connect(settings, SCHEMA)


def _annotation(row: sqlite3.Row) -> Annotation:
    return Annotation(
        id=row["id"], metric_id=row["metric_id"], org_code=row["org_code"],
        month=date.fromisoformat(row["month"]), label=row["label"],
        recalculate=bool(row["recalculate"]), author=row["author"], created_at=row["created_at"],
    )  # fmt: skip
