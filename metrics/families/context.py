"""Context measures for fair comparison: population, age, deprivation, prevalence, frailty.

These are not judged (no polarity) and not cut by segment. They are counted straight to
practice-month totals: the population feed for population and age, registrations at each
month end for the rest.
"""

from __future__ import annotations

from metrics.families import INSERT_UNITS

METRICS = (
    "registered_population", "pct_aged_65plus", "pct_aged_75plus", "pct_imd_q1", "pct_imd_q2",
    "pct_imd_q3", "pct_imd_q4", "pct_imd_q5", "prevalence_dm", "prevalence_copd",
    "prevalence_hf", "prevalence_dem", "pct_frailty_moderate_severe", "pct_high_risk_register",
)  # fmt: skip

POPULATION_SQL = (
    INSERT_UNITS
    + """)
WITH totals AS (
    SELECT month, practice_code, sum(patients) AS everyone,
           sum(patients * greatest(0, age_to - greatest(age_from, 65) + 1)
               / (age_to - age_from + 1)) AS aged_65,
           sum(patients * greatest(0, age_to - greatest(age_from, 75) + 1)
               / (age_to - age_from + 1)) AS aged_75
    FROM population_months GROUP BY ALL
)
SELECT unit.m, month, practice_code, NULL, NULL, NULL, NULL, unit.n, unit.d, NULL
FROM (SELECT *, unnest([
    {'m': 'registered_population', 'n': everyone, 'd': NULL::DOUBLE},
    {'m': 'pct_aged_65plus', 'n': aged_65, 'd': everyone},
    {'m': 'pct_aged_75plus', 'n': aged_75, 'd': everyone}
]) AS unit FROM totals)
"""
)

REGISTERED_SQL = (
    INSERT_UNITS
    + """)
WITH labelled AS (
    SELECT q.*, p.labels FROM profile_pop q LEFT JOIN profiles p USING (profile_id)
),
totals AS (
    SELECT month, gpprac, sum(persons) AS everyone,
           coalesce(sum(persons) FILTER (list_has_any(labels, {quintile_labels})), 0) AS known_imd,
           {quintiles},
           coalesce(sum(persons) FILTER (age_lo >= 65), 0) AS aged_65,
           coalesce(sum(persons) FILTER (age_lo >= 65 AND list_has_any(
               labels, ['frailty:moderate', 'frailty:severe'])), 0) AS frail,
           coalesce(sum(persons) FILTER (high_risk), 0) AS high_risk
    FROM labelled GROUP BY ALL
)
SELECT unit.m, month, gpprac, NULL, NULL, NULL, NULL, unit.n, unit.d, NULL
FROM (SELECT *, unnest([
    {imd_units},
    {{'m': 'pct_frailty_moderate_severe', 'n': frail, 'd': aged_65}},
    {{'m': 'pct_high_risk_register', 'n': high_risk, 'd': everyone}}
]) AS unit FROM totals)
"""
)

# Counted from register_months, which expands only the people on a register month by month.
PREVALENCE_SQL = (
    INSERT_UNITS
    + """)
WITH registered AS (
    SELECT month, gpprac, sum(persons) AS everyone FROM profile_pop GROUP BY ALL
),
on_register AS (
    SELECT month, gpprac, condition, count(DISTINCT person_id) AS people
    FROM register_months WHERE condition IN ('DM', 'COPD', 'HF', 'DEM')
    GROUP BY ALL
)
SELECT 'prevalence_' || lower(c.condition), g.month, g.gpprac, NULL, NULL, NULL, NULL,
       coalesce(o.people, 0), g.everyone, NULL
FROM registered g
CROSS JOIN (SELECT unnest(['DM', 'COPD', 'HF', 'DEM']) AS condition) c
LEFT JOIN on_register o USING (month, gpprac, condition)
"""
)


def insert_units(connection, context) -> None:
    """Inserts practice-month totals for every context measure."""
    connection.execute(POPULATION_SQL)
    labels = [f"'deprivation:q{q}'" for q in range(1, 6)]
    quintiles = ",\n           ".join(
        f"coalesce(sum(persons) FILTER (list_contains(labels, {label})), 0) AS q{q}"
        for q, label in enumerate(labels, start=1)
    )
    imd_units = ",\n    ".join(
        f"{{'m': 'pct_imd_q{q}', 'n': q{q}, 'd': known_imd}}" for q in range(1, 6)
    )
    connection.execute(
        REGISTERED_SQL.format(
            quintile_labels="[" + ", ".join(labels) + "]", quintiles=quintiles, imd_units=imd_units
        )
    )
    connection.execute(PREVALENCE_SQL)
