"""Inserts a file's accepted rows straight from the reader into its warehouse table.

Both the fast path and the full validation of a large file insert this way, so the typed
rows are never held in a staging table. The reader parses dates and numbers natively (the
cheapest way DuckDB has); the full validation has already counted the rows it accepts, and
the insert must arrive at the same count, or it is redone with every value typed from text
exactly as validation typed it.

The INSERT need not keep the file's row order (etl.row_order): line numbers never come
from the warehouse table.
"""

from __future__ import annotations

from etl.reader import raw_select
from etl.row_order import in_any_order
from etl.source import Source
from etl.stage import accepted_rows
from etl.validate import row_checks_sql


def insert_from_sql(source: Source, load_id: int, rows: str, rejected: str | None = None) -> str:
    """INSERT of the accepted rows of `rows` (SQL with the typed columns, is_bad and
    is_ignored), tagged with `load_id`; DuckDB returns the count. `rejected`, if given, is
    SQL that is false and is evaluated on each bad row, and only on those (etl.left_out)."""
    feed = source.feed
    names = [name for name, _ in feed.stored_columns]
    values = [c.name for c in feed.columns if c.stored] + [d.expression for d in feed.derived]
    accepted = accepted_rows(source)
    if rejected is not None:
        accepted = f"CASE WHEN is_bad THEN {rejected} ELSE {accepted} END"
    return f"""
        INSERT INTO {feed.table} ({", ".join(names)}, load_id)
        SELECT {", ".join(values)}, {load_id} FROM {rows} WHERE {accepted}
    """


def insert_sql(
    source: Source, load_id: int, native: bool, skip_unreadable: bool = False,
    rejected: str | None = None,
) -> str:  # fmt: skip
    """INSERT of the file's accepted rows, read and checked straight from the file."""
    reader = raw_select(source, native=native, skip_unreadable=skip_unreadable)
    rows = f"({row_checks_sql(source.feed, reader, native)})"
    return insert_from_sql(source, load_id, rows, rejected)


def run_insert(connection, sql: str) -> int:
    """Runs an INSERT of `insert_sql` or `insert_from_sql` in any order; returns its count."""
    with in_any_order(connection):
        return connection.execute(sql).fetchone()[0]


def insert_accepted(connection, source: Source, load_id: int, expected: int) -> None:
    """Inserts the rows validation accepted by reading the file again; checks the count."""
    if source.format == "csv":
        native = insert_sql(source, load_id, native=True, skip_unreadable=True)
        if run_insert(connection, native) == expected:
            return
        # The reader skipped or kept a row differently from validation (say, a padded date):
        # validation's typing is the definition, so insert again exactly that way.
        connection.execute(f"DELETE FROM {source.feed.table} WHERE load_id = {load_id}")
    inserted = run_insert(connection, insert_sql(source, load_id, native=False))
    if inserted != expected:
        raise RuntimeError(
            f"{source.path}: validation accepted {expected} rows but {inserted} were inserted"
        )
