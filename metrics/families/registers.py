"""Care-package KPIs and anticipatory care plans: people registered at each month end.

These are statuses, not events: each person registered at a month end who is in an
indicator's denominator is one unit, with 1 or 0 for the numerator. "Latest" values are
the latest event of a code on or before the month end, kept when it falls in the
indicator's look-back window (METRICS.md, "GP network care-package KPIs"): each event is
placed at the month ends where it is the latest (before the person's next event of that
code), so no join looks for it month by month. Ages are whole years at the month end,
from the month of birth.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, timedelta

import pandas as pd

from metrics.base_tables import month_number_sql
from metrics.calendar import shift_months
from metrics.families import INSERT_UNITS, on_register_at_month_end
from metrics.people import age_class_sql

METRICS = (
    "anticipatory_care_plans", "dm_hba1c_control", "dm_bp_control", "dm_cholesterol_control",
    "dm_triple_target", "dm_care_plan", "dm_retinal_screening", "dm_structured_education",
    "imm_dtap_8m", "imm_mmr1_18m", "cervical_screening_25_49", "cervical_screening_50_64",
    "high_risk_register_coverage",
)  # fmt: skip


def _last_covered(day: str, number: str, months: int) -> str:
    """SQL for the last month number whose month end less `months` months is still before
    `day` (month number `number`): `months` - 1 months on, or `months` on when that month
    end, moved back, lands on an earlier day of the month than `day` itself."""
    back = f"least(day(last_day({day} + INTERVAL {months} MONTH)), day(last_day({day})))"
    return f"{number} + {months - 1} + CASE WHEN {back} < day({day}) THEN 1 ELSE 0 END"


# Each covered month with its month number and the look-back cut-offs the indicators use:
# `cut_N` is the month end less N months (an event counts when it is after the cut-off).
WINDOWS_SQL = """
CREATE OR REPLACE TEMP TABLE register_windows AS
SELECT CAST(month AS DATE) AS month, CAST(month_end AS DATE) AS month_end,
       CAST(month_number AS INTEGER) AS month_number, {cuts}
FROM windows_frame
"""
CUTS = (9, 12, 21, 42, 66)
LOOK_BACK_MONTHS = 12
ADULT = 18  # the age class (metrics.people) of every age from 18 to 64
STANDARDISED = False  # none is: ages are kept as their age band's lower bound

# The status each coded event gives at the month ends where it is the person's latest event
# of its code (on or before the month end, before the next one) and within the look-back:
# one row per person and month with a flag per test. An event is the latest from its own
# month to the month before the next one's, and within the look-back to the last month end
# less 12 months still before it, so each meets only the few months after it: this grows
# with the events, never with people times months. Only the events the units read are
# kept: the diabetes tests of people on the diabetes register (at any time), the
# anticipatory care plans of people on the high-risk register.
EVENT_MONTHS_SQL = f"""
CREATE OR REPLACE TEMP TABLE event_months AS
WITH diabetic AS (SELECT DISTINCT person_id FROM conditions WHERE condition = 'DM'),
cohort AS (
    SELECT r.person_id, r.high_risk_register AS high_risk, d.person_id IS NOT NULL AS diabetic
    FROM {{registrations}} r
    LEFT JOIN diabetic d ON d.person_id = r.person_id
    WHERE r.high_risk_register OR d.person_id IS NOT NULL
),
dated AS (
    SELECT e.person_id, e.code, e.value, e.event_date,
           {month_number_sql("e.event_date")} AS event_number,
           lead(e.event_date) OVER (PARTITION BY e.person_id, e.code
                                    ORDER BY e.event_date, e.value) AS next_date
    FROM gp_events e
    JOIN cohort c ON c.person_id = e.person_id
    WHERE e.event_date IS NOT NULL
      AND (c.diabetic AND e.code IN ('hba1c', 'sbp', 'dbp', 'cholesterol', 'care_plan',
                                     'retinal_screening')
           OR c.high_risk AND e.code = 'anticipatory_care_plan')
),
events AS (
    -- least() passes over a NULL: with no next event, the look-back alone ends it.
    SELECT person_id, code, value, event_number,
           least({month_number_sql("next_date")} - 1,
                 {_last_covered("event_date", "event_number", LOOK_BACK_MONTHS)})
               AS last_number
    FROM dated
),
latest AS (
    SELECT e.person_id, e.code, e.value, w.month
    FROM events e
    JOIN register_windows w ON w.month_number BETWEEN e.event_number AND e.last_number
)
SELECT person_id, month,
    max(CASE WHEN code = 'hba1c' AND value <= $hba1c THEN 1 ELSE 0 END) AS hba1c_ok,
    max(CASE WHEN code = 'hba1c' AND value <= $triple_hba1c THEN 1 ELSE 0 END)
        AS triple_hba1c_ok,
    max(CASE WHEN code = 'sbp' AND value <= 140 THEN 1 ELSE 0 END) AS sbp_ok,
    max(CASE WHEN code = 'dbp' AND value <= 80 THEN 1 ELSE 0 END) AS dbp_ok,
    max(CASE WHEN code = 'cholesterol' AND value <= $cholesterol THEN 1 ELSE 0 END) AS chol_ok,
    max(CASE WHEN code = 'cholesterol' AND value <= $triple_cholesterol THEN 1 ELSE 0 END)
        AS triple_chol_ok,
    max(CASE WHEN code = 'care_plan' THEN 1 ELSE 0 END) AS plan_ok,
    max(CASE WHEN code = 'retinal_screening' THEN 1 ELSE 0 END) AS retinal_ok,
    max(CASE WHEN code = 'anticipatory_care_plan' THEN 1 ELSE 0 END) AS acp_ok
