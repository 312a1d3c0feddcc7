"""The feed registry (`etl.feeds.FEEDS`) is complete and consistent, declares every column
and code the data contract (docs/DATA_CONTRACT.md) names, and tells every feed from its header."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from etl.feeds import FEEDS, FEEDS_BY_NAME, GP_EVENT_CODES, QOF_REGISTERS
from etl.reference_feeds import REFERENCE_FEEDS
from etl.source import inspect, normalise
from etl.spec import SQL_TYPES

CONTRACT = Path(__file__).parents[2] / "docs" / "DATA_CONTRACT.md"


@pytest.mark.parametrize("feed", FEEDS, ids=lambda feed: feed.name)
def test_every_feed_is_fully_declared(feed):
    names = [column.name for column in feed.columns]
    assert feed.description.strip() and feed.description.endswith(".")
    assert len(names) == len(set(names)), "a column is declared twice"
    assert feed.key and all(feed.column(name).not_null for name in feed.key)
    date_kinds = {feed.column(name).kind for name in feed.date_columns}
    assert feed.date_columns or feed in REFERENCE_FEEDS, "only lookups have no dates"
    assert date_kinds <= {"date", "nhs_date"}
    assert feed.mode in ("upsert", "snapshot")
    assert all(column.kind in SQL_TYPES for column in feed.columns)
    assert all(rule.column in names for rule in feed.rules)
    header_names = [name for column in feed.columns for name in column.header_names]
    assert len(header_names) == len(set(header_names)), "two columns accept one header name"


def test_feed_names_are_unique_and_the_lookup_holds_every_feed():
    assert sorted(FEEDS_BY_NAME) == sorted(feed.name for feed in FEEDS)
    assert len(FEEDS) == 18


def test_feeds_sharing_a_table_store_the_same_columns():
    by_table: dict[str, set] = {}
    for feed in FEEDS:
        by_table.setdefault(feed.table, set()).add(feed.stored_columns)
    assert {table: len(shapes) for table, shapes in by_table.items() if len(shapes) > 1} == {}
    assert FEEDS_BY_NAME["population"].table == FEEDS_BY_NAME["population_5y"].table


def contract_sections() -> dict[str, str]:
    """The contract's `## feed — title` sections, by feed name."""
    if not CONTRACT.exists():
        pytest.skip(f"{CONTRACT} is not in the repository yet (the lead copies it there)")
    text = CONTRACT.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    return {part.split()[0]: part for part in parts if part.split()[0] in FEEDS_BY_NAME}


def contract_columns(section: str) -> list[str]:
    """Column names from a `| column | meaning |` table, else from the first backticked list."""
    table = re.search(r"^\| column \| meaning \|\n\|[-|]+\|\n((?:\|.*\n?)+)", section, re.M)
    if table:
        cells = [line.split("|")[1] for line in table.group(1).splitlines()]
        return [name.strip() for cell in cells for name in cell.split(",")]
    listed = re.search(r"`([a-z0-9_]+(?:,\s*[a-z0-9_]+)+)`", section)
    assert listed, "the section names no columns"
    return [name.strip() for name in listed.group(1).split(",")]


def test_the_contract_describes_every_table_feed():
    sections = contract_sections()
    beyond_the_contract = {feed.table for feed in REFERENCE_FEEDS}
    assert sorted(sections) == sorted(
        {feed.table for feed in FEEDS} - {"epcn_memberships"} - beyond_the_contract
    )  # ePCN is described under organisations


@pytest.mark.parametrize(
    "feed_name",
    ["organisations", "patients", "conditions", "gp_events", "apc_spells", "deaths",
     "care_home_admissions", "survey_responses", "aggregate_indicators"],
)  # fmt: skip
def test_every_contract_column_is_declared(feed_name):
    columns = contract_columns(contract_sections()[feed_name])
    declared = {column.name for column in FEEDS_BY_NAME[feed_name].columns}
    assert len(columns) >= 4
    assert [name for name in columns if name not in declared] == []


@pytest.mark.parametrize(("feed_name", "position"), [("population", 0), ("population_5y", 1)])
def test_every_published_population_header_is_accepted(feed_name, position):
    section = contract_sections()["population"]
    headers = re.findall(r"`([A-Z_]+(?:, [A-Z_0-9]+)+)`", section)
    accepted = {name for c in FEEDS_BY_NAME[feed_name].columns for name in c.header_names}
    names = [normalise(name) for name in headers[position].split(",")]
    assert len(names) >= 8
    assert [name for name in names if name not in accepted] == []


def test_the_epcn_sheet_headers_are_accepted():
    section = contract_sections()["organisations"]
    listed = re.sub(r"\s+", " ", re.search(r"\(Partner Organisation Code,[^)]*\)", section)[0])
    assert "Start/End Date" in listed  # the contract abbreviates the two date columns
    accepted = {name for c in FEEDS_BY_NAME["epcn"].columns for name in c.header_names}
    expected = [
        "Partner Organisation Code", "PCN Code", "PCN Name",
        "Practice to PCN Relationship Start Date", "Practice to PCN Relationship End Date",
    ]  # fmt: skip
    assert [normalise(name) for name in expected if normalise(name) not in accepted] == []


def test_the_contract_vocabularies_are_the_declared_codes():
    sections = contract_sections()
    vocabulary = re.findall(r"^\| ([a-z0-9_]+(?:, [a-z0-9_]+)*) \|", sections["gp_events"], re.M)
    codes = [code.strip() for row in vocabulary if row != "code" for code in row.split(",")]
    assert sorted(codes) == sorted(GP_EVENT_CODES)
    registers = re.search(r"QOF register code:\s*([A-Z, \n]+)\.", sections["conditions"])
    assert sorted(registers.group(1).replace("\n", " ").replace(" ", "").split(",")) == sorted(
        QOF_REGISTERS
    )


@pytest.mark.parametrize("feed", FEEDS, ids=lambda feed: feed.name)
def test_every_feed_is_detected_from_its_own_header(tmp_path, feed):
    header = [column.header_names[0] for column in feed.columns]
    path = tmp_path / f"{feed.name}.csv"
    # list_sizes shares the single-age population header: its rows (SEX, AGE = ALL) tell it.
    totals = "P,01JAN2026,GP,A84005,,ALL,ALL,10\n" if feed.name == "list_sizes" else ""
    path.write_text(",".join(header) + "\n" + totals, encoding="utf-8")
    assert inspect(path, header_of_parquet=None).feed is feed


@pytest.mark.parametrize(
    "published",
    [
        ("LSOA code (2011)", "Index of Multiple Deprivation (IMD) Decile",
         "Index of Multiple Deprivation (IMD) Rank"),
        ("LSOA code (2021)",
         "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
         "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"),
    ],
    ids=["IoD2019", "IoD2025"],
)  # fmt: skip
def test_the_published_imd_file_headers_are_accepted(published):
    feed = FEEDS_BY_NAME["lsoa_deprivation"]
    for header, column in zip(published, ("lsoa_code", "imd_decile", "imd_rank"), strict=True):
        assert normalise(header) in feed.column(column).header_names, header
