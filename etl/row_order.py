"""Inserts that need not keep the file's row order: a warehouse table's order means nothing
(its readers order or group), and DuckDB writes such inserts about a tenth cheaper. Staging
and the numbered reader rely on the file's order, so the default is always restored."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb


@contextlib.contextmanager
def in_any_order(connection) -> Iterator[None]:
    """Inserts inside the block need not keep the file's row order."""
    connection.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        keep_file_order(connection)


def keep_file_order(connection) -> None:
    """Restores DuckDB's default order, on which staging and the numbered reader rely.

    A SET outlives a rollback but cannot run in a transaction a failed statement aborted,
    so the caller's rollback calls this again."""
    with contextlib.suppress(duckdb.TransactionException):
        connection.execute("RESET preserve_insertion_order")
