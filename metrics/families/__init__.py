"""SQL families: each turns warehouse tables into `units` rows for the indicators it makes.

A unit is a count at its finest grain: one spell, one death, one person at a month end,
or (for context measures) a practice-month total. Every family inserts rows of the same
shape (see UNITS_COLUMNS); `metrics.cells` then attributes them to the hierarchy and cuts
them by segment, the same way for every indicator.
"""

from __future__ import annotations

from metrics.people import age_class_sql, age_key_sql

# A unit's columns but its profile: what a family selects person by person (and what the
# units cache keeps), before metrics.families.insert_by_profile adds it up by profile.
PERSON_UNIT_COLUMNS = {
    "metric_id": "VARCHAR", "month": "DATE", "gpprac": "VARCHAR", "la_code": "VARCHAR",
    "person_id": "VARCHAR", "age": "INTEGER", "sex": "VARCHAR", "num": "DOUBLE",
    "den": "DOUBLE", "sumsq": "DOUBLE",
}  # fmt: skip
PERSON_UNIT_FIELDS = ", ".join(PERSON_UNIT_COLUMNS)
UNITS_COLUMNS = ", ".join(
    f"{name} {kind}" for name, kind in {**PERSON_UNIT_COLUMNS, "profile_id": "INTEGER"}.items()
)
INSERT_UNITS = f"INSERT INTO units ({PERSON_UNIT_FIELDS}"
EMERGENCY = "('21', '22', '23', '24', '25', '28', '2A', '2B', '2C', '2D')"
ELECTIVE = "('11', '12', '13')"
CARE_HOME_CODES = "('54', '65', '85')"
TRANSFERS = "('51', '52', '53')"

# Person-level rows added up by profile before they are stored: the many people-months of a
# register, or the many spells, become one row per month, practice, age class, sex and
# profile. An age class is the lower bound of its age band segment, which is all
# unstandardised indicators need of age.
BY_PROFILE_SQL = f"""
INSERT INTO units
SELECT u.metric_id, u.month, u.gpprac, u.la_code, NULL, {{age}} AS age, u.sex, sum(u.num),
       sum(u.den),
       sum(u.sumsq), pp.profile_id
FROM ({{select}}) u({PERSON_UNIT_FIELDS})
LEFT JOIN person_profiles pp USING (person_id)
GROUP BY ALL
"""


def on_register_at_month_end(months: str, registrations: str = "registrations") -> str:
    """The joins that put each condition row `c` of a person in `registrations r` (or a cut
    of it) at every month end of `months m` (a table with month_number and month_end) while
    registered and on the register (diagnosed by then, not resolved by then)."""
    return f"""JOIN {registrations} r ON r.person_id = c.person_id
    JOIN {months} m
      ON m.month_number BETWEEN r.first_number AND r.last_number
     AND c.diagnosed_on <= m.month_end
     AND (c.resolved_on IS NULL OR c.resolved_on > m.month_end)"""


def insert_by_profile(
    connection, select: str, parameters: dict | None = None, *, standardised: bool = False
) -> None:
    """Inserts the rows of `select` (units columns but profile_id) added up by profile.

    Ages are kept as their age band segment's lower bound, or, for `standardised` families,
    as the finer metrics.people.age_key_sql, which standardisation's five-year bands need.
    """
    age = age_key_sql("u.age") if standardised else age_class_sql("u.age")
    sql = BY_PROFILE_SQL.format(select=select, age=age)
    connection.execute(sql, parameters)
