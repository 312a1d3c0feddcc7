"""The targets in force, read live, and the one way the dashboard judges them.

Publish writes the process limits; the target a page compares them with is read here, at
each page load, from `wholesystem.targets` (the TOML defaults as the fallback), so a target
set on the Targets page shows at the next page load without republishing. Every page, the
exports and the pack call `assurance_for` and `on_track_for`, which call
`metrics.assurance`: nothing else compares a target with limits.
"""

from __future__ import annotations

from datetime import date, datetime

import flask
import pandas as pd

from dashboard import access
from metrics import assurance
from wholesystem.settings import Settings
from wholesystem.targets import EffectiveTarget, TargetBook
from wholesystem.targets import thresholds as thresholds  # the networks' rule, kept here too


def book(settings: Settings | None = None) -> TargetBook:
    """The TargetBook, read once per `access.reading()` block (the pack, the CLI), else
    once per request (kept on `flask.g`), else afresh with `settings` (or the settings
    `access` was configured with)."""
    held = access.reading_cache()
    if held is not None:
        if "target_book" not in held:
            held["target_book"] = _load(settings)
        return held["target_book"]
    if flask.has_request_context():
        if "target_book" not in flask.g:
            flask.g.target_book = _load(None)
        return flask.g.target_book
    return _load(settings)


def _or_shared(given: TargetBook | None) -> TargetBook:
    # The functions' `book=` parameter shadows `book()` inside them.
    return given if given is not None else book()


def _load(settings: Settings | None) -> TargetBook:
    return TargetBook.load(settings or access.configured_settings(), access.indicators())


def target_for(indicator: dict, org_code: str | None, month, book=None) -> EffectiveTarget | None:
    """The target in force for an indicator (a row of `access.indicators()`), org and month;
    `book` a TargetBook already read (else `book()`), as for each function here."""
    return _or_shared(book).target(indicator["id"], org_code, month)


def assurance_for(
    indicator: dict, org_code: str | None, month, lower, upper, book=None
) -> str | None:
    """The assurance of a series whose latest process limits are `lower` and `upper`,
    against the target in force for the org and month (None without one)."""
    return judged(indicator, target_for(indicator, org_code, month, book), lower, upper)


def judged(indicator: dict, target: EffectiveTarget | None, lower, upper) -> str | None:
    """The assurance of process limits `lower` and `upper` against a target already
    looked up (`target_for`): `metrics.assurance`, the one comparison."""
    against = None if target is None else target.judged_against
    return assurance.assurance(lower, upper, against, indicator.get("improvement"))


def on_track_for(indicator: dict, org_code: str | None, month, value, book=None) -> bool | None:
    """Whether the month's value meets its trajectory's planned value (None without a
    planned value for that month, a suppressed value or no better direction)."""
    planned = planned_for(indicator, org_code, month, book)
    return assurance.on_track(value, planned, indicator.get("improvement"))


def planned_for(indicator: dict, org_code: str | None, month, book=None) -> float | None:
    """The trajectory's planned value for the month, or None."""
    return _or_shared(book).planned(indicator["id"], org_code, month)


def trajectory_for(indicator: dict, org_code: str | None, book=None) -> dict[date, float]:
    """The org's trajectory (month -> planned value), in month order."""
    return _or_shared(book).trajectory(indicator["id"], org_code)


def describe(target: EffectiveTarget | None, *, whom: bool = False) -> str:
    """Where the target in force comes from, in words, for every page and the pack:
    "set by ana on 5 Dec 2026: <reason>" (with `whom`, "set for this organisation by
    ..."), "the default: <note>" or "no target set"."""
    if target is None:
        return "no target set"
    record = target.record
    if record is None:
        return "the default" + (f": {target.note}" if target.note else "")
    where = ""
    if whom:
        where = " for this organisation" if record.org_code else " for every organisation"
    when = f"{datetime.fromisoformat(record.set_at):%-d %b %Y}" if record.set_at else "–"
    reason = f": {record.reason}" if record.reason else ""
    return f"set{where} by {record.set_by or 'unknown'} on {when}{reason}"


def latest_observed(points: pd.DataFrame) -> dict | None:
    """The last month of a series' `spc_points` with a value shown (publish judges the
    icons at the same point), or None."""
    if points.empty:
        return None
    shown = points[points["value"].notna() & ~points["suppressed"].fillna(False).astype(bool)]
    return None if shown.empty else shown.iloc[-1].to_dict()


def series_assurance(indicator: dict, org_code: str | None, points: pd.DataFrame) -> str | None:
    """The live assurance of a charted series from its `spc_points`: the latest observed
    month's process limits against the target in force in that month."""
    last = latest_observed(points)
    if last is None:
        return None
    month = last["period_start"]
    return assurance_for(indicator, org_code, month, last["lower_limit"], last["upper_limit"])
