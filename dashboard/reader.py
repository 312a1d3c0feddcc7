"""Read-only access to the current serving snapshot, reopened when a new one is published.

The dashboard never touches the warehouse. It holds one in-memory DuckDB connection with
the snapshot named by `data/serving/CURRENT` attached READ_ONLY, and hands each request its
own cursor. Every request first reads the pointer (a few bytes); when it names a new
version, the connection is replaced. A request already running keeps the cursor of the old
connection, and publish keeps the last few snapshot files, so it finishes undisturbed.
"""

from __future__ import annotations

import threading

import duckdb

from metrics.serving import current_version, open_current
from wholesystem.errors import UserError
from wholesystem.settings import Settings


class SnapshotReader:
    """Hands out cursors on the current snapshot, following the pointer."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._connection = None
        self.version: str | None = None

    def cursor(self):
        """Returns a new cursor on the snapshot the pointer names now.

        Raises UserError when nothing has been published yet.
        """
        latest = current_version(self.settings)
        if latest != self.version or self._connection is None:
            self._reopen(latest)
        cursor = self._connection.cursor()
        # The default schema is per connection, and a cursor is a new connection.
        cursor.execute("SET python_enable_replacements = false; USE snapshot")
        return cursor

    def _reopen(self, latest: str | None) -> None:
        with self._lock:
            if latest == self.version and self._connection is not None:
                return
            try:
                connection, version = open_current(self.settings)
            except (UserError, duckdb.Error):
                # A pointer read mid-publish can name a file being pruned; keep the old one.
                if self._connection is None:
                    raise
                return
            self._connection, self.version = connection, version
