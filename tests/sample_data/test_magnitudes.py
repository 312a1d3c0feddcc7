"""The sample system's rates are England-like, so indicators computed from it look real."""

from __future__ import annotations

from tests.sample_data.conftest import BAND_SQL, EXTRACT, one

PERSON_YEARS = "(SELECT sum(py) FROM py)"
AGE_AT_END = (
    "(2026 * 12 + 10 - (left(birth_month, 4)::INT * 12 + right(birth_month, 2)::INT)) // 12"
)
CHRONIC_ACSC = """(left(diag_4_01, 3) IN ('J45', 'E10', 'E11', 'E12', 'E13', 'E14', 'J41', 'J43',
    'J44', 'D51', 'D52', 'I48', 'G40', 'G41', 'F00', 'F01', 'F02', 'F03')
    OR diag_4_01 IN ('J46X', 'J42X', 'J47X', 'D501', 'D508', 'D509')
    OR (diag_4_01 IN ('B180', 'B181') AND NOT contains(diag_4_concat, 'D57'))
    OR ((left(diag_4_01, 3) = 'I50' OR diag_4_01 IN ('I110', 'J81X', 'I130', 'I10X', 'I119'))
        AND NOT regexp_matches(coalesce(opertn_4_concat, ''),
        '(^|[,;|])(K0|K1|K2|K3|K4|K50|K52|K55|K56|K57|K60|K61|K66|K67|K68|K69|K71|K73|K74)'))
    OR (left(diag_4_01, 3) = 'J20' AND regexp_matches(diag_4_concat, 'J4[12347]'))
    OR (left(diag_4_01, 3) IN ('I20', 'I25') AND NOT regexp_matches(coalesce(opertn_4_concat,
        ''), '(^|[,;|])([A-TVW]|X0|X1|X2|X4|X5)')))"""


def rate(db, numerator_sql: str, per: int, denominator: str = PERSON_YEARS) -> float:
    """Events per `per` person-years."""
    return one(db, f"SELECT ({numerator_sql}) * {per} / {denominator}")


def test_age_structure_is_england_like(db):
    old, oldest = db.execute("""SELECT sum(n) FILTER (WHERE age >= 65) / sum(n),
                                sum(n) FILTER (WHERE age >= 75) / sum(n) FROM pop""").fetchone()
    assert 0.17 <= old <= 0.20 and 0.075 <= oldest <= 0.095


def test_emergency_admissions_about_100_per_1000_and_much_higher_in_the_old(db):
    assert 80 <= rate(db, "SELECT count(*) FROM em", 1000) <= 120
    by_band = dict(
        db.execute(f"""SELECT b, count(*) * 1000 / any_value(py) FROM em
        JOIN py ON py.b = ({BAND_SQL.replace("a <", "startage <")}) GROUP BY b""").fetchall()
    )
    under_65 = one(
        db,
        """SELECT count(*) FILTER (WHERE startage < 65) * 1000 /
                          (SELECT sum(py) FROM py WHERE b <= 3) FROM em""",
    )
    over_75 = one(
        db,
        """SELECT count(*) FILTER (WHERE startage >= 75) * 1000 /
                         (SELECT sum(py) FROM py WHERE b >= 5) FROM em""",
    )
    assert over_75 > 2.5 * under_65
    assert 230 <= by_band[5] <= 340 and 400 <= by_band[6] <= 620 and 25 <= by_band[1] <= 45


def test_all_spells_include_elective_day_case_and_maternity(db):
    assert 200 <= rate(db, "SELECT count(*) FROM apc_spells", 1000) <= 290
    day_cases = one(
        db, "SELECT avg((classpat = '2')::INT) FROM apc_spells WHERE admimeth LIKE '1%'"
    )
    assert 0.55 < day_cases < 0.85
    assert one(db, "SELECT count(*) FROM apc_spells WHERE admimeth IN ('31', '32')") > 10_000
    assert one(db, "SELECT count(*) FROM apc_spells WHERE admimeth IN ('81', '82', '83')") > 1000
    assert one(db, "SELECT avg((admimeth = '21')::INT) FROM em") > 0.7
    transfers = one(db, "SELECT avg((admisorc IN ('51', '52', '53'))::INT) FROM em")
    assert 0.015 < transfers < 0.06


def test_length_of_stay_is_skewed_and_longer_in_the_old(db):
    median_adult, mean_old = db.execute("""SELECT
        median(disdate - admidate) FILTER (WHERE startage BETWEEN 18 AND 74),
        avg(disdate - admidate) FILTER (WHERE startage >= 75) FROM em""").fetchone()
    assert 2 <= median_adult <= 4 and 7.5 <= mean_old <= 11


