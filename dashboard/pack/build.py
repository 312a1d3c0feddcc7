"""`build_pack`: make one board pack from one kept snapshot, store it and register it.

Every number is read through `dashboard.access` inside `access.reading(version)`, so the
pack names exactly one snapshot and regenerating it from that version gives the same
numbers, whatever has been published since. The file goes into `pack_store.packs_dir`
under a name of its own, and `pack_store.record_pack` registers it with the version, which
keeps that snapshot from being pruned, with the scope it was made in (it holds every area
that scope could see, so only readers who see at least as much may have it again). With
`reuse`, a pack already stored of the same version, area, month, format and scope, showing
the same (`render.fingerprint`), is returned instead of storing another. `access` must
already be configured for the settings' data directory (the app factory and
`wholesystem pack` do it).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

import flask

from dashboard import access, session
from dashboard.pack import content, render
from dashboard.pack.content import PackError
from dashboard.scope import Scope
from metrics import serving
from wholesystem import pack_store
from wholesystem.pack_store import PackRecord
from wholesystem.settings import Settings

FORMATS = ("pdf", "html")
MEDIA_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


def build_pack(
    settings: Settings, area: str, board_date: date, fmt: str, version: str | None = None,
    created_by: str | None = None, *, scope: Scope | None = None, reuse: bool = False,
) -> PackRecord:  # fmt: skip
    """Builds the pack of `area` (an area code, or ALL for every area side by side) at the
    month of `board_date`, as PDF or HTML, from snapshot `version` (default: the one shown,
    `access.shown_version()`); stores and registers it and returns its record.

    `scope` is whose view the pack is (default: the signed-in user's in a request, else
    the whole system). Raises PackError (one sentence), writing nothing, for a bad format,
    version, area or month.
    """
    if fmt not in FORMATS:
        raise PackError(f"{fmt!r} is not a pack format (pdf or html)")
    version = checked_version(settings, version)
    scope = scope or _default_scope()
    with access.reading(version):
        pack = content.gather(settings, scope, area, board_date)
        made = Made(fmt, str(scope), render.fingerprint(pack), created_by)
        stored = _stored(settings, pack, made) if reuse else None
        if stored is not None:
            return stored
        html_text = render.pack_html(pack, snapshot_link(version), created_by)
    data = html_text.encode("utf-8")
    if fmt == "pdf":
        data = render.pack_pdf(html_text, _footer(pack))
    return _store(settings, pack, made, data)


def checked_version(settings: Settings, version: str | None) -> str:
    """Returns the version asked for when it is a kept snapshot, else the one shown."""
    if version is None:
        return access.shown_version()
    kept = {entry.version for entry in serving.kept_versions(settings)}
    if version not in kept:
        raise PackError(
            f"there is no kept snapshot {version[:80]!r} (`wholesystem snapshots` lists them)"
        )
    return version


def snapshot_link(version: str) -> str:
    """Returns the dashboard's address as the snapshot showed it (`/?snapshot=VERSION`):
    relative, never built from a request's Host header, since others download the pack."""
    return "/?" + urlencode({"snapshot": version})


def download_name(record: PackRecord) -> str:
    """Returns the file name a pack downloads as, e.g. board-pack-E38000992-2026-10.pdf."""
    return f"board-pack-{record.area}-{record.board_date:%Y-%m}.{record.format}"


def _default_scope() -> Scope:
    if flask.has_request_context():
        return session.current_scope()
    return Scope.whole_system()


def _footer(pack: content.Pack) -> str:
    draft = "DRAFT · " if pack.draft else ""
    return f"{draft}Board pack · {pack.area_name} · {pack.month:%B %Y} · {pack.version}"


@dataclass(frozen=True)
class Made:
    """How a pack is made: its format, the maker's scope (`str(Scope)`), the fingerprint
    of what it shows and who made it."""

    format: str
    scope: str
    inputs: str
    created_by: str | None


def _stored(settings: Settings, pack: content.Pack, made: Made) -> PackRecord | None:
    return pack_store.find_pack(
        settings, version=pack.version, area=pack.area, board_date=pack.month,
        format=made.format, scope=made.scope, inputs=made.inputs,
    )  # fmt: skip


def _store(settings: Settings, pack: content.Pack, made: Made, data: bytes) -> PackRecord:
    folder = pack_store.packs_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = f"{pack.version}-{secrets.token_hex(4)}.{made.format}"
    name = f"pack-{pack.area}-{pack.month:%Y-%m}-{suffix}"
    staging = folder / f".{name}.partial"
    staging.write_bytes(data)
    os.replace(staging, folder / name)  # whole or absent, never half-written
    return pack_store.record_pack(
        settings, version=pack.version, area=pack.area, board_date=pack.month,
        format=made.format, file_name=name, sha256=hashlib.sha256(data).hexdigest(),
        created_by=made.created_by, scope=made.scope, inputs=made.inputs,
    )  # fmt: skip
