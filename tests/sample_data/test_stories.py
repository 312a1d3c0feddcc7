"""The four stories of the sample system are in the data, at the size the README says."""

from __future__ import annotations

from sample_data import system as S
from tests.sample_data.conftest import BAND_SQL, EXTRACT, one

MONTHLY_RATES = """CREATE OR REPLACE TEMP TABLE monthly AS
    WITH k AS (SELECT o.locality_code AS loc, o.area_code AS area, date_trunc('month', admidate)
               AS m, count(*) AS k FROM em JOIN org o ON o.practice_code = em.gpprac GROUP BY ALL),
         n AS (SELECT o.locality_code AS loc, d AS m, sum(n) AS n FROM pop
               JOIN org o ON o.practice_code = pop.prac GROUP BY ALL)
    SELECT loc, area, m, k * 12000.0 / n AS rate, dense_rank() OVER (ORDER BY m) AS month
    FROM k JOIN n USING (loc, m)"""


def relative(db, story: str, reference: str):
    """Monthly rate of one group of localities over another (this removes season)."""
    db.execute(MONTHLY_RATES)
    return dict(
        db.execute(f"""SELECT month, avg(rate) FILTER (WHERE {story}) /
        avg(rate) FILTER (WHERE {reference}) FROM monthly GROUP BY month""").fetchall()
    )


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def test_story_1_locality_steps_down_about_20_percent_from_month_18(db):
    ratio = relative(db, f"loc = '{S.STEP_LOCALITY}'", "loc IN ('TBN', 'TBR')")
    before = mean(ratio[m] for m in range(1, 18))
    after = mean(ratio[m] for m in range(19, 37))
    assert 0.73 <= after / before <= 0.87
    assert max(ratio[m] for m in range(19, 37)) < min(ratio[m] for m in range(1, 18))


def test_story_2_area_improves_for_two_years_then_the_gains_reverse(db):
    ratio = relative(db, f"area = '{S.TREND_AREA}'", "loc IN ('TBN', 'TBR')")
    start, low, end = (
        mean(ratio[m] for m in span) for span in (range(1, 7), range(19, 25), range(31, 37))
    )
    assert low < 0.92 * start
    assert end > 1.05 * low


def test_story_3_two_practices_stand_out_after_age_standardisation(db):
    ages = BAND_SQL.replace("a <", "age <")
    spells = BAND_SQL.replace("a <", "startage <")
    isr = dict(
        db.execute(f"""
        WITH p AS (SELECT prac, {ages} AS b, sum(n) / 12.0 AS py FROM pop GROUP BY ALL),
             e AS (SELECT gpprac AS prac, {spells} AS b, count(*) AS k FROM em GROUP BY ALL),
             r AS (SELECT b, sum(k) / sum(py) AS r FROM p LEFT JOIN e USING (prac, b) GROUP BY b)
        SELECT prac, sum(coalesce(k, 0)) / sum(py * r) FROM p LEFT JOIN e USING (prac, b)
        JOIN r USING (b) GROUP BY prac""").fetchall()
    )
    ranked = sorted(isr, key=isr.get)
    assert ranked[-1] == S.HIGH_OUTLIER_PRACTICE and isr[ranked[-1]] >= 1.3
    assert ranked[0] == S.LOW_OUTLIER_PRACTICE and isr[ranked[0]] <= 0.75
    crude = dict(db.execute("""SELECT gpprac, count(*) FROM em GROUP BY 1""").fetchall())
    people = dict(db.execute("SELECT prac, sum(n) FROM pop GROUP BY 1").fetchall())
    crude_rank = sorted(crude, key=lambda p: crude[p] / people[p])
    assert crude_rank.index(S.HIGH_OUTLIER_PRACTICE) < 57  # not obvious before standardising


def test_story_4_one_network_leads_on_diabetes_targets(db):
    rows = db.execute(f"""
        WITH reg AS (SELECT p.person_id, o.network_code = '{S.STORY_NETWORK}' AS story
                     FROM patients p JOIN org o ON o.practice_code = p.gpprac
                     JOIN conditions c ON c.person_id = p.person_id AND c.condition = 'DM'
                       AND c.resolved_on IS NULL
                     WHERE p.registered_to IS NULL AND coalesce(p.frailty, 'fit')
                       NOT IN ('moderate', 'severe')),
             latest AS (SELECT person_id, code, arg_max(value::DOUBLE, event_date) AS v
                        FROM gp_events WHERE code IN ('hba1c', 'sbp', 'dbp', 'cholesterol')
                        AND event_date > {EXTRACT} - 365 GROUP BY ALL),
             wide AS (SELECT person_id, max(v) FILTER (WHERE code = 'hba1c') AS hba1c,
                      max(v) FILTER (WHERE code = 'sbp') AS sbp,
                      max(v) FILTER (WHERE code = 'dbp') AS dbp,
                      max(v) FILTER (WHERE code = 'cholesterol') AS cholesterol
                      FROM latest GROUP BY person_id)
        SELECT story, avg((coalesce(hba1c, 999) <= 58)::INT),
               avg((coalesce(sbp, 999) <= 140 AND coalesce(dbp, 999) <= 80)::INT),
               avg((coalesce(cholesterol, 99) <= 4.0)::INT), count(*)
        FROM reg LEFT JOIN wide USING (person_id) GROUP BY story""").fetchall()
    by = {r[0]: r[1:] for r in rows}
    story, others = by[True], by[False]
    assert 0.72 <= story[0] <= 0.88 and 0.5 <= others[0] <= 0.7
    assert story[0] - others[0] >= 0.12
    assert story[1] > others[1] + 0.08 and story[2] > others[2] + 0.08
    assert 0.35 <= others[2] <= 0.55
    tests_a_year = one(
        db,
        """SELECT count(*) / count(DISTINCT person_id) FROM gp_events
                              WHERE code = 'hba1c' AND year(event_date) = 2025""",
    )
    assert 1.3 <= tests_a_year <= 2.5
