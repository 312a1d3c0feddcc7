"""The limit baseline for `wholesystem publish`: what DuckDB alone needs for the same input
and output.

Two steps, each run in a fresh process by `bench.measure`:

- `scan_step`: scans, once, every warehouse column that publish reads (see `metrics/people.py`,
  `metrics/base_tables.py` and `metrics/families/*.py`), grouped to the cells publish
  publishes: practice x month x person profile (sex, age band, frailty, care home, high risk
  register, deprivation decile, risk tier) for the person-level feeds (registered patients
  month by month, conditions and GP events through each person's practice and profile), and
  practice (or council) x month for spells, A&E, deaths, care home admissions, survey
  responses, population and supplied aggregates. Every read column is aggregated (`max`), so
  that DuckDB must read it; the results are materialised.
- `write_step`: copies every table of a finished snapshot into a new DuckDB file, i.e. writes
  a snapshot of the same size.

Publish ÷ (scan + write) says how far publish is from what the machine can do with its input
and output; nothing here computes an indicator.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

# One row per person: practice and profile (the inputs of the segment labels).
PERSON_CELLS_SQL = """
CREATE TEMP TABLE person_cells AS
SELECT p.person_id, p.gpprac,
       hash(p.sex, p.frailty, p.care_home_resident, p.high_risk_register, d.imd_decile,
            floor(p.risk_score * 5)) AS profile
FROM wh.patients p LEFT JOIN wh.lsoa_deprivation d ON d.lsoa_code = p.lsoa
"""

# Registered patients month by month (publish's expansion), grouped to practice x month x
# profile x five-year age band.
PATIENT_MONTHS_SQL = """
CREATE TEMP TABLE patient_cells AS
WITH spans AS (
    SELECT p.*, d.imd_decile,
           greatest(year(registered_from) * 12 + month(registered_from) - 1, {first}) AS lo,
           least(coalesce(year(registered_to) * 12 + month(registered_to) - 1, {last}), {last})
               AS hi
    FROM wh.patients p LEFT JOIN wh.lsoa_deprivation d ON d.lsoa_code = p.lsoa
),
months AS (
    SELECT *, unnest(generate_series(lo, hi)) AS month_number FROM spans WHERE hi >= lo
)
SELECT gpprac, month_number, sex, frailty, care_home_resident, high_risk_register, imd_decile,
       floor(risk_score * 5) AS risk,
       (month_number - year(birth_month) * 12 - month(birth_month) + 1) // 60 AS age_band,
       count(*) AS persons, max(person_id) AS last_person
FROM months GROUP BY ALL
"""

PERSON_FEEDS_SQL = """
CREATE TEMP TABLE condition_cells AS
SELECT c.gpprac, c.profile, date_trunc('month', k.diagnosed_on) AS month, k.condition,
       count(*) AS n, max(k.resolved_on) AS resolved
FROM wh.conditions k JOIN person_cells c USING (person_id) GROUP BY ALL;
CREATE TEMP TABLE event_cells AS
SELECT c.gpprac, c.profile, date_trunc('month', e.event_date) AS month, e.code,
       count(*) AS n, sum(e.value) AS value
FROM wh.gp_events e JOIN person_cells c USING (person_id) GROUP BY ALL;
"""

# Feeds that carry their own practice (or council): practice x month.
OTHER_FEEDS_SQL = """
CREATE TEMP TABLE spell_cells AS
SELECT gpprac, date_trunc('month', disdate) AS month, count(*) AS n, max(spell_id),
       max(person_id), max(admidate), max(admimeth), max(admisorc), max(disdest),
       max(classpat), max(startage), max(sex), max(diag_4_01), max(diag_4_concat),
       max(opertn_4_concat)
FROM wh.apc_spells GROUP BY ALL;
CREATE TEMP TABLE ae_cells AS
SELECT gpprac, date_trunc('month', arrivaldate) AS month, count(*) AS n, max(person_id),
       max(arrivalage), max(aeattendcat), max(sex)
FROM wh.ae_attendances GROUP BY ALL;
CREATE TEMP TABLE death_cells AS
SELECT gpprac, date_trunc('month', dod) AS month, count(*) AS n, max(person_id), max(sex),
       max(age)
FROM wh.deaths GROUP BY ALL;
CREATE TEMP TABLE care_home_cells AS
SELECT la_code, date_trunc('month', admission_date) AS month, count(*) AS n, max(event_id),
       max(person_id), max(permanent), max(age), max(sex)
FROM wh.care_home_admissions GROUP BY ALL;
CREATE TEMP TABLE survey_cells AS
SELECT gpprac, date_trunc('month', response_date) AS month, count(*) AS n, max(response_id),
       max(respondent), max(eq5d_version), max(eq5d_mo), max(eq5d_sc), max(eq5d_ua),
       max(eq5d_pd), max(eq5d_ad), max(coordinated_care), max(self_manage_confidence)
FROM wh.survey_responses GROUP BY ALL;
CREATE TEMP TABLE population_cells AS
SELECT practice_code, extract_date, sex, age_from, max(age_to), max(age), sum(patients)
FROM wh.population GROUP BY ALL;
CREATE TEMP TABLE supplied_cells AS
SELECT indicator_id, org_code, period_start, max(period_end), sum(numerator),
       sum(denominator)
FROM wh.aggregate_indicators GROUP BY ALL;
"""

SPAN_SQL = """
SELECT year(min(disdate)) * 12 + month(min(disdate)) - 1,
       year(max(disdate)) * 12 + month(max(disdate)) - 1
FROM wh.apc_spells
"""


def scan_step(warehouse: str) -> dict:
    """Scans the columns publish reads, grouped to the published cells; returns cell counts."""
    connection = duckdb.connect()
    try:
        connection.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
        first, last = connection.execute(SPAN_SQL).fetchone()
        connection.execute(PERSON_CELLS_SQL)
        connection.execute(PATIENT_MONTHS_SQL.format(first=int(first), last=int(last)))
        connection.execute(PERSON_FEEDS_SQL)
        connection.execute(OTHER_FEEDS_SQL)
        tables = [row[0] for row in connection.execute("SHOW TABLES").fetchall()]
        cells = {t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        connection.close()
    return {"cells": sum(cells.values()), "by_table": cells}


def write_step(snapshot: str, out: str) -> dict:
    """Copies every table of the snapshot into a new DuckDB file at `out`; returns its size."""
    Path(out).unlink(missing_ok=True)
    connection = duckdb.connect(out)
    try:
        connection.execute(f"ATTACH '{snapshot}' AS snap (READ_ONLY)")
        tables = connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'snap'"
        ).fetchall()
        rows = 0
        for schema, table in tables:
            connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            connection.execute(
                f'CREATE TABLE "{schema}"."{table}" AS SELECT * FROM snap."{schema}"."{table}"'
            )
            rows += connection.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]
        connection.execute("DETACH snap")
        connection.execute("CHECKPOINT")
    finally:
        connection.close()
    return {"tables": len(tables), "rows": rows, "bytes": Path(out).stat().st_size}
