"""The HES rule (setting `disclosure_rule = "hes"`): every published count rounded to the
nearest 5, and everything else computed from the rounded counts.

Rounding happens where the data becomes aggregate, on `period_totals`, before any value,
limit, comparison or SPC point is computed (metrics.compute.compute_aggregate), so a rate
or a proportion times its denominator gives back only a rounded count; a mean and a DSR,
which are not functions of the rounded counts alone, are published to the decimals shown
(`round_shown_values`). The exact numerator and denominator of each rounded row are
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
  rounded / exact responses for the statistics, then the mean and its limits are published
  to the decimals shown and the sum as that mean times the rounded count (see
  `round_shown_values`), so that no served figure carries the exact mean;
- expected counts (indirectly standardised ratios): the system's expected count is its own
  observed count (the rates are the system's), so every org's expected count is scaled by
  the system's rounded / exact expected count in the same indicator, period and segment.

A DSR's rate and variance are weighted sums of the age bands' exact rates; its value and
limits are published to the decimals shown (`round_shown_values`). docs/metrics.md says
what that does and does not protect.
"""

from __future__ import annotations

import numpy as np

from metrics.values import LIMIT_COLUMNS

ROUNDING_BASE = 5
# The methods whose value is not a function of the rounded counts alone: a mean (exact, with
# its sum scaled) and a DSR (from the exact age bands). Their values and limits are published
# to the decimals the pages show (dashboard/formats.py: three for an index, else one), since
# at full precision a mean times each candidate count (the rounded count ± 2) lands on the
# scores' grid (whole days, 0.001 of EQ-5D) for one candidate only, giving the exact count
# back; and a DSR's limits with its rounded count give back its exact variance.
VALUE_ROUNDED_METHODS = ("mean", "dsr")
# Far below the decimals shown, far above the last bits that the order of adding up moves.
NOISE_PLACES = 9

EXACT_COUNTS_SQL = """
CREATE OR REPLACE TABLE exact_counts AS
SELECT t.metric_id, t.period_type, t.period_start, t.level, t.org_code, t.segment,
       t.num::DOUBLE AS numerator,
       CASE WHEN m.method IN ('rate', 'dsr') THEN t.person_months / t.months
            WHEN m.method <> 'count' THEN t.den::DOUBLE END AS denominator
FROM period_totals t JOIN metric_props m USING (metric_id)
WHERE list_contains($rounded, t.metric_id)
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
    WHERE list_contains($rounded, t.metric_id)
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
UNION ALL
SELECT * FROM period_totals WHERE NOT list_contains($rounded, metric_id)
"""

# What primary suppression judges: the published rows with their exact counts in place of
# the rounded ones (the rows of indicators not rounded have only exact counts).
EXACT_VALUES_SQL = """
CREATE OR REPLACE TEMP VIEW exact_indicator_values AS
SELECT v.* REPLACE (
    CASE WHEN e.metric_id IS NULL THEN v.numerator ELSE e.numerator END AS numerator,
    CASE WHEN e.metric_id IS NULL THEN v.denominator ELSE e.denominator END AS denominator
)
FROM indicator_values v
LEFT JOIN exact_counts e USING (metric_id, period_type, period_start, level, org_code, segment)
"""


def rounded_metrics(registry: dict, setting: str | None) -> list[str]:
    """The ids of the indicators published under the HES rule, sorted, given the setting
    `disclosure_rule` (metrics.registry DISCLOSURE_RULES says which rule wins)."""
    return sorted(
        metric_id for metric_id, indicator in registry.items() if indicator.rule(setting) == "hes"
    )


def round_period_totals(connection, rounded: list[str]) -> None:
    """Keeps the exact counts in `exact_counts`, then rounds the rows of `period_totals` of
    the indicators `rounded` names in place (the others stay exact)."""
    connection.execute(EXACT_COUNTS_SQL, {"rounded": rounded})
    connection.execute(ROUNDED_TOTALS_SQL.format(base=ROUNDING_BASE), {"rounded": rounded})


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


def round_shown_values(
    statistics: dict, codes: np.ndarray, metric_ids, registry, rounded: list[str]
) -> None:
    """Under the HES rule, rounds the value and limits of each mean and DSR row (in place) to
    the decimals shown, and gives a mean's sum as that mean times its rounded count (none
    where the mean is not published), so that neither the exact mean nor a DSR's exact
    variance is served (VALUE_ROUNDED_METHODS)."""
    for code, metric_id in enumerate(metric_ids):
        indicator = registry[metric_id]
        if indicator.method not in VALUE_ROUNDED_METHODS or metric_id not in rounded:
            continue
        rows = codes == code
        places = 3 if "index" in (indicator.unit or "") else 1
        for name in ("value", *LIMIT_COLUMNS):
            statistics[name][rows] = shown_decimals(statistics[name][rows], places)
        if indicator.method == "mean":
            shown = statistics["value"][rows] * statistics["denominator"][rows]
            statistics["numerator"][rows] = shown


def shown_decimals(values: np.ndarray, places: int) -> np.ndarray:
    """`values` to `places` decimals, first to NOISE_PLACES: a mean half way between two
    shown values (58.205 / 70 = 0.8315) is summed in a different order by each publish, a
    last bit either side of the half, and would be shown as 0.831 by one and 0.832 by the
    next; taken to NOISE_PLACES first, it is the same number every time."""
    return np.round(np.round(values, NOISE_PLACES), places)
