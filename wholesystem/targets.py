"""Targets and trajectories set in the product, kept beside the users in SQLite.

A target belongs to an indicator and optionally one org (any level; none means every org)
and a range of months (`valid_from`/`valid_to`, inclusive, either open). It has a value,
or QOF-style lower and upper thresholds, or both, and optionally a trajectory: the value
planned for each month. Who set it, when and why is kept: an edit ends the old record
(who, when) and writes a new one that `replaces` it; ending a target records who and when.
Nothing is ever deleted, so the history of every target stays readable.

`TargetBook.load` reads every target in force in one query and falls back to the TOML
defaults (the indicators frame's `target_value`, `target_lower`, `target_upper`), so the
dashboard, the exports and the pack all judge the same target, read live at each page load
without republishing. The comparison itself lives in `metrics.assurance`.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd

from metrics.assurance import IMPROVEMENT_CODES
from metrics.registry import load_registry
from wholesystem import side_checks, side_store
from wholesystem.errors import UserError
from wholesystem.settings import Settings

MAX_REASON_LENGTH = 500
MONTH = re.compile(r"(\d{4})-(\d{2})(?:-01)?")
# A trajectory as text: entries separated by ";" or new lines, each a month and a planned
# value separated by "=", "," or spaces ("2025-04=61;2025-05=62.5", or "2025-06 62.5" a line).
TRAJECTORY_ENTRIES = re.compile(r"[;\n]")
TRAJECTORY_ENTRY = re.compile(r"\s*(\S+?)\s*(?:=|,|\s)\s*(\S+)\s*")
SCHEMA = """
CREATE TABLE IF NOT EXISTS targets (
    id INTEGER PRIMARY KEY AUTOINCREMENT, metric_id TEXT NOT NULL, org_code TEXT,
    valid_from TEXT, valid_to TEXT, value REAL, lower REAL, upper REAL,
    trajectory TEXT NOT NULL DEFAULT '{}', reason TEXT NOT NULL, set_by TEXT,
    set_at TEXT NOT NULL, ended_by TEXT, ended_at TEXT, replaces INTEGER);
CREATE INDEX IF NOT EXISTS targets_in_force ON targets (metric_id) WHERE ended_at IS NULL;
"""
SET, DEFAULT = "set", "default"


class TargetError(UserError):
    """A bad target, in one sentence: an unknown indicator or org, a month that is not a
    month, lower above upper, a value that is not a number or not a percentage."""


@dataclass(frozen=True)
class TargetSpec:
    """What a person asks for: the fields of a target before it is checked and stored.
    Months are firsts of months; `trajectory` maps months to planned values."""

    metric_id: str
    org_code: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    trajectory: Mapping[date, float] = field(default_factory=dict)
    reason: str = ""

    def covers(self, month: date) -> bool:
        """Whether the month lies in the target's (inclusive) range of months."""
        return (self.valid_from is None or self.valid_from <= month) and (
            self.valid_to is None or month <= self.valid_to
        )


@dataclass(frozen=True)
class Target(TargetSpec):
    """One stored target record. `ended_at` None means in force; `replaces` is the id of
    the record an edit ended to write this one."""

    id: int = 0
    set_by: str | None = None
    set_at: str = ""
    ended_by: str | None = None
    ended_at: str | None = None
    replaces: int | None = None

    @property
    def in_force(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True)
class EffectiveTarget:
    """The target in force for one indicator, org and month. `judged_against` is the number
    assurance compares with the limits: the value, else the full-achievement threshold
    (upper when higher is better, lower when lower is better). `source` is 'set' (a
    stored `record`) or 'default' (the TOML default; `note` says where it comes from)."""

    value: float | None
    lower: float | None
    upper: float | None
    judged_against: float | None
    source: str
    record: Target | None = None
    note: str = ""


# ----------------------------------------------------------------------------- storage


