"""The serving snapshots: versioned DuckDB files under data/serving/ and the pointer to one.

`publish` writes each snapshot in full under a temporary name, renames it into place and
only then rewrites the pointer file `CURRENT` (written to a temporary file and renamed, so
it is never half-written). Readers follow the pointer, so they see either the old snapshot
or the new one, never part of a publish. The last few snapshots are kept so that a board
pack can name the version it used and a reader still holding an old one can finish.

Embargo: `publish --draft` writes a snapshot whose `snapshot_info.draft` is true and leaves
the pointer where it was, so viewers keep the released one. `release` moves the pointer to
a kept snapshot and records who released it and when (`wholesystem.release_store`, beside
the users: the dashboard's admins release too, and the web tier writes SQLite, never
DuckDB). A snapshot without the `draft` column was published before drafts existed and is
released. `prune` keeps the released snapshot, any draft newer than it that is not yet
released, and every snapshot a board pack refers to (`wholesystem.pack_store`).

While a publish runs, `building` says which snapshot it is building and how far it has got
(the marker `metrics.building` keeps), and `last_publish` how the last one ended.
"""

from __future__ import annotations

import fcntl
import os
import re
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from metrics.building import LAST_PUBLISH, MARKER, read_last_publish, read_marker
from metrics.workspace import sql_text
from wholesystem import pack_store, release_store
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


def building(settings: Settings) -> dict | None:
    """The snapshot a publish is building now, or None: its `version`, `draft`,
    `published_by`, `started_at`, the running `stage` and `stage_started_at` (None between
    stages), the stages `done` ([name, seconds]), `expected_stages` and `expected_seconds`
    (from the last finished publish, or None), and `state`: "building", or "stopped" if the
    publishing process is gone without removing its marker. Times are UTC ISO text."""
    return read_marker(settings)


def last_publish(settings: Settings) -> dict | None:
    """How the last publish ended, or None before any: `version`, `draft`, `outcome`
    ("finished", "failed" or "interrupted"), `started_at`, `finished_at`, `seconds`, the
    stages `done` and the `stage` it was in when it failed."""
    return read_last_publish(settings)


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
    """Deletes all but the newest `keep` snapshots and returns them; never the released
    one, a draft newer than it not yet released, or one a board pack refers to."""
    with pointer_lock(settings):
        versions = stored_versions(settings)
        spared = _spared(settings, versions)
        doomed = [version for version in versions[:-keep] if version not in spared] if keep else []
        for version in doomed:
            snapshot_path(settings, version).unlink(missing_ok=True)
    return doomed


def _spared(settings: Settings, versions: list[str]) -> set[str]:
    released = current_version(settings)
    spared = {released} | pack_store.referenced_versions(settings)
    releases = release_store.latest_releases(settings)
    pending = {
        version
        for version in versions
        if (released is None or version > released)
        and version not in releases
        and _is_draft(settings, version)
    }
    return spared | pending


def _is_draft(settings: Settings, version: str) -> bool:
    try:
        return _info(settings, version).draft
    except (OSError, duckdb.Error):  # damaged or gone: nothing anyone can read to keep
        return False


def stored_versions(settings: Settings) -> list[str]:
    """The snapshot versions in the serving folder, oldest first."""
    found = (path.stem for path in settings.serving_dir.glob(f"{PREFIX}*.duckdb"))
    return sorted(version for version in found if VERSION.fullmatch(version))


@dataclass(frozen=True)
class SnapshotEntry:
    """One kept snapshot: when it was published, by whom, the months it covers, and
    whether it is released (`draft` true until it is; `released_at`/`released_by` of its
    latest release; a snapshot published as released was released when it was created)."""

    version: str
    created_at: datetime | None
    draft: bool
    released_at: datetime | None
    released_by: str | None
    first_month: date | None = None
    last_month: date | None = None
    published_by: str | None = None


@dataclass(frozen=True)
class _Info:
    created_at: datetime | None
    draft: bool
    first_month: date | None
    last_month: date | None
    published_by: str | None


# A snapshot file never changes once renamed into place, so what it says of itself is
# read once per file (and its modification time, should a file ever be replaced).
_infos: dict[tuple[str, int], _Info] = {}
INFO_COLUMNS = ("created_at", "draft", "first_month", "last_month", "published_by")


def _info(settings: Settings, version: str) -> _Info:
    path = snapshot_path(settings, version)
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _infos:
        _infos[key] = _read_info(path)
    return _infos[key]


def _read_info(path: Path) -> _Info:
    # Older snapshots lack some columns (`draft` among them): a missing one reads as NULL.
    with closing(duckdb.connect()) as connection:
        connection.execute(f"ATTACH {sql_text(path)} AS snap (READ_ONLY)")
        names = {row[0] for row in connection.execute(INFO_COLUMNS_SQL).fetchall()}
        chosen = ", ".join(name if name in names else "NULL" for name in INFO_COLUMNS)
        row = connection.execute(f"SELECT {chosen} FROM snap.snapshot_info").fetchone()
    created, draft, first, last, by = row or (None,) * len(INFO_COLUMNS)
    return _Info(created, bool(draft), first, last, by)


