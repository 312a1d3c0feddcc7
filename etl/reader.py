"""SQL for reading a file's columns with DuckDB's own CSV and Parquet readers.

The dialect is fixed (comma, double quote, header row), so nothing is guessed. The full
validation reads every column as VARCHAR and types it afterwards in `etl.validate`, where a
bad value quarantines its row instead of failing the whole read; the fast path for clean
files lets the reader parse dates and numbers natively.
"""

from __future__ import annotations

from etl.source import Source
from etl.spec import NATIVE_KINDS
from etl.validate import sql_literal


def quote_identifier(name: str) -> str:
    """Returns `name` as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def raw_select(
    source: Source, native: bool = False, skip_unreadable: bool = False, numbered: bool = False
) -> str:
    """SQL yielding one column raw_<name> per feed column, in file row order.

    Columns are VARCHAR; with `native`, those of NATIVE_KINDS are parsed by the reader
    itself into their warehouse type, which is several times cheaper than casting text.
    With `skip_unreadable` (CSV only), rows whose values the reader cannot parse are skipped
    instead of failing the read. With `numbered`, a column row_index gives each row's
    position among the file's data rows, from 0, as the reader counts them (WITH
    ORDINALITY), so a later read can name a row's line without keeping every row.
    """
    if source.format == "parquet":
        columns, reader = _parquet_reader(source, native)
    else:
        columns, reader = _csv_reader(source, native, skip_unreadable)
    if numbered:
        return f"SELECT {columns}, ordinality - 1 AS row_index FROM {reader} WITH ORDINALITY"
    return f"SELECT {columns} FROM {reader}"


def _reader_types(source: Source, native: bool) -> dict[int, str]:
    """The SQL type the reader gives each header position."""
    types = dict.fromkeys(range(len(source.header)), "VARCHAR")
    for column in source.feed.columns:
        if native and column.kind in NATIVE_KINDS and column.name in source.mapping:
            types[source.mapping[column.name]] = column.sql_type
    return types


def _raw_columns(source: Source, name_of) -> str:
    columns = []
    for column in source.feed.columns:
        index = source.mapping.get(column.name)
        value = "NULL::VARCHAR" if index is None else name_of(index)
        columns.append(f"{value} AS raw_{column.name}")
    return ", ".join(columns)


def _csv_reader(source: Source, native: bool, skip_unreadable: bool) -> tuple[str, str]:
    """The raw_ columns and the read_csv call giving them (see raw_select)."""
    types = _reader_types(source, native)
    positions = ", ".join(f"'c{index}': '{sql_type}'" for index, sql_type in types.items())
    # Compression follows the file's magic bytes, as the header read did, not its name.
    # A converted copy (etl.encoding) is always plain text.
    compression = "gzip" if source.compressed and source.converted is None else "none"
    reader = (
        f"read_csv({sql_literal(str(source.data_path))}, header = true, auto_detect = false, "
        f"delim = ',', quote = '\"', escape = '\"', compression = '{compression}', "
        f"dateformat = '%Y-%m-%d', ignore_errors = {str(skip_unreadable).lower()}, "
        f"columns = {{{positions}}})"
    )
    return _raw_columns(source, lambda index: f"c{index}"), reader


def _parquet_reader(source: Source, native: bool) -> tuple[str, str]:
    """The raw_ columns, each cast to its reader type, and the read_parquet call."""
    types = _reader_types(source, native)

    def cast(index: int) -> str:
        return f"CAST({quote_identifier(source.header[index])} AS {types[index]})"

    reader = f"read_parquet({sql_literal(str(source.data_path))})"
    return _raw_columns(source, cast), reader


def parquet_header(connection):
    """Returns a function giving a Parquet file's column names, read from its footer."""

    def header(path) -> list[str]:
        # The top-level columns as DuckDB binds them (the footer's schema also lists its root,
        # named 'schema' or 'duckdb_schema' by the writer, and nested fields).
        reader = f"read_parquet({sql_literal(str(path))})"
        query = f"SELECT column_name FROM (DESCRIBE SELECT * FROM {reader})"
        rows = connection.execute(query).fetchall()
        return [row[0] for row in rows]

    return header
