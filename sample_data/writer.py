"""Streams Arrow tables to CSV files through DuckDB, a chunk at a time, with bounded memory.

DuckDB's CSV writer quotes a value only when it needs quotes (pyarrow's CSVWriter quotes every
string, header included), writes dates as YYYY-MM-DD, booleans as true/false and nulls as
blanks. Each chunk is copied to a part file and appended to the feed's file, whose header is
written once.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa

FLUSH_ROWS = 500_000


class CsvFeedWriter:
    """One output CSV file with a fixed header, filled by `add` and finished by `close`."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        columns: list[str],
        flush_rows: int | None = None,
    ):
        self.con, self.path, self.columns = con, path, columns
        self.flush_rows = FLUSH_ROWS if flush_rows is None else flush_rows
        self.pending: list[pa.Table] = []
        self.pending_rows = 0
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(",".join(columns) + "\n", encoding="utf-8")

    def add(self, table: pa.Table) -> None:
        """Queues rows (columns are selected by name, in header order)."""
        self.pending.append(table.select(self.columns))
        self.pending_rows += table.num_rows
        if self.pending_rows >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        """Writes the queued rows to the file."""
        if not self.pending_rows:
            self.pending = []
            return
        chunk = pa.concat_tables(self.pending)
        fd, part = tempfile.mkstemp(suffix=".csv", dir=self.path.parent)
        os.close(fd)
        try:
            self.con.register("chunk_to_write", chunk)
            target = part.replace("'", "''")
            self.con.execute(f"COPY chunk_to_write TO '{target}' (FORMAT csv, HEADER false)")
            self.con.unregister("chunk_to_write")
            with open(self.path, "ab") as out, open(part, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
        finally:
            os.remove(part)
        self.rows += self.pending_rows
        self.pending, self.pending_rows = [], 0

    def close(self) -> int:
        """Writes what is left; returns the number of data rows written."""
        self.flush()
        return self.rows


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection for writing (two threads, insertion order kept)."""
    return duckdb.connect(config={"threads": 2, "preserve_insertion_order": True})
