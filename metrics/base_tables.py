"""Tables every family shares: indicator properties, monthly population, registrations.

`population_months` gives each covered month the latest NHS Digital extract on or before
its end (METRICS.md, "Population denominators"). `registered_months` is a view of every
person registered at each month end, with age in whole years then.
"""

from __future__ import annotations

import pandas as pd

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

# Age in whole years at a month's end, from the month of birth.
AGE_MACRO = """
CREATE OR REPLACE TEMP MACRO age_at(birth_month, month) AS
    (year(month) * 12 + month(month) - year(birth_month) * 12 - month(birth_month)) // 12
"""

# Month by month from the month index (year * 12 + month - 1): a person is registered at a
# month end when registered_from is on or before it and registered_to (if any) on or after.
MONTH_INDEX_MACRO = """
CREATE OR REPLACE TEMP MACRO month_index(d) AS year(d) * 12 + month(d) - 1
"""

REGISTERED_SQL = """
CREATE OR REPLACE TEMP VIEW registered_months AS
WITH spans AS (
    SELECT p.*,
           greatest(month_index(p.registered_from), {first_index}) AS first_index,
           least(CASE WHEN p.registered_to IS NULL THEN {last_index}
                      ELSE month_index(p.registered_to) - 1
                           + (p.registered_to = last_day(p.registered_to))::INTEGER END,
                 {last_index}) AS last_index
    FROM patients p
),
expanded AS (
    SELECT *, unnest(generate_series(first_index, last_index)) AS month_number
    FROM spans WHERE last_index >= first_index
)
SELECT make_date((month_number // 12)::INTEGER, (month_number % 12 + 1)::INTEGER, 1) AS month,
       last_day(make_date((month_number // 12)::INTEGER, (month_number % 12 + 1)::INTEGER, 1))
           AS month_end,
       person_id, gpprac, sex, birth_month, frailty, high_risk_register, care_home_resident, lsoa,
       ((month_number - month_index(birth_month)) // 12)::INTEGER AS age
FROM expanded
"""


# People on each QOF register at each month end while registered with a practice. Joining
# the registers first keeps the month-by-month expansion to the people on them.
REGISTER_MONTHS_SQL = """
CREATE OR REPLACE TEMP VIEW register_months AS
SELECT m.month, m.month_end, c.condition, c.diagnosed_on, p.person_id, p.gpprac, p.sex,
       p.frailty, age_at(p.birth_month, m.month) AS age
FROM conditions c
JOIN patients p USING (person_id)
JOIN months m
  ON c.diagnosed_on <= m.month_end AND (c.resolved_on IS NULL OR c.resolved_on > m.month_end)
 AND p.registered_from <= m.month_end
 AND (p.registered_to IS NULL OR p.registered_to >= m.month_end)
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
    """Creates metric_props, population_months and the registered_months view."""
    frame = props_frame(registry)  # noqa: F841 - read by DuckDB below
    connection.execute(METRIC_PROPS_SQL.replace("props_frame", "frame"))
    connection.execute(POPULATION_MONTHS_SQL)
    connection.execute(AGE_MACRO)
    connection.execute(MONTH_INDEX_MACRO)
    first, last = connection.execute(
        "SELECT month_index(min(month)), month_index(max(month)) FROM months"
    ).fetchone()
    connection.execute(REGISTERED_SQL.format(first_index=int(first), last_index=int(last)))
    connection.execute(REGISTER_MONTHS_SQL)
