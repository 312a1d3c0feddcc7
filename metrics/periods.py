"""From months to periods, and the standardised rates (the `period_totals` table).

A period adds up its months for event indicators, and takes its last month for statuses
("registered at period end"). Population denominators are summed as person-months, so
that the mean population is person-months / months and person-years are person-months
/ 12. Directly standardised rates use the European Standard Population 2013 (persons, 19
bands), in every segment but the age bands (whose value is the crude age-specific rate,
metrics.values); indirectly standardised ratios use the system's age- and sex-specific
rates in the same segment month by month, so that a period's expected count is the sum of
its months' (METRICS.md, "Statistics"; docs/metrics.md, "Segments"). Indicators, periods,
orgs and segments are carried as numbers (metrics.keys) until `period_totals`, which gives
their codes back. The working tables are temporary (metrics.cells says why); `period_totals`
is not, as the aggregate part reads it.
"""

from __future__ import annotations

from metrics.keys import SYSTEM_ORG, not_age_band
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
CREATE OR REPLACE TEMP TABLE monthly_cells AS
WITH system_rates AS (
    SELECT metric_no, month, segment_no, band, sex, coalesce(sum(num), 0) / sum(pop) AS rate
    FROM (
        SELECT metric_no, month, segment_no, band, sex, num, NULL::DOUBLE AS pop
        FROM level_num WHERE org_no = {system_org} AND band IS NOT NULL
        UNION ALL
        SELECT metric_no, month, segment_no, band, sex, NULL, pop
        FROM level_pop WHERE org_no = {system_org} AND band IS NOT NULL
    ) system_rows
    GROUP BY metric_no, month, segment_no, band, sex
    HAVING sum(pop) > 0
),
counted AS (
    SELECT metric_no, month, org_no, segment_no, band, num, den, sumsq,
           NULL::DOUBLE AS person_months, NULL::DOUBLE AS expected
    FROM level_num
    UNION ALL
    SELECT p.metric_no, p.month, p.org_no, p.segment_no, p.band, NULL, NULL, NULL,
           p.pop, p.pop * r.rate
    FROM level_pop p
    LEFT JOIN system_rates r
      ON r.metric_no = p.metric_no AND r.month = p.month AND r.segment_no = p.segment_no
     AND r.band = p.band AND r.sex = p.sex
)
SELECT c.metric_no, c.month, c.org_no, c.segment_no,
       CASE WHEN m.dsr AND {not_age_band} THEN c.band END AS band,
       sum(c.num) AS num, sum(c.den) AS den, sum(c.sumsq) AS sumsq,
       sum(c.person_months) AS person_months, sum(c.expected) AS expected
FROM counted c JOIN metric_keys m ON m.metric_no = c.metric_no
GROUP BY 1, 2, 3, 4, 5
"""

# Months, quarters, board periods and financial years: each month joins the periods it is in.
# A month period is its one month's row as it is (monthly_cells has one row per key and
# month): only the longer periods add up, so the month rows, half of them, skip the hash table.
CALENDAR_PERIODS_SQL = """
CREATE OR REPLACE TEMP TABLE period_cells AS
SELECT c.metric_no, pm.period_no, c.org_no, c.segment_no, c.band, c.num, c.den, c.sumsq,
       c.person_months, c.expected
FROM monthly_cells c
JOIN period_month_keys pm ON pm.month = c.month AND pm.period_type = 'month'
UNION ALL
SELECT c.metric_no, pm.period_no, c.org_no, c.segment_no, c.band, sum(c.num) AS num,
       sum(c.den) AS den, sum(c.sumsq) AS sumsq, sum(c.person_months) AS person_months,
       sum(c.expected) AS expected
FROM monthly_cells c
JOIN metric_keys p ON p.metric_no = c.metric_no
JOIN period_month_keys pm
  ON pm.month = c.month AND pm.period_type NOT IN ('rolling12', 'month')
 AND (p.summed OR pm.is_last_month)
GROUP BY ALL
"""

# Rolling 12 months: a window over each series' months (twelve times fewer rows than joining
# each month to the twelve periods it is in). Months without a row are filled in as missing,
# so the window always spans twelve calendar months; a window is kept where its twelve months
# are all covered, at the month that ends a rolling12 period.
ROLLING_PERIODS_SQL = """
INSERT INTO period_cells
WITH series AS (
    SELECT DISTINCT metric_no, org_no, segment_no, band FROM monthly_cells
),
dense AS (
    SELECT s.*, m.month, c.num, c.den, c.sumsq, c.person_months, c.expected, p.summed
    FROM series s CROSS JOIN months m
    JOIN metric_keys p ON p.metric_no = s.metric_no
    LEFT JOIN monthly_cells c
      ON c.metric_no = s.metric_no AND c.month = m.month AND c.org_no = s.org_no
     AND c.segment_no = s.segment_no AND c.band IS NOT DISTINCT FROM s.band
),
windowed AS (
    SELECT *,
        CASE WHEN summed THEN sum(num) OVER twelve ELSE num END AS num_12,
        CASE WHEN summed THEN sum(den) OVER twelve ELSE den END AS den_12,
        CASE WHEN summed THEN sum(sumsq) OVER twelve ELSE sumsq END AS sumsq_12,
        CASE WHEN summed THEN sum(person_months) OVER twelve
             ELSE person_months END AS person_months_12,
        sum(expected) OVER twelve AS expected_12
    FROM dense
    WINDOW twelve AS (PARTITION BY metric_no, org_no, segment_no, band
                      ORDER BY month ROWS BETWEEN 11 PRECEDING AND CURRENT ROW)
)
SELECT w.metric_no, pm.period_no, w.org_no, w.segment_no, w.band, w.num_12, w.den_12,
       w.sumsq_12, w.person_months_12, w.expected_12
