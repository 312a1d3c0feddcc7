"""Care-package KPIs and anticipatory care plans: people registered at each month end.

These are statuses, not events: each person registered at a month end who is in an
indicator's denominator is one unit, with 1 or 0 for the numerator. "Latest" values come
from an ASOF join (the latest event on or before the month end), kept when they fall in
the indicator's look-back window (METRICS.md, "GP network care-package KPIs"). Ages are
whole years at the month end, from the month of birth.
"""

from __future__ import annotations

from metrics.families import INSERT_UNITS, insert_by_profile

METRICS = (
    "anticipatory_care_plans", "dm_hba1c_control", "dm_bp_control", "dm_cholesterol_control",
    "dm_triple_target", "dm_care_plan", "dm_retinal_screening", "dm_structured_education",
    "imm_dtap_8m", "imm_mmr1_18m", "cervical_screening_25_49", "cervical_screening_50_64",
    "high_risk_register_coverage",
)  # fmt: skip

# The latest event of one code on or before each month end, for a cohort view.
LATEST = """ASOF LEFT JOIN (SELECT person_id, event_date AS {name}_date, value AS {name}
                FROM gp_events WHERE code = '{code}') {name}
       ON {name}.person_id = c.person_id AND c.month_end >= {name}.{name}_date"""

# People on the diabetes register at each month end.
DIABETES_COHORT_SQL = """
CREATE OR REPLACE TEMP TABLE diabetes_months AS
SELECT DISTINCT month, month_end, person_id, gpprac, sex, frailty, age
FROM register_months WHERE condition = 'DM'
"""

DIABETES_SQL = """
WITH latest AS (
    SELECT c.*, hba1c, hba1c_date, sbp, sbp_date, dbp, dbp_date, chol, chol_date,
           plan_date, retinal_date
    FROM diabetes_months c
    {latest}
),
met AS (
    SELECT *,
        coalesce(hba1c_date > month_end - INTERVAL 12 MONTH AND hba1c <= $hba1c, false) AS hba1c_ok,
        coalesce(sbp_date > month_end - INTERVAL 12 MONTH AND sbp <= 140
             AND dbp_date > month_end - INTERVAL 12 MONTH AND dbp <= 80, false) AS bp_ok,
        coalesce(chol_date > month_end - INTERVAL 12 MONTH AND chol <= $cholesterol, false)
            AS chol_ok,
        coalesce(chol_date > month_end - INTERVAL 12 MONTH AND chol <= $triple_cholesterol,
                 false) AS triple_chol_ok,
        coalesce(hba1c_date > month_end - INTERVAL 12 MONTH AND hba1c <= $triple_hba1c, false)
            AS triple_hba1c_ok,
        coalesce(plan_date > month_end - INTERVAL 12 MONTH, false) AS plan_ok,
        coalesce(retinal_date > month_end - INTERVAL 12 MONTH, false) AS retinal_ok
    FROM latest
),
tagged AS (
    SELECT *, unnest(list_filter([
        CASE WHEN coalesce(frailty, '') NOT IN ('moderate', 'severe')
             THEN {{'m': 'dm_hba1c_control', 'ok': hba1c_ok}} END,
        {{'m': 'dm_bp_control', 'ok': bp_ok}},
        {{'m': 'dm_cholesterol_control', 'ok': chol_ok}},
        {{'m': 'dm_triple_target', 'ok': triple_hba1c_ok AND bp_ok AND triple_chol_ok}},
        {{'m': 'dm_care_plan', 'ok': plan_ok}},
        {{'m': 'dm_retinal_screening', 'ok': retinal_ok}}
    ], lambda unit: unit IS NOT NULL)) AS unit
    FROM met
)
SELECT unit.m, month, gpprac, NULL, person_id, age, sex, unit.ok::INTEGER, 1.0, NULL::DOUBLE
FROM tagged
"""

# The cohort is people on the register at the month end (diabetes_months), so a resolved
# diagnosis leaves it; the diagnosis date is the person's first DM diagnosis.
EDUCATION_SQL = """
WITH diagnosed AS (
    SELECT person_id, min(diagnosed_on) AS diagnosed_on FROM conditions
    WHERE condition = 'DM' GROUP BY person_id
),
educated AS (
    SELECT d.person_id, d.diagnosed_on, count(e.person_id) > 0 AS referred
    FROM diagnosed d
    LEFT JOIN gp_events e
      ON e.person_id = d.person_id AND e.code = 'structured_education_referral'
     AND e.event_date BETWEEN d.diagnosed_on AND d.diagnosed_on + INTERVAL 9 MONTH
    GROUP BY ALL
)
SELECT 'dm_structured_education', r.month, r.gpprac, NULL, r.person_id, r.age, r.sex,
       e.referred::INTEGER, 1.0, NULL
FROM diabetes_months r JOIN educated e USING (person_id)
WHERE e.diagnosed_on > r.month_end - INTERVAL 21 MONTH
  AND e.diagnosed_on <= r.month_end - INTERVAL 9 MONTH
"""

