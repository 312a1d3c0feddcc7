"""Reading an API request's query: each bad value is refused with 400 and one sentence
naming the parameter and the value (an unknown metric, level, period type, org level,
segment, a date that is not one, a limit out of range, a parameter the route has not).
"""

from __future__ import annotations

from datetime import date

import flask

from dashboard import access
from dashboard.api.declare import DEFAULT_LIMIT, MAX_LIMIT, Endpoint
from metrics.calendar import PERIOD_TYPES, parse_day
from metrics.registry import LEVELS

MAX_SHOWN = 80  # characters of a bad value repeated in a refusal
SEE_INDICATORS = "an indicator id from /api/v1/indicators"


class BadQuery(Exception):
    """A request the API cannot answer: `status` and one sentence."""

    def __init__(self, sentence: str, status: int = 400):
        super().__init__(sentence)
        self.status = status


def shown(value: str) -> str:
    return repr(str(value)[:MAX_SHOWN])


def check_known(route: Endpoint) -> None:
    """Refuses a query parameter the route does not read."""
    for name in flask.request.args:
        if name not in route.allowed():
            known = ", ".join(sorted(route.allowed())) or "none"
            raise BadQuery(f"parameter {shown(name)} is not one this route reads ({known}).")


def text(name: str, default: str | None = None) -> str | None:
    value = flask.request.args.get(name, "").strip()
    return value or default


def listed(name: str) -> list[str] | None:
    """A comma-separated (or repeated) parameter as a list, None when absent."""
    values = [v.strip() for raw in flask.request.args.getlist(name) for v in raw.split(",")]
    values = [v for v in values if v]
    return values or None


def metric_ids(required: bool = True) -> list[str] | None:
    chosen = listed("metric")
    if chosen is None:
        if required:
            raise BadQuery(f"parameter 'metric' is required: {SEE_INDICATORS}.")
        return None
    known = set(access.indicators()["id"])
    for metric in chosen:
        if metric not in known:
            raise BadQuery(f"metric {shown(metric)} is not {SEE_INDICATORS}.")
    return chosen


def level(required: bool = False) -> str | None:
    value = text("level")
    if value is None and required:
        raise BadQuery(f"parameter 'level' is required: one of {', '.join(LEVELS)}.")
    if value is not None and value not in LEVELS:
        raise BadQuery(f"level {shown(value)} is not one of {', '.join(LEVELS)}.")
    return value


def period_type() -> str:
    value = text("period_type", "month")
    if value not in PERIOD_TYPES:
        raise BadQuery(f"period_type {shown(value)} is not one of {', '.join(PERIOD_TYPES)}.")
    return value


def segment() -> str:
    value = text("segment", "all")
    if value not in set(access.segments()["segment"]):
        example = "e.g. 'all' or 'age_band:65-74'"
        raise BadQuery(f"segment {shown(value)} is not a published segment, {example}.")
    return value


def day(name: str) -> date | None:
    """A date as YYYY-MM-DD, or a month as YYYY-MM (its first day)."""
    value = text(name)
    if value is None:
        return None
    try:
        return parse_day(value)
    except ValueError:
        raise BadQuery(f"{name} {shown(value)} is not a date: use YYYY-MM-DD or YYYY-MM.") from None


def page() -> tuple[int, int]:
    """(limit, offset): limit 1 to MAX_LIMIT (default DEFAULT_LIMIT), offset 0 or more."""
    limit = _whole("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    return limit, _whole("offset", 0, 0, None)


def _whole(name: str, default: int, low: int, high: int | None) -> int:
    value = text(name)
    if value is None:
        return default
    span = f"from {low} to {high}" if high is not None else f"of {low} or more"
    if not value.isdigit() or int(value) < low or (high is not None and int(value) > high):
        raise BadQuery(f"{name} {shown(value)} is not a whole number {span}.")
    return int(value)


def output_format() -> str:
    """'csv' or 'json': the `format` parameter, else the Accept header, else JSON."""
    value = text("format")
    if value is None:
        best = flask.request.accept_mimetypes.best_match(["application/json", "text/csv"])
        return "csv" if best == "text/csv" else "json"
    if value not in ("json", "csv"):
        raise BadQuery(f"format {shown(value)} is not one of json, csv.")
    return value
