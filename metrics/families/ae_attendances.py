"""A&E attendances of care home residents (Airedale), from ae_attendances and patients.

An attendance counts when the person is flagged as a care home resident in the patient
index (the flag the denominator counts by) and was registered with a practice on the day
of arrival: the attendance is attributed to that practice, so numerator and denominator
place each resident alike. The attendance's own GPPRAC is not used, since HES records a
pseudo practice (V81997-V81999) or `&` where the practice is not known. Planned follow-up
attendances (AEATTENDCAT 2) are not counted: a return booked by the department is not the
unplanned use that support to care homes aims to avoid. An attendance with no arrival date
(HES sentinel dates) cannot be placed in a month and is not counted.
"""

from __future__ import annotations

from metrics.base_tables import age_sql
from metrics.families import insert_by_profile
from metrics.people import has_table

METRICS = ("ae_attendances_care_home_residents",)
PLANNED_FOLLOW_UP = "2"

RESIDENT_ATTENDANCES_SQL = f"""
SELECT 'ae_attendances_care_home_residents', date_trunc('month', a.arrivaldate)::DATE,
       p.gpprac, NULL, a.person_id,
       coalesce(a.arrivalage, {age_sql("p.birth_month", "a.arrivaldate")}),
       p.sex, 1.0, NULL, NULL
FROM ae_attendances a
JOIN patients p
  ON p.person_id = a.person_id AND p.care_home_resident
 AND p.registered_from <= a.arrivaldate
 AND (p.registered_to IS NULL OR p.registered_to >= a.arrivaldate)
WHERE a.arrivaldate <= $last_day
  AND a.aeattendcat IS DISTINCT FROM '{PLANNED_FOLLOW_UP}'
"""


def insert_units(connection, context) -> None:
    """Inserts one unit per counted attendance, added up by person profile."""
    # A warehouse created before the feed existed has no ae_attendances table until its next
    # load creates the schema; it then simply has no attendances.
    if not has_table(connection, "ae_attendances"):
        return
    insert_by_profile(connection, RESIDENT_ATTENDANCES_SQL, {"last_day": context.last_day})
