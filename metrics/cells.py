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
too (metrics.periods). Indicators, orgs and segments are carried as numbers (metrics.keys),
which the hash tables group and join at about half the cost of their codes. The working
tables of these stages (here, metrics.denominators and metrics.periods) are temporary: each
is read only by the next few statements, and a temporary table is kept as written rather
than compressed into the workspace file, which took about a fifth of the stages' time.
"""

from __future__ import annotations

from metrics.keys import ALL_SEGMENT, build_keys, numbered_segments
from metrics.levels import roll_up_sql
from metrics.segments import age_band_sql, sex_sql

# kind: 0 for the practice grain (no profile), 1 for the locality-profile grain.
UNIT_CELLS_SQL = """
CREATE OR REPLACE TEMP TABLE unit_cells AS
WITH placed AS (
    SELECT p.metric_no, u.month, pk.practice_no, pk.network_no, pk.locality_no,
           coalesce(pk.area_no, la.area_no) AS area_no, p.profile_mask,
           CASE WHEN p.profile_mask > 0 THEN coalesce(u.profile_id, pp.profile_id) END
               AS profile_id,
           CASE WHEN p.standardise THEN least(u.age // 5, 18) END AS band,
           CASE WHEN p.standardise THEN u.sex END AS sex,
           CASE WHEN p.by_age THEN {age_band} END AS age_segment,
           CASE WHEN p.by_sex THEN {sex} END AS sex_segment, u.num, u.den, u.sumsq
    FROM units u
    JOIN metric_keys p USING (metric_id)
    JOIN months m ON m.month = u.month
    LEFT JOIN practice_keys pk ON pk.practice_code = u.gpprac AND pk.month = u.month
    LEFT JOIN la_keys la ON la.la_code = u.la_code
    LEFT JOIN person_profiles pp ON pp.person_id = u.person_id AND p.profile_mask > 0
    WHERE pk.practice_no IS NOT NULL OR la.area_no IS NOT NULL
)
SELECT metric_no, month, practice_no, network_no, locality_no, area_no, profile_mask,
       profile_id, band, sex, age_segment, sex_segment, grouping(practice_no) AS kind,
       sum(num) AS num, sum(den) AS den, sum(sumsq) AS sumsq
FROM placed
GROUP BY GROUPING SETS (
    (metric_no, month, practice_no, network_no, locality_no, area_no, band, sex, age_segment,
     sex_segment),
    (metric_no, month, locality_no, area_no, profile_mask, profile_id, band, sex)
)
"""

# The profile segments each set of profile segment types (an indicator's profile_mask)
# takes: each profile's labels of those types, so that the profile join matches on two
# integers instead of testing a list on every joined row (10 million rows on the sample).
MASK_SEGMENTS_SQL = """
CREATE OR REPLACE TEMP TABLE mask_segments AS
SELECT DISTINCT m.profile_mask, s.profile_id, s.segment_no
FROM (SELECT DISTINCT profile_mask FROM metric_keys WHERE profile_mask > 0) m
JOIN profile_segments s ON s.kind_bit > 0 AND (m.profile_mask // s.kind_bit) % 2 = 1
"""

# Unit-based indicators get a zero row for every org and month, so that a month with no
# deaths (say) is published as 0 of 0 rather than left out. Segments start at locality
# level, so their rows leave the practice and network out.
SEGMENT_CELLS_SQL = """
CREATE OR REPLACE TEMP TABLE segment_cells AS
SELECT metric_no, month, practice_no, network_no, locality_no, area_no, band, sex,
       {all_segment} AS segment_no, num, den, sumsq
FROM unit_cells WHERE kind = 0
UNION ALL
SELECT metric_no, month, NULL, NULL, locality_no, area_no, band, sex, age_segment,
       num, den, sumsq
FROM unit_cells WHERE kind = 0 AND age_segment IS NOT NULL
UNION ALL
SELECT metric_no, month, NULL, NULL, locality_no, area_no, band, sex, sex_segment,
       num, den, sumsq
FROM unit_cells WHERE kind = 0 AND sex_segment IS NOT NULL
UNION ALL
SELECT c.metric_no, c.month, NULL, NULL, c.locality_no, c.area_no, c.band, c.sex,
       l.segment_no, sum(c.num), sum(c.den), sum(c.sumsq)
FROM unit_cells c
JOIN mask_segments l ON l.profile_mask = c.profile_mask AND l.profile_id = c.profile_id
WHERE c.kind = 1
GROUP BY ALL
UNION ALL
SELECT k.metric_no, pk.month, pk.practice_no, pk.network_no, pk.locality_no, pk.area_no,
       NULL, NULL, {all_segment}, 0.0, 0.0, NULL
FROM practice_keys pk CROSS JOIN metric_keys k
WHERE k.denominator_kind = 'units' AND k.family <> 'supplied'
"""


def build_level_numerators(connection) -> None:
    """Numbers indicators, orgs, segments and periods (metrics.keys); creates unit_cells,
    segment_cells and level_num (metric_no, month, band, sex, segment_no, org_no, num,
    den, sumsq)."""
    build_keys(connection)
    connection.execute(
        UNIT_CELLS_SQL.format(
            age_band=numbered_segments(age_band_sql("u.age")),
            sex=numbered_segments(sex_sql("u.sex")),
        )
    )
    connection.execute(MASK_SEGMENTS_SQL)
    connection.execute(SEGMENT_CELLS_SQL.format(all_segment=ALL_SEGMENT))
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE level_num AS\n"
        + roll_up_sql(
            "segment_cells",
            "metric_no, month, band, sex",
            "sum(num) AS num, sum(den) AS den, sum(sumsq) AS sumsq",
        )  # fmt: skip
    )
    # Temporary tables are held in memory: dropped once read, they leave room for the rest.
    connection.execute("DROP TABLE unit_cells; DROP TABLE mask_segments; DROP TABLE segment_cells")
