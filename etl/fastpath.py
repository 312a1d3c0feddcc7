"""The one pass: a file's accepted rows go straight from DuckDB's typed reader into its table.

The reader parses dates and numbers natively and one INSERT applies every value rule as a
filter, with no staging table. A clean file is done when the rows inserted equal the rows
in the file. The INSERT keeps the rows it leaves out as it goes (etl.left_out), so a file
with bad rows then needs only their lines, from a read of the file's key alone, numbered in
the file's order; repeated keys are looked for in what the INSERT wrote, inside the same
transaction. The path is taken only when it provably accounted for every row: the rows
inserted plus the rows quarantined must equal the rows in the file, and no key may repeat.
Anything else (a value the reader cannot parse, a repeated key, a count that does not add
up) makes the caller roll back and run the full validation in `etl.stage`, which names the
problem. Both paths share the same rule declarations and listing of broken rules, so they
agree on every row.
"""

from __future__ import annotations

import duckdb

from etl import left_out
from etl.insert import insert_sql, run_insert
from etl.reader import raw_select
from etl.revisions import remove_replaced
from etl.source import Source
from etl.spec import NATIVE_KINDS
from etl.stage import (
    StageCounts,
    keys_repeat,
    list_broken_rules,
    record_quarantine,
    refuse_real_nhs_numbers,
    refuse_too_many_quarantined,
)
from etl.validate import typed_select

SAMPLE_ROWS = 100_000


def fast_path_applies(connection, source: Source) -> bool:
    """Whether to try the one pass: not for feeds that filter or cross-check their rows
    (population), nor for a file whose first rows hold a value the typed reader cannot
    parse or repeat a key, either of which would fail the pass only after a whole read of
    the file, an INSERT and a rollback."""
    if source.feed.filters_rows:
        return False
    sample = f"{raw_select(source, native=True)} LIMIT {SAMPLE_ROWS}"
    try:
        _parse_typed_columns(connection, source, sample)
        return not _keys_repeat_in(connection, source, sample)
    except (duckdb.DataError, duckdb.InvalidInputException, duckdb.IOException):
        return False  # the full validation names the problem


def _parse_typed_columns(connection, source: Source, sample: str) -> None:
    """Has the typed reader parse every typed column of `sample`; raises if it cannot."""
    # Counting the typed columns makes the reader parse them (count(*) would not).
    typed = [f"count(raw_{c.name})" for c in source.feed.columns if c.kind in NATIVE_KINDS]
    if typed:
        connection.execute(f"SELECT {', '.join(typed)} FROM ({sample})").fetchone()


def _keys_repeat_in(connection, source: Source, sample: str) -> bool:
    """Whether two rows of `sample` share a key, as typed. The pass would then fall back:
    on the repeat itself if both rows are accepted, on its count if one breaks a rule (the
    bad row is not listed, its key being among those inserted)."""
    key = source.feed.key
    present = " AND ".join(f"{name} IS NOT NULL" for name in key)
    typed = typed_select(source.feed, sample, native=True)
    repeated = connection.execute(
        f"SELECT 1 FROM ({typed}) WHERE {present} GROUP BY {', '.join(key)} "
        "HAVING count(*) > 1 LIMIT 1"
    ).fetchone()
    return repeated is not None


def _keys_repeat(connection, source: Source, load_id: int) -> bool:
    """Whether two rows this load inserted share a key."""
    return keys_repeat(connection, source.feed.table, f"load_id = {load_id}", source.feed.key)


def _row_count(connection, source: Source, lines: int) -> int:
    """The rows the file holds at most: its lines less the header for a plain CSV (a blank
    line or a value spanning lines only makes this larger, sending the file to the full
    validation); otherwise (a workbook's lines mean nothing) DuckDB counts them."""
    if source.format == "csv" and not source.compressed and source.sheet is None:
        return lines - source.header_rows
    return connection.execute(f"SELECT count(*) FROM ({raw_select(source)})").fetchone()[0]


def _list_bad_rows(connection, source: Source, load_id: int, kept: left_out.LeftOut) -> int:
    """Creates temp table `bad_raw` (row_index and every value as text) of the rows the
    INSERT left out; returns how many. From the rows it kept, when each has its own key
    hash; otherwise (two bad rows without a key, say) read again from the file."""
    if kept.distinct():
        return _number_kept_rows(connection, source, kept)
    return _read_bad_rows(connection, source, load_id)


def _number_kept_rows(connection, source: Source, kept: left_out.LeftOut) -> int:
    """`bad_raw` from the rows the INSERT kept, each given its row_index by a read of the
    file's key columns alone (the reader then parses no other column), numbered in the
    file's order. A row inserted with the key hash of a kept one is numbered too, so the count
    no longer adds up (as for _read_bad_rows)."""
    left_out.create_table(connection, kept)
    _number_kept_keys(connection, source)
    columns = enumerate(source.feed.columns)
    texts = ", ".join(f"texts[{i + 1}] AS raw_{c.name}" for i, c in columns)
    connection.execute(
        f"""CREATE OR REPLACE TEMP TABLE bad_raw AS
            SELECT row_index, {texts} FROM left_out_lines
            JOIN (SELECT key_hash, from_json(texts, '["VARCHAR"]') AS texts FROM left_out)
            USING (key_hash) ORDER BY row_index;
            DROP TABLE left_out_lines; DROP TABLE left_out"""
    )
    return connection.execute("SELECT count(*) FROM bad_raw").fetchone()[0]