INFO_COLUMNS_SQL = """
SELECT column_name FROM information_schema.columns
WHERE table_catalog = 'snap' AND table_name = 'snapshot_info'
"""


def released_version(settings: Settings) -> str | None:
    """The released snapshot (what viewers read): the one the pointer names."""
    return current_version(settings)


def kept_versions(settings: Settings) -> list[SnapshotEntry]:
    """Every snapshot in the serving folder, newest first, with its release state."""
    releases = release_store.latest_releases(settings)
    entries = []
    for version in reversed(stored_versions(settings)):
        try:
            info = _info(settings, version)
        except (OSError, duckdb.Error):  # pruned or being pruned as we look: not kept
            continue
        entries.append(_entry(version, info, releases.get(version)))
    return entries


def _entry(version: str, info: _Info, release) -> SnapshotEntry:
    if release is not None:
        released_at, released_by, draft = release.released_at, release.released_by, False
    elif info.draft:
        released_at, released_by, draft = None, None, True
    else:
        released_at, released_by, draft = info.created_at, info.published_by, False
    return SnapshotEntry(
        version, info.created_at, draft, released_at, released_by,
        info.first_month, info.last_month, info.published_by,
    )  # fmt: skip


def release(settings: Settings, version: str, released_by: str | None) -> SnapshotEntry:
    """Makes a kept snapshot the released one (viewers see it from their next request):
    records the release, then moves the pointer atomically. Refuses an unknown or pruned
    version with one sentence, changing nothing."""
    with pointer_lock(settings):
        if not VERSION.fullmatch(version or "") or not snapshot_path(settings, version).exists():
            raise UserError(
                f"there is no kept snapshot {version[:80]!r} in {settings.serving_dir}; "
                "`wholesystem snapshots` lists them"
            )
        release_store.record_release(settings, version, released_by)
        point_to(settings, version)
    return next(entry for entry in kept_versions(settings) if entry.version == version)


@contextmanager
def pointer_lock(settings: Settings):
    """Holds the lock under which the pointer moves and snapshots are pruned, so a release
    can never point at a snapshot a concurrent prune is deleting (waits for the other)."""
    settings.serving_dir.mkdir(parents=True, exist_ok=True)
    with (settings.serving_dir / ".pointer.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@contextmanager
def publish_lock(settings: Settings):
    """Holds the publish lock: one publish at a time, refused at once if another is running.

    While it is held, leftovers of a publish that was killed (partial snapshot files, the
    building marker's and last-publish record's temporary files, and scratch workspaces)
    are removed, since no other publish can be writing them.
    """
    settings.serving_dir.mkdir(parents=True, exist_ok=True)
    with (settings.serving_dir / ".publish.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError("another publish is running; try again when it has finished") from None
        for leftover in settings.serving_dir.glob(f".{PREFIX}*.partial"):
            leftover.unlink(missing_ok=True)
        for record in (MARKER, LAST_PUBLISH):  # half-written by a killed publish
            for leftover in settings.serving_dir.glob(f".{record}.*"):
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
    return open_version(settings, version), version


def open_version(settings: Settings, version: str):
    """Returns an in-memory connection with a kept snapshot attached READ_ONLY as
    `snapshot` and set as the default schema; UserError for an unknown or unreadable one."""
    path = snapshot_path(settings, version)
    if not VERSION.fullmatch(version) or not path.exists():
        raise UserError(f"there is no kept snapshot {version[:80]!r} in {settings.serving_dir}")
    connection = duckdb.connect()
    try:
        connection.execute(f"ATTACH {sql_text(path)} AS snapshot (READ_ONLY)")
        connection.execute("USE snapshot")
    except duckdb.Error as error:  # damaged or not a DuckDB file
        connection.close()
        raise UserError(
            f"the serving snapshot {path} cannot be read ({str(error).splitlines()[0]}); "
            "run `wholesystem publish` to write a new one"
        ) from None
    return connection


def disclosure_rule(connection) -> str:
    """The open snapshot's disclosure rule: 'hes' (every indicator's counts rounded), 'mixed'
    (some), or 'complementary' where it has no `disclosure_rule` column (metrics.publish
    records the rule only when some indicator is under the HES rule)."""
    try:
        return connection.execute("SELECT disclosure_rule FROM snapshot_info").fetchone()[0]
    except duckdb.BinderException:
        return "complementary"


def rounded_indicators(connection) -> list[str]:
    """The ids of the indicators whose counts the open snapshot rounds (the HES rule), sorted:
    none under complementary suppression; every indicator of a 'hes' snapshot published
    before `rounded_indicators` was recorded."""
    if disclosure_rule(connection) == "complementary":
        return []
    try:
        found = connection.execute("SELECT rounded_indicators FROM snapshot_info").fetchone()[0]
    except duckdb.BinderException:
        found = [metric for (metric,) in connection.execute("SELECT id FROM indicators").fetchall()]
    return sorted(found)
