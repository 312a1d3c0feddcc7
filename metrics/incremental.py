"""Incremental publish: the costly families' units kept person by person between publishes.

Profiles are labels as at the last day, so a new month can move people between segments in
every month; but each unit of the spells and registers families (metric, month, practice,
age, sex, counts) depends only on its person's own rows, the month and the code, never on
labels or on other people. `wholesystem publish --incremental` keeps those person-level
units in a cache beside the warehouse (`units_cache.duckdb` in the data directory, never in
a snapshot: it is patient-level) with a hash of each person's rows, and recomputes only

  (a) the people whose rows changed since (new, revised or removed rows in apc_spells,
      conditions or gp_events, or a different patients row), over the months cached, and
  (b) everyone, over the months added since;

then adds the units up by today's profiles, as a full publish does. The other families are
cheap (deaths, care_homes and ae_attendances read patient-level tables, but small ones), so
they run in full; so does everything after the units (counts by level, periods, statistics,
disclosure, SPC), which is global. The cache is readable by its owner only, and a plain
publish deletes it (docs/warehouse.md, "The units cache").

What the cache cannot prove unchanged makes a full computation (which rewrites the cache),
named in one line: no cache, other code or definitions (the metrics package, its
definitions and reference files, the indicator settings, the DuckDB version), another first
month, or months removed. docs/metrics.md, "Incremental publish".
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from metrics.base_tables import month_number_sql
from metrics.calendar import month_list, shift_months
from metrics.families import (
    PERSON_UNIT_COLUMNS,
    PERSON_UNIT_FIELDS,
    insert_by_profile,
    registers,
    spells,
)
from metrics.people import has_table
from metrics.workspace import sql_text

CACHED_FAMILIES = {"spells": spells, "registers": registers}
# The rows each person's cached units are made from: a change to any of them is a change
# to the person (patients for registrations: practice, sex, birth, dates, flags).
PERSON_FEEDS = ("apc_spells", "conditions", "gp_events", "patients")
# The tables each family reads person by person, cut to the changed people in pass (a).
PERSON_TABLES = {"spells": ("apc_spells",), "registers": ("conditions", "gp_events",
                                                          "registrations")}  # fmt: skip
# The tables cut to what can count in the months from {first_new} on, in pass (b): the
# spells that are open then or start or end then (a readmission after a discharge in
# those months starts in them too); the registers' month ends themselves, the
# registrations that reach them, and the events after {events_since}, the longest
# look-back before them (registers.CUTS: screening's; the immunisations' ages, under 30
# months, and the education referral's 21 + 9 months are shorter). Conditions are not cut:
# a register lasts until resolved, and education dates it from the first diagnosis.
NEW_MONTH_TABLES = {
    "spells": {"apc_spells": "SELECT * FROM apc_spells WHERE admidate >= {first_new} "
                             "OR disdate >= {first_new} OR disdate IS NULL"},
    "registers": {
        "months": "SELECT * FROM months WHERE month >= {first_new}",
        "registrations": "SELECT * FROM registrations "
                         f"WHERE last_number >= {month_number_sql('{first_new}')}",
        "gp_events": "SELECT * FROM gp_events WHERE event_date >= {events_since}",
    },
}  # fmt: skip
LONGEST_LOOK_BACK = max(registers.CUTS) + 1  # months before the first month added
PERSON_KEY = "coalesce(person_id, '')"  # rows without a person are one key of their own
SHADOW_SCHEMA = "incremental_inputs"
CACHED_UNITS = ", ".join(
    f"{name} {kind}" for name, kind in {"family": "VARCHAR", **PERSON_UNIT_COLUMNS}.items()
)


@dataclass(frozen=True)
class Plan:
    """What an incremental publish recomputes: everything (`reason` says why), or the
    changed people over the months to `cached_last` and everyone after it."""

    reason: str | None
    cached_last: date | None = None

    @property
    def full(self) -> bool:
        """Whether every unit is computed (and the cache rewritten)."""
        return self.reason is not None


class UnitsCache:
    """The cache attached to a workspace as `units_cache` for one publish: `plan()` once,
    `insert_units(name)` for each cached family, `save()` at the end."""

    def __init__(self, connection, context):
        self.connection = connection
        self.context = context
        self.path = context.settings.units_cache_path
        self.fingerprint = code_fingerprint(context.settings.indicators)

    def plan(self) -> Plan:
        """Attaches the cache, hashes each person's rows and decides what to recompute."""
        with owner_only():
            if self.path.exists():
                self.path.chmod(0o600)  # a cache written before it was kept private
            self.connection.execute(f"ATTACH {sql_text(self.path)} AS units_cache")
        self.connection.execute(PERSON_HASHES_SQL.format(rows=_person_rows(self.connection)))
        self.connection.execute(f"CREATE OR REPLACE TABLE computed_units ({CACHED_UNITS})")
        self._plan = self._decide()
        if not self._plan.full:
            self.connection.execute(CHANGED_PEOPLE_SQL)
        self.connection.execute(NOTE_SQL, [self._note()])
        return self._plan

    def _note(self) -> str:
        """The plan in one line, for the publish's notes."""
        if self._plan.full:
            return f"incremental publish: every unit computed, as {self._plan.reason}"
        changed = self.connection.execute("SELECT count(*) FROM changed_people").fetchone()[0]
        added = len(month_list(self._plan.cached_last, self.context.last_month)) - 1
        return (
            f"incremental publish: units recomputed for {changed:,} people changed since "
            f"{self._plan.cached_last:%Y-%m} and for {added} month(s) added"
        )

    def _decide(self) -> Plan:
        """Full (with the reason) unless the cache was made by this code and definitions,
        from the same first month, to a last month no later than this publish's."""
        if not has_table(self.connection, "units_cache.info"):
            return Plan("no units cache yet")
        fingerprint, first, last = self.connection.execute(
            "SELECT fingerprint, first_month, last_month FROM units_cache.info"
        ).fetchone()
        if fingerprint != self.fingerprint:
            return Plan("the indicator code or definitions differ from the cache's")
        if first != self.context.first_month:
            return Plan(f"the first month is {self.context.first_month}, the cache's {first}")
        if last > self.context.last_month:
            return Plan(f"the last month is {self.context.last_month}, the cache's {last}")
        return Plan(None, last)

    def insert_units(self, name: str) -> None:
        """Inserts family `name`'s units: computed where the plan says, the rest from the
        cache, added up by profile as metrics.families.insert_by_profile does."""
        family = CACHED_FAMILIES[name]
        self._compute_planned(name)
        units = f"SELECT {PERSON_UNIT_FIELDS} FROM computed_units WHERE family = '{name}'"
        if not self._plan.full:
            units += f"\nUNION ALL\n{KEPT_UNITS_SQL.format(family=name)}"
        insert_by_profile(self.connection, units, standardised=family.STANDARDISED)
        if hasattr(family, "insert_profile_units"):
            family.insert_profile_units(self.connection)

    def _compute_planned(self, name: str) -> None:
        """Computes family `name`'s units the plan says: all of them, or the changed people's
        over the months cached (pass a) and everyone's over the months added (pass b)."""
        first, last = self.context.first_month, self.context.last_month
        if self._plan.full:
            self._compute(name, {}, first, last)
            return
        changed = f"{PERSON_KEY} IN (SELECT person_key FROM changed_people)"
        cut = {table: f"SELECT * FROM {table} WHERE {changed}" for table in PERSON_TABLES[name]}
        self._compute(name, cut, first, self._plan.cached_last)
        if self._plan.cached_last < last:
            first_new = shift_months(self._plan.cached_last, 1)
            bounds = {
                "first_new": f"DATE '{first_new}'",
                "events_since": f"DATE '{shift_months(first_new, -LONGEST_LOOK_BACK)}'",
            }
            cut = {table: select.format(**bounds)
                   for table, select in NEW_MONTH_TABLES[name].items()}  # fmt: skip
            self._compute(name, cut, first_new, last)

    def _compute(self, name: str, cut: dict[str, str], first: date, last: date) -> None:
        """Runs family `name`'s person-level selects over the tables `cut` (name: select)
        and keeps their units from month `first` to `last` in computed_units."""
        family = CACHED_FAMILIES[name]
        with shadowing(self.connection, cut):
            family.prepare_person_units(self.connection, self.context)
            for select, parameters in family.person_unit_selects(self.context):
                self.connection.execute(
                    COMPUTED_SQL.format(family=name, select=select, first=first, last=last),
                    parameters,
                )

    def save(self) -> None:
        """Writes what was computed into the cache, in one transaction, so that a failure
        leaves the cache as it was; detaches it either way."""
        try:
            with owner_only():  # the .wal the writes make is patient-level too
                self._write()
        finally:
            self.connection.execute("DETACH units_cache")

    def _write(self) -> None:
        """The transaction of `save`: rolled back on any failure, whose error is raised (a
        ROLLBACK after a failed COMMIT raises a TransactionException of its own)."""
        self.connection.execute("BEGIN TRANSACTION")
        try:
            self.connection.execute(REPLACE_CACHE_SQL if self._plan.full else UPDATE_CACHE_SQL)
            self.connection.execute(
                INFO_SQL,
                [self.fingerprint, self.context.first_month, self.context.last_month],
            )
            self.connection.execute("COMMIT")
        except BaseException:
            with suppress(duckdb.TransactionException):
                self.connection.execute("ROLLBACK")
            raise


