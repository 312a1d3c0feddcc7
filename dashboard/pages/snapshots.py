"""Snapshots: every kept serving snapshot, whether it is released, and the packs built on it.

For analysts and admins (`roles` action "draft_snapshot"): each kept snapshot, newest
first, with when it was published and by whom, the months it covers, whether it is a draft
or released (by whom, when), the board packs that refer to it (a snapshot a pack refers to
is never pruned), and a link opening the dashboard as it was published. An admin has a
Release button on each draft: the callback refuses anyone else (HTTP 403, `roles`
"release") before reading anything, releases through `metrics.serving.release` (which
records the admin's name), writes the release to the admins' audit and then the release's
alert digests (`wholesystem.alerts`; a failure there is a sentence, never a failed release).
"""

from __future__ import annotations

import flask
from dash import ALL, Input, Output, ctx, html, no_update

from dashboard import access, callback_types, exports, roles, session, snapshot_bar, users
from dashboard.snapshot_bar import when
from metrics import serving
from wholesystem import alerts, pack_store
from wholesystem.errors import UserError

PATH = "/snapshots"
TITLE = "Snapshots"
IN_NAV = True
ACTION = "draft_snapshot"  # analysts and admins; the app serves anyone else "not found"
RELEASE = "snapshots-release"  # the pattern id type of each draft's Release button
COLUMNS = ("Published", "Months covered", "State", "Board packs", "Open")


def layout(path: str, query: dict[str, str]) -> html.Div:
    """The page: what each state means, then the table of kept snapshots."""
    return html.Div(
        [
            html.H1(TITLE),
            html.P(
                [
                    "Each snapshot is the set of figures one publish produced. Viewers see "
                    "the released one; a draft (",
                    html.Span("wholesystem publish --draft", className="font-monospace"),
                    ") is seen only by analysts and admins until an admin releases it. A "
                    "snapshot a board pack refers to is kept, so the pack's figures can "
                    "always be opened again.",
                ]
            ),
            html.Div(id="snapshots-message", role="status", **{"aria-live": "polite"}),
            exports.download_links("snapshots", {}),
            html.Div(snapshots_table(), id="snapshots-table"),
        ]
    )


def snapshots_table() -> html.Table:
    """The kept snapshots, newest first, one row each."""
    settings = access.configured_settings()
    released = serving.released_version(settings)
    may_release = roles.current_can("release")
    packs = pack_store.packs_by_version(settings)  # one read, not one per snapshot
    rows = [
        _row(entry, entry.version == released, may_release, packs.get(entry.version, []))
        for entry in serving.kept_versions(settings)
    ]
    return html.Table(
        [
            html.Caption("Kept snapshots, newest first"),
            html.Thead(html.Tr([html.Th(name, scope="col") for name in COLUMNS])),
            html.Tbody(rows),
        ],
        className="table table-sm bg-white align-middle caption-top",
        id="snapshots-list",
    )


def _row(entry: serving.SnapshotEntry, current: bool, may_release: bool, packs: list) -> html.Tr:
    published = when(entry.created_at) + (f" by {entry.published_by}" if entry.published_by else "")
    return html.Tr(
        [
            html.Th(
                [html.Div(published), html.Div(entry.version, className="small nhs-muted")],
                scope="row",
            ),
            html.Td(months_covered(entry)),
            html.Td(_state(entry, current, may_release)),
            html.Td(_packs(packs)),
            html.Td(
                html.A(
                    "Open as published",
                    href=f"/?snapshot={entry.version}",
                    **{"aria-label": f"Open as published: the snapshot of {published}"},
                )
            ),
        ],
        id=f"snapshot-row-{entry.version}",
    )


def months_covered(entry: serving.SnapshotEntry) -> str:
    """The months a snapshot covers: "Nov 2023 to Oct 2026"."""
    if entry.first_month is None or entry.last_month is None:
        return "not recorded"
    return f"{entry.first_month:%b %Y} to {entry.last_month:%b %Y}"


def state_text(entry: serving.SnapshotEntry, current: bool) -> str:
    """A snapshot's state in words."""
    if entry.draft:
        return "DRAFT, not released"
    by = f" by {entry.released_by}" if entry.released_by else ""
    text = f"Released {when(entry.released_at)}{by}"
    return f"{text}; viewers see this one" if current else text


def _state(entry: serving.SnapshotEntry, current: bool, may_release: bool) -> list:
    children = [html.Span(state_text(entry, current), className="fw-bold" if entry.draft else "")]
    if entry.draft and may_release:
        children.append(
            html.Button(
                "Release",
                id={"type": RELEASE, "index": entry.version},
                n_clicks=0,
                className="btn btn-primary btn-sm ms-2",
                **{"aria-label": f"Release the draft of {when(entry.created_at)} to viewers"},
            )
        )
    return children


def _packs(packs: list):
    if not packs:
        return "None"
    return html.Ul(
        [html.Li(html.A(pack_label(p), href=f"/packs/{p.id}")) for p in packs],
        className="list-unstyled mb-0",
    )


def pack_label(record: pack_store.PackRecord) -> str:
    """A board pack as the table names it: "E38000992, board 4 Mar 2027 (PDF)"."""
    return f"{record.area}, board {record.board_date:%-d %b %Y} ({record.format.upper()})"


def release(clicks):
    """Callback: releases the draft whose button was pressed; returns (message, table,
    snapshot bar, footer). Refuses anyone who may not release (403) before reading
    anything."""
    roles.require("release")
    callback_types.require_clicks(*(clicks or []))
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered or not ctx.triggered[0]["value"]:
        return (no_update,) * 4
    version, by = str(trigger.get("index")), session.current_user_name()
    settings = access.configured_settings()
    try:
        entry = serving.release(settings, version, by)
    except UserError as error:
        sentence = f"{str(error)[0].upper()}{str(error)[1:]}."
        return html.P(sentence, className="text-danger"), *(no_update,) * 3
    detail = f"published {when(entry.created_at)}"
    address = flask.request.remote_addr
    users.audit_admin_action(settings, by, "snapshot_released", version, detail, address)
    message = (
        f"Released the snapshot of {when(entry.created_at)}: viewers see it from their next page."
    )
    problems = []  # alert digests never undo or fail the release: a sentence at most
    alerts.safely_after_release(settings, version, problems.append)
    message += "".join(f" Alerts: {p}." for p in problems if "could not" in p)
    # The bar and footer are redrawn too: this page was showing the snapshot as a draft.
    fresh = snapshot_bar.bar(), snapshot_bar.footer()
    return html.Div(message, className="nhs-card"), snapshots_table(), *fresh


def register(app) -> None:
    """Registers the Release buttons' callback."""
    app.callback(
        Output("snapshots-message", "children"),
        Output("snapshots-table", "children"),
        Output("snapshot-bar", "children", allow_duplicate=True),
        Output("footer", "children", allow_duplicate=True),
        Input({"type": RELEASE, "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )(release)