FROM latest
GROUP BY person_id, month
"""

# Women aged 25 to 64 at the month end, screened within 42 months (to 49) or 66 months.
# Each screening covers the months from its own to the month before the next one, up to
# the last month end less than 42 (or 66) months after it, within the woman's months in
# the cohort. The denominator is every woman of those ages, from profile_pop
# (SCREENING_DENOMINATORS).
SCREENED_CTES = f"""
screenings AS (
    SELECT person_id, event_number,
           lead(event_number) OVER (PARTITION BY person_id ORDER BY event_date) - 1
               AS before_next,
           {_last_covered("event_date", "event_number", 42)} AS end_42,
           {_last_covered("event_date", "event_number", 66)} AS end_66
    FROM (SELECT person_id, event_date, {month_number_sql("event_date")} AS event_number
          FROM gp_events
          WHERE code = 'cervical_screening' AND person_id IS NOT NULL
            AND event_date IS NOT NULL)
),
screened AS (
    SELECT k.metric_id, r.gpprac, r.sex, r.person_id, r.profile_id,
           greatest(s.event_number, r.first_number, r.birth_number + k.first_month)
               AS from_number,
           least(coalesce(s.before_next, r.last_number), r.last_number,
                 r.birth_number + k.last_month,
                 CASE WHEN k.look_back = 42 THEN s.end_42 ELSE s.end_66 END) AS to_number
    FROM screenings s
    JOIN registrations r ON r.person_id = s.person_id
    CROSS JOIN (VALUES ('cervical_screening_25_49', 42, 25 * 12, 50 * 12 - 1),
                       ('cervical_screening_50_64', 66, 50 * 12, 65 * 12 - 1))
        AS k(metric_id, look_back, first_month, last_month)
    WHERE r.sex = '2'
)
"""

# Each diabetes indicator's status of a person on the register at a month end: 1 or 0, or
# NULL when the person is not in the indicator's denominator that month (hba1c leaves out
# the moderately and severely frail; structured education counts people whose first DM
# diagnosis was 9 to 21 months before). `e` is the person's event_months row, `s` their
# structured education referral.
DIABETES_STATUSES = {
    "dm_hba1c_control": "CASE WHEN coalesce(d.frailty, '') NOT IN ('moderate', 'severe') "
    "THEN coalesce(e.hba1c_ok, 0) END",
    "dm_bp_control": "coalesce(e.sbp_ok * e.dbp_ok, 0)",
    "dm_cholesterol_control": "coalesce(e.chol_ok, 0)",
    "dm_triple_target": "coalesce(e.triple_hba1c_ok * e.sbp_ok * e.dbp_ok * e.triple_chol_ok, 0)",
    "dm_care_plan": "coalesce(e.plan_ok, 0)",
    "dm_retinal_screening": "coalesce(e.retinal_ok, 0)",
    "dm_structured_education": "CASE WHEN s.diagnosed_on > d.cut_21 AND s.diagnosed_on <= d.cut_9 "
    "THEN s.referred END",
}
DIABETES_METRICS = "(VALUES " + ", ".join(f"('{m}')" for m in DIABETES_STATUSES) + ")"


def _by_metric(column: str) -> str:
    """SQL picking, for the diabetes indicator `k.metric_id`, the column named by its id
    with `column`'s suffix (`s.{}`: the status itself; `c.{}_num`: its count)."""
    cases = " ".join(f"WHEN '{m}' THEN {column.format(m)}" for m in DIABETES_STATUSES)
    return f"CASE k.metric_id {cases} END"


