"""Loads files into the warehouse: each file in one transaction, all or nothing.

For each file: inspect it, skip it if the same bytes (SHA-256) were loaded before, load it
in one pass (`etl.fastpath`) or, where that cannot account for every row, stage and
validate it (`etl.stage`), then quarantine its bad rows, replace revised keys and insert
the rest, and record the attempt in `load_log`. A rejected file leaves every data table as
it was; only its `load_log` entry is written, after the rollback.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from etl.ae_feeds import attendance_notes
from etl.epcn import apply_epcn, apply_practice_map
from etl.fastpath import fast_path_applies, try_fast_load
from etl.fingerprint import fingerprint
from etl.insert import insert_accepted, insert_from_sql
from etl.reader import parquet_header
from etl.revisions import remove_replaced
from etl.row_order import keep_file_order
from etl.source import Source, inspect
from etl.spells import derive_spells
from etl.stage import StageCounts, accepted_rows, record_quarantine, stage, warnings
from etl.staging import staging_database
from etl.validate import CHECKED
from etl.warehouse import open_warehouse
from wholesystem.errors import UserError
from wholesystem.settings import Settings

# A value or row the typed reader cannot take.
READER_ERRORS = (duckdb.DataError, duckdb.InvalidInputException, duckdb.IOException)

AFTER_LOAD = {
    "epcn": apply_epcn, "practice_map": apply_practice_map, "ae_attendances": attendance_notes,
    "hes_apc_episodes": derive_spells,
}  # fmt: skip


@dataclass
class LoadResult:
    """What happened to one file."""

    file: Path
    outcome: str
    feed: str | None = None
    counts: StageCounts | None = None
    rows_replaced: int = 0
    message: str = ""
    notes: list[str] = field(default_factory=list)


def load_files(
    paths: list[Path], settings: Settings, feed_name: str | None = None,
    report: Callable[[str], None] = print,
) -> list[LoadResult]:  # fmt: skip
    """Loads each file in turn; returns one LoadResult per file."""
    connection = open_warehouse(settings, progress=True)
    try:
        with staging_database(connection, settings):
            return [load_file(connection, Path(p), settings, feed_name, report) for p in paths]
    finally:
        connection.close()


def load_file(connection, path: Path, settings: Settings, feed_name, report) -> LoadResult:
    """Loads one file in its own transaction and logs the attempt."""
    started = datetime.now()
    try:
        source = inspect(path, parquet_header(connection), feed_name, settings)
    except (UserError, duckdb.Error) as error:
        return _log(
            connection, LoadResult(path, "rejected", message=_describe(path, error)), started
        )
    try:
        return _load_inspected(connection, source, settings, started, report)
    finally:
        if source.converted is not None:  # the UTF-8 copy of a file DuckDB cannot read
            source.converted.unlink(missing_ok=True)


def _load_inspected(connection, source: Source, settings: Settings, started, report):
    path = source.path
    facts = fingerprint(path)
    digest = facts.sha256
    earlier = connection.execute(
        "SELECT load_id, finished_at FROM load_log WHERE sha256 = ? AND outcome = 'loaded'",
        [digest],
    ).fetchone()
    if earlier is not None:
        message = (
            f"{path}: already loaded (load {earlier[0]}, {earlier[1]:%Y-%m-%d %H:%M}); skipped"
        )
        return _log(connection, LoadResult(path, "skipped", source.feed.name, message=message),
                    started, digest)  # fmt: skip
    report(f"{path}: {source.feed.name}, {path.stat().st_size / 1e6:,.1f} MB; validating")
    return _load_in_transaction(connection, source, settings, started, facts, report)


def _load_in_transaction(connection, source: Source, settings, started, facts, report):
    digest = facts.sha256
    if fast_path_applies(connection, source):
        result = _try_fast_path(connection, source, settings, started, facts, report)
        if result is not None:
            return result
    # Staging writes only the scratch database, so it runs before the warehouse transaction:
    # a DuckDB transaction writes to one database only, and inside one a new table's rowids
    # (our line numbers) start from a transaction-local base.
    try:
        counts = stage(connection, source, settings.quarantine_threshold)
        report(f"{source.path}: writing {counts.rows_accepted:,} rows")
        connection.execute("BEGIN TRANSACTION")
        load_id = _next_load_id(connection)
        result = _write(connection, source, counts, load_id)
        return _log(connection, result, started, digest, load_id, commit=True)
    except (UserError, duckdb.Error) as error:
        _rollback(connection)
        result = LoadResult(
            source.path, "rejected", source.feed.name, message=_describe(source.path, error, source)
        )
        return _log(connection, result, started, digest)
    finally:
        connection.execute(f"DROP TABLE IF EXISTS {CHECKED}")
        _drop_bad_tables(connection)


def _try_fast_path(connection, source: Source, settings, started, facts, report):
    """Loads the file in one pass; returns None, having rolled back, if the pass cannot
    account for every row or DuckDB fails inside it (out of memory, say), so that the full
    path validates the file and, should it fail the same way, rejects it in one sentence."""
    connection.execute("BEGIN TRANSACTION")
    report(f"{source.path}: writing (one pass)")
    why = "could not account for every row"
    try:
        result = _load_in_one_pass(connection, source, settings, started, facts)
    except UserError as error:  # a real NHS number or too many rows quarantined
        _rollback(connection)
        result = LoadResult(source.path, "rejected", source.feed.name, message=str(error))
        return _log(connection, result, started, facts.sha256)
    except duckdb.Error as error:  # any: the transaction is open and must be rolled back
        result = None
        if not isinstance(error, READER_ERRORS):  # those the full path names, line and value
            why = f"failed in DuckDB ({type(error).__name__})"
    if result is None:
        _rollback(connection)
        report(f"{source.path}: the one pass {why}; validating row by row")
    _drop_bad_tables(connection)
    return result


def _load_in_one_pass(connection, source: Source, settings, started, facts) -> LoadResult | None:
    """Inside the open transaction, loads, logs and commits the file; returns None, with
    the transaction still open, when the pass cannot account for every row."""
    load_id = _next_load_id(connection)
    loaded = try_fast_load(connection, source, load_id, facts.lines, settings.quarantine_threshold)
    if loaded is None:
        return None
    counts, replaced = loaded
    notes = _notes(connection, source, load_id, [])
    result = LoadResult(source.path, "loaded", source.feed.name, counts, replaced, notes=notes)
    return _log(connection, result, started, facts.sha256, load_id, commit=True)


def _drop_bad_tables(connection) -> None:
    """Drops the temp tables listing a file's bad rows (etl.stage.list_broken_rules)."""
    connection.execute("DROP TABLE IF EXISTS bad_raw; DROP TABLE IF EXISTS bad")
    connection.execute("DROP TABLE IF EXISTS broken")


