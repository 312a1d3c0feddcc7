"""Derives hospital spells from HES admitted patient care episodes, after each episode load.

A spell (a continuous stay with one provider) is made of the consultant episodes that share
a SUSSPELLID, or, where the extract has none, the same person, provider (PROCODE3) and
admission date (ADMIDATE), which every episode of a spell repeats. Only finished episodes
(EPISTAT 3) count. A spell takes its admission fields and primary diagnosis from its first
episode (lowest EPIORDER, then EPISTART, then EPIKEY), its discharge fields from its last,
and the union of all its episodes' diagnoses and procedures, in episode order. The rule and
its sources are in docs/warehouse.md ("Spells from HES episodes").

Each episode row carries its spell's id (`spell_id`, computed as it is inserted; NULL for an
unfinished episode). Derived spells go into `apc_spells`, where every indicator reads
spells, with ids `HES:S:<SUSSPELLID>` or `HES:<PROCODE3>:<person>:<ADMIDATE>` that no
spell-level file uses. `hes_spell_episodes` remembers which spell each episode was in, so
that a load re-derives only the spells it touches: those of its episodes now, and those its
revised episodes were in before (their earlier rows are gone by then).
"""

from __future__ import annotations

from etl.hes import invalid_dates_note, pseudo_practice_note
from etl.row_order import in_any_order

SPELL_KEY = """CASE WHEN epistat <> '3' THEN NULL
     WHEN susspellid IS NOT NULL THEN 'HES:S:' || susspellid
     WHEN admidate IS NOT NULL
     THEN concat('HES:', procode3, ':', person_id, ':', admidate)
END"""

MEMBERSHIP_DDL = """
CREATE TABLE IF NOT EXISTS hes_spell_episodes (
    epikey VARCHAR NOT NULL,
    spell_id VARCHAR NOT NULL,
    load_id INTEGER NOT NULL
)
"""

# The spells this load touches: those of its episodes, and those its revised episodes were
# in (from the memberships earlier loads left); their rows in apc_spells go, to be derived
# again, and the memberships are brought up to date.
TOUCHED_SQL = """
CREATE OR REPLACE TEMP TABLE touched_spells AS
SELECT DISTINCT spell_id FROM hes_apc_episodes
WHERE load_id = $load_id AND spell_id IS NOT NULL;
INSERT INTO touched_spells
SELECT DISTINCT m.spell_id FROM hes_spell_episodes m
WHERE m.epikey IN (SELECT epikey FROM hes_apc_episodes WHERE load_id = $load_id)
  AND m.spell_id NOT IN (SELECT spell_id FROM touched_spells);
DELETE FROM hes_spell_episodes
WHERE epikey IN (SELECT epikey FROM hes_apc_episodes WHERE load_id = $load_id);
DELETE FROM apc_spells WHERE spell_id IN (SELECT spell_id FROM touched_spells)
"""
TOUCHED = "spell_id IN (SELECT spell_id FROM touched_spells)"
# With no memberships yet, no spell was derived before: every finished episode is this
# load's, and every spell is new.
EVERY_SPELL = "spell_id IS NOT NULL"

MEMBERSHIP_SQL = """
INSERT INTO hes_spell_episodes
SELECT epikey, spell_id, $load_id FROM hes_apc_episodes
WHERE load_id = $load_id AND spell_id IS NOT NULL
"""

FIRST = (
    "person_id", "gpprac", "procode3", "admidate", "admimeth", "admisorc", "classpat",
    "startage", "sex", "diag_4_01", "tretspef",
)  # fmt: skip
LAST = ("disdate", "disdest")
UNITED = ("diag_4_concat", "opertn_4_concat")
ORDER = "(epiorder, epistart, epikey)"
COLUMNS = ", ".join(("spell_id", *FIRST, *LAST, *UNITED, "load_id"))
# Values the spell contract writes differently from HES: SEX 0 (not known) is 9 (not
# specified), as the contract has no 0; a spell not yet discharged has no destination
# (HES's 98, "not applicable: patient not discharged", on its last episode). `{p}` is the
# prefix naming the first or last episode.
RECODED = {
    "sex": "CASE WHEN {p}sex = '0' THEN '9' ELSE {p}sex END",
    "disdest": "CASE WHEN {p}disdate IS NULL AND {p}disdest = '98' THEN NULL ELSE {p}disdest END",
}

