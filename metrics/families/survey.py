"""Patient and carer reported measures from survey_responses: EQ-5D, co-ordination, self-care.

Responses carry a practice but no person, so these indicators have no segments. The EQ-5D
index comes from a join to `metrics.eq5d.index_table`, so the SQL uses the very values the
tested Python functions give; a response counts only when all five levels are present.
"""

from __future__ import annotations

from metrics.eq5d import index_table
from metrics.families import INSERT_UNITS

METRICS = ("eq5d_index", "coordinated_care", "coordinated_care_carers", "self_management")

SURVEY_UNITS_SQL = (
    INSERT_UNITS
    + """)
WITH scored AS (
    SELECT r.*, v.index_value
    FROM survey_responses r
    LEFT JOIN eq5d_values v
      ON v.eq5d_version = r.eq5d_version
     AND v.state = concat(eq5d_mo, eq5d_sc, eq5d_ua, eq5d_pd, eq5d_ad)
    WHERE r.response_date <= $last_day
),
tagged AS (
    SELECT *, unnest(list_filter([
        CASE WHEN respondent = 'patient' AND index_value IS NOT NULL
             THEN {'m': 'eq5d_index', 'n': index_value} END,
        CASE WHEN respondent = 'patient' AND coordinated_care IN {answered}
             THEN {'m': 'coordinated_care', 'n': (coordinated_care <> 'no')::INTEGER::DOUBLE} END,
        CASE WHEN respondent = 'carer' AND coordinated_care IN {answered}
             THEN {'m': 'coordinated_care_carers',
                   'n': (coordinated_care <> 'no')::INTEGER::DOUBLE} END,
        CASE WHEN respondent = 'patient'
              AND self_manage_confidence IN ('very', 'fairly', 'not_very', 'not_at_all')
             THEN {'m': 'self_management',
                   'n': (self_manage_confidence IN ('very', 'fairly'))::INTEGER::DOUBLE} END
    ], lambda unit: unit IS NOT NULL)) AS unit
    FROM scored
)
SELECT unit.m, date_trunc('month', response_date)::DATE, gpprac, NULL, NULL, NULL, NULL,
       unit.n, 1.0, CASE WHEN unit.m = 'eq5d_index' THEN unit.n * unit.n END
FROM tagged
"""
)


def insert_units(connection, context) -> None:
    """Inserts one unit per response per indicator it answers."""
    values = index_table(context.settings.eq5d_5l_value_set)  # noqa: F841 - read by DuckDB
    connection.execute("CREATE OR REPLACE TEMP TABLE eq5d_values AS SELECT * FROM values")
    sql = SURVEY_UNITS_SQL.replace("{answered}", "('yes_definitely', 'yes_somewhat', 'no')")
    connection.execute(sql, {"last_day": context.last_day})
