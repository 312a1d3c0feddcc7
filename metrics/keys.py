"""Integer keys for the counting stages: indicators, orgs, segments and periods numbered once.

Counts by level, denominators and periods add up millions of rows by indicator, org,
segment and period. Grouped and joined on their codes, every hash table carries strings
(`high_risk_register_coverage`, `age_band:65-74`), which costs about twice the time of
small integers. So each is numbered here once, the counting stages carry the numbers, and
the codes come back only where `period_totals` is built (metrics.periods).

- `metric_keys`: one row per indicator, `metric_no` with the flags the stages test;
- `org_keys`: every org a count can be placed at, `org_no` (the system is 0), with its
  level and code; `practice_keys` and `la_keys` place a practice month or a local
  authority by number;
- `segment_keys`: every segment, `segment_no` its position in metrics.segments (`all` is
  0), then any label the data holds besides; `profile_segments` gives each profile's labels
  by number, and `metric_segments` the segments each indicator takes;
- `period_keys`: every published period, `period_no`, and `period_month_keys` its months.
"""

from __future__ import annotations

import re

from metrics.hierarchy import SYSTEM_CODE
from metrics.segments import ALL, SEGMENTS, all_segments, segment_kind

SYSTEM_ORG = 0
SEGMENT_NUMBERS = {segment: number for number, segment in enumerate(all_segments())}
ALL_SEGMENT = SEGMENT_NUMBERS[ALL]
AGE_BAND_SEGMENTS = tuple(n for s, n in SEGMENT_NUMBERS.items() if segment_kind(s) == "age_band")
# The segment types a person's profile gives, each a bit of an indicator's `profile_mask`.
PROFILE_KINDS = tuple(kind for kind in SEGMENTS if kind not in ("age_band", "sex"))
PROFILE_BITS = {kind: 2**index for index, kind in enumerate(PROFILE_KINDS)}

METRIC_KEYS_SQL = """
CREATE OR REPLACE TABLE metric_keys AS
SELECT CAST(row_number() OVER (ORDER BY metric_id) AS INTEGER) AS metric_no, metric_id,
       family, denominator_kind, age_lo, age_hi, standardise, method = 'dsr' AS dsr,
       accumulate = 'sum' AS summed,
       list_contains(segment_kinds, 'age_band') AS by_age,
       list_contains(segment_kinds, 'sex') AS by_sex,
       {profile_mask} AS profile_mask
FROM metric_props
"""

ORG_KEYS_SQL = """
CREATE OR REPLACE TABLE org_keys AS
SELECT {system_org} AS org_no, 'system' AS level, '{system_code}' AS org_code
UNION ALL
SELECT CAST(row_number() OVER (ORDER BY level, org_code) AS INTEGER), level, org_code
FROM (
    SELECT DISTINCT 'practice' AS level, practice_code AS org_code FROM practice_months
    UNION SELECT DISTINCT 'network', network_code FROM practice_months
    UNION SELECT DISTINCT 'locality', locality_code FROM practice_months
    UNION SELECT DISTINCT 'area', area_code FROM practice_months
    UNION SELECT DISTINCT 'area', area_code FROM la_areas
) codes
WHERE org_code IS NOT NULL
"""

PLACE_KEYS_SQL = """
CREATE OR REPLACE TABLE practice_keys AS
SELECT pm.month, pm.practice_code, p.org_no AS practice_no, n.org_no AS network_no,
       l.org_no AS locality_no, a.org_no AS area_no
FROM practice_months pm
JOIN org_keys p ON p.level = 'practice' AND p.org_code = pm.practice_code
LEFT JOIN org_keys n ON n.level = 'network' AND n.org_code = pm.network_code
LEFT JOIN org_keys l ON l.level = 'locality' AND l.org_code = pm.locality_code
LEFT JOIN org_keys a ON a.level = 'area' AND a.org_code = pm.area_code;
CREATE OR REPLACE TABLE la_keys AS
SELECT la.la_code, a.org_no AS area_no
FROM la_areas la JOIN org_keys a ON a.level = 'area' AND a.org_code = la.area_code;
"""

