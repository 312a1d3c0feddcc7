"""Context measures for fair comparison: population, age, deprivation, prevalence, frailty.

These are not judged (no polarity) and not cut by segment. They are counted straight to
practice-month totals: the population feed for population and age, registrations at each
month end for the rest.
"""

from __future__ import annotations

from metrics.families import INSERT_UNITS, on_register_at_month_end

METRICS = (
    "registered_population", "pct_aged_65plus", "pct_aged_75plus", "pct_imd_q1", "pct_imd_q2",
    "pct_imd_q3", "pct_imd_q4", "pct_imd_q5", "prevalence_dm", "prevalence_copd",
    "prevalence_hf", "prevalence_dem", "pct_frailty_moderate_severe", "pct_high_risk_register",
)  # fmt: skip
QUINTILES = range(1, 6)

# Each practice-month total becomes a unit per measure: a small fixed list of measures
# crossed with the totals, each picking its own numerator and denominator.
POPULATION_SQL = (
    INSERT_UNITS
    + """)
WITH totals AS (
    SELECT month, practice_code, sum(patients) AS everyone,
           sum(patients * greatest(0, age_to - greatest(age_from, 65) + 1)
               / (age_to - age_from + 1)) AS aged_65,
           sum(patients * greatest(0, age_to - greatest(age_from, 75) + 1)
               / (age_to - age_from + 1)) AS aged_75
    FROM population_months GROUP BY month, practice_code
)
SELECT u.metric_id, t.month, t.practice_code, NULL, NULL, NULL, NULL,
       CASE u.metric_id WHEN 'registered_population' THEN everyone
                        WHEN 'pct_aged_65plus' THEN aged_65 ELSE aged_75 END,
       CASE WHEN u.metric_id <> 'registered_population' THEN everyone END, NULL
FROM totals t
CROSS JOIN (VALUES ('registered_population'), ('pct_aged_65plus'), ('pct_aged_75plus'))
    AS u(metric_id)
"""
)

REGISTERED_SQL = (
    INSERT_UNITS
    + """)
WITH labelled AS (
    SELECT q.*, p.deprivation, p.frailty
    FROM profile_pop q LEFT JOIN profiles p ON p.profile_id = q.profile_id
),
totals AS (
    SELECT month, gpprac, sum(persons) AS everyone,
           coalesce(sum(persons) FILTER (WHERE deprivation IS NOT NULL), 0) AS known_imd,
           {quintiles},
           coalesce(sum(persons) FILTER (WHERE age_lo >= 65), 0) AS aged_65,
           coalesce(sum(persons) FILTER (
               WHERE age_lo >= 65 AND frailty IN ('frailty:moderate', 'frailty:severe')), 0
           ) AS frail,
           coalesce(sum(persons) FILTER (WHERE high_risk), 0) AS high_risk
    FROM labelled GROUP BY month, gpprac
)
SELECT u.metric_id, t.month, t.gpprac, NULL, NULL, NULL, NULL,
       CASE u.metric_id {quintile_numerators}
                        WHEN 'pct_frailty_moderate_severe' THEN frail ELSE high_risk END,
       CASE u.metric_id WHEN 'pct_frailty_moderate_severe' THEN aged_65
                        WHEN 'pct_high_risk_register' THEN everyone ELSE known_imd END,
       NULL
FROM totals t
CROSS JOIN (VALUES {measures}) AS u(metric_id)
"""
)

# People on each register at each month end while registered with a practice.
PREVALENCE_SQL = (
    INSERT_UNITS
    + """)
WITH registered AS (
    SELECT month, gpprac, sum(persons) AS everyone FROM profile_pop GROUP BY month, gpprac
),
on_register AS (
    SELECT m.month, r.gpprac, c.condition, count(DISTINCT c.person_id) AS people
    FROM conditions c
    """
    + on_register_at_month_end("month_numbers")
    + """
    WHERE c.condition IN ('DM', 'COPD', 'HF', 'DEM')
    GROUP BY m.month, r.gpprac, c.condition
)
SELECT 'prevalence_' || lower(c.condition), g.month, g.gpprac, NULL, NULL, NULL, NULL,
       coalesce(o.people, 0), g.everyone, NULL
FROM registered g
CROSS JOIN (VALUES ('DM'), ('COPD'), ('HF'), ('DEM')) AS c(condition)
LEFT JOIN on_register o
  ON o.month = g.month AND o.gpprac = g.gpprac AND o.condition = c.condition
"""
)


def insert_units(connection, context) -> None:
    """Inserts practice-month totals for every context measure."""
    connection.execute(POPULATION_SQL)
    quintiles = ",\n           ".join(
        f"coalesce(sum(persons) FILTER (WHERE deprivation = 'deprivation:q{q}'), 0) AS q{q}"
        for q in QUINTILES
    )
    numerators = " ".join(f"WHEN 'pct_imd_q{q}' THEN q{q}" for q in QUINTILES)
    measures = [f"pct_imd_q{q}" for q in QUINTILES]
    measures += ["pct_frailty_moderate_severe", "pct_high_risk_register"]
    sql = REGISTERED_SQL.format(
        quintiles=quintiles,
        quintile_numerators=numerators,
        measures=", ".join(f"('{measure}')" for measure in measures),
    )
    connection.execute(sql)
    connection.execute(PREVALENCE_SQL)
