"""DuckDB statements as Spark SQL: sqlglot's transpiler plus the project's small dialect.

The person-level SQL is written once, for DuckDB. For the Spark engine (metrics.spark) each
statement is parsed with sqlglot (`read="duckdb"`), its parameters bound as literals, a few
rewrites applied where sqlglot's output would fail or mean another thing on Spark, and then
written with `write="spark"`. The rewrites cover what metrics.portable flags but can be
translated mechanically; what cannot (ASOF joins, global windows over every patient) is left
for the SQL itself to avoid:

- temporary macros are kept by the connection and expanded where they are called;
- `x ± to_months(n)` → `add_months(x, ±n)`; `len(list)` → `size`; `list_position` →
  `nullif(array_position(...), 0)`; `list_has_any` → `arrays_overlap`;
- a date minus a date → `datediff(DAY, b, a)`; `unnest(list)::T` → `explode(transform(list,
  v -> CAST(v AS T)))`; `range(a, b, step)` in FROM → a subquery over `explode(sequence(...))`;
- `duckdb_tables()` → the warehouse tables the connection knows, as VALUES;
- `QUALIFY` in a `SELECT *` over one table → the star spelled out as that table's columns;
- `row_number() OVER ()` → `monotonically_increasing_id() + 1` (a unique key, as DuckDB's is
  used: numbering in no particular order).

`translate(sql, parameters, env)` returns one `Plan` per statement: what the connection does
(create a table or view, insert, define a macro, or run a query) and the Spark SQL to run.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from metrics.portable import DATE_NAMES, is_date

LEN_CALL = re.compile(r"\blen\s*\(", re.IGNORECASE)


@dataclass
class Env:
    """What the translation needs from the connection."""

    macros: dict[str, tuple[list[str], exp.Expression]] = field(default_factory=dict)
    columns: dict[str, list[str]] = field(default_factory=dict)  # table → its column names
    date_columns: set[str] = field(default_factory=set)
    warehouse_tables: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    """One statement for Spark: `kind` is table, view, empty, insert, macro, drop or query."""

    kind: str
    name: str = ""
    sql: str = ""
    columns: tuple[str, ...] = ()  # insert: the target columns named; empty: "col TYPE" pairs
    by_name: bool = False


def translate(sql: str, parameters, env: Env) -> list[Plan]:
    """Returns the Spark plans for the DuckDB statement(s) `sql` with `parameters`."""
    statements = sqlglot.parse(LEN_CALL.sub("array_length(", sql), read="duckdb")
    return [_plan(_rewrite(s, parameters, env), env) for s in statements if s is not None]


def _plan(statement: exp.Expression, env: Env) -> Plan:
    if isinstance(statement, exp.Create):
        return _create_plan(statement, env)
    if isinstance(statement, exp.Insert):
        target = statement.this
        names: tuple[str, ...] = ()
        if isinstance(target, exp.Schema):
            names = tuple(column.name for column in target.expressions)
            target = target.this
        query = _spark(statement.expression)
        return Plan("insert", target.name, query, names, bool(statement.args.get("by_name")))
    if isinstance(statement, exp.Drop):
        return Plan("drop", statement.this.name)
    return Plan("query", sql=_spark(statement))


def _create_plan(statement: exp.Create, env: Env) -> Plan:
    kind = str(statement.args.get("kind")).upper()
    target = statement.this
    if kind == "MACRO":
        parameters = [identifier.name for identifier in target.expressions]
        env.macros[target.this.name.lower()] = (parameters, statement.expression)
        return Plan("macro", target.this.name)
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


def _rewrite(statement: exp.Expression, parameters, env: Env) -> exp.Expression:
    statement = _bind(statement, parameters)
    for rewrite in (_macros, _to_months, _functions, _date_differences, _cast_unnest,
                    _series, _catalogue, _qualify_star, _unordered_row_number, _asof):  # fmt: skip
        statement = rewrite(statement, env)
    return statement


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


def _macros(statement: exp.Expression, env: Env) -> exp.Expression:
    if not env.macros:
        return statement

    def expand(node):
        if isinstance(node, exp.Anonymous) and node.name.lower() in env.macros:
            names, body = env.macros[node.name.lower()]
            values = dict(zip(names, node.expressions, strict=True))
            return exp.Paren(this=_substitute(body.copy(), values))
        return node

    return statement.transform(expand)


def _substitute(body: exp.Expression, values: dict) -> exp.Expression:
    def swap(node):
        if isinstance(node, exp.Column) and not node.table and node.name in values:
            return exp.Paren(this=values[node.name].copy())
        return node

    return body.transform(swap)


def _to_months(statement: exp.Expression, env: Env) -> exp.Expression:
    def rewrite(node):
        if isinstance(node, exp.Add | exp.Sub) and _is_call(node.expression, "to_months"):
            months = node.expression.expressions[0].copy()
            if isinstance(node, exp.Sub):
                months = exp.Neg(this=exp.Paren(this=months))
            return exp.Anonymous(this="add_months", expressions=[node.this.copy(), months])
        return node

    return statement.transform(rewrite)


def _functions(statement: exp.Expression, env: Env) -> exp.Expression:
    def rewrite(node):
        if _is_call(node, "list_position"):
            position = exp.Anonymous(this="array_position", expressions=node.expressions)
            return exp.Nullif(this=position, expression=exp.Literal.number(0))
        if isinstance(node, exp.ArrayOverlaps):
            return exp.Anonymous(this="arrays_overlap", expressions=[node.this, node.expression])
        return node

    return statement.transform(rewrite)


def _date_differences(statement: exp.Expression, env: Env) -> exp.Expression:
    dates = env.date_columns | DATE_NAMES

    def rewrite(node):
        if (
            isinstance(node, exp.Sub)
            and is_date(node.this, dates)
            and is_date(node.expression, dates)
        ):
            return exp.Anonymous(
                this="datediff", expressions=[exp.var("DAY"), node.expression, node.this]
            )
        return node

    return statement.transform(rewrite)


def _cast_unnest(statement: exp.Expression, env: Env) -> exp.Expression:
    def rewrite(node):
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.Explode | exp.Unnest):
            unnest = node.this
            inner = unnest.this if isinstance(unnest, exp.Explode) else unnest.expressions[0]
            each = sqlglot.parse_one(
                f"list_transform(x, v -> CAST(v AS {node.to.sql('duckdb')}))", read="duckdb"
            )
            each.set("this", inner.copy())
            return exp.Explode(this=each)
        return node

    return statement.transform(rewrite)


def _series(statement: exp.Expression, env: Env) -> exp.Expression:
    """`FROM range(a, b, step) AS r(x)` → a subquery over explode(sequence(...)) (the end is
    left out, as range leaves it out)."""

    def rewrite(node):
        if not (isinstance(node, exp.Table) and isinstance(node.this, exp.GenerateSeries)):
            return node
        series = node.this
        alias = node.args.get("alias")
        column = alias.columns[0].name if alias is not None and alias.columns else "range"
        name = alias.name if alias is not None and alias.name else "series"
        end = series.args["end"]
        generated = exp.Explode(this=exp.GenerateSeries(
            start=series.args["start"].copy(), end=end.copy(), step=series.args.get("step")
        ))  # fmt: skip
        inner = exp.select(exp.alias_(generated, column)).subquery("s")
        query = exp.select(column).from_(inner)
        if series.args.get("is_end_exclusive"):
            query = query.where(exp.LT(this=exp.column(column), expression=end.copy()))
        return query.subquery(name)

    return statement.transform(rewrite)


def _catalogue(statement: exp.Expression, env: Env) -> exp.Expression:
    """`duckdb_tables()` → the warehouse tables the connection knows (database `wh`)."""
    names = env.warehouse_tables or ["_none_"]
    rows = ", ".join(f"('wh', 'main', '{name}')" for name in names)
    values = sqlglot.parse_one(
        f"(SELECT * FROM (VALUES {rows}) t(database_name, schema_name, table_name))",
        read="duckdb",
    )

    def rewrite(node):
        if isinstance(node, exp.Table) and _is_call(node.this, "duckdb_tables"):
            return values.copy()
        return node

    return statement.transform(rewrite)


def _qualify_star(statement: exp.Expression, env: Env) -> exp.Expression:
    for select in list(statement.find_all(exp.Select)):
        if select.args.get("qualify") is None or select.args.get("joins"):
            continue
        source = select.args.get("from_")
        table = source.this if source is not None else None
        if not isinstance(table, exp.Table) or table.name.lower() not in env.columns:
            continue
        expanded = []
        for projection in select.expressions:
            if isinstance(projection, exp.Star):
                expanded += [exp.column(c) for c in env.columns[table.name.lower()]]
            else:
                expanded.append(projection)
        select.set("expressions", expanded)
    return statement


def _unordered_row_number(statement: exp.Expression, env: Env) -> exp.Expression:
    def rewrite(node):
        if (
            isinstance(node, exp.Window)
            and isinstance(node.this, exp.RowNumber)
            and node.args.get("order") is None
            and not node.args.get("partition_by")
        ):
            identity = exp.Anonymous(this="monotonically_increasing_id", expressions=[])
            return exp.Paren(this=exp.Add(this=identity, expression=exp.Literal.number(1)))
        return node

    return statement.transform(rewrite)


def _asof(statement: exp.Expression, env: Env) -> exp.Expression:
    """`ASOF [LEFT] JOIN r ON r.k = l.k AND l.t >= r.t` → a join to r's rows as intervals:
    each row of r holds from its t until the next t of the same key (`lead`), so the match is
    an equi-join on the keys plus a range test, which Spark runs as a hash join. Where several
    rows of r share a key and t, DuckDB and Spark may each take a different one. An ASOF join
    of another shape (<=, or no key) becomes a lateral join to the first row instead."""
    for join in list(statement.find_all(exp.Join)):
        if str(join.args.get("method") or "").upper() == "ASOF":
            side = "LEFT " if str(join.args.get("side") or "").upper() == "LEFT" else ""
            join.replace(_asof_as_intervals(join, side) or _asof_as_lateral(join, side))
    return statement


def _asof_as_intervals(join: exp.Join, side: str) -> exp.Join | None:
    right, condition = join.this, join.args["on"]
    alias = right.alias_or_name
    keys = [
        (mine, other)
        for eq in condition.find_all(exp.EQ)
        for mine, other in ((eq.this, eq.expression), (eq.expression, eq.this))
        if isinstance(mine, exp.Column) and mine.table == alias
    ]
    inequality = [
        (node.expression, node.this, node)
        for node in condition.find_all(exp.GTE, exp.GT)
        if isinstance(node.expression, exp.Column) and node.expression.table == alias
    ]
    if not keys or len(inequality) != 1:
        return None
    time, outer, comparison = inequality[0]
    partition = ", ".join(key.name for key, _ in keys)
    inner = right.this if isinstance(right, exp.Subquery) else exp.select("*").from_(right.name)
    strict = "<=" if isinstance(comparison, exp.GT) else "<"
    return sqlglot.parse_one(
        f"SELECT 1 FROM l {side}JOIN (SELECT *, lead({time.name}) OVER (PARTITION BY "
        f"{partition} ORDER BY {time.name}) AS _asof_next FROM ({inner.sql('duckdb')})) AS "
        f"{alias} ON {condition.sql('duckdb')} AND ({alias}._asof_next IS NULL OR "
        f"{outer.sql('duckdb')} {strict} {alias}._asof_next)",
        read="duckdb",
    ).args["joins"][0]


def _asof_as_lateral(join: exp.Join, side: str) -> exp.Join:
    right, condition = join.this, join.args["on"]
    alias = right.alias_or_name
    return sqlglot.parse_one(
        f"SELECT 1 FROM l {side}JOIN LATERAL (SELECT * FROM {right.sql('duckdb')} "
        f"WHERE {condition.sql('duckdb')} ORDER BY {_asof_order(condition, alias)} LIMIT 1) "
        f"AS {alias} ON TRUE",
        read="duckdb",
    ).args["joins"][0]


def _asof_order(condition: exp.Expression, alias: str) -> str:
    for comparison in condition.find_all(exp.GTE, exp.GT, exp.LTE, exp.LT):
        for side in (comparison.this, comparison.expression):
            if isinstance(side, exp.Column) and side.table == alias:
                latest = isinstance(comparison, exp.GTE | exp.GT) == (side is comparison.expression)
                return f"{side.sql('duckdb')} {'DESC' if latest else 'ASC'}"
    raise ValueError(f"ASOF join to {alias} has no inequality on its columns")


def _is_call(node, name: str) -> bool:
    return isinstance(node, exp.Anonymous) and node.name.lower() == name
