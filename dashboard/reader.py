"""Read-only access to the serving snapshots, following the pointer to a newly published one.

The dashboard never touches the warehouse. It holds one in-memory DuckDB connection per
snapshot it reads, with the snapshot file attached READ_ONLY, and hands each request its
own cursor. A request reads the snapshot it shows (`dashboard.access` names it: one asked
for by version, a draft, or the one the pointer `data/serving/CURRENT` names now, read
afresh each time, a few bytes). The last few snapshots read are kept open, since a
snapshot file never changes; an older connection is dropped, not closed, so a request
still holding one of its cursors finishes undisturbed (publish keeps the last few files).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import duckdb

from metrics.serving import current_version, open_version
from wholesystem.errors import UserError
from wholesystem.settings import Settings

KEPT_OPEN = 4  # snapshots kept open (and their small tables cached), most recently used


class SnapshotReader:
    """Hands out cursors on kept snapshots, by version or the one the pointer names."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._versions: OrderedDict[str, duckdb.DuckDBPyConnection] = OrderedDict()

    def cursor(self, version: str | None = None):
        """Returns a new cursor on the kept snapshot `version`, or on the one the pointer
        names now.

        Raises UserError when nothing has been published yet, or `version` is not kept.
        """
        return _prepared(self._connection_of(version or self.current_version()).cursor())

    def current_version(self) -> str:
        """Returns the version the pointer names now; UserError before the first publish."""
        version = current_version(self.settings)
        if version is None:
            raise UserError(
                f"no published snapshot in {self.settings.serving_dir}; "
                "run `wholesystem publish` first"
            )
        return version

    def _connection_of(self, version: str):
        with self._lock:
            if version in self._versions:
                self._versions.move_to_end(version)
                return self._versions[version]
            connection = open_version(self.settings, version)
            self._versions[version] = connection
            while len(self._versions) > KEPT_OPEN:
                self._versions.popitem(last=False)
            return connection


def _prepared(cursor):
    # The default schema is per connection, and a cursor is a new connection.
    cursor.execute("SET python_enable_replacements = false; USE snapshot")
    return cursor
