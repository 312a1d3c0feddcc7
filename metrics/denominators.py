"""Population denominators for rates, by month, level, org and segment (`level_pop`).

`registered_population` indicators take the NHS Digital registered population of their
ages, for the whole population and for age band and sex segments. A file in five-year
bands is spread evenly over each band's years where an age limit cuts it (18–64, say).
The other segments (condition, frailty, care home, risk tier, deprivation) can only be
counted from the patient index: people registered at each month end with that label.
`care_home_residents` indicators count registered patients flagged as care home residents.
Segment rows keep the standardisation band and sex, so that standardised indicators can be
standardised within a segment too (metrics.periods). Orgs, segments and indicators are
carried as numbers (metrics.keys). The working tables are temporary (metrics.cells says why).
"""

from __future__ import annotations

from metrics.keys import ALL_SEGMENT, numbered_segments
from metrics.levels import roll_up_sql

# The share of a population row's ages [age_from, age_to] that falls within [lo, hi] (SQL
# text rather than a macro, which Spark has not got).
OVERLAP = (
    "greatest(0, least(age_to, {hi}) - greatest(age_from, {lo}) + 1) / (age_to - age_from + 1)"
)


def overlap(lo: str, hi: str) -> str:
    """Returns SQL for the share of a row's ages [age_from, age_to] within [lo, hi]."""
    return OVERLAP.format(lo=lo, hi=hi)


# The age band segments with their ages (numbered by numbered_segments).
AGE_SEGMENTS = """(VALUES ('age_band:0-17', 0, 17), ('age_band:18-64', 18, 64),
    ('age_band:65-74', 65, 74), ('age_band:75-84', 75, 84), ('age_band:85+', 85, 120))"""

# A population row's sex segment (for its rows of sex '1' or '2').
SEX_SEGMENT_SQL = "CASE {sex} WHEN '1' THEN 'sex:male' ELSE 'sex:female' END"

# Denominators depend on an indicator only through its kind and ages, so they are counted
# once per distinct (kind, ages) and joined to the indicators at the end. A spec is
# `detailed` (keeps the standardisation band and sex) when a standardised indicator uses it.
SPECS_SQL = """
CREATE OR REPLACE TEMP TABLE denominator_specs AS
SELECT denominator_kind, age_lo, age_hi, detailed,
       dense_rank() OVER (ORDER BY denominator_kind, age_lo, age_hi) AS spec_id
FROM (SELECT denominator_kind, age_lo, age_hi,
             max(CASE WHEN standardise THEN 1 ELSE 0 END) = 1 AS detailed
      FROM metric_keys
      WHERE denominator_kind IN ('registered_population', 'care_home_residents')
      GROUP BY denominator_kind, age_lo, age_hi)
"""

# The age band and sex segments are added up at locality grain, so `placed` is first added
# up to localities (ages kept): joined by a range to the age segments at practice grain, its
# 20 million rows at 10 million spells took three quarters of the stage.
POPULATION_CELLS_SQL = """
CREATE OR REPLACE TEMP TABLE population_cells AS
WITH placed AS (
    SELECT r.spec_id, r.age_lo, r.age_hi, p.month, pk.practice_no, pk.network_no,
           pk.locality_no, pk.area_no, p.sex, p.age_from, p.age_to, p.patients
    FROM population_months p
    JOIN practice_keys pk USING (month, practice_code)
    JOIN denominator_specs r
      ON r.denominator_kind = 'registered_population'
     AND p.age_to >= r.age_lo AND p.age_from <= r.age_hi
),
by_locality AS (
    SELECT spec_id, age_lo, age_hi, month, locality_no, area_no, sex, age_from, age_to,
           sum(patients) AS patients
    FROM placed GROUP BY ALL
)
SELECT spec_id, month, practice_no, network_no, locality_no, area_no,
       least(age_from // 5, 18) AS band, sex, {all_segment} AS segment_no,
       sum(patients * {whole}) AS pop
FROM placed GROUP BY ALL
UNION ALL
SELECT spec_id, month, NULL, NULL, locality_no, area_no, least(age_from // 5, 18), sex,
       a.segment_no,
       sum(patients * {within_segment})
FROM by_locality JOIN {age_segments} a(segment_no, lo, hi)
  ON a.lo <= least(age_to, age_hi) AND a.hi >= greatest(age_from, age_lo)
GROUP BY ALL
UNION ALL
SELECT spec_id, month, NULL, NULL, locality_no, area_no, least(age_from // 5, 18), sex,
       {sex_segment},
       sum(patients * {whole})
FROM by_locality WHERE sex IN ('1', '2') GROUP BY ALL
"""

