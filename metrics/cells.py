"""From units to counts by month, level, org and segment (the `level_num` table).

Each unit is placed in the hierarchy through its practice's membership that month (or,
for a social care record with no practice, in the area of its local authority) and given
its segments: `all`, its age band and sex, and the labels of the person's profile. Units
are added up by profile before segments are attached, so the cost of segmenting does not
grow with the number of spells. Standardised indicators keep the standardisation band and
sex on every segment's rows, so that segments are standardised too (metrics.periods).
"""

from __future__ import annotations

from metrics.levels import roll_up_sql
from metrics.segments import age_band_sql, sex_sql

CELLS_SQL = """
CREATE OR REPLACE TABLE cells AS
SELECT u.metric_id, u.month, pm.practice_code, pm.network_code, pm.locality_code,
       coalesce(pm.area_code, la.area_code) AS area_code,
       coalesce(u.profile_id, pp.profile_id) AS profile_id,
       CASE WHEN p.standardise THEN least(u.age // 5, 18) END AS band,
       CASE WHEN p.standardise THEN u.sex END AS sex,
       CASE WHEN list_contains(p.segment_kinds, 'age_band') THEN {age_band} END AS age_segment,
       CASE WHEN list_contains(p.segment_kinds, 'sex') THEN {sex} END AS sex_segment,
       sum(u.num) AS num, sum(u.den) AS den, sum(u.sumsq) AS sumsq
FROM units u
JOIN metric_props p USING (metric_id)
JOIN months m ON m.month = u.month
LEFT JOIN practice_months pm ON pm.practice_code = u.gpprac AND pm.month = u.month
LEFT JOIN la_areas la ON la.la_code = u.la_code
LEFT JOIN person_profiles pp ON pp.person_id = u.person_id AND len(p.segment_kinds) > 0
WHERE pm.practice_code IS NOT NULL OR la.area_code IS NOT NULL
GROUP BY ALL
"""

SEGMENT_CELLS_SQL = """
CREATE OR REPLACE TABLE segment_cells AS
WITH practices AS (
    -- Profiles matter only for the profile segments below: add them up first.
    SELECT metric_id, month, practice_code, network_code, locality_code, area_code, band, sex,
           age_segment, sex_segment, sum(num) AS num, sum(den) AS den, sum(sumsq) AS sumsq
    FROM cells GROUP BY ALL
)
SELECT metric_id, month, practice_code, network_code, locality_code, area_code, band, sex,
       'all' AS segment, num, den, sumsq
FROM practices
UNION ALL
SELECT metric_id, month, NULL, NULL, locality_code, area_code, band, sex, age_segment,
       num, den, sumsq
FROM practices WHERE age_segment IS NOT NULL
UNION ALL
SELECT metric_id, month, NULL, NULL, locality_code, area_code, band, sex, sex_segment,
       num, den, sumsq
FROM practices WHERE sex_segment IS NOT NULL
UNION ALL
SELECT c.metric_id, c.month, NULL, NULL, c.locality_code, c.area_code, c.band, c.sex,
       l.segment, sum(c.num), sum(c.den), sum(c.sumsq)
FROM (
    -- Segments start at locality level, so profiles are first added up to localities.
    SELECT metric_id, month, locality_code, area_code, profile_id, band, sex, sum(num) AS num,
           sum(den) AS den, sum(sumsq) AS sumsq
    FROM cells WHERE profile_id IS NOT NULL GROUP BY ALL
) c
JOIN profile_labels l USING (profile_id)
JOIN metric_props p USING (metric_id)
WHERE list_contains(p.segment_kinds, split_part(l.segment, ':', 1))
GROUP BY ALL
"""

# Unit-based indicators get a zero row for every org and month, so that a month with no
# deaths (say) is published as 0 of 0 rather than left out.
ZERO_GRID_SQL = """
CREATE OR REPLACE TEMP VIEW zero_grid AS
SELECT p.metric_id, pm.month, pm.practice_code, pm.network_code, pm.locality_code,
       pm.area_code, NULL::INTEGER AS band, NULL::VARCHAR AS sex, 'all' AS segment,
       0.0 AS num, 0.0 AS den, NULL::DOUBLE AS sumsq
FROM practice_months pm CROSS JOIN metric_props p
WHERE p.denominator_kind = 'units' AND p.family <> 'supplied'
"""


def build_level_numerators(connection) -> None:
    """Creates cells, segment_cells and level_num (metric, month, level, org, segment...)."""
    connection.execute(CELLS_SQL.format(age_band=age_band_sql("u.age"), sex=sex_sql("u.sex")))
    connection.execute(SEGMENT_CELLS_SQL)
    connection.execute(ZERO_GRID_SQL)
    source = "(SELECT * FROM segment_cells UNION ALL SELECT * FROM zero_grid)"
    connection.execute(
        "CREATE OR REPLACE TABLE level_num AS\n"
        + roll_up_sql(
            source,
            "metric_id, month, band, sex",
            "sum(num) AS num, sum(den) AS den, sum(sumsq) AS sumsq",
        )  # fmt: skip
    )
