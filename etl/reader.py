"""SQL for reading a file's columns as raw text with DuckDB's own CSV and Parquet readers.

Every column is read as VARCHAR with the dialect fixed (comma, double quote, header row),
so nothing is guessed: typing and validation happen afterwards in `etl.validate`, where a
bad value quarantines its row instead of failing the whole read.
"""

from __future__ import annotations

from etl.source import Source
from etl.validate import sql_literal


def quote_identifier(name: str) -> str:
    """Returns `name` as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def raw_select(source: Source) -> str:
    """SQL yielding one VARCHAR column raw_<name> per feed column, in file row order."""
    if source.format == "parquet":
        return _parquet_select(source)
    return _csv_select(source)


def _raw_columns(source: Source, name_of) -> str:
    columns = []
    for column in source.feed.columns:
        index = source.mapping.get(column.name)
        value = "NULL::VARCHAR" if index is None else name_of(index)
        columns.append(f"{value} AS raw_{column.name}")
    return ", ".join(columns)


def _csv_select(source: Source) -> str:
    positions = ", ".join(f"'c{index}': 'VARCHAR'" for index in range(len(source.header)))
    reader = (
        f"read_csv({sql_literal(str(source.path))}, header = true, auto_detect = false, "
        f"delim = ',', quote = '\"', escape = '\"', compression = 'auto', "
        f"columns = {{{positions}}})"
    )
    return f"SELECT {_raw_columns(source, lambda index: f'c{index}')} FROM {reader}"


def _parquet_select(source: Source) -> str:
    def cast(index: int) -> str:
        return f"CAST({quote_identifier(source.header[index])} AS VARCHAR)"

    reader = f"read_parquet({sql_literal(str(source.path))})"
    return f"SELECT {_raw_columns(source, cast)} FROM {reader}"


def parquet_header(connection):
    """Returns a function giving a Parquet file's column names, read from its footer."""

    def header(path) -> list[str]:
        query = f"SELECT name FROM parquet_schema({sql_literal(str(path))}) WHERE name <> 'schema'"
        rows = connection.execute(query).fetchall()
        return [row[0] for row in rows]

    return header
