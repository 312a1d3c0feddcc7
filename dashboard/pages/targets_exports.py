"""The Targets page's downloads: the targets in force and the whole history, as on the
page and within the user's scope, for the roles that may set targets only (403 for
anyone else, on the server)."""

from __future__ import annotations

import pandas as pd

from dashboard import access, exports, roles, session
from dashboard.pages import targets_data as data

ACTION = "set_targets"


def in_force(query: dict) -> exports.Export:
    """The targets in force, as the page's first table."""
    roles.require(ACTION)
    rows = data.in_force_rows(_settings(), session.current_scope())
    return _export(
        "Targets in force", rows, data.COLUMNS, "The targets in force, with why, who and when."
    )


def history(query: dict) -> exports.Export:
    """Every target record, newest first, as the page's history table."""
    roles.require(ACTION)
    rows = data.history_rows(_settings(), session.current_scope())
    definition = "Every target record, newest first: who set it, when and why, and who ended it."
    return _export("Targets: history", rows, data.HISTORY_COLUMNS, definition)


def _export(title: str, rows: list[dict], columns: dict, definition: str) -> exports.Export:
    frame = pd.DataFrame(rows, columns=list(columns)).rename(columns=columns)
    return exports.Export(
        title=title,
        frame=frame,
        org="Every organisation in your scope",
        period="As set now (targets are read live, not from the snapshot)",
        definition=definition,
        source="Source: wholesystem, the targets set in the product (data/users.sqlite)",
        period_code="now",
    )


def _settings():
    return access.configured_settings()


exports.register("targets-in-force", in_force, label="the targets in force")
exports.register("targets-history", history, label="the targets' history")
