"""The Data status page: per-feed rows, dates and loads, quarantine by rule, and the
snapshot version, with file names but never server paths. Load details (file names, counts,
quarantine) are for analysts and admins: these tests read the page as an analyst unless
they say otherwise; a viewer's page has feeds, dates and freshness only."""

from __future__ import annotations

import pandas as pd
import pytest
from dash import html

from dashboard import access, roles
from dashboard.pages import status
from tests.dashboard.pages.tree import walk


@pytest.fixture(autouse=True)
def role(monkeypatch):
    """Returns `use(role)`, which makes the page be built for a user of that role."""

    def use(name: str | None) -> None:
        monkeypatch.setattr(roles, "current_role", lambda: name)

    use("analyst")
    return use


def text_of(page) -> str:
    return " ".join(node for node in walk(page) if isinstance(node, str))


def table_rows(page, table_id: str) -> tuple[list[str], list[list[str]]]:
    (table,) = [node for node in walk(page) if getattr(node, "id", None) == table_id]
    header = [node.children for node in walk(table) if isinstance(node, html.Th)]
    rows = [
        [cell.children for cell in row.children]
        for row in walk(table)
        if isinstance(row, html.Tr) and isinstance(row.children[0], html.Td)
    ]
    return header, rows


def test_every_feed_has_a_row_with_its_counts_and_dates():
    feeds = access.feed_status()
    header, rows = table_rows(status.layout("/status", {}), "status-feeds")
    assert header[:3] == ["Feed", "Rows accepted", "Rows quarantined"]
    by_feed = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert sorted(by_feed) == sorted(map(status.feed_name, feeds["feed"]))
    apc = feeds.set_index("feed").loc["apc_spells"]
    shown = by_feed["Hospital admissions (SUS/HES spells)"]
    assert shown["Rows accepted"] == f"{int(apc['rows_accepted']):,}"
    assert shown["Rows quarantined"] == f"{int(apc['rows_quarantined']):,}"
    assert shown["Files loaded"] == str(apc["files_loaded"])
    assert shown["Activity covered"] == "Nov 2023 to Oct 2026"
    assert shown["Last load"] == apc["latest_load"].strftime("%d %b %Y %H:%M")


def test_feed_rows_show_exact_sample_values():
    info = access.snapshot_info()
    rows = {row["feed"]: row for row in status.feed_rows(access.feed_status(), info)}
    assert rows["Hospital admissions (SUS/HES spells)"]["period"] == "Nov 2023 to Oct 2026"
    assert rows["Registered population (NHS Digital)"]["files_loaded"] == "36"
    assert rows["Deprivation by LSOA (IMD)"]["period"] == "Reference data"


def test_no_birth_or_diagnosis_dates_and_no_feed_ids_are_shown():
    """The patient index and registers hold dates back to the 1930s: the page shows only
    the reporting period each feed covers, and every feed by a name in words."""
    feeds = access.feed_status()
    assert feeds["date_from"].min().year < 1950  # the history is there in the snapshot
    info = access.snapshot_info()
    for row in status.feed_rows(feeds, info):
        assert "_" not in row["feed"], row["feed"]
        if row["period"] not in ("Reference data", "–"):
            start, end = (pd.Timestamp(part) for part in row["period"].split(" to "))
            assert pd.Timestamp(info["first_month"]) <= start <= end, row
    page = text_of(status.layout("/status", {}))
    assert not any(str(year) in page for year in range(1900, 2020))


def test_activity_period_is_clipped_to_the_reporting_months():
    info = {"first_month": pd.Timestamp("2023-11-01"), "last_month": pd.Timestamp("2026-10-01")}
    period = status.activity_period
    assert period("patients", pd.Timestamp("1934-06-05"), pd.Timestamp("2026-10-31"), info) == (
        "Nov 2023 to Oct 2026"
    )
    assert period("aggregate_indicators", pd.Timestamp("2024-04-01"),
                  pd.Timestamp("2026-03-31"), info) == "Apr 2024 to Mar 2026"  # fmt: skip
    assert period("organisations", pd.Timestamp("2019-07-01"), pd.NaT, info) == "Reference data"
    assert period("deaths", pd.NaT, pd.NaT, info) == "–"


def test_only_the_latest_file_name_is_shown_never_a_path():
    feeds = access.feed_status().set_index("feed")
    _, rows = table_rows(status.layout("/status", {}), "status-feeds")
    files = {row[0]: row[-1] for row in rows}
    assert files[status.feed_name("apc_spells")] == "apc_spells.csv"
    assert (
        files[status.feed_name("population")]
        == (feeds.loc["population", "latest_file"].split("/")[-1])
    )
    assert not any("/" in name or "\\" in name for name in files.values())


def test_base_name_handles_both_separators_and_nothing():
    assert status.base_name("/srv/data/in/apc.csv") == "apc.csv"
    assert status.base_name(r"C:\feeds\deaths.parquet") == "deaths.parquet"
    assert status.base_name(None) == ""


