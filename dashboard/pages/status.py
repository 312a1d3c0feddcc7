"""Data status: what the snapshot being shown was built from.

Per feed (by its name in words): files loaded and rejected, rows accepted and quarantined,
the activity period it covers and the last load; then quarantined rows by rule, and the
snapshot version. Only a file's base name is shown, never a path on the server. Above
them, while a publish runs, which snapshot is being built and how far it has got, and when
the last publish finished (`status_building`).

Load details (file names, file and row counts, quarantine by rule) are for analysts and
admins (`roles` action "see_load_details"), decided on the server as the page is built: a
viewer's page holds each feed's name, activity period and last load, and nothing else.

The activity period is the span of the feed's dates within the months the snapshot
reports: the patient index and the disease registers also hold history (dates of
registration and diagnosis back to the 1930s) that is not activity in the period. Lookup
feeds (organisations, deprivation) have no activity period: they are reference data.
"""

from __future__ import annotations

import re

import pandas as pd
from dash import html

from dashboard import access, exports, roles
from dashboard.pages import status_building

PATH = "/status"
TITLE = "Data status"
IN_NAV = True

FEED_COLUMNS = (
    ("feed", "Feed"),
    ("rows_accepted", "Rows accepted"),
    ("rows_quarantined", "Rows quarantined"),
    ("files_loaded", "Files loaded"),
    ("files_rejected", "Files rejected"),
    ("period", "Activity covered"),
    ("latest_load", "Last load"),
    ("latest_file", "Latest file"),
)
# What a viewer sees: which feeds there are, the dates they cover and how fresh they are.
VIEWER_COLUMNS = tuple(c for c in FEED_COLUMNS if c[0] in ("feed", "period", "latest_load"))
RULE_COLUMNS = (("feed", "Feed"), ("rule", "Rule"), ("rows", "Rows quarantined"))
FEED_NAMES = {
    "patients": "GP registrations (patient index)",
    "population": "Registered population (NHS Digital)",
    "conditions": "Disease registers",
    "gp_events": "GP measurements and care processes",
    "apc_spells": "Hospital admissions (SUS/HES spells)",
    "hes_apc_episodes": "Hospital episodes (HES APC; spells derived from them)",
    "ae_attendances": "A&E attendances (HES A&E)",
    "deaths": "Deaths (ONS)",
    "care_home_admissions": "Care home admissions (social care)",
    "survey_responses": "Patient and carer surveys",
    "aggregate_indicators": "Supplied indicators (GP Patient Survey, QOF)",
    "organisations": "Organisation hierarchy",
    "epcn": "PCN memberships (ePCN)",
    "epcn_memberships": "PCN memberships (ePCN)",
    "lsoa_deprivation": "Deprivation by LSOA (IMD)",
}
REFERENCE_FEEDS = frozenset({"organisations", "epcn", "epcn_memberships", "lsoa_deprivation"})
REFERENCE_TEXT = "Reference data"


def layout(path: str, query: dict[str, str]) -> html.Div:
    """The page: the snapshot shown, the feeds table and (for analysts and admins) the
    quarantine table."""
    details = roles.current_can("see_load_details")
    info = access.snapshot_info()
    return html.Div(
        [
            html.H1("Data status"),
            status_building.section(),
            snapshot_summary(info),
            html.H2("Feeds", id="status-feeds-heading", className="h4 mt-4"),
            html.P(
                "Activity covered: the months of the reporting period the feed has data "
                "for. Registers also hold earlier history (for example dates of "
                "diagnosis), which is not shown here.",
                className="nhs-muted small",
            ),
            exports.download_links("status-feeds", {}),
            feeds_table(access.feed_status(), info, details=details),
            *(_quarantine_section() if details else []),
        ]
    )


def _quarantine_section() -> list:
    return [
        html.H2("Quarantined rows by rule", id="status-quarantine-heading", className="h4 mt-4"),
        exports.download_links("status-quarantine", {}),
        quarantine_table(access.quarantine_by_rule()),
    ]