FROM windowed w
JOIN period_month_keys pm
  ON pm.month = w.month AND pm.period_type = 'rolling12' AND pm.is_last_month
WHERE w.num_12 IS NOT NULL OR w.den_12 IS NOT NULL OR w.person_months_12 IS NOT NULL
   OR w.expected_12 IS NOT NULL
"""

# ESP 2013 directly standardised rates from each period's events and person-years by band,
# for the whole population and within every segment but the age bands. A band with no
# person-years adds nothing (a segment such as frailty:severe has few young people).
STANDARDISED_SQL = """
CREATE OR REPLACE TEMP TABLE standardised AS
WITH by_band AS (
    SELECT metric_no, period_no, org_no, segment_no, band,
           coalesce(sum(num), 0) AS events, sum(person_months) / 12 AS person_years
    FROM period_cells WHERE band IS NOT NULL AND {not_age_band}
    GROUP BY ALL
)
SELECT b.metric_no, b.period_no, b.org_no, b.segment_no,
       sum(e.share * b.events / b.person_years) AS dsr_rate,
       sum(e.share * e.share * b.events / (b.person_years * b.person_years)) AS dsr_variance
FROM by_band b JOIN esp_shares e ON e.band = b.band
JOIN metric_keys m ON m.metric_no = b.metric_no
WHERE b.person_years > 0 AND m.dsr
GROUP BY ALL
"""

# The hand-off table (metrics.compute.HANDOFF_TABLES): the numbers become codes again. Only
# directly standardised indicators' cells have bands to add up; the others' have one row per
# key already (at 10 million spells, nine rows in ten), which skip the hash table.
PERIOD_TOTALS_SQL = """
CREATE OR REPLACE TABLE period_totals AS
WITH totals AS (
    SELECT metric_no, period_no, org_no, segment_no, coalesce(num, 0) AS num, den, sumsq,
           person_months, expected
    FROM period_cells WHERE metric_no NOT IN (SELECT metric_no FROM metric_keys WHERE dsr)
    UNION ALL
    SELECT metric_no, period_no, org_no, segment_no, coalesce(sum(num), 0), sum(den),
           sum(sumsq), sum(person_months), sum(expected)
    FROM period_cells WHERE metric_no IN (SELECT metric_no FROM metric_keys WHERE dsr)
    GROUP BY ALL
)
SELECT m.metric_id, p.period_type, p.period_start, p.period_end, p.months, o.level,
       o.org_code, g.segment, t.num, t.den, t.sumsq, t.person_months, t.expected, s.dsr_rate,
       s.dsr_variance
FROM totals t
JOIN metric_keys m ON m.metric_no = t.metric_no
JOIN period_keys p ON p.period_no = t.period_no
JOIN org_keys o ON o.org_no = t.org_no
JOIN segment_keys g ON g.segment_no = t.segment_no
LEFT JOIN standardised s
  ON s.metric_no = t.metric_no AND s.period_no = t.period_no AND s.org_no = t.org_no
 AND s.segment_no = t.segment_no
"""


def build_period_totals(connection) -> None:
    """Creates monthly_cells, period_cells, standardised and period_totals, from level_num
    and level_pop (metrics.cells, metrics.denominators)."""
    shares = esp2013()
    shares["band"] = range(len(shares))
    shares["share"] = shares["weight"] / shares["weight"].sum()
    connection.register("esp_frame", shares[["band", "share"]])
    connection.execute("CREATE OR REPLACE TEMP TABLE esp_shares AS SELECT * FROM esp_frame")
    connection.unregister("esp_frame")
    connection.execute(
        MONTHLY_CELLS_SQL.format(system_org=SYSTEM_ORG, not_age_band=not_age_band("c.segment_no"))
    )
    connection.execute(CALENDAR_PERIODS_SQL)
    connection.execute(ROLLING_PERIODS_SQL)
    connection.execute(STANDARDISED_SQL.format(not_age_band=not_age_band("segment_no")))
    connection.execute(PERIOD_TOTALS_SQL)
    # Temporary tables are held in memory: dropped once read (metrics.cells).
    connection.execute("DROP TABLE monthly_cells; DROP TABLE period_cells; DROP TABLE standardised")