# Each person's rows as one number: the sum of a hash of each row (load_id aside, since a
# reload of the same row changes nothing), so that order does not matter and any added,
# removed or revised row changes it.
PERSON_HASHES_SQL = """
CREATE OR REPLACE TABLE person_hashes AS
SELECT person_key, sum(h) AS h FROM ({rows}) GROUP BY person_key
"""
CHANGED_PEOPLE_SQL = """
CREATE OR REPLACE TABLE changed_people AS
SELECT coalesce(n.person_key, o.person_key) AS person_key
FROM person_hashes n FULL JOIN units_cache.person_hashes o ON o.person_key = n.person_key
WHERE n.h IS DISTINCT FROM o.h
"""
COMPUTED_SQL = f"""
INSERT INTO computed_units
SELECT '{{family}}', *
FROM ({{select}}) u({PERSON_UNIT_FIELDS})
WHERE month BETWEEN DATE '{{first}}' AND DATE '{{last}}'
"""
KEPT_UNITS_SQL = f"""SELECT {PERSON_UNIT_FIELDS} FROM units_cache.person_units
WHERE family = '{{family}}'
  AND {PERSON_KEY} NOT IN (SELECT person_key FROM changed_people)"""
REPLACE_CACHE_SQL = """
CREATE OR REPLACE TABLE units_cache.person_units AS SELECT * FROM computed_units;
CREATE OR REPLACE TABLE units_cache.person_hashes AS SELECT * FROM person_hashes;
"""
UPDATE_CACHE_SQL = f"""
DELETE FROM units_cache.person_units
WHERE {PERSON_KEY} IN (SELECT person_key FROM changed_people);
INSERT INTO units_cache.person_units SELECT * FROM computed_units;
CREATE OR REPLACE TABLE units_cache.person_hashes AS SELECT * FROM person_hashes;
"""
NOTE_TABLE = "units_cache_note"  # the plan in one line, for the publish's notes
NOTE_SQL = f"CREATE OR REPLACE TABLE {NOTE_TABLE} AS SELECT $1::VARCHAR AS note"
INFO_SQL = """
CREATE OR REPLACE TABLE units_cache.info AS
SELECT $1::VARCHAR AS fingerprint, $2::DATE AS first_month, $3::DATE AS last_month
"""


