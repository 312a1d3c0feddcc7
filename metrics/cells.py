"""From units to counts by month, level, org and segment (the `level_num` table).

Each unit is placed in the hierarchy through its practice's membership that month (or,
for a social care record with no practice, in the area of its local authority) and given
its segments: `all`, its age band and sex, and the labels of the person's profile. One pass
over the units adds them up twice (GROUPING SETS): by practice without the profile, for the
whole population and the age band and sex segments, and by locality and profile, for the
profile segments, whose labels are attached to those few rows only; so the cost of
segmenting does not grow with the number of spells. A second pass adds every row up to
each level of the hierarchy at once (metrics.levels). Standardised indicators keep the
standardisation band and sex on every segment's rows, so that segments are standardised
too (metrics.periods).
"""

from __future__ import annotations

from metrics.levels import roll_up_sql
from metrics.segments import age_band_sql, sex_sql

# kind: 0 for the practice grain (no profile), 1 for the locality-profile grain.
UNIT_CELLS_SQL = """
CREATE OR REPLACE TABLE unit_cells AS
WITH placed AS (
    SELECT u.metric_id, u.month, pm.practice_code, pm.network_code, pm.locality_code,
           coalesce(pm.area_code, la.area_code) AS area_code,
           CASE WHEN p.profiled THEN coalesce(u.profile_id, pp.profile_id) END AS profile_id,
           CASE WHEN p.standardise THEN least(u.age // 5, 18) END AS band,
           CASE WHEN p.standardise THEN u.sex END AS sex,
           CASE WHEN p.by_age THEN {age_band} END AS age_segment,
           CASE WHEN p.by_sex THEN {sex} END AS sex_segment, u.num, u.den, u.sumsq
    FROM units u
    JOIN segmented_props p USING (metric_id)
    JOIN months m ON m.month = u.month
    LEFT JOIN practice_months pm ON pm.practice_code = u.gpprac AND pm.month = u.month
    LEFT JOIN la_areas la ON la.la_code = u.la_code
    LEFT JOIN person_profiles pp ON pp.person_id = u.person_id AND p.profiled
    WHERE pm.practice_code IS NOT NULL OR la.area_code IS NOT NULL
)
SELECT metric_id, month, practice_code, network_code, locality_code, area_code, profile_id,
       band, sex, age_segment, sex_segment, grouping(practice_code) AS kind, sum(num) AS num,
       sum(den) AS den, sum(sumsq) AS sumsq
FROM placed
GROUP BY GROUPING SETS (
    (metric_id, month, practice_code, network_code, locality_code, area_code, band, sex,
     age_segment, sex_segment),
    (metric_id, month, locality_code, area_code, profile_id, band, sex)
)
"""

# Which segments each indicator takes, as flags (list functions differ between engines).
SEGMENTED_PROPS_SQL = """
CREATE OR REPLACE TABLE segmented_props AS
SELECT metric_id, standardise, list_contains(segment_kinds, 'age_band') AS by_age,
       list_contains(segment_kinds, 'sex') AS by_sex,
       list_contains(segment_kinds, 'condition') OR list_contains(segment_kinds, 'frailty')
       OR list_contains(segment_kinds, 'care_home') OR list_contains(segment_kinds, 'risk_tier')
       OR list_contains(segment_kinds, 'deprivation') AS profiled
FROM metric_props
"""

# Unit-based indicators get a zero row for every org and month, so that a month with no
# deaths (say) is published as 0 of 0 rather than left out. Segments start at locality
# level, so their rows leave the practice and network out.
SEGMENT_CELLS_SQL = """
CREATE OR REPLACE TABLE segment_cells AS
SELECT metric_id, month, practice_code, network_code, locality_code, area_code, band, sex,
       'all' AS segment, num, den, sumsq
FROM unit_cells WHERE kind = 0
UNION ALL
SELECT metric_id, month, NULL, NULL, locality_code, area_code, band, sex, age_segment,
       num, den, sumsq
FROM unit_cells WHERE kind = 0 AND age_segment IS NOT NULL
UNION ALL
SELECT metric_id, month, NULL, NULL, locality_code, area_code, band, sex, sex_segment,
       num, den, sumsq
FROM unit_cells WHERE kind = 0 AND sex_segment IS NOT NULL
UNION ALL
SELECT c.metric_id, c.month, NULL, NULL, c.locality_code, c.area_code, c.band, c.sex,
       l.segment, sum(c.num), sum(c.den), sum(c.sumsq)
FROM unit_cells c
JOIN profile_labels l USING (profile_id)
JOIN metric_props p USING (metric_id)
WHERE c.kind = 1 AND list_contains(p.segment_kinds, split_part(l.segment, ':', 1))
GROUP BY ALL
UNION ALL
SELECT p.metric_id, pm.month, pm.practice_code, pm.network_code, pm.locality_code,
       pm.area_code, NULL, NULL, 'all', 0.0, 0.0, NULL
FROM practice_months pm CROSS JOIN metric_props p
WHERE p.denominator_kind = 'units' AND p.family <> 'supplied'
"""


def build_level_numerators(connection) -> None:
    """Creates unit_cells, segment_cells and level_num (metric, month, band, sex, segment,
    level, org_code, num, den, sumsq)."""
    connection.execute(SEGMENTED_PROPS_SQL)
    connection.execute(UNIT_CELLS_SQL.format(age_band=age_band_sql("u.age"), sex=sex_sql("u.sex")))
    connection.execute(SEGMENT_CELLS_SQL)
    connection.execute(
        "CREATE OR REPLACE TABLE level_num AS\n"
        + roll_up_sql(
            "segment_cells",
            "metric_id, month, band, sex",
            "sum(num) AS num, sum(den) AS den, sum(sumsq) AS sumsq",
        )  # fmt: skip
    )
