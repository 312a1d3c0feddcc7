"""Person profiles: each person's segment labels, shared by every person-level indicator.

People with the same labels share a `profile_id`, so activity can be added up by profile
before it is cut by segment; that keeps the segment step small however many people and
spells there are.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from metrics.base_tables import REGISTRATIONS_SQL
from metrics.segments import RISK_TIERS

# Each person's labels as one column per segment type (NULL when the person has none),
# and `profile_key`, the labels joined, which identifies the person's profile. Risk tiers
# rank risk_score among the currently registered by percent_rank, worked out on the
# distinct scores with the number of people who score higher (an aggregate and a window
# over the few distinct scores, not over every person).
PERSON_LABELS_SQL = """
CREATE OR REPLACE TABLE person_labels AS
WITH registers AS (
    SELECT person_id, {condition_flags}, count(DISTINCT condition) AS registers
    FROM conditions
    WHERE diagnosed_on <= $snapshot AND (resolved_on IS NULL OR resolved_on > $snapshot)
    GROUP BY person_id
),
scores AS (
    SELECT risk_score, count(*) AS people FROM patients
    WHERE risk_score IS NOT NULL AND registered_to IS NULL
    GROUP BY risk_score
),
ranked AS (
    SELECT risk_score,
           CASE WHEN total > 1 THEN CAST(coalesce(higher, 0) AS DOUBLE) / CAST(total - 1 AS DOUBLE)
                ELSE 0.0 END AS risk_rank
    FROM (SELECT risk_score,
                 sum(people) OVER (ORDER BY risk_score DESC
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS higher,
                 sum(people) OVER () AS total
          FROM scores)
),
labelled AS (
    SELECT p.person_id,
        {condition_labels},
        CASE WHEN r.registers >= 2 THEN 'condition:multimorbidity' END AS multimorbidity,
        'frailty:' || p.frailty AS frailty,
        CASE WHEN p.care_home_resident THEN 'care_home:resident'
             WHEN NOT p.care_home_resident THEN 'care_home:not_resident' END AS care_home,
        {risk_labels},
        'deprivation:q' || CAST(CAST(floor((d.imd_decile + 1) / 2) AS INTEGER) AS VARCHAR)
            AS deprivation
    FROM patients p
    LEFT JOIN registers r ON r.person_id = p.person_id
    LEFT JOIN ranked k
      ON k.risk_score = p.risk_score AND p.registered_to IS NULL
    LEFT JOIN {deprivation} d ON d.lsoa_code = p.lsoa
)
SELECT *, concat_ws('|', {label_columns}) AS profile_key FROM labelled
"""

# Profiles are numbered over the distinct label sets, which are few however many people.
PROFILES_SQL = """
CREATE OR REPLACE TABLE profile_keys AS
SELECT DISTINCT {label_columns}, profile_key FROM person_labels;
CREATE OR REPLACE TABLE profiles AS
SELECT dense_rank() OVER (ORDER BY profile_key) AS profile_id, * FROM profile_keys;
CREATE OR REPLACE TABLE person_profiles AS
SELECT l.person_id, p.profile_id FROM person_labels l JOIN profiles p USING (profile_key);
"""

# One row per label of each profile.
PROFILE_LABELS_SQL = """
CREATE OR REPLACE TABLE profile_labels AS
{selects}
"""

# Registered patients by month, practice, age class (the lower bound of the age band
# segment, which also carries every age limit an indicator uses), standardisation band
# (ESP 2013: age // 5, 90+ together), sex, profile and the two flags denominators need.
# Registers and context measures count from here. Each person's registered months are cut
# where their age class or band changes (age_keys), and people are never expanded month by
# month: each piece adds one at its first month and takes one away after its last
# (`changes`, netted per cell), a running sum gives each cell's count from one change to
# the next (`runs`), and only those runs are spread over their months, each month of a
# cell coming from exactly one run, so no month-by-month total is added up again.
PROFILE_POP_SQL = """
CREATE OR REPLACE TABLE profile_pop AS
WITH pieces AS (
    SELECT r.gpprac, r.sex, r.profile_id, coalesce(r.care_home_resident, false) AS resident,
           coalesce(r.high_risk_register, false) AS high_risk, k.age_lo, k.band,
           greatest(r.first_number, r.birth_number + 12 * k.age_from) AS from_number,
           CASE WHEN k.age_to IS NULL THEN r.last_number
                ELSE least(r.last_number, r.birth_number + 12 * k.age_to + 11) END AS to_number
    FROM registrations r CROSS JOIN age_keys k
),
changes AS (
    SELECT gpprac, sex, profile_id, resident, high_risk, age_lo, band, month_number,
           sum(change) AS change
    FROM (SELECT p.gpprac, p.sex, p.profile_id, p.resident, p.high_risk, p.age_lo, p.band,
                 CASE WHEN e.change > 0 THEN p.from_number ELSE p.to_number + 1 END
                     AS month_number, e.change
          FROM pieces p CROSS JOIN (VALUES (1), (-1)) AS e(change)
          WHERE p.from_number <= p.to_number)
    GROUP BY gpprac, sex, profile_id, resident, high_risk, age_lo, band, month_number
),
runs AS (
    SELECT gpprac, sex, profile_id, resident, high_risk, age_lo, band,
           month_number AS from_number,
           lead(month_number) OVER ({cell}) - 1 AS to_number,
           sum(change) OVER ({cell} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
               AS persons
    FROM changes
)
SELECT m.month, r.gpprac, r.age_lo, r.band, r.sex, r.profile_id, r.resident, r.high_risk,
       CAST(r.persons AS DOUBLE) AS persons
FROM runs r
JOIN month_numbers m ON m.month_number BETWEEN r.from_number AND r.to_number
WHERE r.persons <> 0
""".format(
    cell="PARTITION BY gpprac, sex, profile_id, resident, high_risk, age_lo, band "
    "ORDER BY month_number"
)

AGE_KEYS_SQL = """
CREATE OR REPLACE TABLE age_keys AS
SELECT CAST(age_from AS INTEGER) AS age_from, CAST(age_to AS INTEGER) AS age_to,
       CAST(age_lo AS INTEGER) AS age_lo, CAST(band AS INTEGER) AS band
FROM age_keys_frame
"""
CONDITIONS = ("DM", "COPD", "HF", "DEM")
AGE_CLASS_STARTS = (0, 18, 65, 75, 85)
OLDEST_BAND = 18

AGE_CLASS_SQL = """CASE WHEN {age} < 18 THEN 0 WHEN {age} < 65 THEN 18 WHEN {age} < 75 THEN 65
    WHEN {age} < 85 THEN 75 ELSE 85 END"""

# The lower bound of an age's five-year band, with the 15-19 band split at 18: fine enough
# to give both the standardisation band (age // 5, 90+ together) and the age band segment.
AGE_KEY_SQL = """CASE WHEN {age} BETWEEN 18 AND 19 THEN 18 WHEN {age} < 90 THEN {age} // 5 * 5
    WHEN {age} >= 90 THEN 90 END"""

NO_DEPRIVATION = "(SELECT NULL::VARCHAR AS lsoa_code, NULL::INTEGER AS imd_decile)"


def build_profiles(connection, snapshot_date) -> None:
    """Creates person_labels, profiles, person_profiles (person_id, profile_id),
    profile_labels (profile_id, segment), registrations (metrics.base_tables) and
    profile_pop."""
    deprivation = NO_DEPRIVATION
    if has_table(connection, "lsoa_deprivation"):
        deprivation = "lsoa_deprivation"
    connection.execute(person_labels_sql(deprivation), {"snapshot": snapshot_date})
    connection.execute(PROFILES_SQL.format(label_columns=", ".join(label_columns())))
    selects = "\nUNION ALL\n".join(
        f"SELECT profile_id, {column} AS segment FROM profiles WHERE {column} IS NOT NULL"
        for column in label_columns()
    )
    connection.execute(PROFILE_LABELS_SQL.format(selects=selects))
    connection.execute(REGISTRATIONS_SQL)
    connection.register("age_keys_frame", age_keys())
    connection.execute(AGE_KEYS_SQL)
    connection.unregister("age_keys_frame")
    connection.execute(PROFILE_POP_SQL)


def person_labels_sql(deprivation: str) -> str:
    """The statement creating person_labels, with deprivation deciles from `deprivation`
    (a table or NO_DEPRIVATION); parameter $snapshot."""
    return PERSON_LABELS_SQL.format(
        condition_flags=", ".join(
            f"max(CASE WHEN condition = '{code}' THEN 1 ELSE 0 END) AS on_{code.lower()}"
            for code in CONDITIONS
        ),
        condition_labels=",\n        ".join(
            f"CASE WHEN r.on_{code.lower()} = 1 THEN 'condition:{code}' END"
            f" AS {_condition_column(code)}"
            for code in CONDITIONS
        ),
        risk_labels=",\n        ".join(
            f"CASE WHEN k.risk_rank < {share} THEN 'risk_tier:{tier}' END AS {column}"
            for (tier, share), column in zip(RISK_TIERS.items(), _risk_columns(), strict=True)
        ),
        deprivation=deprivation,
        label_columns=", ".join(label_columns()),
    )


def label_columns() -> list[str]:
    """The person_labels and profiles columns that hold a label, one per segment value set."""
    conditions = [_condition_column(code) for code in CONDITIONS]
    return [*conditions, "multimorbidity", "frailty", "care_home", *_risk_columns(),
            "deprivation"]  # fmt: skip


def _condition_column(code: str) -> str:
    return f"condition_{code.lower()}"


def _risk_columns() -> list[str]:
    return [f"risk_{index}" for index in range(len(RISK_TIERS))]


def age_keys() -> pd.DataFrame:
    """The runs of whole years of age with the same age class and standardisation band:
    age_from..age_to (NULL: and over), with that age_lo and band. profile_pop cuts each
    person's registered months at these ages."""
    keys = []
    for age in range(AGE_CLASS_STARTS[-1] + 5 * OLDEST_BAND):
        key = (max(s for s in AGE_CLASS_STARTS if s <= age), min(age // 5, OLDEST_BAND))
        if keys and tuple(keys[-1][2:]) == key:
            keys[-1][1] = age
        else:
            keys.append([age, age, *key])
    keys[-1][1] = None
    frame = pd.DataFrame(keys, columns=["age_from", "age_to", "age_lo", "band"])
    return frame.astype("Int64")


def age_class_sql(age: str) -> str:
    """Returns SQL giving the lower bound of the age band segment an age falls in."""
    return AGE_CLASS_SQL.format(age=age)


def age_key_sql(age: str) -> str:
    """Returns SQL giving an age's key for indicators that are also standardised: the
    lower bound of its five-year band, 18 for 18 and 19, and 90 for 90 and over."""
    return AGE_KEY_SQL.format(age=age)


def has_table(connection, name: str) -> bool:
    """Whether the warehouse has table `name` (one created before a feed existed lacks it).

    Asked by reading none of its rows, which every engine answers the same way; each engine
    raises its own error for a table it does not know.
    """
    try:
        connection.execute(f"SELECT 1 FROM {name} WHERE 1 = 0").fetchall()
    except Exception as error:
        if _is_missing_table(error):
            return False
        raise
    return True


def _is_missing_table(error: Exception) -> bool:
    """Whether `error` is an engine's "no such table": DuckDB's CatalogException or Spark's
    AnalysisException (matched by class name, so pyspark stays optional). Anything else
    (memory, IO, an interrupt) is re-raised rather than read as a missing table."""
    if isinstance(error, duckdb.CatalogException):
        return True
    return any(kind.__name__ == "AnalysisException" for kind in type(error).__mro__)