def register(app) -> None:
    """The page is built from the snapshot on each visit; only the banner of a snapshot
    being built refreshes itself (while a publish runs)."""
    status_building.register(app)


def snapshot_summary(info: dict) -> html.P:
    """Returns a sentence naming the snapshot version, when it was published, the months it
    covers and its disclosure rule."""
    return html.P(
        [
            "Showing snapshot ",
            html.Strong(info["version"], id="status-version"),
            f", published {_when(info['created_at'])}, covering {_month(info['first_month'])}"
            f" to {_month(info['last_month'])}. {disclosure_sentence(info)}",
        ]
    )


def disclosure_sentence(info: dict) -> str:
    """The snapshot's disclosure rule in words (a snapshot without the column, as every one
    before the setting, used complementary suppression)."""
    threshold = info["suppression_threshold"]
    if access.uses_hes_rule(info):
        return (
            f"{access.rounded_counts(info)} are rounded to the nearest 5, and counts from 1 to "
            f"{threshold} are shown as * (HES rule)."
        )
    return f"Counts from 1 to {threshold} are shown as *."


def feed_name(feed: str) -> str:
    """Returns a feed's name in words (its id in words for a feed not listed)."""
    return FEED_NAMES.get(feed, feed.replace("_", " ").capitalize())


def activity_period(feed: str, date_from, date_to, info: dict) -> str:
    """Returns the months of the snapshot's reporting period a feed has data for, e.g.
    "Dec 2023 to Nov 2026"; "Reference data" for a lookup; "–" for no dates in it."""
    if feed in REFERENCE_FEEDS:
        return REFERENCE_TEXT
    if pd.isna(date_from) or pd.isna(date_to):
        return "–"
    first, last = pd.Timestamp(info["first_month"]), pd.Timestamp(info["last_month"])
    start = max(pd.Timestamp(date_from), first).replace(day=1)
    end = min(pd.Timestamp(date_to), last + pd.offsets.MonthEnd(0))
    if start > end:
        return "–"
    return f"{start:%b %Y} to {end:%b %Y}"


def feed_rows(frame: pd.DataFrame, info: dict, columns=FEED_COLUMNS) -> list[dict[str, str]]:
    """Returns the feeds as display rows (column name -> text) of the chosen `columns`: the
    feed's name, counts, its activity period within the snapshot's months (`info`), a file
    as its base name."""
    formats = {
        "rows_accepted": _count, "rows_quarantined": _count, "files_loaded": _count,
        "files_rejected": _count, "latest_load": _when, "latest_file": base_name,
        "feed": feed_name,
    }  # fmt: skip
    rows = []
    for row in frame.to_dict("records"):
        shown = {column: formats[column](row[column]) for column in formats}
        shown["period"] = activity_period(row["feed"], row["date_from"], row["date_to"], info)
        rows.append({column: shown[column] for column, _ in columns})
    return rows


def feeds_table(frame: pd.DataFrame, info: dict, *, details: bool) -> html.Div | html.P:
    """Returns the feeds table, with load details only if `details`, or a sentence when
    nothing has been loaded."""
    if frame.empty:
        return html.P("No feed has been loaded yet.")
    columns = FEED_COLUMNS if details else VIEWER_COLUMNS
    return _table("status-feeds", columns, feed_rows(frame, info, columns))


def quarantine_rows(frame: pd.DataFrame) -> list[dict[str, str]]:
    """Returns the quarantine counts as display rows (feed, rule, rows)."""
    return [
        {"feed": feed_name(row["feed"]), "rule": row["rule"], "rows": _count(row["rows"])}
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
    return "text-nowrap" if column in ("period", "latest_load") else ""


def _count(value) -> str:
    return "" if pd.isna(value) else f"{int(value):,}"


def _month(value) -> str:
    return "" if pd.isna(value) else pd.Timestamp(value).strftime("%B %Y")


def _when(value) -> str:
    return "" if pd.isna(value) else pd.Timestamp(value).strftime("%d %b %Y %H:%M")
