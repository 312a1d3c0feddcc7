"""From months to periods, and the standardised rates (the `period_totals` table).

A period adds up its months for event indicators, and takes its last month for statuses
("registered at period end"). Population denominators are summed as person-months, so
that the mean population is person-months / months and person-years are person-months
/ 12. Directly standardised rates use the European Standard Population 2013 (persons, 19
bands), in every segment but the age bands (whose value is the crude age-specific rate,
metrics.values); indirectly standardised ratios use the system's age- and sex-specific
rates in the same segment month by month, so that a period's expected count is the sum of
its months' (METRICS.md, "Statistics"; docs/metrics.md, "Segments").
"""

from __future__ import annotations

from metrics.reference_data import esp2013

# Indirect standardisation month by month: each org's expected events are its age- and
# sex-specific population times the system's rates that month, in the same segment.
# Expected counts then add up over a period's months like the observed ones, so periods
# need no age-sex detail; and as they are linear in the population, each population row's
# share is added up with the counts, so the age-sex detail is never materialised.
# The month's counts have the sexes together (direct standardisation is by age band,
# persons). Only the rows a DSR is computed from keep their band: the others need none, and
# period_cells is then half the size. One row per key and month, expected counts included,
# because the rolling 12-month window counts rows, not months.
MONTHLY_CELLS_SQL = """
CREATE OR REPLACE TABLE monthly_cells AS
WITH system_rates AS (
    SELECT metric_id, month, segment, band, sex, coalesce(sum(num), 0) / sum(pop) AS rate
    FROM (
        SELECT metric_id, month, segment, band, sex, num, NULL::DOUBLE AS pop
        FROM level_num WHERE level = 'system' AND band IS NOT NULL
        UNION ALL
        SELECT metric_id, month, segment, band, sex, NULL, pop
        FROM level_pop WHERE level = 'system' AND band IS NOT NULL
    ) system_rows
    GROUP BY metric_id, month, segment, band, sex
    HAVING sum(pop) > 0
),
counted AS (
    SELECT metric_id, month, level, org_code, segment, band, num, den, sumsq,
           NULL::DOUBLE AS person_months, NULL::DOUBLE AS expected
    FROM level_num
    UNION ALL
    SELECT p.metric_id, p.month, p.level, p.org_code, p.segment, p.band, NULL, NULL, NULL,
           p.pop, p.pop * r.rate
    FROM level_pop p
    LEFT JOIN system_rates r
      ON r.metric_id = p.metric_id AND r.month = p.month AND r.segment = p.segment
     AND r.band = p.band AND r.sex = p.sex
)
SELECT c.metric_id, c.month, c.level, c.org_code, c.segment,
       CASE WHEN m.method = 'dsr' AND c.segment NOT LIKE 'age_band:%' THEN c.band END AS band,
       sum(c.num) AS num, sum(c.den) AS den, sum(c.sumsq) AS sumsq,
       sum(c.person_months) AS person_months, sum(c.expected) AS expected
FROM counted c JOIN metric_props m USING (metric_id)
GROUP BY 1, 2, 3, 4, 5, 6
"""

# Months, quarters, board periods and financial years: each month joins the periods it is in.
CALENDAR_PERIODS_SQL = """
CREATE OR REPLACE TABLE period_cells AS
SELECT c.metric_id, pm.period_type, pm.period_start, pm.period_end, pm.months, c.level,
       c.org_code, c.segment, c.band, sum(c.num) AS num, sum(c.den) AS den,
       sum(c.sumsq) AS sumsq, sum(c.person_months) AS person_months, sum(c.expected) AS expected
FROM monthly_cells c
JOIN metric_props p USING (metric_id)
JOIN period_months pm
  ON pm.month = c.month AND pm.period_type <> 'rolling12'
 AND (p.accumulate = 'sum' OR pm.is_last_month)
GROUP BY ALL
"""

