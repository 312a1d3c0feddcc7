"""DuckDB statements as Spark SQL: sqlglot's transpiler, with parameters bound as literals.

The person-level SQL is written once, for DuckDB, in the portable subset (metrics.portable):
what has no Spark equivalent, or would be transpiled to something that means another thing
(macros, ASOF joins, `to_months`, a date minus a date, `range()` as a table, ...), is not in
it, and the Spark connection (metrics.spark) refuses a statement the lint flags. So each
statement is only parsed with sqlglot (`read="duckdb"`), its `$name` and `?` parameters
bound as typed literals, and written with `write="spark"`.

`translate(sql, parameters)` returns one `Plan` per statement: what the connection does
(create a table or view, create an empty table, insert, drop, or run a query) and the Spark
SQL to run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlglot
from sqlglot import exp


@dataclass(frozen=True)
class Plan:
    """One statement for Spark: `kind` is table, view, empty, insert, drop or query."""

    kind: str
    name: str = ""
    sql: str = ""
    columns: tuple[str, ...] = ()  # insert: the target columns named; empty: "col TYPE" pairs
    by_name: bool = False


def translate(sql: str, parameters=None) -> list[Plan]:
    """Returns the Spark plans for the DuckDB statement(s) `sql` with `parameters`."""
    statements = sqlglot.parse(sql, read="duckdb")
    return [_plan(_bind(s, parameters)) for s in statements if s is not None]


def _plan(statement: exp.Expression) -> Plan:
    if isinstance(statement, exp.Create):
        return _create_plan(statement)
    if isinstance(statement, exp.Insert):
        target = statement.this
        names: tuple[str, ...] = ()
        if isinstance(target, exp.Schema):
            names = tuple(column.name for column in target.expressions)
            target = target.this
        query = _spark(statement.expression)
        return Plan("insert", target.name, query, names, bool(statement.args.get("by_name")))
    if isinstance(statement, exp.Drop):
        # sqlglot (30) lists the tables of a DROP TABLE; one table a statement here.
        (table,) = statement.args.get("tables") or [statement.this]
        return Plan("drop", table.name)
    return Plan("query", sql=_spark(statement))


def _create_plan(statement: exp.Create) -> Plan:
    kind = str(statement.args.get("kind")).upper()
    target = statement.this
    if isinstance(target, exp.Schema):
        columns = tuple(
            f"{column.name} {column.args['kind'].sql(dialect='spark')}"
            for column in target.expressions
        )
        return Plan("empty", target.this.name, columns=columns)
    query = _spark(statement.expression)
    return Plan("view" if kind == "VIEW" else "table", target.name, query)


def _spark(expression: exp.Expression) -> str:
    return expression.sql(dialect="spark")


def _bind(statement: exp.Expression, parameters) -> exp.Expression:
    """Replaces `$name` and `?` placeholders with literals of the parameters' values."""
    if parameters is None:
        return statement
    positional = iter(parameters) if isinstance(parameters, list | tuple) else None

    def bind(node):
        if not isinstance(node, exp.Placeholder):
            return node
        value = next(positional) if positional is not None else parameters[node.name]
        return literal(value)

    return statement.transform(bind)


def literal(value) -> exp.Expression:
    """A Python value as a SQL literal (dates typed, lists as arrays)."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, dt.datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[literal(item) for item in value])
    return exp.Literal.string(str(value))