def test_deaths_about_9_per_1000_with_a_third_admitted_in_their_last_100_days(db):
    assert 7 <= rate(db, "SELECT count(*) FROM deaths", 1000) <= 11
    any_admission, three_plus = db.execute("""SELECT avg((k >= 1)::INT), avg((k >= 3)::INT) FROM
        (SELECT d.person_id, count(e.spell_id) AS k FROM deaths d LEFT JOIN em e ON
         e.person_id = d.person_id AND e.admidate BETWEEN d.dod - 100 AND d.dod GROUP BY 1)
        """).fetchone()
    assert 0.25 <= any_admission <= 0.45 and 0.01 <= three_plus <= 0.08
    places = dict(
        db.execute("SELECT pod, count(*) / sum(count(*)) OVER () FROM deaths GROUP BY 1").fetchall()
    )
    assert set(places) == {"hospital", "home", "care_home", "hospice", "other"}
    assert 0.2 < places["hospital"] < 0.4 and places["other"] < 0.12


def test_chronic_acsc_about_800_per_100000_and_the_exclusions_exist(db):
    acsc = rate(
        db,
        f"""SELECT count(*) FROM em WHERE classpat = '1' AND admisorc NOT IN
                        ('51', '52', '53') AND sex IN ('1', '2') AND {CHRONIC_ACSC}""",
        100_000,
    )
    assert 600 <= acsc <= 1000
    excluded = db.execute("""SELECT
        count(*) FILTER (WHERE left(diag_4_01, 3) = 'I50' AND opertn_4_concat LIKE 'K%'),
        count(*) FILTER (WHERE left(diag_4_01, 3) = 'J20' AND regexp_matches(diag_4_concat, 'J44')),
        count(*) FILTER (WHERE left(diag_4_01, 3) = 'J20' AND NOT regexp_matches(diag_4_concat,
                         'J4[12347]')),
        count(*) FILTER (WHERE diag_4_01 IN ('B180', 'B181') AND contains(diag_4_concat, 'D57')),
        count(*) FILTER (WHERE diag_4_01 IN ('N390', 'J181', 'L031', 'E86X', 'K590'))
        FROM em""").fetchone()
    assert excluded[0] > 30 and excluded[1] > 100 and excluded[2] > 1000 and excluded[3] > 0
    assert excluded[4] > 8_000


def test_winter_emergency_admissions_exceed_summer(db):
    ratio = one(
        db,
        """SELECT count(*) FILTER (WHERE month(admidate) IN (12, 1, 2)) /
                       count(*) FILTER (WHERE month(admidate) IN (6, 7, 8)) FROM em""",
    )
    assert 1.1 <= ratio <= 1.3


def test_readmission_of_the_75_plus_within_30_days_is_plausible(db):
    share = one(
        db,
        f"""WITH s AS (SELECT *, lead(admidate) OVER w AS next_admidate,
                          lead(admimeth) OVER w AS next_admimeth FROM apc_spells
                          WINDOW w AS (PARTITION BY person_id ORDER BY admidate))
                        SELECT avg(coalesce(next_admimeth IN ('21','22','23','24','25','28',
                          '2A','2B','2C','2D') AND next_admidate - disdate <= 30, false)::INT)
                        FROM s
                        WHERE startage >= 75 AND disdate <= {EXTRACT} - 30""",
    )
    assert 0.12 <= share <= 0.22


def test_care_home_admissions_about_500_per_100000_65_plus(db):
    first_65 = one(
        db,
        """SELECT count(*) FROM (SELECT person_id, arg_min(age, admission_date) AS
                          age FROM care_home_admissions WHERE permanent GROUP BY person_id)
                          WHERE age >= 65 AND person_id IS NOT NULL""",
    )
    blank_65 = one(
        db,
        "SELECT count(*) FROM care_home_admissions WHERE permanent "
        "AND person_id IS NULL AND age >= 65",
    )
    per_100k = (first_65 + blank_65) * 100_000 / one(db, "SELECT sum(py) FROM py WHERE b >= 4")
    assert 350 <= per_100k <= 650
    younger = rate(
        db,
        "SELECT count(*) FROM care_home_admissions WHERE permanent AND age < 65",
        100_000,
        "(SELECT sum(py) FROM py WHERE b IN (2, 3))",
    )
    assert 5 <= younger <= 30
    assert one(db, "SELECT count(*) FROM care_home_admissions WHERE NOT permanent") > 100


def test_register_prevalence_is_england_like(db):
    prevalence = dict(
        db.execute("""SELECT condition, count(*) / (SELECT count(*) FROM patients
        WHERE registered_to IS NULL) FROM conditions JOIN patients USING (person_id)
        WHERE registered_to IS NULL AND resolved_on IS NULL GROUP BY 1""").fetchall()
    )
    dm = one(
        db,
        f"""SELECT avg((EXISTS (SELECT 1 FROM conditions c WHERE c.person_id =
        p.person_id AND condition = 'DM' AND resolved_on IS NULL))::INT) FROM patients p
        WHERE registered_to IS NULL AND {AGE_AT_END} >= 17""",
    )
    assert 0.06 <= dm <= 0.08
    expected = {
        "HYP": 0.14,
        "AST": 0.065,
        "COPD": 0.02,
        "CHD": 0.03,
        "AF": 0.022,
        "HF": 0.01,
        "DEM": 0.008,
        "STIA": 0.019,
        "SMI": 0.01,
        "LD": 0.006,
        "CAN": 0.035,
    }
    for condition, target in expected.items():
        assert 0.7 * target <= prevalence[condition] <= 1.3 * target, condition
    monthly = """SELECT count(*) FROM conditions WHERE condition = 'DM'
        AND diagnosed_on >= DATE '2023-11-01' GROUP BY date_trunc('month', diagnosed_on)"""
    new_dm = [r[0] for r in db.execute(monthly).fetchall()]
    assert len(new_dm) == 36 and min(new_dm) >= 50


