"""Payment schemes: how networks are paid on their care packages (docs/dashboard.md,
"Payments").

A scheme names its care packages, each with a rate (£ per patient per year, per registered
patient or per patient on the package's register) and its KPIs with weights (points) and
how attainment turns into money (QOF-style linear scaling between a lower and an upper
threshold, or all-or-nothing at the target); the share paid up front (0.7 for 70/30);
the assessment period (quarter or financial year); and optionally a gain share of the
savings from fewer emergency admissions than a baseline.

Schemes come from `wholesystem.toml` (`[payment_schemes.<name>]` tables) and from admins'
edits kept beside the users in SQLite (never DuckDB: the web tier writes them). As with
targets, an edit ends the record in force (who, when) and writes a new one that
`replaces` it, with who, when and why; ending a scheme ends its record and keeps it in
the history. Once a name has a stored record the store decides: its record in force is
the scheme (overriding the TOML table of that name), and a name whose records are all
ended has no scheme. Every save and end is also written to the admins' audit
(`dashboard.users.audit_admin_action`, events `scheme_saved` and `scheme_ended`).
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass, replace

from metrics.assurance import IMPROVEMENT_CODES
from metrics.registry import load_registry
from wholesystem import side_checks, side_store
from wholesystem.errors import UserError
from wholesystem.settings import Settings

KPI_GROUP = "care_package"
PERIODS = ("quarter", "fy")
METHODS = ("linear", "all_or_nothing")
PER = ("registered", "register")
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
MAX_REASON_LENGTH = 500
MAX_TITLE_LENGTH = 120
DEFAULT_GAIN_METRIC = "emergency_admissions"
SCHEME_KEYS = {"title", "upfront_share", "period", "packages", "gain_share"}
PACKAGE_KEYS = {"name", "rate", "per", "register", "kpis"}
KPI_KEYS = {"metric_id", "weight", "method", "lower", "upper"}
GAIN_KEYS = {"metric_id", "share", "cost_per_admission", "baseline_per_1000"}
SCHEMA = """
CREATE TABLE IF NOT EXISTS payment_schemes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, definition TEXT NOT NULL,
    reason TEXT NOT NULL, set_by TEXT, set_at TEXT NOT NULL, ended_by TEXT, ended_at TEXT,
    end_reason TEXT, replaces INTEGER);
CREATE INDEX IF NOT EXISTS payment_schemes_by_name ON payment_schemes (name, id);
"""


class SchemeError(UserError):
    """A bad scheme, in one sentence naming the scheme, the key and the value."""


@dataclass(frozen=True)
class KpiRule:
    """One KPI of a package: its weight (points), how attainment becomes money, and the
    thresholds (None: the target in force for the network and the period's last month)."""

    metric_id: str
    weight: float
    method: str = "linear"
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True)
class Package:
    """A care package: £ `rate` per patient per year, `per` registered patient or per
    patient on the package's register (the denominator of the KPI `register`, by default
    its first KPI), and its KPIs."""

    name: str
    rate: float
    per: str
    kpis: tuple[KpiRule, ...]
    register: str | None = None

    @property
    def register_metric(self) -> str:
        """The KPI whose denominator counts the register's patients."""
        return self.register or self.kpis[0].metric_id


@dataclass(frozen=True)
class GainShare:
    """A share of the savings when the network's patients have fewer emergency admissions
    (`metric_id`) than a baseline: the same months a year earlier (`baseline_per_1000`
    None) or a fixed rate per 1,000 registered patients per year. Savings are the avoided
    admissions × `cost_per_admission`; `share` of them is paid, never below nothing."""

    share: float
    cost_per_admission: float
    metric_id: str = DEFAULT_GAIN_METRIC
    baseline_per_1000: float | None = None