# Every register indicator's person-months: each cohort's people and the months it counts
# them. The diabetes register's person-months carry a status per indicator (one row for all
# seven, which share the register as their cohort); the others are one row per indicator
# with 1 or 0 for the numerator. Each row depends only on the person's own rows and its
# month's window, which is what lets an incremental publish (metrics.incremental) keep them
# person by person, and a full one count them a batch of practices at a time:
# `{registrations}` is the registrations table or a batch's cut of it.
PERSON_MONTHS_CTES = f"""
WITH diabetes AS (
    -- People on the diabetes register at each month end while registered.
    SELECT DISTINCT r.person_id, r.profile_id, r.gpprac, r.sex, r.frailty, m.month, m.cut_9,
           m.cut_21,
           m.month_number - r.birth_number AS months_old
    FROM conditions c
    {on_register_at_month_end("register_windows", "{registrations}")}
    WHERE c.condition = 'DM'
),
-- Structured education: the diagnosis date is the person's first DM diagnosis.
diagnosed AS (
    SELECT person_id, min(diagnosed_on) AS diagnosed_on FROM conditions
    WHERE condition = 'DM' AND person_id IN (SELECT person_id FROM {{registrations}})
    GROUP BY person_id
),
educated AS (
    SELECT d.person_id, d.diagnosed_on, CASE WHEN count(e.person_id) > 0 THEN 1 ELSE 0 END
           AS referred
    FROM diagnosed d
    LEFT JOIN gp_events e
      ON e.person_id = d.person_id AND e.code = 'structured_education_referral'
     AND e.event_date BETWEEN d.diagnosed_on AND d.diagnosed_on + INTERVAL 9 MONTH
    GROUP BY d.person_id, d.diagnosed_on
),
diabetes_statuses AS (
    SELECT d.month, d.gpprac, d.sex, d.person_id, d.profile_id, d.months_old,
           {", ".join(f"{status} AS {metric}" for metric, status in DIABETES_STATUSES.items())}
    FROM diabetes d
    LEFT JOIN event_months e ON e.person_id = d.person_id AND e.month = d.month
    LEFT JOIN educated s ON s.person_id = d.person_id
),
-- Children who reached 8 (or 18) months of age in the 12 months to the month end. With
-- only the month of birth, a child "reaches" an age in the month it falls in, and a dose
-- given in that month counts as given by that age.
doses AS (
    SELECT r.person_id, r.profile_id, r.gpprac, r.sex, r.birth_number, r.first_number,
           r.last_number,
           sum(CASE WHEN e.code = 'dtap_ipv_hib_hepb'
                     AND e.event_date < r.birth_month + INTERVAL 9 MONTH THEN 1 ELSE 0 END)
               AS dtap_by_8m,
           sum(CASE WHEN e.code = 'mmr' AND e.event_date >= r.birth_month + INTERVAL 12 MONTH
                     AND e.event_date < r.birth_month + INTERVAL 19 MONTH THEN 1 ELSE 0 END)
               AS mmr_12_18m
    FROM {{registrations}} r
    LEFT JOIN gp_events e
      ON e.person_id = r.person_id AND e.code IN ('dtap_ipv_hib_hepb', 'mmr')
    WHERE r.birth_number >= (SELECT min(month_number) FROM register_windows) - 30
    GROUP BY r.person_id, r.profile_id, r.gpprac, r.sex, r.birth_number, r.first_number,
             r.last_number
),
immunisation_units AS (
    SELECT k.metric_id, m.month, d.gpprac, d.sex, d.person_id, d.profile_id,
           m.month_number - d.birth_number AS months_old,
           CASE WHEN k.metric_id = 'imm_dtap_8m' THEN
                     CASE WHEN d.dtap_by_8m >= 3 THEN 1 ELSE 0 END
                ELSE CASE WHEN d.mmr_12_18m >= 1 THEN 1 ELSE 0 END END AS ok
    FROM doses d
    CROSS JOIN (VALUES ('imm_dtap_8m', 8), ('imm_mmr1_18m', 18)) AS k(metric_id, reached)
    JOIN register_windows m
      ON m.month_number BETWEEN greatest(d.first_number, d.birth_number + k.reached)
                            AND least(d.last_number, d.birth_number + k.reached + 11)
),
high_risk_units AS (
    SELECT 'anticipatory_care_plans' AS metric_id, m.month, r.gpprac, r.sex, r.person_id,
           r.profile_id, m.month_number - r.birth_number AS months_old,
           coalesce(e.acp_ok, 0) AS ok
    FROM {{registrations}} r
    JOIN register_windows m ON m.month_number BETWEEN r.first_number AND r.last_number
    LEFT JOIN event_months e ON e.person_id = r.person_id AND e.month = m.month
    WHERE r.high_risk_register
),
other_person_months AS (
    SELECT * FROM immunisation_units
    UNION ALL SELECT * FROM high_risk_units
)
"""
AGE_IN_YEARS = "CAST(floor(months_old / 12) AS INTEGER)"
AGE_CLASS = age_class_sql(AGE_IN_YEARS)
# A full publish adds the person-months up by the profile registrations carry as it goes,
# rather than joining every person-month to its profile afterwards (insert_by_profile). The
# practice is a grouping column, so a batch of practices adds up to the same rows as all.
# The diabetes person-months are added up once for all seven of their indicators, each a
# numerator and a denominator column, and only then turned into a row per indicator.
UNITS_SQL = (
    INSERT_UNITS
    + f""", profile_id)
{PERSON_MONTHS_CTES},
diabetes_counts AS (
    SELECT month, gpprac, {AGE_CLASS} AS age_lo, sex, profile_id,
           {", ".join(f"sum({m}) AS {m}_num, count({m}) AS {m}_den" for m in DIABETES_STATUSES)}
    FROM diabetes_statuses
    GROUP BY month, gpprac, age_lo, sex, profile_id
),
counts AS (
    SELECT k.metric_id, c.month, c.gpprac, c.age_lo, c.sex, c.profile_id,
           {_by_metric("c.{}_num")} AS num, {_by_metric("c.{}_den")} AS den
    FROM diabetes_counts c CROSS JOIN {DIABETES_METRICS} AS k(metric_id)
    UNION ALL
    SELECT metric_id, month, gpprac, {AGE_CLASS} AS age_lo, sex, profile_id, sum(ok), count(*)
    FROM other_person_months
    GROUP BY metric_id, month, gpprac, age_lo, sex, profile_id
)
SELECT metric_id, month, gpprac, NULL, NULL, age_lo, sex, num, den, NULL, profile_id
FROM counts WHERE den > 0
"""
)
# The same person-months one by one (units columns but profile_id), for the units cache.
PERSON_UNITS_SQL = f"""
{PERSON_MONTHS_CTES},
person_months AS (
    SELECT k.metric_id, s.month, s.gpprac, s.sex, s.person_id, s.profile_id, s.months_old,
           {_by_metric("s.{}")} AS ok
    FROM diabetes_statuses s CROSS JOIN {DIABETES_METRICS} AS k(metric_id)
    UNION ALL SELECT * FROM other_person_months
)
SELECT metric_id, month, gpprac, NULL, person_id, {AGE_IN_YEARS}, sex,
       CAST(ok AS DOUBLE), 1.0, NULL
FROM person_months WHERE ok IS NOT NULL
""".format(registrations="registrations")

