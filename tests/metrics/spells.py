"""Helpers shared by the hospital-spell tests: add a spell, compute with a clean load."""

from __future__ import annotations

from tests.etl.rows import quarantine


def spell(system, spell_id: str, **fields) -> None:
    """Adds a spell (apc_row defaults: emergency, classpat 1, age 80) at practice A00001."""
    fields.setdefault("gpprac", "A00001")
    system.add("apc_spells", spell_id, **fields)


def computed(system):
    """Computes the system, checking first that no row was quarantined on the way in."""
    frame = system.compute()
    assert quarantine(system.settings) == []
    return frame