def test_the_snapshot_version_being_shown_is_named():
    page = status.layout("/status", {})
    (version,) = [node for node in walk(page) if getattr(node, "id", None) == "status-version"]
    assert version.children == access.version() == access.snapshot_info()["version"]
    sentence = [node for node in walk(page) if isinstance(node, str) and "covering" in node]
    assert sentence[0].endswith(
        "covering November 2023 to October 2026. Counts of the Northumbria group's indicators "
        "are rounded to the nearest 5, and counts from 1 to 7 are shown as * (HES rule)."
    )


def test_no_quarantine_gets_a_sentence(monkeypatch):
    empty = access.quarantine_by_rule().iloc[0:0]
    monkeypatch.setattr(access, "quarantine_by_rule", lambda: empty)
    page = status.layout("/status", {})
    (node,) = [node for node in walk(page) if getattr(node, "id", None) == "status-quarantine"]
    assert node.children == "No rows have been quarantined."


def test_quarantined_rows_are_listed_by_feed_and_rule(monkeypatch):
    rules = pd.DataFrame(
        {"feed": ["apc_spells", "apc_spells", "deaths"],
         "rule": ["bad_nhs_number", "future_date", "missing_date"], "rows": [1200, 3, 1]}
    )  # fmt: skip
    monkeypatch.setattr(access, "quarantine_by_rule", lambda: rules)
    header, rows = table_rows(status.layout("/status", {}), "status-quarantine")
    assert header == ["Feed", "Rule", "Rows quarantined"]
    assert rows == [
        ["Hospital admissions (SUS/HES spells)", "bad_nhs_number", "1,200"],
        ["Hospital admissions (SUS/HES spells)", "future_date", "3"],
        ["Deaths (ONS)", "missing_date", "1"],
    ]


def test_an_empty_feed_status_gets_a_sentence():
    empty = access.feed_status().iloc[0:0]
    assert status.feeds_table(empty, access.snapshot_info(), details=True).children == (
        "No feed has been loaded yet."
    )


def test_feed_rows_format_counts_dates_and_file_names():
    frame = pd.DataFrame(
        {"feed": ["apc_spells"], "files_loaded": [3],
         "latest_load": [pd.Timestamp("2026-03-05 14:07:31")],
         "latest_file": [r"C:\drop\apc_2026_02.csv"], "rows_accepted": [1234567.0],
         "rows_quarantined": [float("nan")], "files_rejected": [0],
         "date_from": [pd.NaT], "date_to": [pd.Timestamp("2026-02-28")]}
    )  # fmt: skip
    info = {"first_month": pd.Timestamp("2025-01-01"), "last_month": pd.Timestamp("2026-02-01")}
    assert status.feed_rows(frame, info) == [
        {"feed": "Hospital admissions (SUS/HES spells)", "rows_accepted": "1,234,567",
         "rows_quarantined": "", "files_loaded": "3", "files_rejected": "0", "period": "–",
         "latest_load": "05 Mar 2026 14:07", "latest_file": "apc_2026_02.csv"}
    ]  # fmt: skip


def test_a_viewer_sees_feeds_dates_and_freshness_but_no_load_details(role):
    role("viewer")
    page = status.layout("/status", {})
    header, rows = table_rows(page, "status-feeds")
    assert header == ["Feed", "Activity covered", "Last load"]
    feeds = access.feed_status().set_index("feed")
    shown = {row[0]: row for row in rows}
    assert shown[status.feed_name("apc_spells")] == [
        "Hospital admissions (SUS/HES spells)", "Nov 2023 to Oct 2026",
        feeds.loc["apc_spells", "latest_load"].strftime("%d %b %Y %H:%M"),
    ]  # fmt: skip
    text = repr(page)  # every string in the page, single children included
    files = {status.base_name(path) for path in feeds["latest_file"].dropna()}
    assert files and not any(name in text for name in files)
    assert "Quarantined rows by rule" not in text
    ids = {getattr(node, "id", None) for node in walk(page)}
    assert "status-quarantine" not in ids


@pytest.mark.parametrize("who", ["analyst", "admin"])
def test_analysts_and_admins_see_the_load_details(role, who):
    role(who)
    page = status.layout("/status", {})
    header, _ = table_rows(page, "status-feeds")
    assert header == [label for _, label in status.FEED_COLUMNS]
    assert "apc_spells.csv" in repr(page) and "Quarantined rows by rule" in repr(page)


def test_nobody_signed_in_gets_the_viewers_page(role):
    role(None)
    header, _ = table_rows(status.layout("/status", {}), "status-feeds")
    assert header == ["Feed", "Activity covered", "Last load"]


def test_a_snapshot_with_every_count_exact_says_so(monkeypatch):
    info = access.snapshot_info()
    info = {k: v for k, v in info.items() if k not in ("disclosure_rule", "rounded_indicators")}
    assert status.disclosure_sentence(info) == "Counts from 1 to 7 are shown as *."


def test_a_snapshot_published_under_the_hes_rule_says_so(monkeypatch):
    info = dict(access.snapshot_info(), disclosure_rule="hes")
    monkeypatch.setattr(access, "snapshot_info", lambda: info)
    sentence = [
        node for node in walk(status.layout("/status", {}))
        if isinstance(node, str) and "covering" in node
    ]  # fmt: skip
    assert sentence[0].endswith(
        "covering November 2023 to October 2026. Counts are rounded to the nearest 5, and "
        "counts from 1 to 7 are shown as * (HES rule)."
    )