# All the person-months at once outgrew DuckDB's default publish memory limit (2GB) at 5.8
# million patients; batches of practices of about this many patients fit within it there
# (bench/RESULTS.md, "England scale"), and a system this size or smaller is one batch.
PATIENTS_PER_BATCH = 1_000_000
PRACTICE_SIZES_SQL = """
SELECT coalesce(gpprac, '') AS practice, count(*) AS patients
FROM registrations GROUP BY coalesce(gpprac, '') ORDER BY practice
"""
BATCHES_SQL = """
CREATE OR REPLACE TEMP TABLE practice_batch_numbers AS
SELECT CAST(practice AS VARCHAR) AS practice, CAST(batch AS INTEGER) AS batch
FROM batches_frame
"""
BATCH_REGISTRATIONS_SQL = """
CREATE OR REPLACE TEMP TABLE batch_registrations AS
SELECT r.* FROM registrations r
JOIN practice_batch_numbers b ON b.practice = coalesce(r.gpprac, '')
WHERE b.batch = $batch
"""

# The screening indicators' denominators: every woman of their ages, by profile.
SCREENING_DENOMINATORS = """
SELECT CASE WHEN band < 10 THEN 'cervical_screening_25_49' ELSE 'cervical_screening_50_64' END
           AS metric_id,
       month, gpprac, sex, profile_id, age_lo, 0 AS screened, persons
FROM profile_pop WHERE sex = '2' AND band BETWEEN 5 AND 12
"""
# Each screening's range of months, counted by profile and then spread over its months, so
# that women are never expanded month by month; with the denominators, by profile.
SCREENING_UNITS_SQL = (
    INSERT_UNITS
    + f""", profile_id)
WITH {SCREENED_CTES},
ranges AS (
    SELECT metric_id, gpprac, sex, profile_id, from_number, to_number, count(*) AS screened
    FROM screened WHERE from_number <= to_number
    GROUP BY metric_id, gpprac, sex, profile_id, from_number, to_number
),
counted AS (
    SELECT c.metric_id, m.month, c.gpprac, c.sex, c.profile_id, {ADULT} AS age_lo,
           c.screened, 0 AS persons
    FROM ranges c
    JOIN register_windows m ON m.month_number BETWEEN c.from_number AND c.to_number
    UNION ALL
    {SCREENING_DENOMINATORS}
)
SELECT metric_id, month, gpprac, NULL, NULL, age_lo, sex, sum(screened), sum(persons), NULL,
       profile_id
FROM counted
GROUP BY metric_id, month, gpprac, age_lo, sex, profile_id
"""
)
# The same units person by person, for the units cache (metrics.incremental).
SCREENING_BY_PERSON_SQL = f"""
WITH {SCREENED_CTES}
SELECT s.metric_id, m.month, s.gpprac, NULL, s.person_id, {ADULT}, s.sex, 1.0, 0.0, NULL
FROM screened s
JOIN register_windows m ON m.month_number BETWEEN s.from_number AND s.to_number
"""

