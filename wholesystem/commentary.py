"""Board commentary: per metric, area and board period, what happened and what is being done.

An analyst writes a short commentary for one metric and area in one board period (the
`period_start` of the snapshot's two-month `board` period holding the month); an admin
approves it. Rewriting keeps every earlier version (`history`) and clears the approval:
what the board sees is the current version and whether it was approved as written.

Like annotations, commentary lives beside the users in SQLite (`settings.users_path`),
because the web tier never writes DuckDB, and so it is kept across publishes. This module
stores and checks the text; who may write or approve, and for which orgs, is decided on
the server by `dashboard.commenting` (roles and scope) before it calls here.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import date

from metrics import calendar
from wholesystem import side_checks, side_store
from wholesystem.errors import UserError
from wholesystem.settings import Settings

MAX_TEXT_LENGTH = 600  # each part: about four sentences, what a board row can hold
SCHEMA = """
CREATE TABLE IF NOT EXISTS commentary (
    id INTEGER PRIMARY KEY AUTOINCREMENT, metric_id TEXT NOT NULL, org_code TEXT NOT NULL,
    board_period TEXT NOT NULL, happened TEXT NOT NULL, action TEXT NOT NULL,
    author TEXT, written_at TEXT NOT NULL, approved_by TEXT, approved_at TEXT,
    replaced_by INTEGER);
