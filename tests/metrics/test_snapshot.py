"""The serving snapshot holds aggregates only: no row-level column and no record's id.

The fixture puts rows with distinctive ids (all starting `EOL`) in every person-level feed,
publishes, and then reads every table of the snapshot.
"""

from __future__ import annotations

import duckdb
import pytest

from metrics.snapshot import ROW_LEVEL_COLUMNS
from tests.metrics.conftest import FixtureSystem
from tests.metrics.published_system import MONTHS, add_deaths

SNAPSHOT_TABLES = {
    "feed_status", "indicator_values", "indicators", "months", "org_units", "period_months",
    "practice_months", "quarantine_by_rule", "segments", "snapshot_info", "spc_annotations",
    "spc_points", "spc_summary", "peer_groups", "peer_values", "peer_variables",
}  # fmt: skip
LSOA = "E01033333"


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    """(connection to the published snapshot, every record id the fixture loaded, the
    fixture's settings)."""
    system = FixtureSystem(tmp_path_factory.mktemp("snapshot"), MONTHS)
    people, spells = add_deaths(system)
    ids = set(people) | set(spells) | {LSOA}
    for number, practice in enumerate(("A00001", "A00002", "A00003", "A00004")):
        person = f"EOLLIVE{number}"
        system.add("patients", person, gpprac=practice, lsoa=LSOA, care_home_resident="true")
        system.add("conditions", person, condition="DM")
        system.add("gp_events", person, event_date="2026-02-10", code="hba1c", value="48")
        system.add(
            "care_home_admissions", f"EOLEVENT{number}", person_id=person, la_code="E06000001",
            admission_date="2026-02-01",
        )  # fmt: skip
        system.add("survey_responses", f"EOLRESP{number}", gpprac=practice)
        ids |= {person, f"EOLEVENT{number}", f"EOLRESP{number}"}
    result = system.publish()
    with duckdb.connect(str(result.path), read_only=True) as connection:
        yield connection, ids, system.settings


def columns(connection) -> list[tuple[str, str, str]]:
    """(table, column, type) of every column of every table."""
    return connection.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
    ).fetchall()


def test_the_snapshot_has_its_tables_and_no_warehouse_table(snapshot):
    connection, *_ = snapshot
    tables = {row[0] for row in connection.execute("SHOW TABLES").fetchall()}
    assert tables == SNAPSHOT_TABLES


def test_no_table_has_a_row_level_column(snapshot):
    connection, *_ = snapshot
    found = [(table, name) for table, name, _ in columns(connection) if name in ROW_LEVEL_COLUMNS]
    assert found == []


def equal_to(connection, values: set[str]) -> list[tuple[str, str, str]]:
    """(table, column, value) wherever a VARCHAR column holds one of `values`."""
    hits = []
    for table, column, kind in columns(connection):
        if kind == "VARCHAR":
            found = connection.execute(
                f'SELECT DISTINCT "{column}" FROM {table} WHERE "{column}" IN (SELECT unnest($v))',
                {"v": sorted(values)},
            ).fetchall()
            hits += [(table, column, value) for (value,) in found]
    return hits


def containing(connection, values: set[str]) -> list[tuple[str, str, str]]:
    """(table, column, text) wherever any column, as text (lists, JSON), contains one."""
    hits = []
    for table, column, _ in columns(connection):
        found = connection.execute(
            f'SELECT DISTINCT "{column}"::VARCHAR AS text FROM {table} '
            "WHERE list_bool_or([contains(text, value) FOR value IN $v])",
            {"v": sorted(values)},
        ).fetchall()
        hits += [(table, column, text) for (text,) in found]
    return hits


def test_no_value_is_a_record_id(snapshot):
    connection, ids, _ = snapshot
    assert equal_to(connection, ids) == []
    assert ("org_units", "org_code", "U00001") in equal_to(connection, {"U00001"})  # it looks


def test_no_value_contains_a_record_id(snapshot):
    connection, ids, _ = snapshot
    assert containing(connection, ids) == []
    assert ("indicators", "sources", '["deaths", "apc_spells"]') in containing(
        connection, {"apc_spells"}
    )  # it looks inside text too


def test_the_ids_scanned_for_are_in_the_warehouse(snapshot):
    # Guards the scans above: the ids they look for were loaded, so they could have leaked.
    _, ids, settings = snapshot
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as warehouse:
        loaded = {
            (table, column): warehouse.execute(
                f"SELECT count(*) FROM {table} WHERE {column} IN (SELECT unnest($ids))",
                {"ids": sorted(ids)},
            ).fetchone()[0]
            for table, column in (
                ("deaths", "person_id"), ("apc_spells", "spell_id"), ("patients", "person_id"),
                ("patients", "lsoa"), ("care_home_admissions", "event_id"),
                ("survey_responses", "response_id"),
            )
        }  # fmt: skip
    assert loaded == {
        ("deaths", "person_id"): 34, ("apc_spells", "spell_id"): 41,
        ("patients", "person_id"): 4, ("patients", "lsoa"): 4,
        ("care_home_admissions", "event_id"): 4, ("survey_responses", "response_id"): 4,
    }  # fmt: skip


def test_feed_status_gives_the_dates_each_feed_covers(snapshot):
    # The dashboard shows data freshness from these: the latest date each feed holds.
    connection, _, settings = snapshot
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as warehouse:
        deaths = warehouse.execute("SELECT min(dod), max(dod) FROM deaths")
        expected = deaths.fetchone()
    published = connection.execute(
        "SELECT date_from, date_to FROM feed_status WHERE feed = 'deaths'"
    ).fetchone()
    assert published == expected
    assert None not in expected
