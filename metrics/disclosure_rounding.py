"""The HES rule (setting `disclosure_rule = "hes"`): every published count rounded to the
nearest 5, and everything else computed from the rounded counts.

Rounding happens where the data becomes aggregate, on `period_totals`, before any value,
limit, comparison or SPC point is computed (metrics.compute.compute_aggregate), so nothing
published gives back an exact count by arithmetic (a rate times its denominator, a
proportion times its denominator). The exact numerator and denominator of each row are
kept in the workspace-only table `exact_counts`, which primary suppression reads
(metrics.disclosure) and the snapshot never gets. Complementary suppression is not run:
with the counts rounded, a parent less its shown children, or a period less its shown
months, is a range, not a value; the interval audit (metrics.disclosure_interval_audit)
hides more rows only where several such ranges close on a small count.

What is rounded, by each indicator's method (metrics.values):
- proportion, ratio: the numerator and the denominator;
- rate, dsr: the numerator (events) and the mean population (person-months / months; the
  person-months become the rounded mean population times the months);
- count: the count;
- mean: the number of responses; the sum of scores and of their squares are scaled by
  rounded / exact responses, so the mean and its spread are the exact ones but the sum
  shown, divided by the mean, gives the rounded count;
- expected counts (indirectly standardised ratios): the system's expected count is its own
  observed count (the rates are the system's), so every org's expected count is scaled by
  the system's rounded / exact expected count in the same indicator, period and segment.

Not rounded: a DSR's rate and variance, which are weighted sums of the age bands' exact
rates (the bands' events and populations are never published); docs/metrics.md says
what that does and does not protect.
"""

from __future__ import annotations

ROUNDING_BASE = 5

EXACT_COUNTS_SQL = """
CREATE OR REPLACE TABLE exact_counts AS
SELECT t.metric_id, t.period_type, t.period_start, t.level, t.org_code, t.segment,
       t.num::DOUBLE AS numerator,
       CASE WHEN m.method IN ('rate', 'dsr') THEN t.person_months / t.months
            WHEN m.method <> 'count' THEN t.den::DOUBLE END AS denominator
FROM period_totals t JOIN metric_props m USING (metric_id)
"""

# `t.*` keeps every column and its place; only the counts change. Rounding is half away
# from zero, but the counts are whole, so no count is ever half way (12 → 10, 13 → 15).
ROUNDED_TOTALS_SQL = """
CREATE OR REPLACE TABLE period_totals AS
WITH scaled AS (
    SELECT t.*, m.method,
           round(t.den / {base}) * {base} AS rounded_den,
           max(t.expected) FILTER (WHERE t.level = 'system') OVER (
               PARTITION BY t.metric_id, t.period_type, t.period_start, t.segment
           ) AS system_expected
    FROM period_totals t JOIN metric_props m USING (metric_id)
)
SELECT * EXCLUDE (method, rounded_den, system_expected) REPLACE (
    CASE WHEN method <> 'mean' THEN round(num / {base}) * {base}
         WHEN den > 0 THEN num * rounded_den / den ELSE num END AS num,
    CASE WHEN method IN ('proportion', 'ratio', 'mean') THEN rounded_den ELSE den END AS den,
    CASE WHEN method = 'mean' AND den > 0 THEN sumsq * rounded_den / den ELSE sumsq END
        AS sumsq,
    CASE WHEN method IN ('rate', 'dsr') AND months > 0
         THEN round(person_months / months / {base}) * {base} * months
         ELSE person_months END AS person_months,
    CASE WHEN system_expected > 0
         THEN expected * (round(system_expected / {base}) * {base}) / system_expected
         ELSE expected END AS expected
)
FROM scaled
"""

# What primary suppression judges under the HES rule: the published rows with their exact
# counts in place of the rounded ones.
EXACT_VALUES_SQL = """
CREATE OR REPLACE TEMP VIEW exact_indicator_values AS
SELECT v.* REPLACE (e.numerator AS numerator, e.denominator AS denominator)
FROM indicator_values v
JOIN exact_counts e USING (metric_id, period_type, period_start, level, org_code, segment)
"""


def round_period_totals(connection) -> None:
    """Keeps the exact counts in `exact_counts`, then rounds `period_totals` in place."""
    connection.execute(EXACT_COUNTS_SQL)
    connection.execute(ROUNDED_TOTALS_SQL.format(base=ROUNDING_BASE))


def exact_values(connection) -> str:
    """Creates the view of the published rows with their exact counts; returns its name."""
    connection.execute(EXACT_VALUES_SQL)
    return "exact_indicator_values"


def describe(rule: str | None, threshold: int) -> str:
    """The disclosure rule in words, as the data status page and `export` state it."""
    if rule == "hes":
        return (
            f"counts rounded to the nearest {ROUNDING_BASE}; counts from 1 to {threshold} "
            "suppressed (HES rule)"
        )
    return (
        f"counts from 1 to {threshold} suppressed, with the cells from which one could be "
        "worked out"
    )