@dataclass(frozen=True)
class Scheme:
    """A payment scheme. `upfront_share` is paid whatever the results (0.7 for 70/30);
    the rest is at risk on the KPIs. `period` is the assessment period ('quarter' or
    'fy'); `origin` says where it comes from (the TOML file or the side store's record)."""

    name: str
    title: str
    packages: tuple[Package, ...]
    upfront_share: float
    period: str = "quarter"
    gain_share: GainShare | None = None
    origin: str = ""
    source: str = ""  # 'toml' or 'edited' (load_schemes); '' for one parsed elsewhere

    @property
    def split(self) -> str:
        """The split in words, up front / on results: "70/30"."""
        upfront = round(self.upfront_share * 100, 2)
        return f"{upfront:g}/{round(100 - upfront, 2):g}"

    @property
    def kpis(self) -> tuple[KpiRule, ...]:
        """Every KPI rule of every package, in order."""
        return tuple(rule for package in self.packages for rule in package.kpis)


@dataclass(frozen=True)
class SchemeRecord:
    """One stored version of a scheme (in force while `ended_at` is None); `definition`
    is its table (`scheme_table`)."""

    id: int
    name: str
    definition: dict
    reason: str
    set_by: str | None
    set_at: str
    ended_by: str | None
    ended_at: str | None
    end_reason: str | None
    replaces: int | None

    @property
    def in_force(self) -> bool:
        return self.ended_at is None


# ---------------------------------------------------------------------------- loading


def load_schemes(settings: Settings) -> dict[str, Scheme]:
    """Every scheme in force by name: the TOML tables, overridden (or ended) by the
    records in the side store, in name order. Raises SchemeError for a bad TOML table."""
    schemes = {}
    for name, table in (settings.payment_schemes or {}).items():
        try:
            scheme = parse_scheme(name, table, f"[payment_schemes.{name}] in the TOML file")
            schemes[name] = replace(scheme, source="toml")
        except SchemeError as error:
            raise SchemeError(f"configuration file (wholesystem.toml): {error}") from None
    for name, records in _records_by_name(settings).items():
        current = next((r for r in reversed(records) if r.in_force), None)
        schemes.pop(name, None)
        if current is not None:
            who = current.set_by or "unknown"
            origin = f"scheme {name!r} as saved by {who} at {current.set_at}"
            schemes[name] = replace(parse_scheme(name, current.definition, origin), source="edited")
    return dict(sorted(schemes.items()))


def get_scheme(settings: Settings, name: str) -> Scheme:
    """The scheme in force named `name` (or titled so, case aside); SchemeError listing
    the schemes when there is none."""
    schemes = load_schemes(settings)
    if name in schemes:
        return schemes[name]
    by_title = {s.title.casefold(): s for s in schemes.values()}
    if str(name).casefold() in by_title:
        return by_title[str(name).casefold()]
    known = ", ".join(schemes) or "none (add [payment_schemes.<name>] to wholesystem.toml)"
    raise SchemeError(f"there is no payment scheme {name!r}; the schemes are {known}")


def scheme_history(settings: Settings, name: str) -> list[SchemeRecord]:
    """Every stored record of the scheme, oldest first (in force and ended)."""
    return _records_by_name(settings).get(name, [])


def stored_names(settings: Settings) -> set[str]:
    """The names of every scheme with a record beside the users (in force or ended)."""
    rows = side_store.read(settings, "SELECT DISTINCT name FROM payment_schemes")
    return {row["name"] for row in rows}


def _records_by_name(settings: Settings) -> dict[str, list[SchemeRecord]]:
    rows = side_store.read(settings, "SELECT * FROM payment_schemes ORDER BY name, id")
    records: dict[str, list[SchemeRecord]] = {}
    for row in rows:
        records.setdefault(row["name"], []).append(_record(row))
    return records


def _record(row: sqlite3.Row) -> SchemeRecord:
    return SchemeRecord(
        id=row["id"], name=row["name"], definition=json.loads(row["definition"]),
        reason=row["reason"], set_by=row["set_by"], set_at=row["set_at"],
        ended_by=row["ended_by"], ended_at=row["ended_at"], end_reason=row["end_reason"],
        replaces=row["replaces"],
    )  # fmt: skip