# Most spells have one episode, which is the spell as it stands; only the few others are
# found and aggregated, which is several times cheaper than aggregating every spell.
MULTI_SQL = """
CREATE OR REPLACE TEMP TABLE multi_episode_spells AS
SELECT spell_id FROM hes_apc_episodes WHERE {touched} GROUP BY spell_id HAVING count(*) > 1
"""
MULTI = "spell_id IN (SELECT spell_id FROM multi_episode_spells)"


def _value(name: str, prefix: str) -> str:
    return RECODED.get(name, "{p}" + name).format(p=prefix)


def _single_spells_sql(touched: str) -> str:
    values = ", ".join(_value(name, "") for name in (*FIRST, *LAST, *UNITED))
    return f"""INSERT INTO apc_spells ({COLUMNS})
        SELECT spell_id, {values}, $load_id
        FROM hes_apc_episodes WHERE {touched} AND NOT {MULTI}"""


def _codes(name: str) -> str:
    """Every episode's codes, in episode order, as one list (`codes` is sorted)."""
    joined = f"array_to_string(list_transform(codes, lambda episode: episode.{name}), ',')"
    return f"string_split({joined}, ',') AS {name}"


def _united(name: str) -> str:
    """The list of codes without blanks and repeats, the first of each kept."""
    first_seen = f"code <> '' AND list_position({name}, code) = i"
    return f"nullif(array_to_string(list_filter({name}, lambda code, i: {first_seen}), ','), '')"


def _multi_episode_spells_sql() -> str:
    first = ", ".join(f"'{name}': {name}" for name in FIRST)
    last = ", ".join(f"'{name}': {name}" for name in LAST)
    codes = ", ".join(f"'{name}': {name}" for name in UNITED)
    values = [_value(name, "f.") for name in FIRST] + [_value(name, "l.") for name in LAST]
    values += [_united(name) for name in UNITED]
    return f"""INSERT INTO apc_spells ({COLUMNS})
        SELECT spell_id, {", ".join(values)}, $load_id FROM (
          SELECT spell_id, f, l, {", ".join(_codes(name) for name in UNITED)} FROM (
            SELECT spell_id, arg_min({{{first}}}, {ORDER}) AS f,
                   arg_max({{{last}}}, {ORDER}) AS l,
                   list_sort(list({{'order': {ORDER}, {codes}}})) AS codes
            FROM hes_apc_episodes WHERE {MULTI} GROUP BY spell_id))"""


def derive_spells(connection, load_id: int) -> list[str]:
    """Re-derives the spells the episodes of `load_id` touch; returns notes for the summary."""
    # Spells have no file order to keep, and inserts that need not keep one are cheaper.
    with in_any_order(connection):
        return _derive(connection, load_id)


def _derive(connection, load_id: int) -> list[str]:
    parameters = {"load_id": load_id}
    connection.execute(MEMBERSHIP_DDL)
    touched = EVERY_SPELL
    if connection.execute("SELECT count(*) FROM hes_spell_episodes").fetchone()[0]:
        touched = TOUCHED
        for statement in TOUCHED_SQL.split(";"):
            connection.execute(statement, parameters if "$load_id" in statement else None)
    connection.execute(MEMBERSHIP_SQL, parameters)
    connection.execute(MULTI_SQL.format(touched=touched))
    spells = sum(
        connection.execute(sql, parameters).fetchone()[0]
        for sql in (_single_spells_sql(touched), _multi_episode_spells_sql())
    )
    notes = _spell_notes(connection, load_id, spells)
    notes += pseudo_practice_note(connection, "hes_apc_episodes", load_id, "episode")
    notes += invalid_dates_note(connection, "hes_apc_episodes", load_id, "episode")
    connection.execute("DROP TABLE IF EXISTS touched_spells; DROP TABLE multi_episode_spells")
    return notes


def _spell_notes(connection, load_id: int, spells: int) -> list[str]:
    finished, unfinished, unplaced = connection.execute(
        """SELECT count(*) FILTER (WHERE spell_id IS NOT NULL),
                  count(*) FILTER (WHERE epistat <> '3'),
                  count(*) FILTER (WHERE epistat = '3' AND spell_id IS NULL)
           FROM hes_apc_episodes WHERE load_id = ?""",
        [load_id],
    ).fetchone()
    notes = [f"{spells:,} spell(s) derived into apc_spells for {finished:,} finished episode(s)"]
    if unfinished:
        notes.append(f"{unfinished:,} unfinished episode(s) (EPISTAT not 3) are in no spell")
    if unplaced:
        notes.append(
            f"{unplaced:,} finished episode(s) have neither SUSSPELLID nor ADMIDATE and are "
            "in no spell"
        )
    return notes
