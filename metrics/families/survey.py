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
    SELECT s.*, k.m,
        CASE k.m
            WHEN 'eq5d_index' THEN respondent = 'patient' AND index_value IS NOT NULL
            WHEN 'coordinated_care' THEN respondent = 'patient' AND coordinated_care IN {answered}
            WHEN 'coordinated_care_carers'
                THEN respondent = 'carer' AND coordinated_care IN {answered}
            ELSE respondent = 'patient'
                 AND self_manage_confidence IN ('very', 'fairly', 'not_very', 'not_at_all')
        END AS counts,
        CASE k.m
            WHEN 'eq5d_index' THEN index_value
            WHEN 'self_management'
                THEN CASE WHEN self_manage_confidence IN ('very', 'fairly') THEN 1.0 ELSE 0.0 END
            ELSE CASE WHEN coordinated_care <> 'no' THEN 1.0 ELSE 0.0 END
        END AS n
    FROM scored s
    CROSS JOIN (VALUES ('eq5d_index'), ('coordinated_care'), ('coordinated_care_carers'),
                       ('self_management')) AS k(m)
)
SELECT m, CAST(date_trunc('month', response_date) AS DATE), gpprac, NULL, NULL, NULL, NULL,
       n, 1.0, CASE WHEN m = 'eq5d_index' THEN n * n END
FROM tagged
WHERE counts
"""
)


def insert_units(connection, context) -> None:
    """Inserts one unit per response per indicator it answers."""
    connection.register("eq5d_frame", index_table(context.settings.eq5d_5l_value_set))
    connection.execute("CREATE OR REPLACE TEMP TABLE eq5d_values AS SELECT * FROM eq5d_frame")
    connection.unregister("eq5d_frame")
    sql = SURVEY_UNITS_SQL.replace("{answered}", "('yes_definitely', 'yes_somewhat', 'no')")
    connection.execute(sql, {"last_day": context.last_day})