# ---------------------------------------------------------------------------- storing


def save_scheme(
    settings: Settings, scheme: Scheme, by: str, reason: str, remote_address: str | None = None
) -> SchemeRecord:
    """Checks the scheme (again, as `parse_scheme` would) and stores it as the version in
    force, ending the one it replaces; audited. Raises SchemeError, storing nothing."""
    table = scheme_table(scheme)
    parse_scheme(scheme.name, table, f"scheme {scheme.name!r}")
    reason = _reason(reason, "a scheme needs a reason (why it was saved or changed)")
    with closing(_connect(settings)) as connection, connection:
        connection.execute("BEGIN IMMEDIATE")  # two admins saving at once: one waits
        old = _current_id(connection, scheme.name)
        now = side_store.now()
        if old is not None:
            _end(connection, old, by, now, reason)
        cursor = connection.execute(
            "INSERT INTO payment_schemes (name, definition, reason, set_by, set_at, replaces) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (scheme.name, json.dumps(table, sort_keys=True), reason, by, now, old),
        )
        record = _record(_row(connection, cursor.lastrowid))
    _audit(settings, by, "scheme_saved", scheme.name, reason, remote_address)
    return record


def end_scheme(
    settings: Settings, name: str, by: str, reason: str, remote_address: str | None = None
) -> SchemeRecord:
    """Ends the scheme in force named `name` (a TOML one too: its table is kept as an
    ended record), keeping it in the history; audited. SchemeError when there is none."""
    scheme = get_scheme(settings, name)
    reason = _reason(reason, "ending a scheme needs a reason")
    with closing(_connect(settings)) as connection, connection:
        connection.execute("BEGIN IMMEDIATE")
        old = _current_id(connection, scheme.name)
        now = side_store.now()
        if old is None:  # only in the TOML file: kept as a record, then ended
            definition = json.dumps(scheme_table(scheme), sort_keys=True)
            old = connection.execute(
                "INSERT INTO payment_schemes (name, definition, reason, set_at) VALUES (?,?,?,?)",
                (scheme.name, definition, "as in wholesystem.toml", now),
            ).lastrowid
        _end(connection, old, by, now, reason)
        record = _record(_row(connection, old))
    _audit(settings, by, "scheme_ended", scheme.name, reason, remote_address)
    return record


def _current_id(connection, name: str) -> int | None:
    row = connection.execute(
        "SELECT id FROM payment_schemes WHERE name = ? AND ended_at IS NULL ORDER BY id DESC",
        (name,),
    ).fetchone()
    return None if row is None else row["id"]


def _end(connection, record_id: int, by, now: str, reason: str) -> None:
    connection.execute(
        "UPDATE payment_schemes SET ended_by = ?, ended_at = ?, end_reason = ? "
        "WHERE id = ? AND ended_at IS NULL",
        (by, now, reason, record_id),
    )


def _row(connection, record_id: int):
    return connection.execute("SELECT * FROM payment_schemes WHERE id = ?", (record_id,)).fetchone()


def _connect(settings: Settings) -> sqlite3.Connection:
    return side_store.connect(settings, SCHEMA)


def _reason(reason, missing: str) -> str:
    return side_checks.checked_line(reason, "reason", MAX_REASON_LENGTH, missing, SchemeError)


def _audit(settings, by, event, name, reason, remote_address) -> None:
    from dashboard.users import audit_admin_action  # the admins' audit lives with the users

    audit_admin_action(settings, by or "unknown", event, name, reason, remote_address)


# ---------------------------------------------------------------------------- parsing


