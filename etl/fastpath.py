"""The fast path: a clean file goes straight from DuckDB's typed reader into its table.

Most monthly files break no rule. For those, the reader parses dates and numbers natively
and one INSERT applies every value rule as a filter, with no staging table. The path is
taken only when it provably loaded every row: a count of the file's rows must equal the
rows inserted, and no key may repeat. Anything else (a value the reader cannot parse, a row
that fails a rule, a repeated key) makes the caller roll back and run the full validation
in `etl.stage`, which alone decides what is quarantined and why. Both paths share the same
rule declarations, so they cannot disagree about a clean file.
"""

from __future__ import annotations

import duckdb

from etl.insert import insert_sql
from etl.reader import raw_select
from etl.revisions import remove_replaced
from etl.source import Source
from etl.stage import StageCounts, accepted_rows, keys_repeat
from etl.validate import row_checks_sql

SAMPLE_ROWS = 100_000


def fast_path_applies(connection, source: Source) -> bool:
    """Whether to try the fast path: not for feeds that filter or cross-check their rows
    (population), nor for a file whose first rows already break a rule, which would fail
    the fast path only after a whole pass over it."""
    return not source.feed.filters_rows and _first_rows_pass(connection, source)


def _first_rows_pass(connection, source: Source) -> bool:
    sample = f"{raw_select(source, native=True)} LIMIT {SAMPLE_ROWS}"
    checks = row_checks_sql(source.feed, sample, native=True)
    try:
        failing = connection.execute(
            f"SELECT count(*) FILTER (WHERE NOT ({accepted_rows(source)})) FROM ({checks})"
        ).fetchone()[0]
    except (duckdb.DataError, duckdb.InvalidInputException, duckdb.IOException):
        return False  # the full validation names the problem
    return failing == 0


def _keys_repeat(connection, source: Source, load_id: int) -> bool:
    return keys_repeat(connection, source.feed.table, f"load_id = {load_id}", source.feed.key)


def _row_count(connection, source: Source, lines: int) -> int:
    """The rows the file holds at most: its lines less the header for a plain CSV (a blank
    line or a value spanning lines only makes this larger, sending the file to the full
    validation); otherwise (a workbook's lines mean nothing) DuckDB counts them."""
    if source.format == "csv" and not source.compressed and source.sheet is None:
        return lines - source.header_rows
    return connection.execute(f"SELECT count(*) FROM ({raw_select(source)})").fetchone()[0]


def try_fast_load(
    connection, source: Source, load_id: int, lines: int
) -> tuple[StageCounts, int] | None:
    """Inside the caller's transaction, loads a clean file; returns (counts, rows replaced).

    `lines` is the file's physical line count. Returns None when the file is not provably
    clean; the caller must then roll back. DuckDB errors (a value the typed reader cannot
    parse) propagate for the same purpose.
    """
    total = _row_count(connection, source, lines)
    if total == 0:
        return None
    inserted = connection.execute(insert_sql(source, load_id, native=True)).fetchone()[0]
    if inserted != total or _keys_repeat(connection, source, load_id):
        return None
    incoming = (
        f"SELECT {', '.join(source.feed.key)} FROM {source.feed.table} WHERE load_id = {load_id}"
    )
    replaced = remove_replaced(connection, source.feed, incoming, load_id)
    return StageCounts(total, 0, 0, total), replaced
