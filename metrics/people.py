"""Person profiles: each person's segment labels, shared by every person-level indicator.

People with the same labels share a `profile_id`, so activity can be added up by profile
before it is cut by segment; that keeps the segment step small however many people and
spells there are.
"""

from __future__ import annotations

from metrics.segments import RISK_TIERS

PROFILES_SQL = """
CREATE OR REPLACE TABLE person_profiles AS
WITH registers AS (
    SELECT person_id, list(DISTINCT condition) AS conditions FROM conditions
    WHERE diagnosed_on <= $snapshot AND (resolved_on IS NULL OR resolved_on > $snapshot)
    GROUP BY person_id
),
risk AS (
    SELECT person_id, percent_rank() OVER (ORDER BY risk_score DESC) AS risk_rank
    FROM patients WHERE risk_score IS NOT NULL AND registered_to IS NULL
),
labelled AS (
    SELECT p.person_id, list_sort(list_filter([
        {condition_labels},
        CASE WHEN len(r.conditions) >= 2 THEN 'condition:multimorbidity' END,
        'frailty:' || p.frailty,
        CASE p.care_home_resident WHEN true THEN 'care_home:resident'
                                  WHEN false THEN 'care_home:not_resident' END,
        {risk_labels},
        'deprivation:q' || ((d.imd_decile + 1) // 2)::VARCHAR
    ], lambda label: label IS NOT NULL)) AS labels
    FROM patients p
    LEFT JOIN registers r USING (person_id)
    LEFT JOIN risk USING (person_id)
    LEFT JOIN {deprivation} d ON d.lsoa_code = p.lsoa
)
SELECT person_id, dense_rank() OVER (ORDER BY labels) AS profile_id, labels FROM labelled
"""

PROFILE_LABELS_SQL = """
CREATE OR REPLACE TABLE profiles AS
SELECT DISTINCT profile_id, labels FROM person_profiles;
CREATE OR REPLACE TABLE profile_labels AS
SELECT profile_id, unnest(labels) AS segment FROM profiles;
"""

# Registered patients by month, practice, age class (the lower bound of the age band
# segment, which also carries every age limit an indicator uses), standardisation band
# (ESP 2013: age // 5, 90+ together), sex, profile and the two flags denominators need.
# Registers and context measures count from here.
PROFILE_POP_SQL = """
CREATE OR REPLACE TABLE profile_pop AS
SELECT r.month, r.gpprac, {age_class} AS age_lo, least(r.age // 5, 18) AS band, r.sex,
       pp.profile_id,
       coalesce(r.care_home_resident, false) AS resident,
       coalesce(r.high_risk_register, false) AS high_risk, count(*)::DOUBLE AS persons
FROM registered_months r
LEFT JOIN person_profiles pp USING (person_id)
GROUP BY ALL
"""

AGE_CLASS_SQL = """CASE WHEN {age} < 18 THEN 0 WHEN {age} < 65 THEN 18 WHEN {age} < 75 THEN 65
    WHEN {age} < 85 THEN 75 ELSE 85 END"""

# The lower bound of an age's five-year band, with the 15-19 band split at 18: fine enough
# to give both the standardisation band (age // 5, 90+ together) and the age band segment.
AGE_KEY_SQL = """CASE WHEN {age} BETWEEN 18 AND 19 THEN 18 WHEN {age} < 90 THEN {age} // 5 * 5
    WHEN {age} >= 90 THEN 90 END"""

NO_DEPRIVATION = "(SELECT NULL::VARCHAR AS lsoa_code, NULL::INTEGER AS imd_decile)"


def build_profiles(connection, snapshot_date) -> None:
    """Creates person_profiles (person_id, profile_id, labels), profile_labels, profile_pop."""
    conditions = ",\n        ".join(
        f"CASE WHEN list_contains(r.conditions, '{code}') THEN 'condition:{code}' END"
        for code in ("DM", "COPD", "HF", "DEM")
    )
    risk = ",\n        ".join(
        f"CASE WHEN risk_rank < {share} THEN 'risk_tier:{tier}' END"
        for tier, share in RISK_TIERS.items()
    )
    deprivation = NO_DEPRIVATION
    if has_table(connection, "lsoa_deprivation"):
        deprivation = "lsoa_deprivation"
    sql = PROFILES_SQL.format(
        condition_labels=conditions, risk_labels=risk, deprivation=deprivation
    )
    connection.execute(sql, {"snapshot": snapshot_date})
    connection.execute(PROFILE_LABELS_SQL)
    connection.execute(PROFILE_POP_SQL.format(age_class=age_class_sql("r.age")))


def age_class_sql(age: str) -> str:
    """Returns SQL giving the lower bound of the age band segment an age falls in."""
    return AGE_CLASS_SQL.format(age=age)


def age_key_sql(age: str) -> str:
    """Returns SQL giving an age's key for indicators that are also standardised: the
    lower bound of its five-year band, 18 for 18 and 19, and 90 for 90 and over."""
    return AGE_KEY_SQL.format(age=age)


def has_table(connection, name: str) -> bool:
    found = connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'wh' AND table_name = ?",
        [name],
    )
    return found.fetchone()[0] > 0
