"""Validates one file inside the load's transaction, before anything is written.

Staging builds the temp table `checked` in one pass over the file, then applies the
file-level rules in order: it must have rows, hold no real NHS number, repeat no key, and
keep its quarantined share under the threshold. Any failure raises `UserError`, and the
caller rolls the transaction back.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from etl.reader import raw_select
from etl.source import Source
from etl.spec import NATIVE_KINDS
from etl.validate import (
    CHECKED,
    bad_raw_sql,
    bad_rows_sql,
    broken_rules_sql,
    checked_table_sql,
    sql_literal,
)
from wholesystem.errors import UserError


@dataclass(frozen=True)
class StageCounts:
    """Row counts of a validated file."""

    rows_read: int
    rows_ignored: int
    rows_quarantined: int
    rows_accepted: int


def accepted_rows(source: Source) -> str:
    """SQL condition selecting the rows of `checked` that go into the warehouse."""
    stored = f" AND coalesce({source.feed.store_when}, false)" if source.feed.store_when else ""
    return f"NOT is_bad AND NOT is_ignored{stored}"


def kept_columns(source: Source) -> tuple[str, ...]:
    """The typed columns `checked` keeps: all for feeds that filter rows, else the key."""
    feed = source.feed
    return tuple(c.name for c in feed.columns) if feed.filters_rows else feed.key


def stage(connection, source: Source, threshold: float) -> StageCounts:
    """Creates the table `checked` and temp tables `bad` and `broken`, and applies the
    file-level rules."""
    connection.execute(f"DROP TABLE IF EXISTS {CHECKED}; DROP TABLE IF EXISTS bad_raw")
    native = _build_checked(connection, source)
    counts = _counts(connection, source)
    if counts.rows_read == 0:
        raise UserError(f"{source.path}: the file has a header but no data rows")
    connection.execute(bad_raw_sql(source.feed))
    list_broken_rules(connection, source, native)
    refuse_real_nhs_numbers(connection, source)
    _refuse_repeated_keys(connection, source)
    refuse_too_many_quarantined(connection, source, counts, threshold)
    return counts


def _build_checked(connection, source: Source) -> bool:
    """Types with the reader's native parsing where it can, else from text; True if native.

    The native reader refuses a value it cannot parse, so a file with such a value is
    validated again with every value typed from text, which is the rules' definition.
    """
    keep = kept_columns(source)
    try:
        native = raw_select(source, native=True)
        connection.execute(checked_table_sql(source.feed, native, keep, native=True))
        return True
    except (duckdb.DataError, duckdb.InvalidInputException):
        connection.execute(f"DROP TABLE IF EXISTS {CHECKED}")
        connection.execute(checked_table_sql(source.feed, raw_select(source), keep))
        return False


def list_broken_rules(connection, source: Source, native: bool) -> None:
    """From temp table `bad_raw` (row_index and the text of every bad row), builds temp
    tables `bad` (typed from text, as the rules define) and `broken` (line, column_name,
    value, rule) once; the threshold and the quarantine insert read them. `native`: the bad
    rows were found with the reader's native types, whose text is the reader's own."""
    _broken_rules(connection, source)
    if native and _quarantines_native_values(connection, source):
        _restore_file_text(connection, source)
        _broken_rules(connection, source)


def _broken_rules(connection, source: Source) -> None:
    """(Re)builds temp tables `bad` and `broken` from `bad_raw`."""
    connection.execute(bad_rows_sql(source.feed))
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE broken AS {broken_rules_sql(source.feed, source.first_line)}"
    )


def record_quarantine(connection, source: Source, load_id: int) -> None:
    """Copies temp table `broken` into the warehouse's quarantine under `load_id`."""
    connection.execute(
        f"""INSERT INTO quarantine SELECT {load_id}, {sql_literal(str(source.path))}, line,
                   column_name, value, rule
            FROM broken"""
    )


def _native_columns(source: Source) -> list[str]:
    return [c.name for c in source.feed.columns if c.kind in NATIVE_KINDS]


def _quarantines_native_values(connection, source: Source) -> bool:
    """Whether any broken rule would show a value the reader typed (a date, a decimal)."""
    native = _native_columns(source)
    if not native:
        return False
    names = ", ".join(sql_literal(name) for name in native)
    query = f"SELECT count(*) FROM broken WHERE column_name IN ({names})"
    return connection.execute(query).fetchone()[0] > 0


