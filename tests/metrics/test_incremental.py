"""An incremental publish (metrics.incremental) writes the snapshot a full publish writes.

The fixture system of every feed is published with the units cache as at February 2026,
then a March load adds a month of activity and revises a few rows; the incremental publish
of March must equal a full publish of the same warehouse, table by table.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import duckdb
import pytest

from metrics import incremental
from metrics.engine import compute_on_engine
from metrics.publish import publish
from metrics.snapshot_diff import differences
from tests.metrics.every_feed import add_every_feed
from wholesystem.errors import UserError

FEBRUARY = date(2026, 3, 10)  # the last complete month is February
MARCH = date(2026, 4, 22)


def add_every_feed_and_an_open_spell(system) -> None:
    """The fixture of every feed, a stay still open at the end of February, whose March
    nights only the months added can count, and two women of screening age, one screened
    in February (her cover runs on into the month added)."""
    add_every_feed(system)
    system.add("apc_spells", "S12", person_id="P2", gpprac="A00003", admidate="2026-02-25",
               disdate="", startage="1", sex="2")  # fmt: skip
    for person, birth in (("P5", "1985-04"), ("P6", "1970-06")):
        system.add("patients", person, gpprac="A00003", sex="2", birth_month=birth)
    system.add("gp_events", "P5", event_date="2026-02-05", code="cervical_screening", value="")


def add_march(system) -> None:
    """A month's load: new spells (one a readmission of P0, one of a new person), a new
    test and diagnosis, a spell revised in place, a spell moved to
    another person, a patient whose row changed, one whose row is gone, and screenings: one
    of February arriving late, one in March ending the cover of P5's February one."""
    system.add("apc_spells", "S10", person_id="P0", gpprac="A00001", admidate="2026-02-20",
               disdate="2026-03-04", startage="85", sex="1")  # fmt: skip
    system.add("patients", "P9", gpprac="A00004", sex="2", birth_month="1950-02",
               registered_from="2026-03-01", high_risk_register="true")  # fmt: skip
    system.add("apc_spells", "S11", person_id="P9", gpprac="A00004", admidate="2026-03-09",
               disdate="", startage="76", sex="2")  # fmt: skip
    system.add("gp_events", "P4", event_date="2026-03-02", code="hba1c", value="70")
    system.add("conditions", "P3", condition="COPD", diagnosed_on="2026-03-05")
    revised = next(row for row in system.rows["apc_spells"] if row["spell_id"] == "S1")
    revised["disdate"] = "2026-02-14"  # the same key: the load replaces the row
    patient = next(row for row in system.rows["patients"] if row["person_id"] == "P3")
    patient["frailty"] = "severe"  # the patients feed is replaced by each load
    moved = next(row for row in system.rows["apc_spells"] if row["spell_id"] == "S2")
    moved["person_id"] = "P4"
    system.rows["patients"] = [row for row in system.rows["patients"] if row["person_id"] != "P1"]
    system.add("gp_events", "P6", event_date="2026-02-12", code="cervical_screening", value="")
    system.add("gp_events", "P5", event_date="2026-03-16", code="cervical_screening", value="")


# What the ETL never writes but a warehouse can hold: a spell without a person (the feed
# quarantines one, so it is put in by hand) and a row erased by hand.
EDIT_MARCH_SQL = """
INSERT INTO apc_spells BY NAME
SELECT * REPLACE ('S13' AS spell_id, NULL AS person_id, DATE '2026-03-03' AS admidate,
                  DATE '2026-03-05' AS disdate)
FROM apc_spells WHERE spell_id = 'S0';
DELETE FROM gp_events WHERE person_id = 'P0' AND code = 'hba1c';
"""


def load_march(system) -> None:
    """Loads add_march's rows and makes EDIT_MARCH_SQL's edits."""
    add_march(system)
    system.load()
    with duckdb.connect(str(system.settings.warehouse_path)) as warehouse:
        warehouse.execute(EDIT_MARCH_SQL)