# The screening denominators alone, for the units cache, which keeps the numerators person
# by person.
SCREENING_DENOMINATORS_SQL = (
    INSERT_UNITS
    + f""", profile_id)
SELECT metric_id, month, gpprac, NULL, NULL, age_lo, sex, 0.0, sum(persons), NULL, profile_id
FROM ({SCREENING_DENOMINATORS})
GROUP BY metric_id, month, gpprac, age_lo, sex, profile_id
"""
)

# A static flag over the whole registered population: counted from profile_pop directly.
COVERAGE_SQL = (
    INSERT_UNITS
    + """, profile_id)
SELECT 'high_risk_register_coverage', month, gpprac, NULL, NULL, age_lo, sex,
       sum(persons) FILTER (WHERE high_risk), sum(persons), NULL, profile_id
FROM profile_pop WHERE age_lo >= 18
GROUP BY month, gpprac, age_lo, sex, profile_id
"""
)


def insert_units(connection, context) -> None:
    """Inserts one unit per person in each indicator's denominator at each month end, added
    up by profile: the person-months a batch of practices at a time (register_batches)."""
    _create_windows(connection)
    for registrations in register_batches(connection, _patients_per_batch(context)):
        _create_event_months(connection, context, registrations)
        connection.execute(UNITS_SQL.format(registrations=registrations))
    connection.execute(SCREENING_UNITS_SQL)
    connection.execute(COVERAGE_SQL)
    # Temporary tables are held in memory to the end of the publish: let them go.
    connection.execute("DROP TABLE event_months; DROP TABLE register_windows")


