"""The sample's A&E attendances: the published HES A&E layout with its quirks, England-like
rates, and far more attendances for care home residents than for people at home."""

from __future__ import annotations

from etl.source import inspect
from sample_data.ae import COLUMNS
from tests.sample_data.conftest import one
from tests.sample_data.test_magnitudes import PERSON_YEARS, rate

RESIDENTS = "(SELECT person_id FROM patients WHERE care_home_resident)"


def test_the_file_is_in_the_published_layout_and_detected_as_ae_attendances(sample):
    out, written = sample
    [path] = written["ae_attendances"]
    assert path.read_text(encoding="utf-8").split("\n", 1)[0] == ",".join(COLUMNS)
    source = inspect(path, header_of_parquet=None)
    assert source.feed.name == "ae_attendances"
    assert source.ignored == ("FYEAR", "ARRIVALTIME", "AEPATGROUP")


def test_about_400_attendances_per_1000_a_year(db):
    assert 350 <= rate(db, "SELECT count(*) FROM ae_attendances", 1000) <= 450
    planned = one(db, "SELECT avg((AEATTENDCAT = 2)::INT) FROM ae_attendances")
    assert 0.03 <= planned <= 0.05


def test_care_home_residents_attend_far_more_often_and_by_ambulance(db):
    resident, home = db.execute(f"""
        SELECT avg((AEARRIVALMODE = 1)::INT) FILTER (WHERE PSEUDO_HESID IN {RESIDENTS}),
               avg((AEARRIVALMODE = 1)::INT) FILTER (WHERE PSEUDO_HESID NOT IN {RESIDENTS})
        FROM ae_attendances""").fetchone()
    assert resident > 1.5 * home
    per_resident = one(
        db,
        f"""SELECT count(*) / (SELECT count(*) FROM {RESIDENTS}) / 3 FROM ae_attendances
            WHERE PSEUDO_HESID IN {RESIDENTS}""",
    )
    everyone = one(db, f"SELECT count(*) / {PERSON_YEARS} FROM ae_attendances")
    assert per_resident > 1.5 * everyone


def test_the_hes_quirks_are_there(db):
    practices = dict(
        db.execute("""SELECT GPPRAC, count(*) FROM ae_attendances
                      WHERE GPPRAC NOT LIKE 'X%' GROUP BY ALL""").fetchall()
    )
    assert set(practices) == {"&", "V81997", "V81998", "V81999"}
    infants = one(
        db, "SELECT count(DISTINCT ARRIVALAGE) FROM ae_attendances WHERE ARRIVALAGE > 7000"
    )
    assert infants == 5  # 7003-7007
    assert one(db, "SELECT count(*) FROM ae_attendances WHERE ARRIVALDATE = '1801-01-01'") > 100
    assert one(db, "SELECT count(*) FROM ae_attendances WHERE SEX = 9") > 100