def test_an_incremental_publish_of_a_new_month_equals_a_full_one(system):
    add_every_feed_and_an_open_spell(system)
    system.load()
    first = publish(system.settings, today=FEBRUARY, incremental=True)
    assert first.notes[-1:] == [
        "incremental publish: every unit computed, as no units cache yet"
    ]  # fmt: skip
    assert system.settings.units_cache_path.stat().st_mode & 0o777 == 0o600
    load_march(system)
    incremental = publish(system.settings, today=MARCH, incremental=True)
    assert screened_months(system.settings.units_cache_path) == [
        ("cervical_screening_25_49", "P5", date(2026, 2, 1)),
        ("cervical_screening_25_49", "P5", date(2026, 3, 1)),
        ("cervical_screening_50_64", "P6", date(2026, 2, 1)),
        ("cervical_screening_50_64", "P6", date(2026, 3, 1)),
    ]
    full = publish(system.settings, today=MARCH)
    # P0 (spell, erased test), P1 (revised spell, patient row gone), P2 and P4 (the spell
    # moved; P4's test), P3 (patient row, diagnosis), P5 and P6 (screenings), P9 (new) and
    # the spells without a person.
    assert incremental.notes[-1:] == [
        "incremental publish: units recomputed for 9 people changed since 2026-02 and for "
        "1 month(s) added"
    ]
    assert differences(incremental.path, full.path) == []


def screened_months(cache) -> list[tuple]:
    """The screening numerators' person-months the units cache holds."""
    with duckdb.connect(str(cache), read_only=True) as units:
        return units.execute(
            "SELECT metric_id, person_id, month FROM person_units "
            "WHERE metric_id LIKE 'cervical%' AND num = 1 ORDER BY ALL"
        ).fetchall()


def test_a_save_that_fails_after_its_delete_leaves_the_cache_as_it_was(system, monkeypatch):
    add_every_feed_and_an_open_spell(system)
    system.load()
    publish(system.settings, today=FEBRUARY, incremental=True)
    load_march(system)
    delete_only = incremental.UPDATE_CACHE_SQL.split("INSERT INTO")[0]
    with monkeypatch.context() as patched:
        failing = delete_only + "SELECT error('the disk is full');"
        patched.setattr(incremental, "UPDATE_CACHE_SQL", failing)
        with pytest.raises(duckdb.Error, match="the disk is full"):
            publish(system.settings, today=MARCH, incremental=True)
    again = publish(system.settings, today=MARCH, incremental=True)
    assert again.notes[-1:] == [
        "incremental publish: units recomputed for 9 people changed since 2026-02 and for "
        "1 month(s) added"
    ]
    assert differences(again.path, publish(system.settings, today=MARCH).path) == []


def test_a_second_incremental_publish_of_the_same_warehouse_recomputes_no_one(system):
    add_every_feed(system)
    system.load()
    first = publish(system.settings, today=MARCH, incremental=True)
    again = publish(system.settings, today=MARCH, incremental=True)
    assert again.notes[-1:] == [
        "incremental publish: units recomputed for 0 people changed since 2026-03 and for "
        "0 month(s) added"
    ]
    assert differences(first.path, again.path) == []


def test_what_the_cache_cannot_vouch_for_is_computed_in_full(system):
    add_every_feed(system)
    system.load()
    publish(system.settings, today=MARCH, incremental=True)
    earlier = publish(system.settings, today=FEBRUARY, incremental=True)
    assert earlier.notes[-1:] == [
        "incremental publish: every unit computed, as the last month is 2026-02-01, the "
        "cache's 2026-03-01"
    ]
    stricter = dataclasses.replace(
        system.settings, indicators={"dm_hba1c_control": {"hba1c_threshold": 48.0}}
    )
    changed = publish(stricter, today=FEBRUARY, incremental=True)
    assert changed.notes[-1:] == [
        "incremental publish: every unit computed, as the indicator code or definitions "
        "differ from the cache's"
    ]
    assert differences(changed.path, publish(stricter, today=FEBRUARY).path) == []
    assert differences(changed.path, earlier.path) != []  # the threshold counts


def test_an_incremental_publish_on_spark_is_refused_in_one_sentence(system):
    spark = dataclasses.replace(system.settings, engine="spark", spark_warehouse="lake")
    with pytest.raises(UserError, match="runs on the DuckDB engine only"):
        compute_on_engine(None, spark, incremental=True)


def test_the_cache_is_readable_by_its_owner_only_and_a_plain_publish_deletes_it(system):
    add_every_feed(system)
    system.load()
    cache = system.settings.units_cache_path
    publish(system.settings, today=MARCH, incremental=True)
    assert cache.stat().st_mode & 0o777 == 0o600
    cache.chmod(0o644)  # as an earlier version left it
    publish(system.settings, today=MARCH, incremental=True)
    assert cache.stat().st_mode & 0o777 == 0o600
    assert not cache.with_name(cache.name + ".wal").exists()
    publish(system.settings, today=MARCH)
    assert not cache.exists()