def _restore_file_text(connection, source: Source) -> None:
    """Puts back the file's own text for columns the reader typed, in the bad rows only.

    The quarantine shows a value as it stood in the file ('26-01-03', not 0026-01-03), so
    those columns are read once more as text, numbered by the reader, and only the bad
    rows are kept and joined on the row index.
    """
    native = _native_columns(source)
    text = ", ".join(f"raw_{name}" for name in native)
    replaced = ", ".join(f"t.raw_{name} AS raw_{name}" for name in native)
    connection.execute(
        f"""CREATE OR REPLACE TEMP TABLE bad_raw AS
            SELECT b.* REPLACE ({replaced})
            FROM bad_raw b JOIN (
                SELECT row_index, {text} FROM ({raw_select(source, numbered=True)})
                WHERE row_index IN (SELECT row_index FROM bad_raw)
            ) t USING (row_index)"""
    )


def _counts(connection, source: Source) -> StageCounts:
    read, ignored, bad, accepted = connection.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE is_ignored), count(*) FILTER (WHERE is_bad),
                   count(*) FILTER (WHERE {accepted_rows(source)})
            FROM {CHECKED}"""
    ).fetchone()
    return StageCounts(read, ignored, bad, accepted)


def refuse_real_nhs_numbers(connection, source: Source) -> None:
    """Raises `UserError`, naming the first line, if a pseudonym column of a bad row holds
    a real NHS number (read from temp table `bad`)."""
    for column in (c for c in source.feed.columns if c.pseudonym):
        row = connection.execute(
            f"SELECT min(row_index) FROM bad WHERE is_real_nhs_number({column.name})"
        ).fetchone()[0]
        if row is not None:
            raise UserError(
                f"{source.at(row + source.first_line)}: {column.name} holds a real NHS "
                "number (10 digits with a valid check digit); identifiable data must be "
                "pseudonymised before loading, so nothing was loaded"
            )


def keys_repeat(connection, table: str, where: str, key_columns) -> bool:
    """Whether two rows of `table` matching `where` share a value of `key_columns`.

    Equal keys have equal hashes, so no repeated hash proves no repeated key, and grouping
    on one integer is cheaper than on the key's text; only a repeated hash is looked at
    again by the key itself. A grouped aggregate spills to disk under the memory limit;
    count(DISTINCT) cannot."""
    key = ", ".join(key_columns)
    for group in (f"hash({key})", key):
        repeated = connection.execute(
            f"SELECT 1 FROM {table} WHERE {where} GROUP BY {group} HAVING count(*) > 1 LIMIT 1"
        ).fetchone()
        if repeated is None:
            return False
    return True


def _refuse_repeated_keys(connection, source: Source) -> None:
    key = ", ".join(source.feed.key)
    accepted = accepted_rows(source)
    # A plain grouped check is several times cheaper than grouping with row lists, and
    # almost every file passes, so the lines are looked up only when there is a repeat.
    if not keys_repeat(connection, CHECKED, accepted, source.feed.key):
        return
    repeated = connection.execute(
        f"""SELECT {key}, list(rowid ORDER BY rowid)[1:2]
            FROM {CHECKED} WHERE {accepted}
            GROUP BY ALL HAVING count(*) > 1 ORDER BY min(rowid) LIMIT 1"""
    ).fetchone()
    values = ", ".join(
        f"{name} {value}" for name, value in zip(source.feed.key, repeated, strict=False)
    )
    first, second = (row + source.first_line for row in repeated[-1])
    raise UserError(
        f"{source.at(first, second)}: the key ({values}) appears twice; "
        "a file may hold each key once"
    )


def refuse_too_many_quarantined(connection, source, counts: StageCounts, threshold) -> None:
    """Raises `UserError`, naming the rule most often broken and its first line (from temp
    table `broken`), if more than `threshold` of the checked rows are quarantined."""
    checked_rows = counts.rows_read - counts.rows_ignored
    if counts.rows_quarantined <= threshold * checked_rows:
        return
    rule, column, rows, line, value = connection.execute(
        """SELECT rule, column_name, count(*), min(line), arg_min(value, line)
            FROM broken
            GROUP BY rule, column_name ORDER BY count(*) DESC, rule LIMIT 1"""
    ).fetchone()
    share = counts.rows_quarantined / checked_rows
    raise UserError(
        f"{source.path}: {counts.rows_quarantined:,} of {checked_rows:,} rows ({share:.1%}) "
        f"break row rules, above the {threshold:.0%} limit; most often {rule} in {column} "
        f"({rows:,} rows, first at {'row' if source.sheet else 'line'} {line}: {value!r})"
    )


def warnings(connection, source: Source) -> list[str]:
    """Returns the feed's warnings that this file triggers."""
    found = []
    for message, unit, query in source.feed.warnings:
        count = connection.execute(query).fetchone()[0]
        if count:
            found.append(f"{message} ({count:,} {unit}{'s' if count > 1 else ''})")
    return found