def _person_rows(connection) -> str:
    """A union of (person_key, h): one row per row of each PERSON_FEEDS table."""
    selects = []
    for table in PERSON_FEEDS:
        columns = [name for name, *_ in connection.execute(f"DESCRIBE {table}").fetchall()]
        hashed = ", ".join(name for name in columns if name != "load_id")
        selects.append(
            f"SELECT {PERSON_KEY} AS person_key, hash('{table}', {hashed})::HUGEINT AS h "
            f"FROM {table}"
        )
    return "\nUNION ALL\n".join(selects)


@contextmanager
def owner_only() -> Iterator[None]:
    """Files created within the block (the cache, its .wal) are readable by their owner
    only: the process's umask, restored after. DuckDB will not attach an empty file made
    private beforehand."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def delete_cache(path: Path) -> None:
    """Deletes the units cache at `path` and its .wal, if there: a plain publish does, so
    that no one removed from the warehouse stays in the cache (docs/warehouse.md)."""
    for file in (path, path.with_name(path.name + ".wal")):
        file.unlink(missing_ok=True)


@contextmanager
def shadowing(connection, tables: dict[str, str]) -> Iterator[None]:
    """Within the block, each name in `tables` reads as its select (a table in a schema put
    first on the search path), so the families' SQL runs unchanged over a cut of its input."""
    if not tables:
        yield
        return
    connection.execute(f"CREATE SCHEMA {SHADOW_SCHEMA}")
    for name, select in tables.items():
        connection.execute(f"CREATE TABLE {SHADOW_SCHEMA}.{name} AS {select}")
    search_path = connection.execute("SELECT current_setting('search_path')").fetchone()[0]
    connection.execute(f"SET search_path = {sql_text(f'{SHADOW_SCHEMA},{search_path}')}")
    try:
        yield
    finally:
        connection.execute(f"SET search_path = {sql_text(search_path)}")
        connection.execute(f"DROP SCHEMA {SHADOW_SCHEMA} CASCADE")


def code_fingerprint(indicator_settings: dict) -> str:
    """A digest of everything besides the warehouse that the cached units depend on: every
    file of the metrics package (code, definitions, reference lists), the indicator settings
    and the DuckDB version (whose hash the person hashes use)."""
    digest = hashlib.sha256(duckdb.__version__.encode())
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
    digest.update(json.dumps(indicator_settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()
