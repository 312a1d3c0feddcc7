"""Periods are built from their months, over the whole published sample.

A rolling 12-month total of an indicator that adds its months up (and whose counts are
exact) is the sum of its twelve months, in every level, org and segment. This caught a
window that counted rows instead of months: when the expected counts of an indirectly
standardised indicator were rows of their own beside the month's counts, twelve rows
spanned fewer than twelve months, and which ones depended on the order DuckDB's threads
produced them in.
"""

from __future__ import annotations

from metrics.serving import open_current

# Each rolling 12-month row of a summing indicator beside the sum of its months' rows.
ROLLING_AGAINST_MONTHS_SQL = """
WITH rolling AS (
    SELECT v.metric_id, v.level, v.org_code, v.segment, v.period_start, v.period_end,
           v.numerator
    FROM indicator_values v JOIN indicators i ON i.id = v.metric_id
    WHERE v.period_type = 'rolling12' AND i.accumulate = 'sum'
      -- A rounded count (HES rule: the board's indicators) is rounded on its own, not the
      -- sum of its rounded months.
      AND NOT list_contains((SELECT rounded_indicators FROM snapshot_info), v.metric_id)
)
SELECT count(*) AS periods,
       count(*) FILTER (abs(r.numerator - coalesce(m.total, 0)) > 1e-6 * greatest(1, r.numerator))
           AS wrong,
       count(*) FILTER (m.months = 12) AS with_twelve_months
FROM rolling r
LEFT JOIN (
    SELECT r.metric_id, r.level, r.org_code, r.segment, r.period_start,
           sum(v.numerator) AS total, count(*) AS months
    FROM rolling r
    JOIN indicator_values v
      ON v.metric_id = r.metric_id AND v.level = r.level AND v.org_code = r.org_code
     AND v.segment = r.segment AND v.period_type = 'month'
     AND v.period_start BETWEEN r.period_start AND r.period_end
    GROUP BY ALL
) m USING (metric_id, level, org_code, segment, period_start)
"""


def test_a_rolling_total_is_the_sum_of_its_twelve_months(published_sample):
    connection, _ = open_current(published_sample)
    try:
        periods, wrong, with_twelve = connection.execute(ROLLING_AGAINST_MONTHS_SQL).fetchone()
    finally:
        connection.close()
    assert periods > 50_000
    assert wrong == 0
    # Months with no activity have no row, so not every total has twelve month rows; most do.
    assert with_twelve > periods / 2
