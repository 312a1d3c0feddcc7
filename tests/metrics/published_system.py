"""A small end-of-life system for the publish, export and disclosure tests.

Every death is on 15 February 2026; each admission is an emergency spell in the 100 days
before it, so nel_last_100_days (emergency admissions per 100 deaths) is, in February:

    practice  network  deaths  ages                admissions
    A00001    U00001   10      80                  2 each = 20
    A00002    U00001    3      50, 50, 90          0          (3 deaths: suppressed)
    A00003    U00002   12      90                  1 each = 12
    A00004    U00003    9      80                  1 each =  9

January and March have no deaths (0 of 0). Person and spell ids start `EOL`, so a scan of
the snapshot for them finds nothing else by chance.
"""

from __future__ import annotations

MONTHS = ("2026-01", "2026-02", "2026-03")  # as the `system` fixture
DEATH_DAY = "2026-02-15"
# (practice, deaths, age of each, admissions of each)
DEATHS = (
    ("A00001", 10, (80,) * 10, 2),
    ("A00002", 3, (50, 50, 90), 0),
    ("A00003", 12, (90,) * 12, 1),
    ("A00004", 9, (80,) * 9, 1),
)
ADMISSION_DAYS = ("2026-01-10", "2026-02-01")


def add_deaths(system) -> tuple[list[str], list[str]]:
    """Adds the deaths and admissions above to a fixture system; returns (person ids,
    spell ids)."""
    people, spells = [], []
    for practice, count, ages, admissions in DEATHS:
        for number in range(count):
            person = f"EOL{practice}P{number:02d}"
            people.append(person)
            system.add(
                "deaths", person, gpprac=practice, dod=DEATH_DAY, age=str(ages[number]),
            )  # fmt: skip
            for day in ADMISSION_DAYS[:admissions]:
                spell = f"EOL{practice}S{number:02d}{day[5:7]}"
                spells.append(spell)
                system.add(
                    "apc_spells", spell, person_id=person, gpprac=practice, admidate=day,
                    disdate=day, startage=str(ages[number]), sex="2",
                )  # fmt: skip
    return people, spells
