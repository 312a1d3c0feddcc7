"""The monthly population files: NHS Digital's published form, consistent with patients."""

from __future__ import annotations

from tests.sample_data.conftest import one

POPULATION_HEADER = "PUBLICATION,EXTRACT_DATE,TYPE,CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS"


def test_population_files_one_per_month_in_nhs_digital_form(sample):
    out, written = sample
    names = [p.name for p in written["population"]]
    assert len(names) == 36
    assert names[0] == "gp-reg-pat-prac-sing-age-2023-11.csv"
    assert names[-1] == "gp-reg-pat-prac-sing-age-2026-10.csv"
    lines = written["population"][-1].read_text().splitlines()
    assert lines[0] == POPULATION_HEADER
    assert lines[1].startswith("Patients Registered at a GP Practice,01OCT2026,GP,X10001,")
    assert len(lines) == 1 + 60 * (2 * 97 + 1)


def test_population_totals_agree_with_detail_rows(db):
    bad = one(
        db,
        """WITH g AS (SELECT CODE, EXTRACT_DATE, SEX,
                        sum(NUMBER_OF_PATIENTS::INT) FILTER (WHERE AGE <> 'ALL') AS detail,
                        max(NUMBER_OF_PATIENTS::INT) FILTER (WHERE AGE = 'ALL') AS total
                     FROM pop_raw GROUP BY ALL)
                     SELECT count(*) FROM g a WHERE total <> coalesce(detail,
                       (SELECT sum(detail) FROM g b WHERE b.CODE = a.CODE
                        AND b.EXTRACT_DATE = a.EXTRACT_DATE AND b.SEX <> 'ALL'))""",
    )
    assert bad == 0
    assert one(db, "SELECT count(DISTINCT AGE) FROM pop_raw") == 97


def test_population_counts_match_the_patients_registered_on_each_extract_date(db):
    for day in ("2023-11-01", "2025-06-01", "2026-10-01"):
        mismatches = one(
            db,
            f"""
            WITH reg AS (SELECT gpprac AS prac,
                    least(95, (year(DATE '{day}') * 12 + month(DATE '{day}')
                      - (left(birth_month, 4)::INT * 12 + right(birth_month, 2)::INT)) // 12)
                      AS age, count(*) AS k
                 FROM patients WHERE registered_from <= DATE '{day}'
                   AND (registered_to IS NULL OR registered_to >= DATE '{day}')
                   AND sex IN ('1', '2')
                 GROUP BY ALL),
            p AS (SELECT prac, age, sum(n) AS n FROM pop WHERE d = DATE '{day}' GROUP BY ALL)
            SELECT count(*) FROM p FULL JOIN reg USING (prac, age)
            WHERE coalesce(n, 0) <> coalesce(k, 0)""",
        )
        assert mismatches == 0, day