def _number_kept_keys(connection, source: Source) -> None:
    """Creates temp table `left_out_lines` (row_index, key_hash) of the file's rows whose
    key hash is in temp table `left_out`.

    Every row's key hash is written in the file's order to a table whose rowid then numbers
    the rows: DuckDB keeps a scan's order in a CREATE TABLE AS (preserve_insertion_order,
    which run_insert restores) and documents rowid as standing for that order. At 10 million
    rows this took about half as long as the reader numbering them WITH ORDINALITY. A
    transaction's new rows take rowids from a large offset, hence the first is subtracted."""
    feed = source.feed
    key = f"hash({', '.join(feed.key)})"
    typed = typed_select(feed, raw_select(source, native=True), native=True)
    # IN inside an expression is a mark join, whose hash table is the few rows kept; a plain
    # IN is a semi join, which DuckDB builds on the file (it guesses a file has few rows).
    connection.execute(
        f"""CREATE OR REPLACE TEMP TABLE file_keys AS SELECT {key} AS key_hash FROM ({typed});
            CREATE OR REPLACE TEMP TABLE left_out_lines AS
            SELECT rowid - (SELECT min(rowid) FROM file_keys) AS row_index, key_hash
            FROM file_keys WHERE coalesce(key_hash IN (SELECT key_hash FROM left_out), false);
            DROP TABLE file_keys"""
    )


def _read_bad_rows(connection, source: Source, load_id: int) -> int:
    """Creates `bad_raw` of the rows the INSERT left out, read again and numbered by the
    reader; returns how many.

    A row was left out when no row of this load has its key (the keys inserted are known to
    be distinct), which is far cheaper to test than every rule again; comparing the keys'
    hashes with NOT IN is cheaper still than NOT EXISTS on the keys (one integer each, never
    NULL). A bad row sharing its key, or its key's hash, with an accepted one is not listed,
    so the caller's count no longer adds up.
    """
    feed = source.feed
    numbered = raw_select(source, native=True, numbered=True)
    texts = ", ".join(f"CAST(raw_{c.name} AS VARCHAR) AS raw_{c.name}" for c in feed.columns)
    key = f"hash({', '.join(feed.key)})"
    connection.execute(
        f"""CREATE OR REPLACE TEMP TABLE bad_raw AS
            SELECT row_index, {texts} FROM ({typed_select(feed, numbered, native=True)})
            WHERE {key} NOT IN (SELECT {key} FROM {feed.table} WHERE load_id = {load_id})"""
    )
    return connection.execute("SELECT count(*) FROM bad_raw").fetchone()[0]


def _rows_breaking_rules(connection) -> int:
    """How many lines break a rule, from temp table `broken` (a row per line and rule)."""
    return connection.execute("SELECT count(DISTINCT line) FROM broken").fetchone()[0]


def try_fast_load(
    connection, source: Source, load_id: int, lines: int, threshold: float
) -> tuple[StageCounts, int] | None:
    """Inside the caller's transaction, loads the file; returns (counts, rows replaced).

    `lines` is the file's physical line count. Returns None when the pass cannot prove it
    accounted for every row; the caller must then roll back. DuckDB errors (a value the
    typed reader cannot parse) propagate for the same purpose, and `UserError` (a real NHS
    number, too many rows quarantined) rejects the file as the full validation would.
    """
    total = _row_count(connection, source, lines)
    if total == 0:
        return None
    with left_out.recording() as kept:
        recorded = left_out.call_sql(source.feed, kept)
        sql = insert_sql(source, load_id, native=True, rejected=recorded)
        inserted = run_insert(connection, sql)
    if _keys_repeat(connection, source, load_id):
        return None  # the full validation names the lines
    quarantined = 0
    if inserted != total:
        quarantined = _account_for_bad_rows(connection, source, load_id, total - inserted, kept)
        if quarantined is None:
            return None
    counts = StageCounts(total, 0, quarantined, inserted)
    if quarantined:
        refuse_too_many_quarantined(connection, source, counts, threshold)
        record_quarantine(connection, source, load_id)
    incoming = (
        f"SELECT {', '.join(source.feed.key)} FROM {source.feed.table} WHERE load_id = {load_id}"
    )
    return counts, remove_replaced(connection, source.feed, incoming, load_id)


def _account_for_bad_rows(
    connection, source: Source, load_id: int, missing: int, kept: left_out.LeftOut
) -> int | None:
    """Lists the `missing` rows the INSERT did not take (`kept` as it left them out) and the
    rules they break (temp tables `bad_raw`, `bad`, `broken`); returns how many, or None
    when they are not exactly the rows breaking a rule. Raises `UserError` on a real NHS
    number among them."""
    if _list_bad_rows(connection, source, load_id, kept) != missing:
        return None
    list_broken_rules(connection, source, native=True)
    if _rows_breaking_rules(connection) != missing:
        return None  # a row left out for no rule: the reader and the rules disagree
    refuse_real_nhs_numbers(connection, source)
    return missing
