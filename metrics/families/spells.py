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
from metrics.base_tables import month_number_sql
from metrics.families import CARE_HOME_CODES, ELECTIVE, EMERGENCY, TRANSFERS, insert_by_profile

METRICS = (
    "bed_days", "bed_days_elective", "bed_days_emergency", "emergency_bed_days_65plus",
    "acsc_bed_days", "emergency_admissions", "acsc_chronic", "acsc_all",
    "admissions_from_care_homes", "mean_los_emergency", "discharge_to_care_home_from_home",
    "readmission_30d_75plus",
)  # fmt: skip
# The ages are kept as metrics.people.age_key_sql, as these indicators are standardised.
STANDARDISED = True

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

# Each spell crossed with the indicators it may count towards; `counts` says whether it
# does, `d` is the day that places it in a month and `n` its numerator.
SPELL_UNITS_SQL = """
WITH tagged AS (
    SELECT s.*, r.spell_id IS NOT NULL AS readmitted, k.m,
        CASE k.m
            WHEN 'emergency_admissions' THEN emergency
            WHEN 'acsc_chronic' THEN acsc_eligible AND acsc_chronic_dx
            WHEN 'acsc_all' THEN acsc_eligible AND acsc_all_dx
            WHEN 'admissions_from_care_homes' THEN emergency AND admisorc IN {care_homes}
            WHEN 'mean_los_emergency' THEN emergency AND disdate IS NOT NULL
            WHEN 'discharge_to_care_home_from_home' THEN disdate IS NOT NULL AND startage >= 65
            ELSE disdate IS NOT NULL AND startage >= 75 AND coalesce(disdest, '') <> '79'
        END AS counts,
        CASE WHEN k.m IN ('mean_los_emergency', 'discharge_to_care_home_from_home',
                          'readmission_30d_75plus') THEN disdate ELSE admidate END AS d,
        CASE k.m
            WHEN 'mean_los_emergency' THEN CAST(datediff('day', admidate, disdate) AS DOUBLE)
            WHEN 'discharge_to_care_home_from_home'
                THEN CAST(CAST(admisorc = '19' AND disdest IN {care_homes} AS INTEGER)
                          AS DOUBLE)
            WHEN 'readmission_30d_75plus' THEN NULL
            ELSE 1.0
        END AS n
    FROM flagged_spells s
    LEFT JOIN readmitted r ON r.spell_id = s.spell_id
    CROSS JOIN (VALUES ('emergency_admissions'), ('acsc_chronic'), ('acsc_all'),
                       ('admissions_from_care_homes'), ('mean_los_emergency'),
                       ('discharge_to_care_home_from_home'), ('readmission_30d_75plus'))
        AS k(m)
)
SELECT m, CAST(date_trunc('month', d) AS DATE), gpprac, NULL, person_id, startage, sex,
       CASE WHEN m = 'readmission_30d_75plus'
            THEN CASE WHEN readmitted THEN 1.0 ELSE 0.0 END ELSE n END,
       CASE WHEN m IN ('mean_los_emergency', 'discharge_to_care_home_from_home',
                       'readmission_30d_75plus') THEN 1.0 END,
       CASE WHEN m = 'mean_los_emergency' THEN n * n END
FROM tagged
WHERE counts AND d <= $last_day
"""

# The nights of each stay in each covered month it touches, under every bed-day indicator
# the spell counts towards.
BED_DAY_UNITS_SQL = f"""
WITH stays AS (
    SELECT *, coalesce(disdate, $last_day + 1) AS night_end FROM flagged_spells
    WHERE classpat <> '2' AND coalesce(disdate, $last_day + 1) > admidate
),
nights AS (
    SELECT s.*, m.month,
           CAST(datediff('day', greatest(s.admidate, m.month),
                         least(s.night_end, m.month_end + 1)) AS DOUBLE) AS nights
    FROM stays s
    JOIN month_numbers m
      ON m.month_number BETWEEN {month_number_sql("s.admidate")}
                            AND {month_number_sql("s.night_end - 1")}
)
SELECT k.metric_id, month, gpprac, NULL, person_id, startage, sex, nights, NULL, NULL
FROM nights
CROSS JOIN (VALUES ('bed_days'), ('bed_days_elective'), ('bed_days_emergency'),
                   ('emergency_bed_days_65plus'), ('acsc_bed_days')) AS k(metric_id)
WHERE CASE k.metric_id
          WHEN 'bed_days' THEN true
          WHEN 'bed_days_elective' THEN elective
          WHEN 'bed_days_emergency' THEN emergency
          WHEN 'emergency_bed_days_65plus' THEN emergency AND startage >= 65
          ELSE acsc_eligible AND acsc_all_dx
      END
"""


def insert_units(connection, context) -> None:
    """Inserts the spells family's units for the months up to context.last_day."""
    prepare_person_units(connection, context)
    for select, parameters in person_unit_selects(context):
        insert_by_profile(connection, select, parameters, standardised=STANDARDISED)
    # Temporary tables are held in memory to the end of the publish: a row per spell.
    connection.execute("DROP TABLE flagged_spells; DROP TABLE readmitted")


def prepare_person_units(connection, context) -> None:
    """Creates the temporary tables the unit selects read: flagged_spells and readmitted."""
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


def person_unit_selects(context) -> list[tuple[str, dict]]:
    """The selects of the family's units person by person (units columns but profile_id),
    each with its parameters. Each spell's units depend only on its person's spells."""
    parameters = {"last_day": context.last_day}
    spell_units = SPELL_UNITS_SQL.format(care_homes=CARE_HOME_CODES)
    return [(spell_units, parameters), (BED_DAY_UNITS_SQL, parameters)]
