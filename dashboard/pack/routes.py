"""The pack's dashboard routes, behind the login gate (`auth.install` covers every route).

`GET /pack?area=CODE&date=YYYY-MM-DD&format=pdf|html` builds a pack of an area in the
user's scope (or ALL: every area they can see) at a month of the snapshot they are shown,
from that snapshot, and sends it as an attachment (a snapshot asked for that they may not
read is refused, as `/download` refuses it, never swapped for another); the same pack
made already in the same scope, showing the same, is sent again rather than stored twice.
`GET /packs/<id>` sends a stored pack again to a reader who may read its snapshot and sees
every area its maker saw (a pack holds them all); any other gets 404, as for no such pack.
Both need the "download" permission, checked here on the server.

A pack is a record that others may download later, so it is always built as a viewer sees
the data: in a worker thread outside the request, where `dashboard.access` masks every
suppressed value whatever the requesting user's role (and `analysts_see_small_numbers`)
would show them on screen. The user's scope still decides which areas it may hold.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import flask
from werkzeug.exceptions import BadRequest, Forbidden, NotFound

from dashboard import access, roles, session
from dashboard.pack.build import MEDIA_TYPES, PackError, build_pack, download_name
from dashboard.pages import board_data
from dashboard.pages.users_admin_data import sentence
from dashboard.scope import Scope
from wholesystem import pack_store
from wholesystem.errors import UserError
from wholesystem.pack_store import ALL_AREAS
from wholesystem.settings import Settings

PACK_PATH = "/pack"
STORED_PATH = "/packs/<int:pack_id>"
PACK_ID_HEADER = "X-Pack-Id"


def install(server: flask.Flask, settings: Settings) -> None:
    """Adds the pack routes to the dashboard's Flask server."""
    server.add_url_rule(PACK_PATH, "pack", lambda: make_pack(settings))
    server.add_url_rule(STORED_PATH, "stored_pack", lambda pack_id: stored_pack(settings, pack_id))


def make_pack(settings: Settings) -> flask.Response:
    """Builds and sends the pack the query asks for (400 with one sentence when it cannot)."""
    roles.require("download")
    refusal = access.download_refusal()
    if refusal:
        raise NotFound(refusal)
    query = flask.request.args
    area, fmt = query.get("area", ""), query.get("format", "pdf")
    board_date = _date(query.get("date", ""))
    scope = session.current_scope()
    if area != ALL_AREAS and area not in set(board_data.visible_areas(scope)["org_code"]):
        raise NotFound(f"There is no area {area[:40]!r} in your scope.")
    version = access.shown_version()
    user = session.current_user_name()
    with ThreadPoolExecutor(max_workers=1) as worker:
        job = worker.submit(
            build_pack, settings, area, board_date, fmt, version, user, scope=scope, reuse=True
        )
        try:
            record = job.result()
        except PackError as error:
            raise BadRequest(sentence(error)) from None
    response = _send(settings, record)
    response.headers[PACK_ID_HEADER] = str(record.id)  # `/packs/<id>` sends it again
    return response


def stored_pack(settings: Settings, pack_id: int) -> flask.Response:
    """Sends a stored pack again, when the user may open it (`may_open`); 404 otherwise,
    the same answer as for a pack that does not exist."""
    roles.require("download")
    record = pack_store.get_pack(settings, pack_id)
    if record is None or not may_open(record, session.current_scope()):
        raise NotFound("There is no such board pack you can open.")
    return _send(settings, record)


def may_open(record: pack_store.PackRecord, reader: Scope) -> bool:
    """Whether a reader may have a stored pack: its snapshot is kept and one they may read
    (a viewer never a draft's), and they see every area its maker saw, since a pack holds
    them all (the other areas' table and numbers), whatever area it is of. A pack whose
    maker's scope was not recorded counts as the whole system's."""
    try:
        with access.reading(record.version):
            made_by = _scope_of(record.scope)
            areas = set(board_data.visible_areas(reader)["org_code"])
            return set(board_data.visible_areas(made_by)["org_code"]) <= areas and (
                record.area == ALL_AREAS or record.area in areas
            )
    except (UserError, Forbidden, ValueError):  # not kept, a draft refused, a bad scope
        return False


def _scope_of(text: str | None) -> Scope:
    whole = Scope.whole_system()
    return whole if text in (None, "", str(whole)) else Scope.parse(text)


def _send(settings: Settings, record: pack_store.PackRecord) -> flask.Response:
    path = pack_store.packs_dir(settings) / record.file_name
    return flask.send_file(
        path, mimetype=MEDIA_TYPES[record.format], as_attachment=True,
        download_name=download_name(record), max_age=0,
    )  # fmt: skip


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"The date {text[:20]!r} is not a date like 2026-10-01.") from None
