"""Hospital activity from apc_spells: bed days, admissions, ACSC, length of stay, discharges.

The diagnosis rules are evaluated once per spell into a compact table of flags; one pass
over it then tags each spell with the indicators it counts towards (a list of structs,
unnested), so ten indicators cost one scan; the units are added up by person profile as
they are stored, since spells are many and profiles few. Bed days are split over the months
their nights fall in (METRICS.md, "Bed days"): the nights of [admidate, disdate), none for
a day case (classpat 2, or discharge on the day of admission), and an open spell counts
to the end of the last month covered.
"""

from __future__ import annotations

from metrics.acsc import acsc_all_sql, acsc_chronic_sql
from metrics.families import CARE_HOME_CODES, ELECTIVE, EMERGENCY, TRANSFERS, insert_by_profile

METRICS = (
    "bed_days", "bed_days_elective", "bed_days_emergency", "emergency_bed_days_65plus",
    "acsc_bed_days", "emergency_admissions", "acsc_chronic", "acsc_all",
    "admissions_from_care_homes", "mean_los_emergency", "discharge_to_care_home_from_home",
    "readmission_30d_75plus",
)  # fmt: skip

FLAGGED_SQL = """
CREATE OR REPLACE TEMP TABLE flagged_spells AS
SELECT spell_id, person_id, gpprac, admidate, disdate, admisorc, disdest, classpat, startage,
       sex,
       admimeth IN {emergency} AS emergency,
       admimeth IN {elective} AS elective,
       admimeth IN {emergency} AND classpat = '1' AND coalesce(admisorc, '') NOT IN {transfers}
           AND startage BETWEEN 0 AND 120 AND sex IN ('1', '2') AS acsc_eligible,
       {acsc_chronic} AS acsc_chronic_dx,
       {acsc_all} AS acsc_all_dx
FROM (SELECT *, left(diag_4_01, 3) AS p3, left(diag_4_01, 4) AS p4 FROM apc_spells) s
"""

# A discharge of someone 75+, alive, followed by an emergency spell (not a transfer) of the
# same person starting 0-30 days after it.
READMITTED_SQL = """
CREATE OR REPLACE TEMP TABLE readmitted AS
SELECT DISTINCT d.spell_id
FROM flagged_spells d
JOIN flagged_spells r
  ON r.person_id = d.person_id AND r.spell_id <> d.spell_id
 AND r.admidate BETWEEN d.disdate AND d.disdate + 30 AND r.admidate >= d.admidate
WHERE d.startage >= 75 AND d.disdate IS NOT NULL AND coalesce(d.disdest, '') <> '79'
  AND r.emergency AND coalesce(r.admisorc, '') NOT IN {transfers}
"""

SPELL_UNITS_SQL = """
WITH tagged AS (
    SELECT s.*, r.spell_id IS NOT NULL AS readmitted, unnest(list_filter([
        CASE WHEN emergency THEN {{'m': 'emergency_admissions', 'd': admidate, 'n': 1.0}} END,
        CASE WHEN acsc_eligible AND acsc_chronic_dx
             THEN {{'m': 'acsc_chronic', 'd': admidate, 'n': 1.0}} END,
        CASE WHEN acsc_eligible AND acsc_all_dx
             THEN {{'m': 'acsc_all', 'd': admidate, 'n': 1.0}} END,
        CASE WHEN emergency AND admisorc IN {care_homes}
             THEN {{'m': 'admissions_from_care_homes', 'd': admidate, 'n': 1.0}} END,
        CASE WHEN emergency AND disdate IS NOT NULL
             THEN {{'m': 'mean_los_emergency', 'd': disdate, 'n': (disdate - admidate)::DOUBLE}}
        END,
        CASE WHEN disdate IS NOT NULL AND startage >= 65
             THEN {{'m': 'discharge_to_care_home_from_home', 'd': disdate,
                   'n': (admisorc = '19' AND disdest IN {care_homes})::INTEGER::DOUBLE}} END,
        CASE WHEN disdate IS NOT NULL AND startage >= 75 AND coalesce(disdest, '') <> '79'
             THEN {{'m': 'readmission_30d_75plus', 'd': disdate, 'n': NULL::DOUBLE}} END
    ], lambda unit: unit IS NOT NULL)) AS unit
    FROM flagged_spells s LEFT JOIN readmitted r USING (spell_id)
)
SELECT unit.m, date_trunc('month', unit.d)::DATE, gpprac, NULL, person_id, startage, sex,
       CASE WHEN unit.m = 'readmission_30d_75plus' THEN readmitted::INTEGER::DOUBLE
            ELSE unit.n END,
       CASE WHEN unit.m IN ('mean_los_emergency', 'discharge_to_care_home_from_home',
                            'readmission_30d_75plus') THEN 1.0 END,
       CASE WHEN unit.m = 'mean_los_emergency' THEN unit.n * unit.n END
FROM tagged
WHERE unit.d <= $last_day
"""

BED_DAY_UNITS_SQL = """
WITH stays AS (
    SELECT *, coalesce(disdate, $last_day + 1) AS night_end,
           unnest(generate_series(date_trunc('month', admidate),
                                  date_trunc('month', coalesce(disdate, $last_day + 1) - 1),
                                  INTERVAL 1 MONTH))::DATE AS month
    FROM flagged_spells
    WHERE classpat <> '2' AND coalesce(disdate, $last_day + 1) > admidate
),
nights AS (
    SELECT *, (least(night_end, (month + INTERVAL 1 MONTH)::DATE)
               - greatest(admidate, month))::DOUBLE AS nights,
           unnest(list_filter([
               'bed_days',
               CASE WHEN elective THEN 'bed_days_elective' END,
               CASE WHEN emergency THEN 'bed_days_emergency' END,
               CASE WHEN emergency AND startage >= 65 THEN 'emergency_bed_days_65plus' END,
               CASE WHEN acsc_eligible AND acsc_all_dx THEN 'acsc_bed_days' END
           ], lambda metric: metric IS NOT NULL)) AS metric_id
    FROM stays
)
SELECT metric_id, month, gpprac, NULL, person_id, startage, sex, nights, NULL, NULL
FROM nights WHERE month <= $last_day
"""


def insert_units(connection, context) -> None:
    """Inserts the spells family's units for the months up to context.last_day."""
    connection.execute(
        FLAGGED_SQL.format(
            emergency=EMERGENCY,
            elective=ELECTIVE,
            transfers=TRANSFERS,
            acsc_chronic=acsc_chronic_sql(),
            acsc_all=acsc_all_sql(),
        )  # fmt: skip
    )
    connection.execute(READMITTED_SQL.format(transfers=TRANSFERS))
    parameters = {"last_day": context.last_day}
    spell_units = SPELL_UNITS_SQL.format(care_homes=CARE_HOME_CODES)
    insert_by_profile(connection, spell_units, parameters, standardised=True)
    insert_by_profile(connection, BED_DAY_UNITS_SQL, parameters, standardised=True)