# Children who reached 8 (or 18) months of age in the 12 months to the month end. With
# only the month of birth, a child "reaches" an age in the month it falls in, and a dose
# given in that month counts as given by that age.
IMMUNISATION_SQL = """
WITH doses AS (
    SELECT p.person_id,
           count(*) FILTER (e.code = 'dtap_ipv_hib_hepb'
                            AND e.event_date < p.birth_month + INTERVAL 9 MONTH) AS dtap_by_8m,
           count(*) FILTER (e.code = 'mmr'
                            AND e.event_date >= p.birth_month + INTERVAL 12 MONTH
                            AND e.event_date < p.birth_month + INTERVAL 19 MONTH) AS mmr_12_18m
    FROM patients p
    LEFT JOIN gp_events e ON e.person_id = p.person_id AND e.code IN ('dtap_ipv_hib_hepb', 'mmr')
    WHERE p.birth_month >= (SELECT min(month) FROM months) - INTERVAL 30 MONTH
    GROUP BY p.person_id
),
cohorts AS (
    SELECT r.*, d.dtap_by_8m, d.mmr_12_18m,
        unnest(list_filter([
            CASE WHEN r.birth_month + INTERVAL 8 MONTH
                      BETWEEN r.month - INTERVAL 11 MONTH AND r.month
                 THEN {'m': 'imm_dtap_8m', 'ok': d.dtap_by_8m >= 3} END,
            CASE WHEN r.birth_month + INTERVAL 18 MONTH
                      BETWEEN r.month - INTERVAL 11 MONTH AND r.month
                 THEN {'m': 'imm_mmr1_18m', 'ok': d.mmr_12_18m >= 1} END
        ], lambda unit: unit IS NOT NULL)) AS unit
    FROM registered_months r JOIN doses d USING (person_id)
)
SELECT unit.m, month, gpprac, NULL, person_id, age, sex, unit.ok::INTEGER, 1.0, NULL::DOUBLE
FROM cohorts
"""

SCREENING_SQL = """
WITH cohort AS (
    SELECT * FROM registered_months WHERE sex = '2' AND age BETWEEN 25 AND 64
),
latest AS (
    SELECT c.*, screen_date FROM cohort c
    {latest}
)
SELECT CASE WHEN age <= 49 THEN 'cervical_screening_25_49' ELSE 'cervical_screening_50_64' END,
       month, gpprac, NULL, person_id, age, sex,
       coalesce(screen_date > month_end - to_months(CASE WHEN age <= 49 THEN 42 ELSE 66 END),
                false)::INTEGER,
       1.0, NULL
FROM latest
"""

HIGH_RISK_SQL = """
WITH plans AS (
    SELECT c.*, plan_date FROM (SELECT * FROM registered_months WHERE high_risk_register) c
    {latest}
)
SELECT 'anticipatory_care_plans', month, gpprac, NULL, person_id, age, sex,
       coalesce(plan_date > month_end - INTERVAL 12 MONTH, false)::INTEGER, 1.0, NULL
FROM plans
"""

# A static flag over the whole registered population: counted from profile_pop directly.
COVERAGE_SQL = (
    INSERT_UNITS
    + """, profile_id)
SELECT 'high_risk_register_coverage', month, gpprac, NULL, NULL, age_lo, sex,
       sum(persons) FILTER (high_risk), sum(persons), NULL, profile_id
FROM profile_pop WHERE age_lo >= 18
GROUP BY ALL
"""
)


def _latest(*pairs: tuple[str, str]) -> str:
    return "\n    ".join(LATEST.format(name=name, code=code) for name, code in pairs)


def insert_units(connection, context) -> None:
    """Inserts one unit per person in each indicator's denominator at each month end."""
    latest = _latest(
        ("hba1c", "hba1c"), ("sbp", "sbp"), ("dbp", "dbp"), ("chol", "cholesterol"),
        ("plan", "care_plan"), ("retinal", "retinal_screening"),
    )  # fmt: skip
    connection.execute(DIABETES_COHORT_SQL)
    insert_by_profile(connection, DIABETES_SQL.format(latest=latest), _diabetes_parameters(context))
    insert_by_profile(connection, EDUCATION_SQL)
    insert_by_profile(connection, IMMUNISATION_SQL)
    screening = SCREENING_SQL.format(latest=_latest(("screen", "cervical_screening")))
    insert_by_profile(connection, screening)
    high_risk = HIGH_RISK_SQL.format(latest=_latest(("plan", "anticipatory_care_plan")))
    insert_by_profile(connection, high_risk)
    connection.execute(COVERAGE_SQL)


def _diabetes_parameters(context) -> dict:
    registry = context.registry
    triple = registry["dm_triple_target"].parameters
    return {
        "hba1c": registry["dm_hba1c_control"].parameters.get("hba1c_threshold", 58.0),
        "cholesterol": registry["dm_cholesterol_control"].parameters["cholesterol_threshold"],
        "triple_hba1c": triple.get("hba1c_threshold", 58.0),
        "triple_cholesterol": triple.get("cholesterol_threshold", 4.0),
    }