def parse_scheme(name: str, table, origin: str = "") -> Scheme:
    """A checked Scheme from a TOML-style table (`scheme_table`'s shape); raises
    SchemeError with one sentence naming the scheme, the key and the value."""
    where = f"payment scheme {name!r}"
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise SchemeError(
            f"payment scheme name {name!r} must be 1 to 64 lower-case letters, digits, "
            "'_' or '-', starting with a letter or digit"
        )
    table = _table(table, where, SCHEME_KEYS)
    title = " ".join(str(table.get("title") or name).split())
    if len(title) > MAX_TITLE_LENGTH:
        raise SchemeError(f"{where}: title has {len(title)} characters; at most {MAX_TITLE_LENGTH}")
    packages = _list(table.get("packages"), f"{where}: packages", "one [[packages]] table or more")
    parsed = tuple(_package(p, f"{where}: packages[{i}]") for i, p in enumerate(packages))
    _no_repeats([p.name for p in parsed], f"{where}: packages", "package name")
    _no_repeats([k.metric_id for p in parsed for k in p.kpis], f"{where}", "KPI")
    gain = table.get("gain_share")
    return Scheme(
        name=name, title=title, packages=parsed,
        upfront_share=_number(table.get("upfront_share"), f"{where}: upfront_share", 0, 1),
        period=_choice(table.get("period", "quarter"), f"{where}: period", PERIODS),
        gain_share=None if gain is None else _gain(gain, f"{where}: gain_share"),
        origin=origin,
    )  # fmt: skip


def _package(table, where: str) -> Package:
    table = _table(table, where, PACKAGE_KEYS)
    name = " ".join(str(table.get("name") or "").split())
    if not name:
        raise SchemeError(f'{where}: name is missing (e.g. name = "Diabetes")')
    where = f"{where.rsplit(':', 1)[0]}: package {name!r}"
    kpis = _list(table.get("kpis"), f"{where}: kpis", "one [[packages.kpis]] table or more")
    rules = tuple(_kpi(k, f"{where}: kpis[{i}]") for i, k in enumerate(kpis))
    register = table.get("register")
    if register is not None and register not in [rule.metric_id for rule in rules]:
        raise SchemeError(f"{where}: register {register!r} is not one of the package's KPIs")
    return Package(
        name=name, rate=_number(table.get("rate"), f"{where}: rate", 0, None),
        per=_choice(table.get("per", "registered"), f"{where}: per", PER),
        kpis=rules, register=register,
    )  # fmt: skip


def _kpi(table, where: str) -> KpiRule:
    table = _table(table, where, KPI_KEYS)
    metric_id = table.get("metric_id")
    improvement = _care_package_kpi(metric_id, where)
    where = f"{where.rsplit(':', 1)[0]}: KPI {metric_id!r}"
    weight = _number(table.get("weight"), f"{where}: weight", 0, None)
    if weight <= 0:
        raise SchemeError(f"{where}: weight {weight:g} must be more than 0 (points)")
    lower = _optional(table.get("lower"), f"{where}: lower")
    upper = _optional(table.get("upper"), f"{where}: upper")
    sign = IMPROVEMENT_CODES[improvement]
    if lower is not None and upper is not None and sign * (upper - lower) < 0:
        better = "higher" if sign > 0 else "lower"
        raise SchemeError(
            f"{where}: lower {lower:g} is beyond upper {upper:g} in the direction of "
            f"improvement ({better} is better), so the lower threshold must be the easier one"
        )
    method = _choice(table.get("method", "linear"), f"{where}: method", METHODS)
    return KpiRule(metric_id, weight, method, lower, upper)


