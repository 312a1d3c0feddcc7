"""The sample system's files have the contract's shape: headers, codes, keys, dates, hierarchy."""

from __future__ import annotations

import re
from datetime import date

from sample_data.generate import FEEDS
from sample_data.organisations import imd_decile
from tests.sample_data.conftest import EXTRACT, one

CONTRACT_HEADERS = {
    "organisations": "practice_code,practice_name,network_code,network_name,locality_code,"
    "locality_name,area_code,area_name,la_code,valid_from,valid_to",
    "patients": "person_id,gpprac,sex,birth_month,lsoa,registered_from,registered_to,"
    "care_home_resident,frailty,risk_score,high_risk_register",
    "conditions": "person_id,condition,diagnosed_on,resolved_on",
    "gp_events": "person_id,event_date,code,value",
    "apc_spells": "spell_id,person_id,gpprac,procode3,admidate,disdate,admimeth,admisorc,"
    "disdest,classpat,startage,sex,diag_4_01,diag_4_concat,opertn_4_concat,tretspef",
    "deaths": "person_id,dod,sex,age,gpprac,pod,icd10u",
    "care_home_admissions": "event_id,person_id,la_code,admission_date,setting,permanent,age,sex",
    "survey_responses": "response_id,gpprac,respondent,response_date,eq5d_version,eq5d_mo,"
    "eq5d_sc,eq5d_ua,eq5d_pd,eq5d_ad,eq5d_vas,coordinated_care,self_manage_confidence",
    "aggregate_indicators": "indicator_id,org_code,period_start,period_end,numerator,denominator",
}
PERSON_FEEDS = (
    "patients",
    "conditions",
    "gp_events",
    "apc_spells",
    "deaths",
    "care_home_admissions",
)
KEYS = {
    "organisations": "practice_code, valid_from",
    "patients": "person_id",
    "conditions": "person_id, condition, diagnosed_on",
    "gp_events": "person_id, event_date, code",
    "apc_spells": "spell_id",
    "deaths": "person_id",
    "care_home_admissions": "event_id",
    "survey_responses": "response_id",
    "aggregate_indicators": "indicator_id, org_code, period_start, period_end",
}


def test_every_feed_is_written_with_the_contract_header(sample):
    out, written = sample
    assert list(written) == list(FEEDS)
    for feed, header in CONTRACT_HEADERS.items():
        assert written[feed] == [out / f"{feed}.csv"]
        assert (out / f"{feed}.csv").read_text(encoding="utf-8").split("\n", 1)[0] == header


def test_hierarchy_has_two_areas_six_localities_eleven_networks_sixty_practices(db):
    counts = db.execute("""SELECT count(DISTINCT area_code), count(DISTINCT locality_code),
                           count(DISTINCT network_code), count(DISTINCT practice_code)
                           FROM org""").fetchone()
    assert counts == (2, 6, 11, 60)
    sizes = [r[0] for r in db.execute("SELECT count(*) FROM org GROUP BY network_code").fetchall()]
    assert min(sizes) >= 4 and max(sizes) <= 8
    codes = [
        r[0] for r in db.execute("SELECT DISTINCT practice_code FROM organisations").fetchall()
    ]
    assert all(re.fullmatch(r"[A-Z][0-9]{5}", c) for c in codes)
    assert all(
        re.fullmatch(r"U[0-9]{5}", c)
        for c in (r[0] for r in db.execute("SELECT DISTINCT network_code FROM org").fetchall())
    )
    assert {r[0] for r in db.execute("SELECT DISTINCT la_code FROM org").fetchall()} == {
        "E08000099",
        "E06000099",
    }


def test_list_sizes_are_skewed_between_2000_and_20000(db):
    lo, median, hi, total = db.execute("""SELECT min(s), median(s), max(s), sum(s) FROM (
        SELECT prac, sum(n) AS s FROM pop WHERE d = DATE '2023-11-01' GROUP BY prac)""").fetchone()
    assert 1900 <= lo < 3000 and 17000 < hi <= 21000
    assert 6000 <= median <= 8500
    assert 480_000 <= total <= 520_000
    areas = dict(
        db.execute("""SELECT area_code, sum(n) FROM pop
                               JOIN org ON org.practice_code = prac
                               WHERE d = DATE '2023-11-01' GROUP BY 1""").fetchall()
    )
    assert 285_000 <= areas["E38000991"] <= 315_000
    assert 190_000 <= areas["E38000992"] <= 210_000