# Segments in metrics.segments' order, then any other label a profile has, after them.
SEGMENT_KEYS_SQL = """
CREATE OR REPLACE TABLE segment_keys AS
WITH known AS (SELECT * FROM (VALUES {known}) v(segment_no, segment)),
extra AS (
    SELECT DISTINCT segment FROM profile_labels
    WHERE segment NOT IN (SELECT segment FROM known)
),
numbered AS (
    SELECT segment_no, segment FROM known
    UNION ALL
    SELECT CAST({known_count} + row_number() OVER (ORDER BY segment) AS INTEGER), segment
    FROM extra
)
SELECT segment_no, segment, split_part(segment, ':', 1) AS kind,
       CASE split_part(segment, ':', 1) {bits} ELSE 0 END AS kind_bit
FROM numbered;
CREATE OR REPLACE TABLE profile_segments AS
SELECT l.profile_id, s.segment_no, s.kind_bit
FROM profile_labels l JOIN segment_keys s USING (segment);
CREATE OR REPLACE TABLE metric_segments AS
SELECT m.metric_no, s.segment_no
FROM metric_props p JOIN metric_keys m USING (metric_id) CROSS JOIN segment_keys s
WHERE s.segment_no = {all_segment} OR list_contains(p.segment_kinds, s.kind);
"""

PERIOD_KEYS_SQL = """
CREATE OR REPLACE TABLE period_keys AS
SELECT CAST(row_number() OVER (ORDER BY period_type, period_start) AS INTEGER) AS period_no,
       period_type, period_start, period_end, months
FROM (SELECT DISTINCT period_type, period_start, period_end, months FROM period_months) p;
CREATE OR REPLACE TABLE period_month_keys AS
SELECT k.period_no, k.period_type, pm.month, pm.is_last_month
FROM period_months pm
JOIN period_keys k USING (period_type, period_start);
"""


def build_keys(connection) -> None:
    """Creates metric_keys, org_keys, practice_keys, la_keys, segment_keys,
    profile_segments, metric_segments, period_keys and period_month_keys."""
    for sql in (metric_keys_sql(), org_keys_sql(), PLACE_KEYS_SQL, segment_keys_sql(),
                PERIOD_KEYS_SQL):  # fmt: skip
        connection.execute(sql)


def metric_keys_sql() -> str:
    """The statement creating metric_keys: profile_mask has the bit of each profile segment
    type the indicator is cut by (PROFILE_BITS), 0 for none."""
    mask = " + ".join(
        f"CASE WHEN list_contains(segment_kinds, '{kind}') THEN {bit} ELSE 0 END"
        for kind, bit in PROFILE_BITS.items()
    )
    return METRIC_KEYS_SQL.format(profile_mask=mask)


def org_keys_sql() -> str:
    """The statement creating org_keys, the system numbered SYSTEM_ORG."""
    return ORG_KEYS_SQL.format(system_org=SYSTEM_ORG, system_code=SYSTEM_CODE)


def segment_keys_sql() -> str:
    """The statements creating segment_keys (with each segment's type and its profile bit,
    0 for age band and sex), profile_segments and metric_segments."""
    known = ", ".join(f"({number}, '{segment}')" for segment, number in SEGMENT_NUMBERS.items())
    bits = " ".join(f"WHEN '{kind}' THEN {bit}" for kind, bit in PROFILE_BITS.items())
    return SEGMENT_KEYS_SQL.format(
        known=known, known_count=len(SEGMENT_NUMBERS), bits=bits, all_segment=ALL_SEGMENT
    )


def numbered_segments(sql: str) -> str:
    """Returns `sql` with each quoted segment ('age_band:0-17', 'sex:male') replaced by its
    segment_no, so that one CASE (metrics.segments) gives labels or numbers."""
    return re.sub(r"'([a-z_]+:[^']+)'", lambda m: str(SEGMENT_NUMBERS[m.group(1)]), sql)


def not_age_band(column: str) -> str:
    """SQL: the segment number `column` is not an age band (NULL gives NULL, so a filter
    on it drops the row)."""
    return f"{column} NOT IN ({', '.join(map(str, AGE_BAND_SEGMENTS))})"
