"""The bar under the header: which snapshot the page shows, and the picker to open another.

"As published on …" lists the kept snapshots the signed-in user may open, newest first:
released ones with their release date, drafts (for analysts and admins only) marked DRAFT.
Choosing one reloads the page with `?snapshot=VERSION` (assets/snapshot.js), which then
stays in the URL as the user moves between pages. While the page shows a draft a banner
says so on every page; a requested version that is not kept, or a draft asked for by a
viewer, gets one sentence saying what is shown instead (`access.shown_notice`).

The bar is filled by its own callback at each move between pages, so it always agrees with
the page beside it (the router's outputs stay as they are).
"""

from __future__ import annotations

from datetime import datetime

import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, html

from dashboard import access
from metrics.serving import SnapshotEntry, released_version

PICKER = "snapshot-picker"
BANNER = "DRAFT: not released; viewers see the snapshot of {released}."
NOTHING_RELEASED = "DRAFT: not released; viewers see nothing until a snapshot is released."


def when(moment: datetime | None) -> str:
    """A publication or release time as a board member reads it: 5 Dec 2026 18:57."""
    return "an unknown date" if moment is None else f"{moment:%-d %b %Y %H:%M}"


def option_label(entry: SnapshotEntry, released: str | None) -> str:
    """A picker entry: "5 Dec 2026 18:57, released 5 Dec 2026 19:10 (current)" or
    "5 Dec 2026 19:20, DRAFT"."""
    if entry.draft:
        return f"{when(entry.created_at)}, DRAFT"
    label = f"{when(entry.created_at)}, released {when(entry.released_at)}"
    return f"{label} (current)" if entry.version == released else label


def bar(path: str | None = None) -> list:
    """The bar's contents for the request: notice, DRAFT banner and picker."""
    kept = access.kept_snapshots()
    shown = access.shown_version()
    current = released_version(access.configured_settings())
    released = next((entry for entry in kept if entry.version == current), None)
    children = []
    if access.shown_notice():
        children.append(
            html.P(
                access.shown_notice(), id="snapshot-notice", role="alert", className="nhs-card mb-2"
            )
        )
    if access.shown_is_draft():
        text = BANNER.format(released=when(released.created_at)) if released else NOTHING_RELEASED
        children.append(
            html.P(
                html.Strong(text), id="draft-banner", role="status", className="draft-banner mb-2"
            )
        )
    children.append(picker(kept, shown, released.version if released else None))
    return children


def footer() -> str:
    """The footer's words: the version shown, and whether it is a draft."""
    draft = " (DRAFT, not released)" if access.shown_is_draft() else ""
    return f"Snapshot {access.version()}{draft}"


def picker(kept: list[SnapshotEntry], shown: str, released: str | None) -> html.Div:
    """The "As published on" select of the kept snapshots, the shown one chosen."""
    options = [{"label": option_label(entry, released), "value": entry.version} for entry in kept]
    return html.Div(
        [
            html.Label("As published on", htmlFor=PICKER, className="form-label me-2 mb-0"),
            dbc.Select(
                id=PICKER, value=shown, options=options, size="sm", style={"maxWidth": "26rem"}
            ),
        ],
        className="d-flex align-items-center",
    )


def register(app) -> None:
    """Registers the bar's callbacks: filled at each move, and the picker's reload."""
    app.callback(Output("snapshot-bar", "children"), Input("url", "pathname"))(bar)
    app.clientside_callback(
        ClientsideFunction(namespace="snapshot", function_name="open"),
        Output(PICKER, "title"),
        Input(PICKER, "value"),
        prevent_initial_call=True,
    )
