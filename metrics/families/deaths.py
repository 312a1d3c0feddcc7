"""End of life: emergency admissions in the last 100 days of life, from deaths and spells.

Each death is one unit in the month of death, attributed to the practice at death. Its
count is the emergency admissions with admidate in [dod − 100 days, dod] (METRICS.md), so
an admission exactly 100 days before death counts and one 101 days before does not.
"""

from __future__ import annotations

from metrics.families import EMERGENCY, INSERT_UNITS

METRICS = (
    "nel_last_100_days", "decedents_nel_last_100_days", "decedents_3plus_nel_last_100_days",
)  # fmt: skip

DEATH_UNITS_SQL = (
    INSERT_UNITS
    + """)
WITH counted AS (
    SELECT d.person_id, d.dod, d.gpprac, d.age, d.sex, count(s.spell_id)::DOUBLE AS admissions
    FROM deaths d
    LEFT JOIN apc_spells s
      ON s.person_id = d.person_id AND s.admimeth IN {emergency}
     AND s.admidate BETWEEN d.dod - 100 AND d.dod
    WHERE d.dod <= $last_day
    GROUP BY d.person_id, d.dod, d.gpprac, d.age, d.sex
)
SELECT metric.id, CAST(date_trunc('month', dod) AS DATE), gpprac, NULL, person_id, age, sex,
       CASE metric.id WHEN 'nel_last_100_days' THEN admissions
                      WHEN 'decedents_nel_last_100_days'
                          THEN CASE WHEN admissions >= 1 THEN 1 ELSE 0 END
                      ELSE CASE WHEN admissions >= 3 THEN 1 ELSE 0 END END,
       1.0, NULL
FROM counted
CROSS JOIN (VALUES {metrics}) AS metric(id)
"""
)


def insert_units(connection, context) -> None:
    """Inserts one unit per death per indicator."""
    connection.execute(
        DEATH_UNITS_SQL.format(
            emergency=EMERGENCY, metrics=", ".join(f"('{metric}')" for metric in METRICS)
        ),
        {"last_day": context.last_day},
    )
