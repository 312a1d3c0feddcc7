"""Checks shared by what the web tier stores beside the users (`wholesystem.side_store`):
targets, commentary and annotations each refuse a bad month, indicator, org or line of
words with the same sentence, raised as their own error class (a `UserError`).
"""

from __future__ import annotations

from datetime import date, datetime

from metrics.registry import load_registry
from wholesystem.errors import UserError
from wholesystem.settings import Settings


def is_month(value) -> bool:
    """Whether a value is a date (not a datetime) on the first day of a month."""
    return isinstance(value, date) and not isinstance(value, datetime) and value.day == 1


def check_month(value, error: type[UserError], name: str = "") -> None:
    """Raises `error` unless `value` is the first day of a month; `name` says which field."""
    if not is_month(value):
        field = f"{name} " if name else ""
        raise error(f"{field}{value!r} is not a month (the first day of a month, e.g. 2025-06)")


def check_metric(settings: Settings, metric_id: str, error: type[UserError]) -> None:
    """Raises `error` unless the indicator is defined in the settings' definitions."""
    if metric_id not in load_registry(settings.indicators):
        raise error(f"there is no indicator {metric_id!r} in metrics/definitions/")


def checked_line(text, what: str, limit: int, missing: str, error: type[UserError]) -> str:
    """Returns a line of words with its runs of spaces made one; raises `error` with
    `missing` when it is empty, or naming `what` when longer than `limit` characters."""
    text = " ".join(str(text or "").split())
    if not text:
        raise error(missing)
    if len(text) > limit:
        raise error(f"the {what} has {len(text)} characters; at most {limit}")
    return text


def published_orgs(settings: Settings) -> frozenset | None:
    """The org codes of the published snapshot, or None when nothing is published yet."""
    from metrics.serving import current_version, open_current

    if current_version(settings) is None:
        return None
    connection, _ = open_current(settings)
    try:
        rows = connection.execute("SELECT org_code FROM org_units").fetchall()
    finally:
        connection.close()
    return frozenset(code for (code,) in rows)
