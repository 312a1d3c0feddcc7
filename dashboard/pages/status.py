"""Data status: what the snapshot being shown was built from.

Per feed: files loaded and rejected, rows accepted and quarantined, the dates the data
cover and the last load; then quarantined rows by rule, and the snapshot version. Only a
file's base name is shown, never a path on the server.
"""

from __future__ import annotations

import re

import pandas as pd
from dash import html

from dashboard import access

PATH = "/status"
TITLE = "Data status"
IN_NAV = True

FEED_COLUMNS = (
    ("feed", "Feed"),
    ("rows_accepted", "Rows accepted"),
    ("rows_quarantined", "Rows quarantined"),
    ("files_loaded", "Files loaded"),
    ("files_rejected", "Files rejected"),
    ("date_from", "Data from"),
    ("date_to", "Data to"),
    ("latest_load", "Last load"),
    ("latest_file", "Latest file"),
)
RULE_COLUMNS = (("feed", "Feed"), ("rule", "Rule"), ("rows", "Rows quarantined"))


def layout(path: str, query: dict[str, str]) -> html.Div:
    """The page: the snapshot shown, the feeds table and the quarantine table."""
    return html.Div(
        [
            html.H1("Data status"),
            snapshot_summary(access.snapshot_info()),
            html.H2("Feeds", id="status-feeds-heading", className="h4 mt-4"),
            feeds_table(access.feed_status()),
            html.H2(
                "Quarantined rows by rule", id="status-quarantine-heading", className="h4 mt-4"
            ),
            quarantine_table(access.quarantine_by_rule()),
        ]
    )


def register(app) -> None:
    """The page has no callbacks: it is built from the snapshot on each visit."""


def snapshot_summary(info: dict) -> html.P:
    """Returns a sentence naming the snapshot version, when it was published and the
    months it covers."""
    return html.P(
        [
            "Showing snapshot ",
            html.Strong(info["version"], id="status-version"),
            f", published {_when(info['created_at'])}, covering {_month(info['first_month'])}"
            f" to {_month(info['last_month'])}. Counts from 1 to "
            f"{info['suppression_threshold']} are shown as *.",
        ]
    )


def feed_rows(frame: pd.DataFrame) -> list[dict[str, str]]:
    """Returns the feeds as display rows (column name -> text), a file as its base name."""
    formats = {
        "rows_accepted": _count, "rows_quarantined": _count, "files_loaded": _count,
        "files_rejected": _count, "date_from": _date, "date_to": _date,
        "latest_load": _when, "latest_file": base_name,
    }  # fmt: skip
    return [
        {column: formats.get(column, str)(row[column]) for column, _ in FEED_COLUMNS}
        for row in frame.to_dict("records")
    ]


def feeds_table(frame: pd.DataFrame) -> html.Div | html.P:
    """Returns the feeds table, or a sentence when nothing has been loaded."""
    if frame.empty:
        return html.P("No feed has been loaded yet.")
    return _table("status-feeds", FEED_COLUMNS, feed_rows(frame))


def quarantine_rows(frame: pd.DataFrame) -> list[dict[str, str]]:
    """Returns the quarantine counts as display rows (feed, rule, rows)."""
    return [
        {"feed": row["feed"], "rule": row["rule"], "rows": _count(row["rows"])}
        for row in frame.to_dict("records")
    ]


def quarantine_table(frame: pd.DataFrame) -> html.Div | html.P:
    """Returns the quarantined rows by feed and rule, or a sentence when there are none."""
    if frame.empty:
        return html.P("No rows have been quarantined.", id="status-quarantine")
    return _table("status-quarantine", RULE_COLUMNS, quarantine_rows(frame))


def base_name(path) -> str:
    """Returns a file's name without its folders (either separator), or an empty text."""
    if path is None or (not isinstance(path, str) and pd.isna(path)):
        return ""
    return re.split(r"[\\/]", str(path))[-1]


def _table(table_id: str, columns, rows: list[dict[str, str]]) -> html.Div:
    header = html.Thead(
        html.Tr([html.Th(label, scope="col", className=_align(name)) for name, label in columns])
    )
    body = html.Tbody(
        [
            html.Tr([html.Td(row[name], className=_align(name)) for name, _ in columns])
            for row in rows
        ]
    )
    return html.Div(
        html.Table([header, body], id=table_id, className="table table-sm table-striped"),
        # A keyboard user must be able to scroll a wide table on a narrow screen.
        className="table-responsive",
        tabIndex="0",
        role="region",
        **{"aria-labelledby": f"{table_id}-heading"},
    )


def _align(column: str) -> str:
    # Counts line up on the right; dates and times stay on one line.
    if column.startswith(("rows", "files")):
        return "text-end"
    return "text-nowrap" if column.startswith(("date", "latest_load")) else ""


def _count(value) -> str:
    return "" if pd.isna(value) else f"{int(value):,}"


def _date(value) -> str:
    return "–" if pd.isna(value) else pd.Timestamp(value).strftime("%d %b %Y")


def _month(value) -> str:
    return "" if pd.isna(value) else pd.Timestamp(value).strftime("%B %Y")


def _when(value) -> str:
    return "" if pd.isna(value) else pd.Timestamp(value).strftime("%d %b %Y %H:%M")
