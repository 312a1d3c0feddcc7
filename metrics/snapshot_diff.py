"""Whether two serving snapshots hold the same tables: row for row, floating point to a
relative 1e-9.

Used to check that a change of engine (DuckDB or Spark) or a faster publish writes what the
DuckDB publish writes. Rows are compared as sets with multiplicity: each table's rows are
put in one order (every column but the floating-point ones, then those), paired by
position, and each pair compared: exactly, except that floating point values, and the
elements of lists of them (DOUBLE[], FLOAT[]), may differ by a relative `tolerance` (adding
up in another order changes the last bits). The version stamp, creation time and publisher
are not compared.

`python -m metrics.snapshot_diff A.duckdb B.duckdb` prints the differences (or "identical")
and exits 1 when there are any.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from metrics.workspace import sql_text

FLOATING = ("DOUBLE", "FLOAT", "REAL")
FLOATING_LISTS = tuple(f"{kind}[]" for kind in FLOATING)
NOT_COMPARED = {"snapshot_info": {"version", "created_at", "published_by"}}
SHOWN = 5  # differing rows quoted per table


def differences(first: Path, second: Path, tolerance: float = 1e-9) -> list[str]:
    """Returns one sentence per difference between the snapshots `first` and `second`."""
    connection = duckdb.connect()
    try:
        connection.execute(f"ATTACH {sql_text(first)} AS a (READ_ONLY)")
        connection.execute(f"ATTACH {sql_text(second)} AS b (READ_ONLY)")
        tables_a, tables_b = _tables(connection, "a"), _tables(connection, "b")
        found = [f"table {name} only in {first}" for name in sorted(tables_a - tables_b)]
        found += [f"table {name} only in {second}" for name in sorted(tables_b - tables_a)]
        for name in sorted(tables_a & tables_b):
            found += _table_differences(connection, name, tolerance)
        return found
    finally:
        connection.close()


def _tables(connection, database: str) -> set[str]:
    rows = connection.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [database]
    ).fetchall()
    return {name for (name,) in rows}


def _columns(connection, database: str, table: str) -> list[tuple[str, str]]:
    return connection.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = ? AND table_name = ? ORDER BY column_index",
        [database, table],
    ).fetchall()


def _table_differences(connection, table: str, tolerance: float) -> list[str]:
    skipped = NOT_COMPARED.get(table, set())
    columns_a = [c for c in _columns(connection, "a", table) if c[0] not in skipped]
    columns_b = [c for c in _columns(connection, "b", table) if c[0] not in skipped]
    if columns_a != columns_b:
        return [f"{table}: columns differ: {columns_a} against {columns_b}"]
    counts = [connection.execute(f'SELECT count(*) FROM {db}."{table}"').fetchone()[0]
              for db in ("a", "b")]  # fmt: skip
    if counts[0] != counts[1]:
        return [f"{table}: {counts[0]:,} rows against {counts[1]:,}"]
    rows = connection.execute(_pairing_sql(table, columns_a, tolerance)).fetchall()
    if not rows:
        return []
    shown = "; ".join(str(row) for row in rows[:SHOWN])
    return [f"{table}: {len(rows):,} row(s) differ, e.g. {shown}"]


def _pairing_sql(table: str, columns: list[tuple[str, str]], tolerance: float) -> str:
    """SQL pairing the two copies of `table` row by row in one order; returns the pairs
    that differ (first copy's columns, then the second's)."""
    exact = [f'"{name}"' for name, kind in columns if kind not in FLOATING + FLOATING_LISTS]
    floats = [f'"{name}"' for name, kind in columns if kind in FLOATING]
    lists = [f'"{name}"' for name, kind in columns if kind in FLOATING_LISTS]
    order = ", ".join(exact + floats + lists) or "1"
    numbered = 'SELECT row_number() OVER (ORDER BY {order}) AS n, {order} FROM {db}."{table}"'
    tests = (
        [f"x.{c} IS DISTINCT FROM y.{c}" for c in exact]
        + [f"NOT {close_sql(f'x.{c}', f'y.{c}', tolerance)}" for c in floats]
        + [
            f"NOT (x.{c} IS NOT DISTINCT FROM y.{c} OR coalesce(len(x.{c}) = len(y.{c}) AND "
            f"coalesce(list_bool_and(list_transform(list_zip(x.{c}, y.{c}), lambda pair: "
            f"coalesce({close_sql('pair[1]', 'pair[2]', tolerance)}, false))), true), false))"
            for c in lists
        ]
    )
    return (
        f"SELECT x.* EXCLUDE (n), y.* EXCLUDE (n) "
        f"FROM ({numbered.format(order=order, db='a', table=table)}) x "
        f"JOIN ({numbered.format(order=order, db='b', table=table)}) y USING (n) "
        f"WHERE {' OR '.join(tests) or 'false'} ORDER BY n LIMIT 1000"
    )


def close_sql(x: str, y: str, tolerance: float) -> str:
    """SQL: floating point values `x` and `y` are equal (both NULL or both NaN included) or
    differ by at most a relative `tolerance`."""
    return (
        f"({x} IS NOT DISTINCT FROM {y} OR (isnan({x}) AND isnan({y})) OR "
        f"abs({x} - {y}) <= {tolerance} * greatest(abs({x}), abs({y})))"
    )


def main(argv: list[str]) -> int:
    """Prints the differences between two snapshot files; returns 1 if there are any."""
    if len(argv) != 2:
        print("usage: python -m metrics.snapshot_diff FIRST.duckdb SECOND.duckdb")
        return 2
    missing = [path for path in argv if not Path(path).is_file()]
    if missing:
        print(f"snapshot_diff: there is no snapshot file {missing[0]}", file=sys.stderr)
        return 2
    found = differences(Path(argv[0]), Path(argv[1]))
    print("\n".join(found) if found else "identical")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