CREATE INDEX IF NOT EXISTS commentary_period ON commentary (board_period, replaced_by);
"""


class CommentaryError(UserError):
    """Bad commentary: an unknown indicator, a period that is not a month, empty or too
    long text, or approving a version that is not the current one."""


@dataclass(frozen=True)
class Comment:
    """One version of the commentary on a metric and area for a board period."""

    id: int
    metric_id: str
    org_code: str
    board_period: date
    text: str  # what happened
    action: str  # what is being done ('' when not said)
    author: str | None
    written_at: str  # ISO 8601, UTC, seconds
    approved_by: str | None
    approved_at: str | None
    replaced_by: int | None  # the id of the version that replaced it; None for the current

    @property
    def approved(self) -> bool:
        return self.approved_by is not None


def write(
    settings: Settings,
    metric_id: str,
    org_code: str,
    board_period: date,
    text: str,
    author: str | None,
    *,
    action: str = "",
) -> Comment:
    """Writes (or rewrites) the commentary on a metric and area for a board period and
    returns it; the earlier version is kept, marked replaced, and the new one is not
    approved. Raises CommentaryError (one sentence), storing nothing, for bad input."""
    side_checks.check_metric(settings, metric_id, CommentaryError)
    _check_period(board_period)
    if not org_code:
        raise CommentaryError("commentary needs the org code of the area it is about")
    text = _checked_text(text, "what happened", required=True)
    action = _checked_text(action, "what is being done", required=False)
    written = side_store.now()
    row = (metric_id, org_code, board_period.isoformat(), text, action, author, written)
    with closing(_connect(settings)) as connection, connection:
        earlier = _current_id(connection, metric_id, org_code, board_period)
        new_id = connection.execute(
            "INSERT INTO commentary (metric_id, org_code, board_period, happened, action, "
            "author, written_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            row,
        ).lastrowid
        if earlier is not None:
            connection.execute(
                "UPDATE commentary SET replaced_by = ? WHERE id = ?", (new_id, earlier)
            )
    return get(settings, new_id)


def approve(settings: Settings, comment_id: int, approver: str) -> Comment:
    """Marks the current version `comment_id` approved by `approver` now and returns it.
    Raises CommentaryError for an unknown id or a version that has been rewritten since."""
    comment = get(settings, comment_id)
    if comment is None:
        raise CommentaryError(f"there is no commentary with id {comment_id}")
    if comment.replaced_by is not None:
        raise CommentaryError("that commentary has been rewritten since; approve the new version")
    with closing(_connect(settings)) as connection, connection:
        connection.execute(
            "UPDATE commentary SET approved_by = ?, approved_at = ? WHERE id = ?",
            (approver, side_store.now(), comment_id),
        )
    return get(settings, comment_id)


def get(settings: Settings, comment_id: int) -> Comment | None:
    """Returns one version by id, or None."""
    rows = _select(settings, "WHERE id = ?", (int(comment_id),))
    return rows[0] if rows else None


def for_period(
    settings: Settings, board_period: date, org_codes=None, *, approved_only: bool = False
) -> dict[tuple[str, str], Comment]:
    """Returns the current commentary of each (metric_id, org_code) for a board period,
    only for the given org codes when they are given, and only approved ones when
    `approved_only` (what a viewer may be sent)."""
    where, parameters = _filters(org_codes, approved_only)
    rows = _select(
        settings,
        f"WHERE board_period = ? AND replaced_by IS NULL{where}",
        (board_period.isoformat(), *parameters),
    )
    return {(c.metric_id, c.org_code): c for c in rows}


def previous(
    settings: Settings, metric_id: str, org_code: str, before: date, *, approved_only=False
) -> Comment | None:
    """Returns the current commentary of the latest board period before `before` for a
    metric and area ("what did we say last time"; the latest approved one when
    `approved_only`), or None."""
    where, parameters = _filters([org_code], approved_only)
    rows = _select(
        settings,
        f"WHERE metric_id = ? AND board_period < ? AND replaced_by IS NULL{where} "
        "ORDER BY board_period DESC LIMIT 1",
        (metric_id, before.isoformat(), *parameters),
    )
    return rows[0] if rows else None


def latest_before(
    settings: Settings, before: date, org_codes=None, *, approved_only: bool = False
) -> dict[tuple[str, str], Comment]:
    """Returns, for each (metric_id, org_code), `previous(...)` in one read: the current
    commentary of the latest board period before `before` that has one."""
    where, parameters = _filters(org_codes, approved_only)
    rows = _select(
        settings,
        f"WHERE board_period < ? AND replaced_by IS NULL{where} ORDER BY board_period",
        (before.isoformat(), *parameters),
    )
    # Later board periods come last, so each key keeps its latest.
    return {(c.metric_id, c.org_code): c for c in rows}


def _filters(org_codes, approved_only: bool) -> tuple[str, tuple]:
    """SQL conditions (and their parameters) for the org codes and approval wanted."""
    where, parameters = "", ()
    if org_codes is not None:
        codes = tuple(org_codes)
        where += f" AND org_code IN ({', '.join('?' * len(codes)) or 'NULL'})"
        parameters = codes
    if approved_only:
        where += " AND approved_by IS NOT NULL"
    return where, parameters


def history(settings: Settings, metric_id: str, org_code: str, board_period: date) -> list:
    """Returns every version for a metric, area and board period, newest first."""
    return _select(
        settings,
        "WHERE metric_id = ? AND org_code = ? AND board_period = ? ORDER BY id DESC",
        (metric_id, org_code, board_period.isoformat()),
    )


def _current_id(connection, metric_id: str, org_code: str, board_period: date) -> int | None:
    found = connection.execute(
        "SELECT id FROM commentary WHERE metric_id = ? AND org_code = ? AND board_period = ? "
        "AND replaced_by IS NULL",
        (metric_id, org_code, board_period.isoformat()),
    ).fetchone()
    return None if found is None else found[0]


def _select(settings: Settings, where: str, parameters: tuple) -> list[Comment]:
    # Read-only: showing a page never creates the table or the file.
    rows = side_store.read(settings, f"SELECT * FROM commentary {where}", parameters)
    return [_comment(row) for row in rows]


def _check_period(board_period) -> None:
    if not side_checks.is_month(board_period) or (
        calendar.period_start("board", board_period) != board_period
    ):
        raise CommentaryError(
            f"{board_period!r} is not a board period (the first day of its first month)"
        )


def _checked_text(text, part: str, *, required: bool) -> str:
    # Paragraph breaks are kept; runs of spaces within a line are not.
    lines = [" ".join(line.split()) for line in str(text or "").strip().splitlines()]
    text = "\n".join(lines).strip()
    if required and not text:
        raise CommentaryError(f"commentary needs a line saying {part}")
    if len(text) > MAX_TEXT_LENGTH:
        raise CommentaryError(f"'{part}' has {len(text)} characters; at most {MAX_TEXT_LENGTH}")
    return text


def _connect(settings: Settings) -> sqlite3.Connection:
    return side_store.connect(settings, SCHEMA)


def _comment(row: sqlite3.Row) -> Comment:
    return Comment(
        id=row["id"], metric_id=row["metric_id"], org_code=row["org_code"],
        board_period=date.fromisoformat(row["board_period"]), text=row["happened"],
        action=row["action"], author=row["author"], written_at=row["written_at"],
        approved_by=row["approved_by"], approved_at=row["approved_at"],
        replaced_by=row["replaced_by"],
    )  # fmt: skip