# Registered patients from the patient index (metrics.people's profile_pop): every segment
# for care home residents, the profile segments for the registered population. Band and sex
# are kept only for detailed specs: the others are added up without them (level_pop takes
# their totals). Care home residents are few and are placed in their specs first. The
# profile segments count every registered patient, so their rows are labelled and added up
# to locality, age, sex and segment before the specs are joined: joined first, the specs
# doubled the 2.8 million patient rows of the sample before the labels multiplied them.
# And the patients are added up to locality and profile (`by_profile`) before the labels
# are joined, so the labels multiply a locality's rows rather than each practice's: at 5.8
# million patients the statement took 15.4-15.9 s joined at practice grain, 6.6-8.2 s so
# (bench/RESULTS.md, "Publish at scale"); the sample's rows are the same either way.
PATIENT_CELLS_SQL = """
CREATE OR REPLACE TEMP TABLE patient_cells AS
WITH residents AS (
    SELECT r.spec_id, pk.month, pk.practice_no, pk.network_no, pk.locality_no, pk.area_no,
           q.age_lo, CASE WHEN r.detailed THEN q.band END AS band,
           CASE WHEN r.detailed THEN q.sex END AS sex, q.sex AS sex_code, q.persons
    FROM profile_pop q
    JOIN practice_keys pk ON pk.month = q.month AND pk.practice_code = q.gpprac
    JOIN denominator_specs r
      ON q.age_lo BETWEEN r.age_lo AND r.age_hi AND r.denominator_kind = 'care_home_residents'
    WHERE q.resident
),
by_profile AS (
    SELECT pk.month, pk.locality_no, pk.area_no, q.age_lo, q.band, q.sex, q.resident,
           q.profile_id, sum(q.persons) AS persons
    FROM profile_pop q
    JOIN practice_keys pk ON pk.month = q.month AND pk.practice_code = q.gpprac
    GROUP BY ALL
),
labelled AS (
    SELECT b.month, b.locality_no, b.area_no, b.age_lo, b.band, b.sex, b.resident,
           l.segment_no, sum(b.persons) AS persons
    FROM by_profile b
    JOIN profile_segments l USING (profile_id)
    GROUP BY ALL
)
SELECT spec_id, month, practice_no, network_no, locality_no, area_no,
       NULL::INTEGER AS band, NULL::VARCHAR AS sex, {all_segment} AS segment_no,
       sum(persons) AS pop
FROM residents GROUP BY ALL
UNION ALL
SELECT spec_id, month, NULL, NULL, locality_no, area_no, band, sex, a.segment_no,
       sum(persons)
FROM residents JOIN {age_segments} a(segment_no, lo, hi) ON a.lo = residents.age_lo
GROUP BY ALL
UNION ALL
SELECT spec_id, month, NULL, NULL, locality_no, area_no, band, sex, {sex_code_segment},
       sum(persons)
FROM residents WHERE sex_code IN ('1', '2')
GROUP BY ALL
UNION ALL
SELECT r.spec_id, s.month, NULL, NULL, s.locality_no, s.area_no,
       CASE WHEN r.detailed THEN s.band END, CASE WHEN r.detailed THEN s.sex END,
       s.segment_no, sum(s.persons)
FROM labelled s
JOIN denominator_specs r
  ON s.age_lo BETWEEN r.age_lo AND r.age_hi
 AND (r.denominator_kind = 'registered_population' OR s.resident)
GROUP BY ALL
"""

# A view: periods reads it once, so the rows for every indicator are never materialised.
# Only standardised indicators keep band and sex; the others take their spec's totals, added
# up once per spec (spec_totals) rather than once per indicator. Each indicator takes the
# segments it is cut by (metric_segments).
LEVEL_POP_SQL = """
CREATE OR REPLACE VIEW level_pop AS
WITH wanted AS (
    SELECT m.metric_no, m.standardise, d.spec_id
    FROM metric_keys m JOIN denominator_specs d USING (denominator_kind, age_lo, age_hi)
)
SELECT w.metric_no, s.month, s.org_no, s.segment_no, s.band, s.sex, s.pop
FROM spec_pop s JOIN wanted w ON w.spec_id = s.spec_id
JOIN metric_segments g ON g.metric_no = w.metric_no AND g.segment_no = s.segment_no
WHERE w.standardise
UNION ALL
SELECT w.metric_no, s.month, s.org_no, s.segment_no, NULL, NULL, s.pop
FROM spec_totals s JOIN wanted w ON w.spec_id = s.spec_id
JOIN metric_segments g ON g.metric_no = w.metric_no AND g.segment_no = s.segment_no
WHERE NOT w.standardise
"""

# Each spec's population without the standardisation band and sex.
SPEC_TOTALS_SQL = """
CREATE OR REPLACE TEMP TABLE spec_totals AS
SELECT spec_id, month, org_no, segment_no, sum(pop) AS pop
FROM spec_pop GROUP BY spec_id, month, org_no, segment_no
"""


def build_level_denominators(connection) -> None:
    """Creates spec_pop, spec_totals and the view level_pop (metric_no, month, org_no,
    segment_no, band, sex, pop), with the keys that counts by level made (metrics.keys)."""
    connection.execute(SPECS_SQL)
    segments = {"age_segments": numbered_segments(AGE_SEGMENTS), "all_segment": ALL_SEGMENT}
    connection.execute(
        POPULATION_CELLS_SQL.format(
            **segments,
            whole=overlap("age_lo", "age_hi"),
            within_segment=overlap("greatest(age_lo, a.lo)", "least(age_hi, a.hi)"),
            sex_segment=numbered_segments(SEX_SEGMENT_SQL.format(sex="sex")),
        )
    )
    connection.execute(
        PATIENT_CELLS_SQL.format(
            **segments, sex_code_segment=numbered_segments(SEX_SEGMENT_SQL.format(sex="sex_code"))
        )
    )
    source = "(SELECT * FROM population_cells UNION ALL SELECT * FROM patient_cells)"
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE spec_pop AS\n"
        + roll_up_sql(source, "spec_id, month, band, sex", "sum(pop) AS pop")
    )
    connection.execute("DROP TABLE population_cells; DROP TABLE patient_cells")  # memory
    connection.execute(SPEC_TOTALS_SQL)
    connection.execute(LEVEL_POP_SQL)