def _rollback(connection) -> None:
    with contextlib.suppress(duckdb.TransactionException):  # failed before BEGIN
        connection.execute("ROLLBACK")
    keep_file_order(connection)  # an INSERT that failed could not restore it


def _write(connection, source: Source, counts: StageCounts, load_id: int) -> LoadResult:
    feed = source.feed
    record_quarantine(connection, source, load_id)
    incoming = f"SELECT {', '.join(feed.key)} FROM {CHECKED} WHERE {accepted_rows(source)}"
    replaced = remove_replaced(connection, feed, incoming, load_id)
    if feed.filters_rows:  # small files whose staging kept every typed column
        connection.execute(insert_from_sql(source, load_id, CHECKED))
    else:
        insert_accepted(connection, source, load_id, counts.rows_accepted)
    notes = _notes(connection, source, load_id, warnings(connection, source))
    return LoadResult(source.path, "loaded", feed.name, counts, replaced, notes=notes)


def _notes(connection, source: Source, load_id: int, notes: list[str]) -> list[str]:
    """The load summary's notes: warnings, what an after-load step did, ignored columns."""
    if source.feed.name in AFTER_LOAD:
        notes = notes + AFTER_LOAD[source.feed.name](connection, load_id)
    notes = notes + list(source.notes)  # what inspecting the file found (etl.source)
    if source.ignored:
        notes = notes + [f"columns not in the contract, ignored: {', '.join(source.ignored)}"]
    return notes


def _next_load_id(connection) -> int:
    return connection.execute("SELECT coalesce(max(load_id), 0) + 1 FROM load_log").fetchone()[0]


def _log(connection, result: LoadResult, started, digest=None, load_id=None, commit=False):
    if load_id is None:
        load_id = _next_load_id(connection)
    counts = result.counts
    connection.execute(
        "INSERT INTO load_log VALUES (?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?, ?)",
        [load_id, str(result.file), digest, result.feed, started, result.outcome,
         counts and counts.rows_read, counts and counts.rows_accepted,
         counts and counts.rows_quarantined, result.rows_replaced if counts else None,
         counts and counts.rows_ignored, result.message or "; ".join(result.notes) or None],
    )  # fmt: skip
    if commit:
        connection.execute("COMMIT")
    return result


def _describe(path: Path, error: Exception, source: Source | None = None) -> str:
    """One sentence for an error, naming the file and, where DuckDB gives it, the line."""
    if isinstance(error, UserError):
        return str(error)
    text = str(error)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    if line:
        reason = _csv_reason(text)
        if source is not None:  # a converted copy has one header line, the original header_rows
            return f"{source.at(int(line.group(1)) - 1 + source.header_rows)}: {reason}"
        return f"{path} line {line.group(1)}: {reason}"
    if "GZIP" in text.upper() or "gzip" in text:
        return f"{path}: the compressed file is truncated or corrupt"
    if "parquet" in text.lower():
        return f"{path}: the file cannot be read as Parquet ({_first_line(text)})"
    if "unicode" in text.lower():
        return f"{path}: the file is not UTF-8 text ({_first_line(text)})"
    return f"{path}: the file cannot be read ({_first_line(text)})"


# DuckDB's CSV errors quote the offending row, which may span several lines and hold
# personal data, so the reason is recognised by pattern and the row itself never repeated.
CSV_REASONS = (
    (r"Expected Number of Columns: (\d+) Found: (\d+)", "expected {0} fields, found {1}"),
    (r"Invalid unicode", "the text is not UTF-8 (save the file as UTF-8)"),
    (r"unterminated quote", "a quoted value is never closed"),
    (r"Maximum line size of (\d+) bytes exceeded", "the line is longer than {0} bytes"),
)


def _csv_reason(text: str) -> str:
    for pattern, reason in CSV_REASONS:
        found = re.search(pattern, text, re.IGNORECASE)
        if found:
            return reason.format(*found.groups())
    return "the row cannot be parsed"


def _first_line(text: str) -> str:
    return re.sub(r"^[A-Za-z ]*Error: ", "", text.strip().splitlines()[0])