# Rolling 12 months: a window over each series' months (twelve times fewer rows than joining
# each month to the twelve periods it is in). Months without a row are filled in as missing,
# so the window always spans twelve calendar months.
ROLLING_PERIODS_SQL = """
INSERT INTO period_cells
WITH series AS (
    SELECT DISTINCT metric_id, level, org_code, segment, band FROM monthly_cells
),
dense AS (
    SELECT s.*, m.month, c.num, c.den, c.sumsq, c.person_months, c.expected, p.accumulate
    FROM series s CROSS JOIN months m
    JOIN metric_props p USING (metric_id)
    LEFT JOIN monthly_cells c
      ON c.metric_id = s.metric_id AND c.month = m.month AND c.level = s.level
     AND c.org_code = s.org_code AND c.segment = s.segment
     AND c.band IS NOT DISTINCT FROM s.band
),
windowed AS (
    SELECT *,
        CASE WHEN accumulate = 'sum' THEN sum(num) OVER twelve ELSE num END AS num_12,
        CASE WHEN accumulate = 'sum' THEN sum(den) OVER twelve ELSE den END AS den_12,
        CASE WHEN accumulate = 'sum' THEN sum(sumsq) OVER twelve ELSE sumsq END AS sumsq_12,
        CASE WHEN accumulate = 'sum' THEN sum(person_months) OVER twelve
             ELSE person_months END AS person_months_12,
        sum(expected) OVER twelve AS expected_12
    FROM dense
    WINDOW twelve AS (PARTITION BY metric_id, level, org_code, segment, band
                      ORDER BY month ROWS BETWEEN 11 PRECEDING AND CURRENT ROW)
)
SELECT metric_id, 'rolling12', (month - INTERVAL 11 MONTH)::DATE,
       (month + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE, 12, level, org_code, segment, band,
       num_12, den_12, sumsq_12, person_months_12, expected_12
FROM windowed
WHERE month >= (SELECT min(month) FROM months) + INTERVAL 11 MONTH
  AND (num_12 IS NOT NULL OR den_12 IS NOT NULL OR person_months_12 IS NOT NULL
       OR expected_12 IS NOT NULL)
"""

# ESP 2013 directly standardised rates from each period's events and person-years by band,
# for the whole population and within every segment but the age bands. A band with no
# person-years adds nothing (a segment such as frailty:severe has few young people).
STANDARDISED_SQL = """
CREATE OR REPLACE TABLE standardised AS
WITH by_band AS (
    SELECT metric_id, period_type, period_start, level, org_code, segment, band,
           coalesce(sum(num), 0) AS events, sum(person_months) / 12 AS person_years
    FROM period_cells WHERE band IS NOT NULL AND segment NOT LIKE 'age_band:%'
    GROUP BY ALL
)
SELECT b.metric_id, b.period_type, b.period_start, b.level, b.org_code, b.segment,
       sum(e.share * b.events / b.person_years) AS dsr_rate,
       sum(e.share * e.share * b.events / (b.person_years * b.person_years)) AS dsr_variance
FROM by_band b JOIN esp_shares e USING (band)
JOIN metric_props m USING (metric_id)
WHERE b.person_years > 0 AND m.method = 'dsr'
GROUP BY ALL
"""

PERIOD_TOTALS_SQL = """
CREATE OR REPLACE TABLE period_totals AS
WITH totals AS (
    SELECT metric_id, period_type, period_start, period_end, months, level, org_code, segment,
           coalesce(sum(num), 0) AS num, sum(den) AS den, sum(sumsq) AS sumsq,
           sum(person_months) AS person_months, sum(expected) AS expected
    FROM period_cells GROUP BY ALL
)
SELECT t.*, s.dsr_rate, s.dsr_variance
FROM totals t
LEFT JOIN standardised s
  ON s.metric_id = t.metric_id AND s.period_type = t.period_type
 AND s.period_start = t.period_start AND s.level = t.level AND s.org_code = t.org_code
 AND s.segment = t.segment
"""


def build_period_totals(connection) -> None:
    """Creates period_cells, standardised and period_totals."""
    shares = esp2013()
    shares["band"] = range(len(shares))
    shares["share"] = shares["weight"] / shares["weight"].sum()
    connection.register("esp_frame", shares[["band", "share"]])
    connection.execute("CREATE OR REPLACE TEMP TABLE esp_shares AS SELECT * FROM esp_frame")
    connection.unregister("esp_frame")
    connection.execute(MONTHLY_CELLS_SQL)
    connection.execute(CALENDAR_PERIODS_SQL)
    connection.execute(ROLLING_PERIODS_SQL)
    connection.execute(STANDARDISED_SQL)
    connection.execute(PERIOD_TOTALS_SQL)
