"""The serving snapshots: versioned DuckDB files under data/serving/ and the pointer to one.

`publish` writes each snapshot in full under a temporary name, renames it into place and
only then rewrites the pointer file `CURRENT` (written to a temporary file and renamed, so
it is never half-written). Readers follow the pointer, so they see either the old snapshot
or the new one, never part of a publish. The last few snapshots are kept so that a board
pack can name the version it used and a reader still holding an old one can finish.
"""

from __future__ import annotations

import fcntl
import os
import re
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from metrics.workspace import sql_text
from wholesystem.errors import UserError
from wholesystem.settings import Settings

POINTER = "CURRENT"
PREFIX = "snapshot-"
VERSION = re.compile(re.escape(PREFIX) + r"\d{8}T\d{12}Z")


def new_version() -> str:
    """Returns a version name that sorts by publication time (UTC, to the microsecond)."""
    return PREFIX + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def current_version(settings: Settings) -> str | None:
    """Returns the version the pointer names, or None before the first publish.

    The pointer may name only a snapshot in the serving folder (as `new_version` makes it):
    anything else, such as `../../etc/passwd`, is refused rather than followed.
    """
    pointer = settings.serving_dir / POINTER
    try:
        version = pointer.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"the snapshot pointer {pointer} cannot be read ({error})") from None
    if version is not None and not VERSION.fullmatch(version):
        raise UserError(
            f"the snapshot pointer {pointer} does not name a snapshot in {settings.serving_dir} "
            f"(it holds {version[:80]!r}); run `wholesystem publish` to write it again"
        )
    return version


def snapshot_path(settings: Settings, version: str) -> Path:
    """Returns the file of a snapshot version."""
    return settings.serving_dir / f"{version}.duckdb"


def point_to(settings: Settings, version: str) -> None:
    """Switches the pointer to `version` atomically (write, flush, rename)."""
    pointer = settings.serving_dir / POINTER
    staging = pointer.with_name(f".{POINTER}.{os.getpid()}")
    with staging.open("w", encoding="utf-8") as handle:
        handle.write(version + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, pointer)


def prune(settings: Settings, keep: int) -> list[str]:
    """Deletes all but the newest `keep` snapshots (never the current one); returns them."""
    current = current_version(settings)
    versions = sorted(path.stem for path in settings.serving_dir.glob(f"{PREFIX}*.duckdb"))
    doomed = [version for version in versions[:-keep] if version != current] if keep else []
    for version in doomed:
        snapshot_path(settings, version).unlink(missing_ok=True)
    return doomed


@contextmanager
def publish_lock(settings: Settings):
    """Holds the publish lock: one publish at a time, refused at once if another is running.

    While it is held, leftovers of a publish that was killed (partial snapshot files and
    scratch workspaces) are removed, since no other publish can be writing them.
    """
    settings.serving_dir.mkdir(parents=True, exist_ok=True)
    with (settings.serving_dir / ".publish.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError("another publish is running; try again when it has finished") from None
        for leftover in settings.serving_dir.glob(f".{PREFIX}*.partial"):
            leftover.unlink(missing_ok=True)
        for leftover in settings.temp_dir.glob("publish-*.duckdb*"):
            leftover.unlink(missing_ok=True)
        yield


def open_current(settings: Settings):
    """Returns (connection, version): an in-memory connection with the current snapshot
    attached READ_ONLY as `snapshot` and set as the default schema.
    """
    version = current_version(settings)
    if version is None or not snapshot_path(settings, version).exists():
        raise UserError(
            f"no published snapshot in {settings.serving_dir}; run `wholesystem publish` first"
        )
    connection = duckdb.connect()
    path = snapshot_path(settings, version)
    try:
        connection.execute(f"ATTACH {sql_text(path)} AS snapshot (READ_ONLY)")
        connection.execute("USE snapshot")
    except duckdb.Error as error:  # damaged or not a DuckDB file
        connection.close()
        raise UserError(
            f"the serving snapshot {path} cannot be read ({str(error).splitlines()[0]}); "
            "run `wholesystem publish` to write a new one"
        ) from None
    return connection, version
