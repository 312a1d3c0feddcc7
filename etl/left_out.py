"""Keeps the rows the one pass's INSERT leaves out, as it leaves them out.

A DuckDB statement writes one table, so the INSERT cannot also write the rows it rejects.
Its filter instead calls a Python function on each rejected row, and only on those (DuckDB
evaluates a CASE branch only for the rows that take it), which keeps the row's key hash and
its values as text. The quarantine then needs only each row's line, which a read of the
file's key alone gives (etl.fastpath), rather than a second read of every column matched
against every key inserted, which cost about a sixth of a 1%-bad file's load.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import pyarrow as pa

from etl.spec import Feed

FUNCTION = "etl_left_out"
# Past this much text (about 250,000 rows of the APC feed, some 70 MB of Python objects)
# the rows are read again from the file instead, so that Python holds little beside
# DuckDB's memory limit however many rows a file breaks.
LIMIT_BYTES = 32 << 20


class LeftOut:
    """The rows recorded so far: (key hash, values as a JSON list of text)."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, str]] = []
        self.complete = True
        self._size = 0
        self._lock = threading.Lock()  # DuckDB calls from several threads

    def record(self, key_hash: int, texts: str) -> bool:
        """Keeps one row; False, so that the INSERT's filter leaves the row out."""
        with self._lock:
            self._size += len(texts)
            if self._size > LIMIT_BYTES:
                self.complete, self.rows = False, []
            elif self.complete:
                self.rows.append((key_hash, texts))
        return False

    def distinct(self) -> bool:
        """Whether every row was kept and no two share a key hash (each then has one line)."""
        return self.complete and len({key for key, _ in self.rows}) == len(self.rows)


# The recordings under way, by the token their SQL passes (see call_sql).
_RECORDING: dict[int, LeftOut] = {}


def _record(token: int, key_hash: int, texts: str) -> bool:
    return _RECORDING[token].record(key_hash, texts)


def install(connection) -> None:
    """Registers the function call_sql names, once per connection and outside any
    transaction: one registered inside a transaction that rolls back is half undone (gone
    from DuckDB's catalog, still held by the Python client, so it cannot be registered
    again)."""
    connection.create_function(
        FUNCTION, _record, ["UBIGINT", "UBIGINT", "VARCHAR"], "BOOLEAN", side_effects=True
    )


@contextlib.contextmanager
def recording() -> Iterator[LeftOut]:
    """A recording that call_sql's SQL feeds for the duration of the block."""
    left_out = LeftOut()
    _RECORDING[id(left_out)] = left_out
    try:
        yield left_out
    finally:
        del _RECORDING[id(left_out)]


def call_sql(feed: Feed, left_out: LeftOut) -> str:
    """SQL recording the current row into `left_out`, over row_checks_sql's columns."""
    texts = ", ".join(f"CAST(raw_{c.name} AS VARCHAR)" for c in feed.columns)
    # A JSON list keeps NULL apart from '' and every character as it was, in one string.
    key = f"hash({', '.join(feed.key)})"
    return f"{FUNCTION}({id(left_out)}, {key}, to_json([{texts}]))"


def create_table(connection, left_out: LeftOut) -> None:
    """Creates temp table `left_out` (key_hash, texts) from the rows kept."""
    rows = pa.table(
        {
            "key_hash": pa.array([key for key, _ in left_out.rows], pa.uint64()),
            "texts": pa.array([texts for _, texts in left_out.rows], pa.string()),
        }
    )
    connection.execute("CREATE OR REPLACE TEMP TABLE left_out (key_hash UBIGINT, texts VARCHAR)")
    connection.from_arrow(rows).insert_into("left_out")
