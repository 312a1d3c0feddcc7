"""Permanent admissions to care homes (ASCOF 2A/2C style), from care_home_admissions.

A person counts once, at their first permanent admission: a later move between residential
and nursing care is not a new admission. The admission is attributed to the practice the
person was registered with on the day. Records the council could not match to a person
(or to a registration) carry no practice, so they count at area and system level only,
placed by la_code.
"""

from __future__ import annotations

from metrics.families import INSERT_UNITS

METRICS = ("care_home_admissions_65plus", "care_home_admissions_18_64")

CARE_HOME_UNITS_SQL = (
    INSERT_UNITS
    + """)
WITH ordered AS (
    SELECT person_id, admission_date, la_code, age, sex,
           row_number() OVER (PARTITION BY person_id ORDER BY admission_date, event_id)
               AS admission_order
    FROM care_home_admissions WHERE permanent AND person_id IS NOT NULL
),
firsts AS (
    SELECT person_id, admission_date, la_code, age, sex FROM ordered WHERE admission_order = 1
    UNION ALL
    SELECT person_id, admission_date, la_code, age, sex FROM care_home_admissions
    WHERE permanent AND person_id IS NULL
),
placed AS (
    SELECT f.*, p.gpprac FROM firsts f
    LEFT JOIN patients p
      ON p.person_id = f.person_id AND p.registered_from <= f.admission_date
     AND (p.registered_to IS NULL OR p.registered_to >= f.admission_date)
)
SELECT CASE WHEN age >= 65 THEN 'care_home_admissions_65plus'
            ELSE 'care_home_admissions_18_64' END,
       date_trunc('month', admission_date)::DATE, gpprac, la_code,
       CASE WHEN gpprac IS NOT NULL THEN person_id END, age, sex, 1.0, NULL, NULL
FROM placed
WHERE age >= 18 AND admission_date <= $last_day
"""
)


def insert_units(connection, context) -> None:
    """Inserts one unit per first permanent admission of someone aged 18 or over."""
    connection.execute(CARE_HOME_UNITS_SQL, {"last_day": context.last_day})
