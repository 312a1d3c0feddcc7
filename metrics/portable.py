"""The portable subset: a lint over sqlglot's syntax tree for SQL that must also run on Spark.

The person-level part of publish (calendar to period totals) runs on DuckDB or on Spark
(metrics.engine), from one set of DuckDB statements transpiled by sqlglot. Some DuckDB
constructs have no Spark equivalent, or transpile to something that means another thing;
`problems(sql)` names each one it finds, one sentence apiece:

- ASOF joins, temporary macros, `list_has_any`, `len()`/`length()` of a list,
  `list_position` (Spark's `array_position` gives 0 where DuckDB gives NULL), `to_months`;
- a date minus a date used as a number (Spark gives an interval), `unnest(...)::DATE`;
- `range()` or `generate_series()` as a table; `duckdb_tables()` and other catalogue functions;
- `row_number()` (or another ranking) `OVER ()` with no ORDER BY, whose numbering is arbitrary;
- `QUALIFY` in a `SELECT *` (sqlglot's rewrite adds its window column to the star);
- a ranking window with no PARTITION BY over person-level rows (a `person_id` column), which
  puts every patient in one Spark task;
- with a `Catalog`, a FROM naming a table the connection does not know: DuckDB would read a
  Python local of that name (a replacement scan), which Spark cannot.

A `Catalog` (table → column → type, from the connection) sharpens the checks: date columns
are known by type, list columns by type, person-level tables by their columns.

Recording harness: `python -m metrics.portable DATA_DIR` runs the person-level part of
publish over DATA_DIR's warehouse, records every statement (after `.format`, with its
parameters) and prints each non-portable one with the module:line that ran it; it exits 1
if there is any (metrics.portable_record).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

RANKING = (exp.RowNumber, exp.Rank, exp.DenseRank, exp.PercentRank, exp.CumeDist, exp.Ntile)
FUNCTIONS = {
    "list_position": "list_position() (Spark's array_position gives 0 where DuckDB gives "
    "NULL): compare with list_contains() or join to a small table instead",
    "to_months": "to_months() (Spark has none): write INTERVAL n MONTH with a literal n, or "
    "add months with a join to the months table",
    "duckdb_tables": "duckdb_tables() (a DuckDB catalogue function): ask the engine which "
    "tables exist in Python instead",
    "duckdb_columns": "duckdb_columns() (a DuckDB catalogue function): ask the engine in Python",
}
DATE_FUNCTIONS = (exp.DateTrunc, exp.TimestampTrunc, exp.LastDay, exp.CurrentDate, exp.Date)
LIST_FUNCTIONS = (exp.Array, exp.ArrayAgg, exp.ArrayFilter, exp.ArraySort, exp.List)
LEN_CALL = re.compile(r"\blen\s*\(", re.IGNORECASE)


@dataclass
class Catalog:
    """The tables a connection knows: lower-case name → {column: DuckDB type}."""

    tables: dict[str, dict[str, str]] = field(default_factory=dict)

    def columns_of_type(self, *kinds: str) -> set[str]:
        return {
            column
            for columns in self.tables.values()
            for column, kind in columns.items()
            if any(kind.upper() == k or kind.upper().endswith(k) for k in kinds)
        }


def problems(sql: str, catalog: Catalog | None = None) -> list[str]:
    """Returns one sentence per non-portable construct in `sql` (DuckDB; several statements
    allowed); an empty list when it is all in the portable subset."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except ParseError as error:
        return [
            f"sqlglot cannot parse this statement as DuckDB SQL ({_first_line(error)}); "
            "a FROM naming a Python local such as `values` is one cause"
        ]
    found: list[str] = []
    created: set[str] = set()
    for statement in statements:
        found += _statement_problems(statement, catalog, created)
        target = _target(statement)
        if target is not None:
            created.add(target.name.lower())
    if LEN_CALL.search(_without_strings(sql)):
        found.append("len() of a list (Spark's LENGTH is for strings): use array_length()")
    return found


def _statement_problems(statement, catalog: Catalog | None, created: set[str]) -> list[str]:
    found = []
    for check in (_macros, _asof, _functions, _qualify_star, _series_tables):
        found += check(statement)
    found += _windows(statement, catalog or Catalog())
    found += _dates(statement, catalog or Catalog())
    found += _list_lengths(statement, catalog or Catalog())
    if catalog is not None:
        found += _unknown_tables(statement, catalog, created)
    return found


def _target(statement) -> exp.Table | None:
    """The table a CREATE or INSERT writes (None for anything else)."""
    if not isinstance(statement, (exp.Create, exp.Insert)):
        return None
    target = statement.this
    if isinstance(target, (exp.Schema, exp.UserDefinedFunction)):
        target = target.this
    return target if isinstance(target, exp.Table) else None


def _macros(statement) -> list[str]:
    if isinstance(statement, exp.Create) and str(statement.args.get("kind")).upper() == "MACRO":
        name = _target(statement).name if _target(statement) is not None else "?"
        return [
            f"temporary macro {name} (Spark has none): write the expression out, or "
            "generate it in Python"
        ]
    return []


def _asof(statement) -> list[str]:
    return [
        f"ASOF join to {join.this.alias_or_name} (Spark has none): take the latest row with "
        "a window over a range join, or max() of the dates first"
        for join in statement.find_all(exp.Join)
        if str(join.args.get("method") or "").upper() == "ASOF"
    ]


def _functions(statement) -> list[str]:
    found = []
    for node in statement.find_all(exp.Anonymous, exp.ArrayOverlaps):
        if isinstance(node, exp.ArrayOverlaps):
            found.append(
                "list_has_any() (sqlglot writes && for Spark, which is not an "
                "array operator there): use list_contains() for each value, OR-ed"
            )
        elif node.name.lower() in FUNCTIONS:
            found.append(FUNCTIONS[node.name.lower()])
    return found