def _gain(table, where: str) -> GainShare:
    table = _table(table, where, GAIN_KEYS)
    metric_id = table.get("metric_id", DEFAULT_GAIN_METRIC)
    indicator = load_registry().get(metric_id)
    if indicator is None or indicator.denominator_kind != "registered_population":
        raise SchemeError(
            f"{where}: metric_id {metric_id!r} is not an indicator counting events among the "
            f"registered population (e.g. {DEFAULT_GAIN_METRIC!r})"
        )
    baseline = table.get("baseline_per_1000")
    return GainShare(
        share=_number(table.get("share"), f"{where}: share", 0, 1),
        cost_per_admission=_number(
            table.get("cost_per_admission"), f"{where}: cost_per_admission", 0, None
        ),
        metric_id=metric_id,
        baseline_per_1000=None
        if baseline is None
        else _number(baseline, f"{where}: baseline_per_1000", 0, None),
    )


def _care_package_kpi(metric_id, where: str) -> str:
    """The KPI's direction of improvement; SchemeError unless it is a care-package KPI."""
    registry = load_registry()
    kpis = [key for key, indicator in registry.items() if indicator.group == KPI_GROUP]
    indicator = registry.get(metric_id) if isinstance(metric_id, str) else None
    if indicator is None or indicator.group != KPI_GROUP:
        raise SchemeError(
            f"{where}: metric_id {metric_id!r} is not a care-package KPI; they are "
            f"{', '.join(kpis)}"
        )
    if IMPROVEMENT_CODES.get(indicator.improvement, 0) == 0:
        raise SchemeError(f"{where}: KPI {metric_id!r} has no better direction to pay on")
    return indicator.improvement


def _table(value, where: str, keys: set[str]) -> dict:
    if not isinstance(value, dict):
        raise SchemeError(f"{where} must be a table, not {value!r}")
    unknown = sorted(set(value) - keys)
    if unknown:
        raise SchemeError(
            f"{where} has unknown key {unknown[0]!r}; the keys are {', '.join(sorted(keys))}"
        )
    return value


def _list(value, where: str, expected: str) -> list:
    if not isinstance(value, list) or not value:
        raise SchemeError(f"{where} must be {expected}, not {value!r}")
    return value


def _number(value, where: str, low: float, high: float | None) -> float:
    if value is None:
        raise SchemeError(f"{where} is missing")
    number = _optional(value, where)
    if number < low or (high is not None and number > high):
        bounds = f"from {low:g} to {high:g}" if high is not None else f"{low:g} or more"
        raise SchemeError(f"{where} {value!r} must be a number {bounds}")
    return number


def _optional(value, where: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError):
        raise SchemeError(f"{where} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise SchemeError(f"{where} {value!r} is not a number")
    return number


def _choice(value, where: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise SchemeError(f"{where} {value!r} must be {' or '.join(map(repr, choices))}")
    return value


def _no_repeats(values: list[str], where: str, what: str) -> None:
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise SchemeError(f"{where}: {what} {repeated[0]!r} is given more than once")


# ------------------------------------------------------------------------- the inverse


def scheme_table(scheme: Scheme) -> dict:
    """The scheme as a TOML-style table that `parse_scheme` reads back to the same
    scheme (None thresholds and defaults left out)."""
    table = {
        "title": scheme.title,
        "upfront_share": scheme.upfront_share,
        "period": scheme.period,
        "packages": [_package_table(package) for package in scheme.packages],
    }
    if scheme.gain_share is not None:
        gain = scheme.gain_share
        table["gain_share"] = _without_none(
            {"metric_id": gain.metric_id, "share": gain.share,
             "cost_per_admission": gain.cost_per_admission,
             "baseline_per_1000": gain.baseline_per_1000}
        )  # fmt: skip
    return table


def _package_table(package: Package) -> dict:
    kpis = [
        _without_none(
            {
                "metric_id": rule.metric_id,
                "weight": rule.weight,
                "method": rule.method,
                "lower": rule.lower,
                "upper": rule.upper,
            }
        )  # fmt: skip
        for rule in package.kpis
    ]
    return _without_none(
        {"name": package.name, "rate": package.rate, "per": package.per,
         "register": package.register, "kpis": kpis}
    )  # fmt: skip


def _without_none(table: dict) -> dict:
    return {key: value for key, value in table.items() if value is not None}