def test_one_practice_moves_network_with_consecutive_dates(db):
    rows = db.execute("""SELECT network_code, valid_from, valid_to FROM organisations
                         WHERE practice_code = 'X10012' ORDER BY valid_from""").fetchall()
    assert len(rows) == 2
    (old, _, old_to), (new, new_from, new_to) = rows
    assert old != new == "U91001" and new_to is None
    assert (new_from - old_to).days == 1
    assert one(db, "SELECT min(valid_from) FROM organisations") < date(2023, 11, 1)


def test_person_ids_are_opaque_pseudonyms_never_nhs_numbers(db):
    for feed in PERSON_FEEDS:
        bad = one(
            db,
            f"""SELECT count(*) FROM {feed} WHERE person_id IS NOT NULL AND
                          (NOT regexp_full_match(person_id, 'P[0-9A-F]{{12}}')
                           OR regexp_full_match(person_id, '[0-9]{{10}}'))""",
        )
        assert bad == 0, feed
        unknown = one(
            db,
            f"""SELECT count(*) FROM {feed} f WHERE person_id IS NOT NULL AND
                              NOT EXISTS (SELECT 1 FROM patients p
                                                      WHERE p.person_id = f.person_id)""",
        )
        assert unknown == 0, feed
    blank = one(db, "SELECT avg((person_id IS NULL)::INT) FROM care_home_admissions")
    assert 0.005 < blank < 0.08


def test_keys_are_unique(db):
    for feed, key in KEYS.items():
        assert one(db, f"SELECT count(*) - count(DISTINCT ({key})) FROM {feed}") == 0, feed


def test_spell_dates_and_codes_follow_the_row_rules(db):
    assert one(db, "SELECT count(*) FROM apc_spells WHERE disdate < admidate") == 0
    assert one(db, "SELECT max(admidate) FROM apc_spells") <= one(db, f"SELECT {EXTRACT}")
    open_spells = one(db, "SELECT count(*) FROM apc_spells WHERE disdate IS NULL")
    assert 50 < open_spells < 0.01 * one(db, "SELECT count(*) FROM apc_spells")
    assert (
        one(
            db,
            """SELECT count(*) FROM apc_spells WHERE admimeth NOT IN ('11','12','13','21',
        '22','23','24','25','28','2A','2B','2C','2D','31','32','81','82','83')
        OR classpat NOT IN ('1','2','3','4','5') OR sex NOT IN ('1','2','9')
        OR startage NOT BETWEEN 0 AND 120""",
        )
        == 0
    )
    codes = db.execute("""SELECT DISTINCT unnest(string_split_regex(diag_4_concat, '[,;|]'))
                          FROM apc_spells""").fetchall()
    assert all(re.fullmatch(r"[A-Z][0-9]{2}[0-9X]", c) for (c,) in codes)
    procs = db.execute("""SELECT DISTINCT unnest(string_split_regex(opertn_4_concat, '[,;|]'))
                          FROM apc_spells WHERE opertn_4_concat IS NOT NULL""").fetchall()
    assert procs and all(re.fullmatch(r"[A-Z][0-9]{3}", c) for (c,) in procs)
    assert (
        one(db, "SELECT count(*) FROM apc_spells WHERE NOT starts_with(diag_4_concat, diag_4_01)")
        == 0
    )
    semicolons = one(
        db,
        "SELECT avg(contains(diag_4_concat, ';')::INT) FROM apc_spells "
        "WHERE diag_4_concat LIKE '%_%_%_%_%_%'",
    )
    assert 0.03 < semicolons < 0.2


