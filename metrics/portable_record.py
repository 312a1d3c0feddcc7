"""Records the statements the person-level part of publish runs, and lints each one.

`python -m metrics.portable DATA_DIR` (or `python -m metrics.portable_record DATA_DIR`) opens
a publish workspace over DATA_DIR's warehouse, runs the person-level part (calendar to period
totals, metrics.compute) through a `Recorder`, and prints each non-portable statement
(metrics.portable) with the module:line that ran it. Exit status 1 when there is any, 0 when
every statement is in the portable subset, 2 when the data dir cannot be read.

The recorder sees each statement after `.format`, with its parameters, and checks it against
the tables the connection holds just before it runs, so a FROM naming a Python local (a
DuckDB replacement scan) is caught as well.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from metrics.portable import Catalog, problems
from wholesystem.errors import UserError

HELPERS = {"insert_by_profile"}  # functions that run SQL handed to them by their caller
CATALOG_SQL = "SELECT table_name, column_name, data_type FROM duckdb_columns()"


@dataclass(frozen=True)
class Recorded:
    """One statement as run: its SQL, parameters, the module:line that ran it, its problems."""

    sql: str
    parameters: object
    caller: str
    problems: list[str]


class Recorder:
    """A DuckDB connection that lints and records every statement before running it."""

    def __init__(self, connection):
        self._connection = connection
        self._frames: dict[str, list[str]] = {}
        self.statements: list[Recorded] = []

    def execute(self, sql: str, parameters=None):
        caller = sys._getframe(1)
        catalog = self.catalog()
        found = problems(sql, catalog)
        self.statements.append(Recorded(sql, parameters, _where(caller), found))
        # DuckDB's replacement scan looks in the calling frame, which is now this one: lend
        # it the caller's frames that the statement names and the connection does not know.
        lent = {
            name: value
            for name, value in caller.f_locals.items()
            if _is_frame(value) and name.lower() not in catalog.tables
            and re.search(rf"\b{re.escape(name)}\b", sql)
        }  # fmt: skip
        for name, frame in lent.items():
            self._connection.register(name, frame)
        try:
            self._connection.execute(sql, parameters)
        finally:
            for name in lent:
                self._connection.unregister(name)
        return self

    def register(self, name: str, frame):
        self._frames[name.lower()] = list(frame.columns)
        self._connection.register(name, frame)
        return self

    def unregister(self, name: str):
        self._frames.pop(name.lower(), None)
        self._connection.unregister(name)
        return self

    def catalog(self) -> Catalog:
        tables: dict[str, dict[str, str]] = {}
        for table, column, kind in self._connection.execute(CATALOG_SQL).fetchall():
            tables.setdefault(table.lower(), {})[column] = kind
        for name, columns in self._frames.items():
            tables[name] = dict.fromkeys(columns, "")
        return Catalog(tables)

    def __getattr__(self, name):
        return getattr(self._connection, name)


def record_person_level(settings, today=None) -> list[Recorded]:
    """Runs the person-level part of publish over `settings`' warehouse; returns every
    statement it ran."""
    from metrics.compute import compute_person_level
    from metrics.workspace import open_workspace

    with open_workspace(settings) as connection:
        recorder = Recorder(connection)
        compute_person_level(recorder, settings, today)
    return recorder.statements


def report(statements: list[Recorded]) -> list[str]:
    """One line per problem: `module:line: sentence`."""
    return [f"{s.caller}: {problem}" for s in statements for problem in s.problems]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m metrics.portable DATA_DIR", file=sys.stderr)
        return 2
    from wholesystem.settings import Settings

    try:
        statements = record_person_level(Settings(data_dir=Path(argv[0])))
    except UserError as error:
        print(error, file=sys.stderr)
        return 2
    lines = report(statements)
    print("\n".join(lines))
    bad = sum(1 for s in statements if s.problems)
    print(f"{len(statements)} statement(s) run, {bad} not portable ({len(lines)} problem(s))")
    return 1 if lines else 0


def _is_frame(value) -> bool:
    import pandas as pd

    return isinstance(value, pd.DataFrame)


def _where(frame) -> str:
    """`module:line` of the statement, and of its caller's caller when a shared helper ran it
    (metrics.families.insert_by_profile runs every family's statement)."""
    here = f"{_relative(frame.f_code.co_filename)}:{frame.f_lineno}"
    outer = frame.f_back
    if outer is None or frame.f_code.co_name not in HELPERS:
        return here
    return f"{here} (from {_relative(outer.f_code.co_filename)}:{outer.f_lineno})"


def _relative(filename: str) -> str:
    path = Path(filename).resolve()
    root = Path(__file__).resolve().parents[1]
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