def _windows(statement, catalog: Catalog) -> list[str]:
    found = []
    for window in statement.find_all(exp.Window):
        if not isinstance(window.this, RANKING):
            continue
        name = window.this.sql(dialect="duckdb").split("(")[0].lower()
        if window.args.get("order") is None:
            found.append(
                f"{name}() OVER () with no ORDER BY numbers rows in an arbitrary "
                "order, which differs between engines and runs"
            )
        elif not window.args.get("partition_by") and _person_level(window, catalog):
            found.append(
                f"{name}() over all person-level rows with no PARTITION BY puts "
                "every patient in one Spark task: rank the few distinct values, or "
                "compute cut points with an aggregate and compare"
            )
    return found


def _person_level(window, catalog: Catalog) -> bool:
    """Whether the window's SELECT names person_id or reads a table that has it."""
    select = window.find_ancestor(exp.Select)
    if select is None:
        return False
    names = {column.name.lower() for column in select.find_all(exp.Column)}
    names |= {alias.alias.lower() for alias in select.expressions if isinstance(alias, exp.Alias)}
    sources = [select.args.get("from_"), *(select.args.get("joins") or [])]
    tables = [t.name.lower() for s in sources if s is not None for t in s.find_all(exp.Table)]
    return "person_id" in names or any(
        "person_id" in catalog.tables.get(table, {}) for table in tables
    )


def _qualify_star(statement) -> list[str]:
    return [
        "QUALIFY in a SELECT * (sqlglot's Spark rewrite adds the window column to the "
        "star): name the columns, or filter a subquery that names them"
        for select in statement.find_all(exp.Select)
        if select.args.get("qualify") is not None
        and any(
            isinstance(e, exp.Star) or (isinstance(e, exp.Column) and e.is_star)
            for e in select.expressions
        )
    ]


def _series_tables(statement) -> list[str]:
    found = []
    for table in statement.find_all(exp.Table):
        inner = table.this
        if isinstance(inner, exp.GenerateSeries) or (
            isinstance(inner, exp.Anonymous) and inner.name.lower() in ("range", "generate_series")
        ):
            found.append(
                "range()/generate_series() as a table (Spark has no table function "
                "for it): select from the months table, or unnest a list in SELECT"
            )
        elif isinstance(inner, exp.Anonymous) and inner.name.lower() in FUNCTIONS:
            continue  # named by _functions
    for cast in statement.find_all(exp.Cast):
        if isinstance(cast.this, (exp.Explode, exp.Unnest)):
            found.append(
                "unnest(...)::DATE (Spark cannot cast a generator): unnest in a "
                "subquery and cast the column outside it"
            )
    return found


def _dates(statement, catalog: Catalog) -> list[str]:
    date_columns = catalog.columns_of_type("DATE")
    return [
        "a date minus a date (Spark gives an interval, not a number of days): use "
        "datediff('day', start, end)"
        for sub in statement.find_all(exp.Sub)
        if is_date(sub.this, date_columns) and is_date(sub.expression, date_columns)
    ]


def is_date(node, date_columns: set[str]) -> bool:
    """Whether an expression is a date, as far as its shape and `date_columns` tell."""
    if isinstance(node, exp.Paren):
        return is_date(node.this, date_columns)
    if isinstance(node, exp.Cast):
        return node.to.this in (exp.DataType.Type.DATE,)
    if isinstance(node, exp.Column):
        return node.name in date_columns or node.name.lower() in DATE_NAMES
    if isinstance(node, DATE_FUNCTIONS):
        return True
    if isinstance(node, (exp.Least, exp.Greatest, exp.Coalesce)):
        return any(is_date(arg, date_columns) for arg in [node.this, *node.expressions])
    if isinstance(node, (exp.Add, exp.Sub)):
        return is_date(node.this, date_columns) and not is_date(node.expression, date_columns)
    return False


# Column names that are dates in every warehouse and workspace table (used without a Catalog).
DATE_NAMES = {
    "admidate",
    "disdate",
    "dod",
    "month",
    "month_end",
    "period_start",
    "period_end",
    "event_date",
    "diagnosed_on",
    "resolved_on",
    "registered_from",
    "registered_to",
    "admission_date",
    "response_date",
    "arrivaldate",
    "extract_date",
    "birth_month",
    "night_end",
    "valid_from",
    "valid_to",
}


def _list_lengths(statement, catalog: Catalog) -> list[str]:
    list_columns = catalog.columns_of_type("[]")
    return [
        "length() of a list (Spark's LENGTH is for strings): use array_length()"
        for node in statement.find_all(exp.Length)
        if isinstance(node.this, LIST_FUNCTIONS)
        or (isinstance(node.this, exp.Column) and node.this.name in list_columns)
    ]


def _unknown_tables(statement, catalog: Catalog, created: set[str]) -> list[str]:
    ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    target = _target(statement)
    found = []
    for table in statement.find_all(exp.Table):
        if table is target or not isinstance(table.this, exp.Identifier):
            continue
        name = table.name.lower()
        if name not in ctes and name not in created and name not in catalog.tables:
            found.append(
                f"FROM {table.name} names no table the connection knows: DuckDB "
                "reads a Python local of that name, Spark cannot; register the "
                "frame with connection.register(name, frame)"
            )
    return found


def _without_strings(sql: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


if __name__ == "__main__":
    from metrics.portable_record import main

    sys.exit(main(sys.argv[1:]))
