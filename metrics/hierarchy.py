"""The org hierarchy month by month: system → area → locality → network → practice.

Activity is attributed to the practice on the record and to the network, locality and area
that practice belonged to (METRICS.md, "Attribution"). Membership is taken at each month's
end, so a practice that moves network counts with its old network up to the month before
the move and with its new one from the month of the move.
"""

from __future__ import annotations

SYSTEM_CODE = "SYSTEM"

PRACTICE_MONTHS_SQL = """
CREATE OR REPLACE TABLE practice_months AS
SELECT m.month, o.practice_code, o.network_code, o.locality_code, o.area_code
FROM months m
JOIN organisations o
  ON o.valid_from <= m.month_end AND (o.valid_to IS NULL OR o.valid_to >= m.month_end)
QUALIFY row_number() OVER (PARTITION BY m.month, o.practice_code ORDER BY o.valid_from DESC) = 1
"""

# Social care records without a person are placed in an area by their local authority.
LA_AREAS_SQL = """
CREATE OR REPLACE TABLE la_areas AS
SELECT la_code, arg_max(area_code, valid_from) AS area_code
FROM organisations WHERE la_code IS NOT NULL GROUP BY la_code
"""

# Every org at every level, named as at its latest membership, with its parent then.
ORG_UNITS_SQL = """
CREATE OR REPLACE TABLE org_units AS
WITH latest AS (
    SELECT * FROM organisations
    QUALIFY row_number() OVER (PARTITION BY practice_code ORDER BY valid_from DESC) = 1
)
SELECT 'practice' AS level, practice_code AS org_code, any_value(practice_name) AS org_name,
       any_value(network_code) AS parent_code FROM latest GROUP BY practice_code
UNION ALL
SELECT 'network', network_code, any_value(network_name), any_value(locality_code)
FROM latest GROUP BY network_code
UNION ALL
SELECT 'locality', locality_code, any_value(locality_name), any_value(area_code)
FROM latest GROUP BY locality_code
UNION ALL
SELECT 'area', area_code, any_value(area_name), '{system}' FROM latest GROUP BY area_code
UNION ALL
SELECT 'system', '{system}', 'Whole system', NULL
"""

# The parent of each org at each month, for comparisons over periods of several months.
ORG_PARENTS_SQL = """
CREATE OR REPLACE TABLE org_parents AS
SELECT DISTINCT month, 'practice' AS level, practice_code AS org_code, network_code AS parent_code
FROM practice_months
UNION ALL SELECT DISTINCT month, 'network', network_code, locality_code FROM practice_months
UNION ALL SELECT DISTINCT month, 'locality', locality_code, area_code FROM practice_months
UNION ALL SELECT DISTINCT month, 'area', area_code, '{system}' FROM practice_months
"""


def build_hierarchy(connection) -> None:
    """Creates practice_months, la_areas, org_units and org_parents."""
    connection.execute(PRACTICE_MONTHS_SQL)
    connection.execute(LA_AREAS_SQL)
    connection.execute(ORG_UNITS_SQL.format(system=SYSTEM_CODE))
    connection.execute(ORG_PARENTS_SQL.format(system=SYSTEM_CODE))
