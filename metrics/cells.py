"""From units to counts by month, level, org and segment (the `level_num` table).

Each unit is placed in the hierarchy through its practice's membership that month (or,
for a social care record with no practice, in the area of its local authority) and given
its segments: `all`, its age band and sex, and the labels of the person's profile. One pass
over the units adds them up five ways (GROUPING SETS): by practice without the segments, for
the whole population; by locality with the age band and sex segments; by locality and
profile, for the profile segments, whose labels are attached to those few rows only; and the
same two segment groupings for the system alone. So the cost of segmenting does not grow
with the number of spells. A second pass adds every row up to each level below the system
at once (metrics.levels). Only the system's rows keep the standardisation band and sex (its
age-sex rates standardise indirectly, metrics.periods); below it, directly standardised
indicators keep the band, in every segment, so that segments are standardised too.
Indicators, orgs and segments are carried as numbers (metrics.keys), which the hash tables
group and join at about half the cost of their codes. The working
tables of these stages (here, metrics.denominators and metrics.periods) are temporary: each
is read only by the next few statements, and a temporary table is kept as written rather
than compressed into the workspace file, which took about a fifth of the stages' time.
"""

from __future__ import annotations

from metrics.keys import ALL_SEGMENT, SYSTEM_ORG, build_keys, numbered_segments
from metrics.levels import LEVEL_COLUMNS, roll_up_sql
from metrics.segments import age_band_sql, sex_sql

# Only the system's rows need the standardisation band and sex (the system's rates, for
# indirect standardisation: metrics.periods); below the system, directly standardised
# indicators need the band, and nothing needs the sex. So the cells below the system keep
# `dsr_band` alone, and the system's are added up from the units at once: at 10 million
# spells the band and sex multiplied the rows rolled up to every level by about twenty.
# kind: 0 practice grain, 1 age band and sex segments and 2 profile at locality grain; 3 and 4
# the same two at the system (band and sex kept, no org).
UNIT_CELLS_SQL = """
CREATE OR REPLACE TEMP TABLE unit_cells AS
WITH placed AS (
    SELECT p.metric_no, u.month, pk.practice_no, pk.network_no, pk.locality_no,
           coalesce(pk.area_no, la.area_no) AS area_no, p.profile_mask,
           CASE WHEN p.profile_mask > 0 THEN coalesce(u.profile_id, pp.profile_id) END
               AS profile_id,
           CASE WHEN p.standardise THEN least(u.age // 5, 18) END AS band,
           CASE WHEN p.dsr THEN least(u.age // 5, 18) END AS dsr_band,
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
       profile_id, band, dsr_band, sex, age_segment, sex_segment,
       CASE WHEN grouping(band) = 0 THEN 3 + grouping(age_segment)
            WHEN grouping(practice_no) = 0 THEN 0 ELSE 1 + grouping(age_segment) END AS kind,
       sum(num) AS num, sum(den) AS den, sum(sumsq) AS sumsq
FROM placed
GROUP BY GROUPING SETS (
    (metric_no, month, practice_no, network_no, locality_no, area_no, dsr_band),
    (metric_no, month, locality_no, area_no, dsr_band, age_segment, sex_segment),
    (metric_no, month, locality_no, area_no, dsr_band, profile_mask, profile_id),
    (metric_no, month, band, sex, age_segment, sex_segment),
    (metric_no, month, band, sex, profile_mask, profile_id)
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

# Each cell in its segments ({band} and {sex} are the columns kept; the kinds are those
# below the system or the system's, whose `all` rows are its segment rows added up again).
# Unit-based indicators get a zero row for every org and month ({orgs}), so
# that a month with no deaths (say) is published as 0 of 0 rather than left out.
SEGMENTED_SQL = """
SELECT metric_no, month, {orgs}, {band} AS band, {sex} AS sex, {all_segment} AS segment_no,
       num, den, sumsq
FROM unit_cells WHERE kind = {all_kind}
UNION ALL
SELECT metric_no, month, {segment_orgs}, {band}, {sex}, age_segment, sum(num), sum(den),
       sum(sumsq)
FROM unit_cells WHERE kind = {segment_kind} AND age_segment IS NOT NULL
GROUP BY ALL
UNION ALL
SELECT metric_no, month, {segment_orgs}, {band}, {sex}, sex_segment, sum(num), sum(den),
       sum(sumsq)
FROM unit_cells WHERE kind = {segment_kind} AND sex_segment IS NOT NULL
GROUP BY ALL
UNION ALL
SELECT c.metric_no, c.month, {profile_orgs}, {band}, {sex}, l.segment_no, sum(c.num),
       sum(c.den), sum(c.sumsq)
FROM unit_cells c
JOIN mask_segments l ON l.profile_mask = c.profile_mask AND l.profile_id = c.profile_id
WHERE c.kind = {profile_kind}
GROUP BY ALL
UNION ALL
SELECT k.metric_no, pk.month, {zero_orgs}, NULL, NULL, {all_segment}, 0.0, 0.0, NULL
FROM {zero_places} pk CROSS JOIN metric_keys k
WHERE k.denominator_kind = 'units' AND k.family <> 'supplied'
"""

# Below the system: segments start at locality level, so their rows leave the practice and
# network out.
SEGMENT_CELLS_SQL = "CREATE OR REPLACE TEMP TABLE segment_cells AS\n" + SEGMENTED_SQL.format(
    orgs="practice_no, network_no, locality_no, area_no",
    segment_orgs="NULL, NULL, locality_no, area_no",
    profile_orgs="NULL, NULL, c.locality_no, c.area_no",
    zero_orgs="pk.practice_no, pk.network_no, pk.locality_no, pk.area_no",
    zero_places="practice_keys", band="dsr_band", sex="NULL::VARCHAR", all_kind=0,
    segment_kind=1, profile_kind=2,
    all_segment=ALL_SEGMENT,
)  # fmt: skip

BELOW_SYSTEM = tuple(level for level in LEVEL_COLUMNS if level != "system")

# The system: one row per indicator, month, band, sex and segment.
SYSTEM_NUM_SQL = """
SELECT metric_no, month, band, sex, segment_no, {system_org} AS org_no, sum(num) AS num,
       sum(den) AS den, sum(sumsq) AS sumsq
FROM ({segmented}) system_cells
GROUP BY ALL
""".format(
    system_org=SYSTEM_ORG,
    segmented=SEGMENTED_SQL.format(
        orgs="0", segment_orgs="0", profile_orgs="0", zero_orgs="0",
        zero_places="(SELECT DISTINCT month FROM practice_keys)", band="band", sex="sex",
        all_kind=3, segment_kind=3,
        profile_kind=4, all_segment=ALL_SEGMENT,
    ),
)  # fmt: skip


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
    connection.execute(SEGMENT_CELLS_SQL)
    below_system = roll_up_sql(
        "segment_cells", "metric_no, month, band, sex",
        "sum(num) AS num, sum(den) AS den, sum(sumsq) AS sumsq", levels=BELOW_SYSTEM,
    )  # fmt: skip
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE level_num AS\n"
        + below_system
        + "\nUNION ALL\n"
        + SYSTEM_NUM_SQL
    )
    # Temporary tables are held in memory: dropped once read, they leave room for the rest.
    connection.execute("DROP TABLE unit_cells; DROP TABLE mask_segments; DROP TABLE segment_cells")