def test_frailty_risk_and_high_risk_register(db):
    frailty = dict(
        db.execute(f"""SELECT frailty, count(*) / sum(count(*)) OVER () FROM patients
        WHERE registered_to IS NULL AND {AGE_AT_END} >= 65 GROUP BY 1""").fetchall()
    )
    assert 0.02 <= frailty["severe"] <= 0.05 and 0.4 <= frailty["fit"] <= 0.65
    register = one(
        db,
        f"""SELECT avg(high_risk_register::INT) FROM patients
                           WHERE registered_to IS NULL AND {AGE_AT_END} >= 18""",
    )
    assert 0.017 <= register <= 0.023
    risk_by_register = dict(
        db.execute("SELECT high_risk_register, avg(risk_score) FROM patients GROUP BY 1").fetchall()
    )
    assert risk_by_register[True] > 3 * risk_by_register[False]
    assert 0.01 < one(db, "SELECT avg((risk_score IS NULL)::INT) FROM patients") < 0.06


def test_care_processes_and_immunisations(db):
    acp = one(
        db,
        f"""SELECT avg((EXISTS (SELECT 1 FROM gp_events e WHERE e.person_id =
        p.person_id AND code = 'anticipatory_care_plan' AND event_date > {EXTRACT} - 365))::INT)
        FROM patients p WHERE high_risk_register AND registered_to IS NULL""",
    )
    assert 0.55 <= acp <= 0.75
    dtap = one(
        db,
        f"""SELECT avg(((SELECT count(*) FROM gp_events e WHERE e.person_id = p.person_id
        AND code = 'dtap_ipv_hib_hepb' AND event_date < strptime(birth_month || '-01', '%Y-%m-%d')
        + INTERVAL 8 MONTH) >= 3)::INT) FROM patients p WHERE registered_to IS NULL AND
        strptime(birth_month || '-01', '%Y-%m-%d') + INTERVAL 8 MONTH
        BETWEEN {EXTRACT} - 364 AND {EXTRACT}""",
    )
    assert 0.86 <= dtap <= 0.95
    cervical = one(
        db,
        f"""SELECT avg((EXISTS (SELECT 1 FROM gp_events e WHERE e.person_id =
        p.person_id AND code = 'cervical_screening' AND event_date > {EXTRACT} - INTERVAL 42
        MONTH))::INT) FROM patients p WHERE sex = '2' AND registered_to IS NULL
        AND {AGE_AT_END} BETWEEN 25 AND 49""",
    )
    assert 0.6 <= cervical <= 0.8


def test_eq5d_index_is_about_0_8(db):
    index_5l = one(
        db,
        """SELECT avg(1 - [0, 0.058, 0.076, 0.207, 0.274][eq5d_mo]
        - [0, 0.050, 0.080, 0.164, 0.203][eq5d_sc] - [0, 0.050, 0.063, 0.162, 0.184][eq5d_ua]
        - [0, 0.063, 0.084, 0.276, 0.335][eq5d_pd] - [0, 0.078, 0.104, 0.285, 0.289][eq5d_ad])
        FROM survey_responses WHERE eq5d_version = '5L' AND respondent = 'patient'""",
    )
    assert 0.75 <= index_5l <= 0.85
    counts = db.execute("""SELECT count(*) / count(DISTINCT gpprac) / 3,
        avg((eq5d_version = '3L')::INT), avg((respondent = 'carer')::INT),
        avg((eq5d_mo IS NULL)::INT) FROM survey_responses""").fetchone()
    assert 150 <= counts[0] <= 450 and 0.05 < counts[1] < 0.3 and 0.1 < counts[2] < 0.3
    assert 0 < counts[3] < 0.05


def test_aggregate_indicators_have_numerators_within_denominators(db):
    rows = dict(
        db.execute("SELECT indicator_id, count(*) FROM aggregate_indicators GROUP BY 1").fetchall()
    )
    assert rows["gpps_overall_experience"] == 3 * 60 and rows["qof_dm020_achievement"] == 3 * 60
    assert one(db, "SELECT count(*) FROM aggregate_indicators WHERE numerator > denominator") == 0
    assert (
        one(
            db,
            """SELECT count(*) FROM aggregate_indicators WHERE indicator_id =
        'qof_dm020_achievement' AND (month(period_start) <> 4 OR period_end - period_start
        NOT IN (364, 365))""",
        )
        == 0
    )
