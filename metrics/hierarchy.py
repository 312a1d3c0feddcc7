"""The org hierarchy month by month: system → area → locality → network → practice.

Activity is attributed to the practice on the record and to the network, locality and area
that practice belonged to (METRICS.md, "Attribution"). Membership is taken at each month's
end, so a practice that moves network counts with its old network up to the month before
the move and with its new one from the month of the move.
"""

from __future__ import annotations

from metrics.people import has_table

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

# ODS practices (epraccur, etl.ods_feeds) where the warehouse has them: the ODS name of a
# practice the organisations feed leaves unnamed, its ODS status and, once closed, the date.
PRACTICE_ODS_SQL = """
CREATE OR REPLACE TABLE practice_ods AS
SELECT practice_code, practice_name, status,
       CASE WHEN status = 'CLOSED' THEN close_date END AS closed_on
FROM {source}
"""
NO_ODS = (
    "(SELECT NULL::VARCHAR AS practice_code, NULL::VARCHAR AS practice_name, "
    "NULL::VARCHAR AS status, NULL::DATE AS close_date WHERE false)"
)

# Every org that ever existed at every level, named as at its latest membership row (the
# local name; ODS names only a practice the hierarchy leaves unnamed), with its parent then
# (a network that merged away keeps its last locality), and a practice's ODS status.
ORG_UNITS_SQL = """
CREATE OR REPLACE TABLE org_units AS
WITH levels AS (
    SELECT 'practice' AS level, practice_code AS org_code, practice_name AS org_name,
           network_code AS parent_code, valid_from FROM organisations
    UNION ALL
    SELECT 'network', network_code, network_name, locality_code, valid_from FROM organisations
    UNION ALL
    SELECT 'locality', locality_code, locality_name, area_code, valid_from FROM organisations
    UNION ALL
    SELECT 'area', area_code, area_name, '{system}', valid_from FROM organisations
)
SELECT u.level, u.org_code, coalesce(u.org_name, p.practice_name) AS org_name, u.parent_code,
       p.status AS ods_status, p.closed_on
FROM (SELECT level, org_code, arg_max(org_name, valid_from) AS org_name,
             arg_max(parent_code, valid_from) AS parent_code
      FROM levels GROUP BY level, org_code) u
LEFT JOIN practice_ods p ON u.level = 'practice' AND p.practice_code = u.org_code
UNION ALL
SELECT 'system', '{system}', 'Whole system', NULL, NULL, NULL
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
    connection.execute(PRACTICE_ODS_SQL.format(source=_ods_source(connection)))
    connection.execute(ORG_UNITS_SQL.format(system=SYSTEM_CODE))
    connection.execute(ORG_PARENTS_SQL.format(system=SYSTEM_CODE))


def _ods_source(connection) -> str:
    """`ods_practices`, or an empty table for a warehouse created before the feed existed."""
    return "ods_practices" if has_table(connection, "ods_practices") else NO_ODS
