"""The registers' person-months counted a batch of practices at a time (metrics.families.registers
.register_batches) give the same units, and so the same values, as one batch of everyone."""

from __future__ import annotations

from datetime import date

from metrics.compute import compute
from metrics.families import registers
from metrics.portable_record import record_person_level, report
from metrics.workspace import open_workspace
from tests.metrics.every_feed import add_every_feed

TODAY = date(2026, 11, 22)


def test_practices_are_shared_evenly_among_as_few_batches_as_fit():
    sizes = [("A", 400), ("B", 100), ("C", 300), ("D", 200)]
    assert registers.practice_batches(sizes, 1_000) == {"A": 0, "B": 0, "C": 0, "D": 0}
    assert registers.practice_batches(sizes, 500) == {"A": 0, "B": 0, "C": 1, "D": 1}
    assert registers.practice_batches(sizes, 300) == {"A": 0, "B": 1, "C": 2, "D": 3}
    six = [(name, 100) for name in "ABCDEF"]
    assert list(registers.practice_batches(six, 250).values()) == [0, 0, 1, 1, 2, 2]
    assert registers.practice_batches([], 300) == {}


def add_register_people(system) -> None:
    """Besides every feed's rows, people with registers and events at each practice, so
    that every batch has person-months of every cohort."""
    add_every_feed(system)
    for number, practice in enumerate(["A00001", "A00002", "A00003", "A00004"] * 2):
        person = f"R{number}"
        system.add("patients", person, gpprac=practice, sex=str(1 + number % 2),
                   birth_month="1950-03" if number < 4 else "2024-11",
                   registered_from="2024-11-01" if number >= 4 else "2000-01-01",
                   high_risk_register="true")  # fmt: skip
        system.add("conditions", person, condition="DM", diagnosed_on="2025-09-15")
        system.add("gp_events", person, event_date="2026-02-10", code="sbp", value="120")
        system.add("gp_events", person, event_date="2026-02-10", code="dbp", value="70")
        system.add("gp_events", person, event_date="2026-01-05",
                   code="anticipatory_care_plan", value="")  # fmt: skip
        system.add("gp_events", person, event_date="2025-02-01", code="dtap_ipv_hib_hepb",
                   value="")  # fmt: skip


def units_and_values(system) -> tuple[list[tuple], object]:
    """The units table (sorted) and every published value, from one compute."""
    with open_workspace(system.settings) as connection:
        values = compute(connection, system.settings, TODAY)
        units = connection.execute("SELECT * FROM units ORDER BY ALL").fetchall()
    return units, values


def test_batches_of_practices_give_the_units_and_values_of_one_batch(system, monkeypatch):
    add_register_people(system)
    system.load()
    single_units, single_values = units_and_values(system)
    monkeypatch.setattr(registers, "PATIENTS_PER_BATCH", 1)  # every practice a batch
    batched_units, batched_values = units_and_values(system)
    register_units = [u for u in single_units if u[0] in registers.METRICS]
    assert len({u[0] for u in register_units}) >= 10  # the batches reach most indicators
    assert batched_units == single_units
    assert batched_values.equals(single_values)


def test_the_batched_statements_are_portable(system, monkeypatch):
    add_register_people(system)
    system.load()
    monkeypatch.setattr(registers, "PATIENTS_PER_BATCH", 1)
    statements = record_person_level(system.settings, TODAY)
    batch_cuts = [s for s in statements if "batch_registrations AS" in s.sql]
    assert len(batch_cuts) == 4  # one a practice
    assert report(statements) == []