def test_deaths_end_registration_and_in_hospital_deaths_end_a_spell(db):
    assert (
        one(
            db,
            """SELECT count(*) FROM deaths d JOIN patients p USING (person_id)
                      WHERE p.registered_to IS DISTINCT FROM d.dod OR p.gpprac <> d.gpprac""",
        )
        == 0
    )
    assert (
        one(
            db,
            """SELECT count(*) FROM apc_spells a WHERE disdest = '79' AND NOT EXISTS (
                      SELECT 1 FROM deaths d WHERE d.person_id = a.person_id
                      AND d.dod = a.disdate)""",
        )
        == 0
    )
    share = one(
        db,
        """SELECT avg((EXISTS (SELECT 1 FROM apc_spells a WHERE a.person_id =
                       d.person_id AND a.disdest = '79'))::INT) FROM deaths d
                       WHERE pod = 'hospital'""",
    )
    assert 0.8 < share <= 1.0
    assert (
        one(
            db,
            "SELECT count(*) FROM apc_spells a JOIN deaths d USING (person_id) "
            "WHERE a.admidate > d.dod OR a.disdate > d.dod",
        )
        == 0
    )


def test_care_home_residents_are_flagged_and_admitted_from_their_care_home(db):
    assert (
        one(
            db,
            """SELECT count(*) FROM care_home_admissions c JOIN patients p
                      USING (person_id) WHERE c.permanent AND NOT p.care_home_resident""",
        )
        == 0
    )
    moves = one(
        db,
        """SELECT count(*) FROM (SELECT person_id FROM care_home_admissions
                       WHERE permanent AND person_id IS NOT NULL GROUP BY 1
                       HAVING count(*) = 2 AND arg_max(setting, admission_date) = 'nursing')""",
    )
    assert moves > 20
    from_homes = one(db, "SELECT count(*) FROM em WHERE admisorc IN ('54', '65', '85')")
    assert from_homes > 1000
    assert (
        one(
            db,
            """SELECT count(*) FROM em JOIN patients USING (person_id)
                      WHERE admisorc IN ('54', '65', '85') AND NOT care_home_resident""",
        )
        == 0
    )


def test_lsoas_encode_their_decile_and_practices_differ_in_deprivation(db):
    codes = [r[0] for r in db.execute("SELECT DISTINCT lsoa FROM patients").fetchall()]
    assert all(re.fullmatch(r"E019[0-9]{5}", c) for c in codes) and len(codes) > 250
    assert imd_decile("E01930012") == 4
    shares = [
        r[0]
        for r in db.execute("""SELECT avg((substr(lsoa, 5, 1)::INT < 2)::INT)
                                          FROM patients GROUP BY gpprac""").fetchall()
    ]
    assert min(shares) < 0.05 and max(shares) > 0.4


def test_values_are_blank_only_for_non_measurements(db):
    assert (
        one(
            db,
            """SELECT count(*) FROM gp_events WHERE (code IN ('hba1c','sbp','dbp',
                      'cholesterol')) = (value IS NULL)""",
        )
        == 0
    )
    assert (
        one(
            db,
            "SELECT count(*) FROM gp_events WHERE code = 'cholesterol' "
            "AND NOT regexp_full_match(value, '[0-9]+\\.[0-9]')",
        )
        == 0
    )
    assert (
        one(
            db,
            "SELECT count(*) FROM gp_events WHERE code = 'hba1c' "
            "AND NOT regexp_full_match(value, '[0-9]+')",
        )
        == 0
    )


MHCLG_FILE_1_HEADER = (
    "LSOA code (2021),LSOA name (2021),Local Authority District code (2024),"
    "Local Authority District name (2024),"
    "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived),"
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
)


def test_every_patient_lsoa_has_its_decile_in_the_deprivation_file(sample, db):
    out, _ = sample
    header = (out / "lsoa_deprivation.csv").read_text(encoding="utf-8").split("\n", 1)[0]
    assert header == MHCLG_FILE_1_HEADER
    db.execute("""CREATE OR REPLACE TEMP VIEW imd AS SELECT "LSOA code (2021)" AS lsoa,
        "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)" AS rank,
        "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
        AS decile FROM lsoa_deprivation""")
    missing = one(db, "SELECT count(*) FROM patients WHERE lsoa NOT IN (SELECT lsoa FROM imd)")
    assert missing == 0
    rows = db.execute("SELECT lsoa, rank, decile FROM imd ORDER BY rank").fetchall()
    assert [rank for _, rank, _ in rows] == list(range(1, len(rows) + 1))
    assert len({lsoa for lsoa, _, _ in rows}) == len(rows)
    assert all(decile == imd_decile(lsoa) for lsoa, _, decile in rows)
    assert [decile for _, _, decile in rows] == sorted(decile for _, _, decile in rows)