def add_target(settings: Settings, spec: TargetSpec, set_by: str | None) -> Target:
    """Checks and stores a new target; raises TargetError (one sentence) when it is bad."""
    spec = check_spec(spec, _Checker.for_settings(settings))
    with closing(_connect(settings)) as connection, connection:
        return _insert(connection, spec, set_by, side_store.now(), None)


def put_targets(settings: Settings, specs: Iterable[TargetSpec], set_by: str | None) -> list:
    """Stores several checked specs (`check_spec`) in one transaction, all or none (for
    `targets import`): a spec for the same indicator, org and months as a target in force
    replaces it (an edit, the old record kept); any other is added. Returns the records."""
    now, stored = side_store.now(), []
    with closing(_connect(settings)) as connection, connection:
        for spec in specs:
            old = _same_place(connection, spec)
            if old is not None:
                _end(connection, old, set_by, now)
            stored.append(_insert(connection, spec, set_by, now, old))
    return stored


def _same_place(connection, spec: TargetSpec) -> int | None:
    row = connection.execute(
        "SELECT id FROM targets WHERE ended_at IS NULL AND metric_id = ? AND org_code IS ? "
        "AND valid_from IS ? AND valid_to IS ? ORDER BY id DESC LIMIT 1",
        (spec.metric_id, spec.org_code, _iso(spec.valid_from), _iso(spec.valid_to)),
    ).fetchone()
    return None if row is None else row["id"]


def edit_target(settings: Settings, target_id: int, spec: TargetSpec, set_by: str | None):
    """Ends the target in force with this id (who, when) and stores `spec` as the record
    that replaces it; returns the new record. Raises TargetError for an unknown or ended
    target or a bad spec."""
    spec = check_spec(spec, _Checker.for_settings(settings))
    now = side_store.now()
    with closing(_connect(settings)) as connection, connection:
        _end(connection, target_id, set_by, now)
        return _insert(connection, spec, set_by, now, target_id)


def end_target(settings: Settings, target_id: int, ended_by: str | None) -> Target:
    """Ends a target in force (recording who and when) and returns the ended record."""
    with closing(_connect(settings)) as connection, connection:
        _end(connection, target_id, ended_by, side_store.now())
        return _target(_row(connection, target_id))


def get_target(settings: Settings, target_id: int) -> Target | None:
    """Returns one record (in force or ended), or None."""
    rows = side_store.read(settings, "SELECT * FROM targets WHERE id = ?", (target_id,))
    return _target(rows[0]) if rows else None


def list_targets(
    settings: Settings, metric_id: str | None = None, *, in_force_only: bool = True
) -> list[Target]:
    """Returns the targets (in force, or every record with the history), by indicator,
    org and id, in one query."""
    clauses = (["metric_id = ?"] if metric_id else []) + (
        ["ended_at IS NULL"] if in_force_only else []
    )
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    parameters = (metric_id,) if metric_id else ()
    sql = f"SELECT * FROM targets {where} ORDER BY metric_id, org_code NULLS FIRST, id"
    return [_target(row) for row in side_store.read(settings, sql, parameters)]


def _insert(connection, spec: TargetSpec, set_by, now: str, replaces) -> Target:
    trajectory = json.dumps({m.isoformat(): v for m, v in sorted(spec.trajectory.items())})
    months = (_iso(spec.valid_from), _iso(spec.valid_to))
    numbers = (spec.value, spec.lower, spec.upper)
    row = (spec.metric_id, spec.org_code, *months, *numbers, trajectory, spec.reason, set_by)
    cursor = connection.execute(
        "INSERT INTO targets (metric_id, org_code, valid_from, valid_to, value, lower, upper, "
        "trajectory, reason, set_by, set_at, replaces) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (*row, now, replaces),
    )
    return _target(_row(connection, cursor.lastrowid))


def _end(connection, target_id: int, who, now: str) -> None:
    ended = connection.execute(
        "UPDATE targets SET ended_by = ?, ended_at = ? WHERE id = ? AND ended_at IS NULL",
        (who, now, target_id),
    )
    if ended.rowcount == 0:
        raise TargetError(f"there is no target in force with id {target_id}")


