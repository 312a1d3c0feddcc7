"""Tables every family shares: indicator properties, monthly population, registrations.

`population_months` gives each covered month the latest NHS Digital extract on or before
its end (METRICS.md, "Population denominators"). `registrations` gives each patient the
range of covered month ends at which they are registered, as month numbers, so families
expand only the people they count, and only as far as they need (metrics.people).
"""

from __future__ import annotations

import pandas as pd


def month_number_sql(day: str) -> str:
    """Returns SQL for the month number (year * 12 + month - 1) of the date `day`."""
    return f"(year({day}) * 12 + month({day}) - 1)"


def age_sql(birth_month: str, month: str) -> str:
    """Returns SQL for the age in whole years at `month` of someone born in `birth_month`
    (both dates; only their months count)."""
    months = f"({month_number_sql(month)} - {month_number_sql(birth_month)})"
    return f"CAST(floor({months} / 12) AS INTEGER)"


METRIC_PROPS_SQL = """
CREATE OR REPLACE TABLE metric_props AS
SELECT metric_id, family, accumulate, denominator_kind, age_lo, coalesce(age_hi, 120) AS age_hi,
       method, standardise, segment_kinds, polarity, isr
FROM props_frame
"""

POPULATION_MONTHS_SQL = """
CREATE OR REPLACE TABLE population_months AS
WITH extracts AS (
    SELECT m.month, max(e.extract_date) AS extract_date
    FROM months m JOIN (SELECT DISTINCT extract_date FROM population) e
      ON e.extract_date <= m.month_end
    GROUP BY m.month
)
SELECT x.month, p.practice_code, CASE p.sex WHEN 'M' THEN '1' WHEN 'F' THEN '2' END AS sex,
       p.age_from, coalesce(p.age_to, 120) AS age_to, p.patients::DOUBLE AS patients
FROM extracts x JOIN population p USING (extract_date)
"""

# Month numbers (year * 12 + month - 1) of the covered months: registrations and ages are
# whole months apart, so months can be counted and joined as integers.
MONTH_NUMBERS_SQL = f"""
CREATE OR REPLACE TABLE month_numbers AS
SELECT month, month_end, {month_number_sql("month")} AS month_number FROM months
"""

# The first and last month number at which each person is registered at the month end
# (registered_to on or after it), within the months covered; registered_from and the
# month of birth as month numbers too, and the person's profile (metrics.people builds this
# once profiles exist). A person registered at no covered month end has
# first_number > last_number.
REGISTRATIONS_SQL = f"""
CREATE OR REPLACE TABLE registrations AS
WITH bounds AS (
    SELECT min(month_number) AS first_number, max(month_number) AS last_number
    FROM month_numbers
)
SELECT p.person_id, pp.profile_id, p.gpprac, p.sex, p.frailty, p.high_risk_register,
       p.care_home_resident, p.birth_month, {month_number_sql("p.birth_month")} AS birth_number,
       greatest({month_number_sql("p.registered_from")}, b.first_number) AS first_number,
       least(CASE WHEN p.registered_to IS NULL THEN b.last_number
                  ELSE {month_number_sql("p.registered_to")} - 1
                       + CASE WHEN p.registered_to = last_day(p.registered_to) THEN 1 ELSE 0 END
             END, b.last_number) AS last_number
FROM patients p
LEFT JOIN person_profiles pp ON pp.person_id = p.person_id
CROSS JOIN bounds b
"""


def props_frame(registry) -> pd.DataFrame:
    """Returns one row per indicator with the properties the SQL needs."""
    return pd.DataFrame(
        [
            {
                "metric_id": indicator.id,
                "family": indicator.family,
                "accumulate": indicator.accumulate,
                "denominator_kind": indicator.denominator_kind,
                "age_lo": indicator.ages[0],
                "age_hi": indicator.ages[1],
                "method": indicator.method,
                "standardise": indicator.method == "dsr" or indicator.isr,
                "segment_kinds": list(indicator.segments),
                "polarity": indicator.polarity,
                "isr": indicator.isr,
            }  # fmt: skip
            for indicator in registry.values()
        ]
    ).astype({"age_hi": "Int64"})


def build_base_tables(connection, registry) -> None:
    """Creates metric_props, population_months and month_numbers."""
    connection.register("props_frame", props_frame(registry))
    connection.execute(METRIC_PROPS_SQL)
    connection.unregister("props_frame")
    connection.execute(POPULATION_MONTHS_SQL)
    connection.execute(MONTH_NUMBERS_SQL)