def register_batches(connection, patients_per_batch: float) -> Iterator[str]:
    """Yields the registrations table to read for each batch of practices: the whole table
    when one batch holds every patient, else `batch_registrations`, recreated as each batch's
    cut before it is yielded, and dropped after the last (temporary tables are held in memory
    to the end of the publish)."""
    if patients_per_batch == math.inf:  # Spark: no need to count the practices' patients
        yield "registrations"
        return
    sizes = connection.execute(PRACTICE_SIZES_SQL).fetchall()
    batches = practice_batches(sizes, patients_per_batch)
    numbers = sorted(set(batches.values()))
    if len(numbers) <= 1:
        yield "registrations"
        return
    frame = pd.DataFrame({"practice": list(batches), "batch": list(batches.values())})
    connection.register("batches_frame", frame)
    connection.execute(BATCHES_SQL)
    connection.unregister("batches_frame")
    for batch in numbers:
        connection.execute(BATCH_REGISTRATIONS_SQL, {"batch": batch})
        yield "batch_registrations"
    connection.execute("DROP TABLE batch_registrations")
    connection.execute("DROP TABLE practice_batch_numbers")


def practice_batches(sizes: list[tuple[str, int]], patients_per_batch: float) -> dict[str, int]:
    """Each practice's batch number, from (practice, patients) in order: as few batches as
    keep each near `patients_per_batch` patients, practices in order, evenly shared (a
    practice larger than a batch is a batch alone, and the numbers may skip)."""
    total = sum(patients for _, patients in sizes)
    count = max(1, math.ceil(total / patients_per_batch))
    batches, before = {}, 0
    for practice, patients in sizes:
        batches[practice] = before * count // max(total, 1)
        before += patients
    return batches


def _patients_per_batch(context) -> float:
    """PATIENTS_PER_BATCH on DuckDB; on Spark one batch, which its executors share out."""
    return PATIENTS_PER_BATCH if context.settings.engine != "spark" else math.inf


def prepare_person_units(connection, context) -> None:
    """Creates the temporary tables PERSON_UNITS_SQL reads: register_windows, one row per
    month in `months`, and event_months."""
    _create_windows(connection)
    _create_event_months(connection, context, "registrations")


def _create_windows(connection) -> None:
    """Creates register_windows: one row per month in `months`, with its look-back cut-offs."""
    months = connection.execute("SELECT month FROM months ORDER BY month").fetchall()
    connection.register("windows_frame", windows_frame([month for (month,) in months]))
    cuts = ", ".join(f"CAST(cut_{n} AS DATE) AS cut_{n}" for n in CUTS)
    connection.execute(WINDOWS_SQL.format(cuts=cuts))
    connection.unregister("windows_frame")


def _create_event_months(connection, context, registrations: str) -> None:
    """Creates event_months for the people in `registrations` (a table or a batch's cut)."""
    sql = EVENT_MONTHS_SQL.format(registrations=registrations)
    connection.execute(sql, _diabetes_parameters(context))


def person_unit_selects(context) -> list[tuple[str, dict]]:
    """The selects of the family's units person by person (units columns but profile_id),
    with their parameters, for the units cache: each person's units depend only on their
    own rows. A full publish counts the screenings by profile instead."""
    return [(PERSON_UNITS_SQL, {}), (SCREENING_BY_PERSON_SQL, {})]


def insert_profile_units(connection) -> None:
    """Inserts the units counted by profile rather than person (from profile_pop), for the
    units cache, whose person-level selects (person_unit_selects) give the rest."""
    connection.execute(SCREENING_DENOMINATORS_SQL)
    connection.execute(COVERAGE_SQL)


def windows_frame(months: list[date]) -> pd.DataFrame:
    """Returns register_windows' rows for the covered months."""
    frame = pd.DataFrame({"month": months})
    frame["month_end"] = [shift_months(month, 1) - timedelta(days=1) for month in months]
    frame["month_number"] = [month.year * 12 + month.month - 1 for month in months]
    for n in CUTS:
        frame[f"cut_{n}"] = [shift_months(end, -n) for end in frame["month_end"]]
    return frame


def _diabetes_parameters(context) -> dict:
    registry = context.registry
    triple = registry["dm_triple_target"].parameters
    return {
        "hba1c": registry["dm_hba1c_control"].parameters.get("hba1c_threshold", 58.0),
        "cholesterol": registry["dm_cholesterol_control"].parameters["cholesterol_threshold"],
        "triple_hba1c": triple.get("hba1c_threshold", 58.0),
        "triple_cholesterol": triple.get("cholesterol_threshold", 4.0),
    }