def _row(connection, target_id: int):
    return connection.execute("SELECT * FROM targets WHERE id = ?", (target_id,)).fetchone()


def _connect(settings: Settings) -> sqlite3.Connection:
    return side_store.connect(settings, SCHEMA)


def _iso(month: date | None) -> str | None:
    return None if month is None else month.isoformat()


def _month_or_none(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _target(row: sqlite3.Row) -> Target:
    trajectory = {date.fromisoformat(m): v for m, v in json.loads(row["trajectory"]).items()}
    return Target(
        metric_id=row["metric_id"], org_code=row["org_code"],
        valid_from=_month_or_none(row["valid_from"]), valid_to=_month_or_none(row["valid_to"]),
        value=row["value"], lower=row["lower"], upper=row["upper"], trajectory=trajectory,
        reason=row["reason"], id=row["id"], set_by=row["set_by"], set_at=row["set_at"],
        ended_by=row["ended_by"], ended_at=row["ended_at"], replaces=row["replaces"],
    )  # fmt: skip


# -------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class _Checker:
    """What a spec is checked against: the indicators (improvement, unit) and the orgs of
    the published snapshot (None before anything is published: any code is accepted)."""

    indicators: dict  # metric_id -> (improvement, unit)
    orgs: frozenset | None

    @classmethod
    def for_settings(cls, settings: Settings) -> _Checker:
        registry = load_registry(settings.indicators)
        indicators = {key: (i.improvement, i.unit) for key, i in registry.items()}
        return cls(indicators, side_checks.published_orgs(settings))


def checker(settings: Settings) -> _Checker:
    """What `check_spec` checks against, read once (for checking many specs)."""
    return _Checker.for_settings(settings)


def check_spec(spec: TargetSpec, against: _Checker) -> TargetSpec:
    """Returns the spec tidied (reason's spaces, numbers as floats), or raises TargetError
    with one sentence naming the bad field and value."""
    improvement, unit = _indicator(spec.metric_id, against)
    if spec.org_code is not None and against.orgs is not None and spec.org_code not in against.orgs:
        raise TargetError(f"org code {spec.org_code!r} is not in the published snapshot")
    for name in ("valid_from", "valid_to"):
        check_month(getattr(spec, name), name)
    if spec.valid_from and spec.valid_to and spec.valid_from > spec.valid_to:
        raise TargetError(
            f"valid_from {spec.valid_from:%Y-%m} is after valid_to {spec.valid_to:%Y-%m}"
        )
    numbers = {
        name: _checked_number(getattr(spec, name), name, unit)
        for name in ("value", "lower", "upper")
    }
    _check_thresholds(**numbers)
    trajectory = _checked_trajectory(spec, unit)
    return replace(spec, **numbers, trajectory=trajectory, reason=_checked_reason(spec.reason))


def check_month(month, name: str = "month") -> None:
    """Raises TargetError unless `month` is None or the first day of a month."""
    if month is not None:
        side_checks.check_month(month, TargetError, name)


def parse_month(text: str, name: str = "month") -> date | None:
    """Reads 'YYYY-MM' (or 'YYYY-MM-01'); '' is None; raises TargetError otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    match = MONTH.fullmatch(text)
    if match is None or not 1 <= int(match[2]) <= 12:
        raise TargetError(f"{name} {text!r} is not a month (YYYY-MM, e.g. 2025-06)")
    return date(int(match[1]), int(match[2]), 1)


def parse_trajectory(text: str, *, numbered: bool = False) -> dict[date, float]:
    """Reads a trajectory (`TRAJECTORY_ENTRY`s; empty: none); raises TargetError naming
    the entry, and with `numbered` its line (a form's box of lines)."""
    trajectory = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        for entry in filter(str.strip, TRAJECTORY_ENTRIES.split(line)):
            shown = entry.strip()
            where = f"line {number} ({shown!r})" if numbered else f"entry {shown!r}"
            match = TRAJECTORY_ENTRY.fullmatch(entry)
            if match is None:
                raise TargetError(f"trajectory {where} is not a month and a value")
            month = parse_month(match[1], f"trajectory {where}: month")
            if month in trajectory:
                raise TargetError(f"trajectory {where}: {month:%Y-%m} is given twice")
            trajectory[month] = parse_number(match[2], f"trajectory {where}: value")
    return trajectory


def format_trajectory(trajectory: Mapping[date, float], between: str = ";") -> str:
    """A trajectory as `parse_trajectory` reads it: `YYYY-MM=value` entries, each value
    exactly as stored, joined by `between` (";" in a CSV cell, a new line in a form)."""
    return between.join(f"{m:%Y-%m}={plain_number(v)}" for m, v in trajectory.items())


def plain_number(value) -> str:
    """A number exactly as stored (shortest round-tripping decimal), "" for none."""
    return "" if value is None else repr(float(value)).removesuffix(".0")


def parse_number(text, name: str) -> float | None:
    """Reads a number ('' or None is None); raises TargetError naming the field otherwise."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if isinstance(text, bool):
        raise TargetError(f"{name} {text!r} is not a number")
    try:
        number = float(str(text).strip().rstrip("%")) if isinstance(text, str) else float(text)
    except ValueError:
        raise TargetError(f"{name} {text!r} is not a number") from None
    if not math.isfinite(number):
        raise TargetError(f"{name} {text!r} is not a number")
    return number


def _indicator(metric_id: str, against: _Checker) -> tuple[str, str]:
    if metric_id not in against.indicators:
        raise TargetError(f"there is no indicator {metric_id!r} in metrics/definitions/")
    improvement, unit = against.indicators[metric_id]
    if IMPROVEMENT_CODES.get(improvement, 0) == 0:
        raise TargetError(
            f"indicator {metric_id!r} has no better direction (higher or lower), so a "
            "target cannot be judged"
        )
    return improvement, unit


def _checked_number(value, name: str, unit: str) -> float | None:
    number = parse_number(value, name)
    if number is not None and str(unit).startswith("%") and not 0 <= number <= 100:
        raise TargetError(f"{name} {number:g} is not a percentage from 0 to 100")
    return number


def _check_thresholds(value, lower, upper) -> None:
    if (lower is None) != (upper is None):
        raise TargetError("give both a lower and an upper threshold, or neither")
    if value is None and lower is None:
        raise TargetError("a target needs a value, or lower and upper thresholds")
    if lower is not None and lower > upper:
        raise TargetError(f"the lower threshold {lower:g} is above the upper threshold {upper:g}")


def _checked_trajectory(spec: TargetSpec, unit: str) -> dict[date, float]:
    trajectory = {}
    for month, planned in (spec.trajectory or {}).items():
        check_month(month, "trajectory month")
        if not spec.covers(month):
            raise TargetError(f"trajectory month {month:%Y-%m} is outside the target's months")
        trajectory[month] = _checked_number(planned, f"planned value for {month:%Y-%m}", unit)
        if trajectory[month] is None:
            raise TargetError(f"the trajectory has no planned value for {month:%Y-%m}")
    return dict(sorted(trajectory.items()))


def _checked_reason(reason: str) -> str:
    missing = "a target needs a reason (why it was set, e.g. the plan it comes from)"
    return side_checks.checked_line(reason, "reason", MAX_REASON_LENGTH, missing, TargetError)


# ------------------------------------------------------------------------------ lookup


class TargetBook:
    """Every target in force, with the TOML defaults as the fallback, read once."""

    def __init__(self, targets: Iterable[Target], indicators: pd.DataFrame):
        targets = list(targets)
        # Which records are in force: an edit ends one record and writes another, so any
        # change gives another stamp (the payments page keys its computed money on it).
        self.stamp = tuple(sorted(target.id for target in targets))
        self._by_metric: dict[str, list[Target]] = {}
        for target in targets:
            self._by_metric.setdefault(target.metric_id, []).append(target)
        self._improvement = dict(zip(indicators["id"], indicators["improvement"], strict=True))
        self._defaults = {row["id"]: _default(row) for row in indicators.to_dict("records")}

    @classmethod
    def load(cls, settings: Settings, indicators_frame: pd.DataFrame) -> TargetBook:
        """Reads the targets in force (one query) beside the indicators frame's defaults."""
        return cls(list_targets(settings), indicators_frame)

    def record(self, metric_id: str, org_code: str | None, month: date) -> Target | None:
        """The set target in force for the org and month: one naming the org beats one for
        every org; among equals the latest set wins. A month is required: without one a
        target outside its months would be taken as in force."""
        if month is None:
            raise ValueError("TargetBook.record needs the month the target is judged at")
        candidates = [
            t for t in self._by_metric.get(metric_id, ())
            if t.org_code in (None, org_code) and t.covers(month)
        ]  # fmt: skip
        if not candidates:
            return None
        return max(candidates, key=lambda t: (t.org_code is not None, t.id))

    def target(self, metric_id: str, org_code: str | None, month: date):
        """The EffectiveTarget for an indicator, org and month, or None (no set target and
        no default)."""
        record = self.record(metric_id, org_code, _first_of_month(month))
        improvement = self._improvement.get(metric_id)
        if record is not None:
            judged = _judged_against(record.value, record.lower, record.upper, improvement)
            return EffectiveTarget(record.value, record.lower, record.upper, judged, SET, record)
        default = self._defaults.get(metric_id)
        if default is None:
            return None
        value, lower, upper, note = default
        judged = _judged_against(value, lower, upper, improvement)
        return EffectiveTarget(value, lower, upper, judged, DEFAULT, None, note)

    def planned(self, metric_id: str, org_code: str | None, month: date | None) -> float | None:
        """The trajectory's planned value for the month, from the target in force then."""
        month = _first_of_month(month)
        record = None if month is None else self.record(metric_id, org_code, month)
        return None if record is None else record.trajectory.get(month)

    def trajectory(self, metric_id: str, org_code: str | None) -> dict[date, float]:
        """Every planned month of the org's trajectory, each from the target in force in
        that month, in month order."""
        months = {
            month for t in self._by_metric.get(metric_id, ())
            if t.org_code in (None, org_code) for month in t.trajectory
        }  # fmt: skip
        planned = {month: self.planned(metric_id, org_code, month) for month in sorted(months)}
        return {month: value for month, value in planned.items() if value is not None}


def thresholds(target: EffectiveTarget | None, improvement: str | None):
    """(lower, upper) thresholds of a target as the networks' met/between rule and the
    payments read them: `upper` is the stricter one in the direction of improvement (the
    number judged against), `lower` the other; each the value where the target has no
    range."""
    if target is None:
        return None, None
    low = target.lower if target.lower is not None else target.value
    high = target.upper if target.upper is not None else target.value
    laxer = high if improvement == "decrease" else low
    return (target.judged_against if laxer is None else laxer), target.judged_against


def _default(row: dict) -> tuple | None:
    value, lower, upper = (_float(row.get(f"target_{key}")) for key in ("value", "lower", "upper"))
    if value is None and (lower is None or upper is None):
        return None
    return value, lower, upper, str(row.get("target_source") or "")


def _judged_against(value, lower, upper, improvement: str | None) -> float | None:
    if value is not None:
        return value
    direction = IMPROVEMENT_CODES.get(improvement or "", 0)
    return upper if direction > 0 else lower if direction < 0 else None


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _first_of_month(month) -> date | None:
    if month is None:
        return None
    month = pd.Timestamp(month).date()
    return month.replace(day=1)
