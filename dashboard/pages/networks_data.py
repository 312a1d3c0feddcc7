"""Data for the network comparison: care-package KPIs by network, and one network's practices.

Target rule (the heat map's colours and the league table's status): each care-package KPI
has a lower and an upper threshold (`target_lower`, `target_upper`; the QOF payment
thresholds, configurable), the upper being the target. In the direction of improvement a
value is *met* at or beyond the upper threshold, *between* from the lower threshold up to
the upper, and *not met* short of the lower threshold. A KPI with one target (lower =
upper, such as the 2% high-risk register) is met or not met. The comparison is on the
unrounded value; values are shown with enough decimals that a value short of a threshold
never reads as the threshold (`dashboard.formats`).

Exceptions rule (the MDT list): a practice's KPI in the month is an exception for any of
three reasons, each shown in words:

(a) *special cause of concern*: its published SPC series (`access.spc_points`) has a
    special-cause point of concern at the month (a point outside the process limits, a run
    or a trend in the wrong direction), the month unsuppressed;
(b) *a fall beyond chance*: it moved the wrong way since the previous month and the 95%
    confidence interval of the change excludes no change. The interval is Newcombe's hybrid
    score interval for the difference of two proportions, from the Wilson intervals of each
    month's numerator and denominator (`metrics.stats.newcombe_difference_ci`). It treats the
    two months as independent; consecutive 12-month measures share most of their patients,
    so the interval is wide (conservative) rather than too narrow;
(c) *dropped below the lower threshold*: short of the lower threshold this month, having
    been at or beyond it the month before.

(b) and (c) need both months unsuppressed; (a) needs the month itself unsuppressed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from dashboard import access, formats, targets_live
from dashboard.pages.drilldown_data import find_org
from dashboard.scope import SYSTEM_CODE, Scope
from metrics import calendar
from metrics.stats import newcombe_difference_ci

KPI_GROUP = "care_package"
CHANGE_CONFIDENCE = 0.95
# The reasons a practice KPI is an exception, in the order a row lists them.
REASON_WORDS = {
    "special_cause": "special cause of concern on its SPC chart",
    "significant_fall": "a fall whose 95% confidence interval excludes no change",
    "below_lower": "dropped below the lower threshold",
}
STATUS_WORDS = {
    "met": "upper threshold (target) met",
    "between": "between the lower and upper thresholds",
    "not_met": "short of the lower threshold",
    "no_target": "no target",
    "suppressed": "suppressed",
    "no_data": "no data",
}
SHORT_LABELS = {
    "cervical_screening_25_49": "Cervical 25–49",
    "cervical_screening_50_64": "Cervical 50–64",
    "dm_bp_control": "DM BP ≤140/80",
    "dm_care_plan": "DM care plan",
    "dm_cholesterol_control": "DM cholesterol ≤4",
    "dm_hba1c_control": "DM HbA1c ≤58",
    "dm_retinal_screening": "DM retinal screen",
    "dm_structured_education": "DM education",
    "dm_triple_target": "DM triple target",
    "high_risk_register_coverage": "High-risk register",
    "imm_dtap_8m": "6-in-1 by 8 months",
    "imm_mmr1_18m": "MMR1 by 18 months",
}
VALUE_COLUMNS = ["numerator", "denominator", "value", "lower_95", "upper_95", "suppressed"]


def care_package_kpis(month: date | None = None) -> pd.DataFrame:
    """Returns the care-package KPIs indexed by id: title, label (short), unit,
    improvement, target_value, multiplier and the thresholds `lower` and `upper` of the
    target in force for every org in the month (the latest when none given; read live, the
    TOML default as the fallback; each the target where it has no range), in registry order."""
    frame = access.indicators()
    frame = frame[frame["group"] == KPI_GROUP].set_index("id")
    frame["label"] = [SHORT_LABELS.get(metric, title) for metric, title in frame["title"].items()]
    frame["org_code"] = None
    frame = _live_thresholds(frame.rename_axis("metric_id").reset_index(), month)
    frame = frame.set_index("metric_id").rename_axis("id")
    columns = ["title", "label", "unit", "improvement", "target_value", "multiplier"]
    return frame[[*columns, "lower", "upper"]]


def _live_thresholds(rows: pd.DataFrame, month: date | None) -> pd.DataFrame:
    """`rows` (metric_id, org_code, improvement) with `lower` and `upper` from the target
    in force for each row's org and the month (targets_live.thresholds)."""
    month = month or access.months()[-1]
    book = targets_live.book()
    pairs = [
        targets_live.thresholds(book.target(metric, org, month), improvement)
        for metric, org, improvement in zip(
            rows["metric_id"], rows["org_code"], rows["improvement"], strict=True
        )
    ]
    lower = [pair[0] for pair in pairs]
    upper = [pair[1] for pair in pairs]
    return rows.assign(
        lower=pd.Series(lower, index=rows.index, dtype=float),
        upper=pd.Series(upper, index=rows.index, dtype=float),
    )


def target_status(value, suppressed: bool, lower, upper, improvement: str) -> str:
    """Returns met, between, not_met, no_target, suppressed or no_data by the module's
    rule, for thresholds `lower` and `upper` (upper is the target; for a KPI where lower is
    better, `upper` is still the target, the stricter threshold)."""
    if suppressed:
        return "suppressed"
    if value is None or pd.isna(value):
        return "no_data"
    if pd.isna(upper) or improvement not in ("increase", "decrease"):
        return "no_target"
    lower = upper if pd.isna(lower) else lower
    sign = 1.0 if improvement == "increase" else -1.0
    if sign * (value - upper) >= 0:
        return "met"
    return "between" if sign * (value - lower) >= 0 else "not_met"


def threshold_text(kpi) -> str:
    """Returns a KPI's thresholds in words: "target 2%" or "thresholds 45% and 80%"."""
    lower, upper = kpi["lower"], kpi["upper"]
    if pd.isna(upper):
        return "no target"
    if pd.isna(lower) or lower == upper:
        return f"target {target_text(upper)}"
    return f"thresholds {target_text(lower)} and {target_text(upper)}"


def parse_month(text: str | None, months: list[date] | None = None) -> date | None:
    """Returns the published month named by YYYY-MM or its first day YYYY-MM-DD (the
    latest when none given), or None when that is not a published month."""
    months = months or access.months()
    if not text:
        return months[-1]
    try:
        day = calendar.parse_day(text)
    except ValueError:
        return None
    return next((month for month in months if month == day), None)


def heatmap_cells(scope: Scope, month: date) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Returns (cells, row labels, column labels) for the heat map of the scope's networks
    and the system by KPI in a month. Cells have row, column, status, text, hover and key
    ("<org>|<metric>"), plus org_code, metric_id, value and suppressed."""
    kpis = care_package_kpis(month)
    orgs = access.org_units(scope, "network")
    orgs = pd.concat([orgs, pd.DataFrame([{"org_code": SYSTEM_CODE, "org_name": "Whole system"}])])
    values = access.values(
        scope, metric_ids=list(kpis.index), levels=["network", "system"], period_starts=[month]
    )
    cells = values.merge(orgs[["org_code", "org_name"]], on="org_code")
    cells = cells.merge(kpis, left_on="metric_id", right_index=True)
    cells = _live_thresholds(cells, month)
    cells["status"] = _statuses(cells)
    cells["text"] = [
        formats.number(row.value, row.unit, row.target_value, suppressed=row.suppressed)
        for row in cells.itertuples()
    ]
    cells["hover"] = [
        f"{row.org_name}<br>{row.title}<br>{row.text}: "
        f"{STATUS_WORDS[row.status]} ({threshold_text(row._asdict())})"
        for row in cells.itertuples()
    ]
    cells["key"] = cells["org_code"] + "|" + cells["metric_id"]
    cells = cells.rename(columns={"org_name": "row", "label": "column"})
    return cells, list(orgs["org_name"]), list(kpis["label"])


@dataclass
class NetworkView:
    """One network's practices in a month: `rows` has one row per (practice, KPI) with
    practice, metric_id, counts, value and 95% CI, target, status, previous (last month's
    value and counts), previous_suppressed, change (points), its 95% interval
    (change_lower, change_upper), worse, and `reasons` (the exceptions rule's reasons, a
    tuple of REASON_WORDS keys; `exception` when there is one)."""

    rows: pd.DataFrame
    kpi: pd.Series
    month: date
    before: date | None


def network_view(scope: Scope, network: str | None, kpi: str | None, month_text: str | None):
    """Returns the NetworkView of a network, KPI and month, or the one sentence to show
    when the month, KPI or network (within the scope) is unknown."""
    months = access.months()
    month = parse_month(month_text, months)
    if month is None:
        return f"There is no published month {month_text!r}."
    kpis = care_package_kpis(month)
    if kpi not in kpis.index:
        return f"There is no care-package KPI {kpi!r}."
    orgs = access.org_units(scope)
    if find_org(orgs[orgs["level"] == "network"], network) is None:
        return f"There is no network with the code {network!r} that you can see."
    practices = orgs[(orgs["level"] == "practice") & (orgs["parent_code"] == network)]
    position = months.index(month)
    before = months[position - 1] if position > 0 else None
    codes = list(practices["org_code"])
    values = access.values(
        scope,
        metric_ids=list(kpis.index),
        levels=["practice"],
        org_codes=codes,
        period_starts=[month] + ([before] if before else []),
    )
    concerns = special_causes_of_concern(scope, list(kpis.index), codes, month)
    rows = _compare_months(values, practices, kpis, month, concerns)
    return NetworkView(rows, kpis.loc[kpi], month, before)


def special_causes_of_concern(scope: Scope, metric_ids, org_codes, month) -> set:
    """The (org_code, metric_id) pairs whose published SPC point in the month is a
    special cause of concern (a suppressed point has no point type, so never is)."""
    points = access.spc_points(scope, metric_ids, org_codes)
    points = points[
        (pd.to_datetime(points["period_start"]) == pd.Timestamp(month))
        & (points["point_type"] == "concern")
        & ~points["suppressed"].fillna(False).astype(bool)
    ]
    return set(zip(points["org_code"], points["metric_id"], strict=True))


PREVIOUS_COLUMNS = {
    "value": "previous", "suppressed": "previous_suppressed",
    "numerator": "previous_numerator", "denominator": "previous_denominator",
}  # fmt: skip


def _compare_months(values, practices, kpis, month, concerns=frozenset()) -> pd.DataFrame:
    """The practices' rows in the month beside the month before, with the change, its
    interval and the exceptions rule's reasons (`concerns`: the pairs of
    `special_causes_of_concern`)."""
    is_latest = values["period_start"] == pd.Timestamp(month)
    keys = ["org_code", "metric_id"]
    latest = values.loc[is_latest, keys + VALUE_COLUMNS]
    previous = values.loc[~is_latest, keys + list(PREVIOUS_COLUMNS)].rename(
        columns=PREVIOUS_COLUMNS
    )
    rows = latest.merge(previous, on=keys, how="left")
    rows = rows.merge(practices[["org_code", "org_name"]], on="org_code")
    rows = rows.merge(kpis, left_on="metric_id", right_index=True)
    rows = _live_thresholds(rows, month)
    rows = rows.rename(columns={"org_name": "practice"})
    rows["previous_suppressed"] = rows["previous_suppressed"].fillna(False).astype(bool)
    rows["change"] = rows["value"] - rows["previous"]
    rows["status"] = _statuses(rows)
    rows = _change_interval(rows)
    direction = rows["improvement"].map({"increase": 1.0, "decrease": -1.0})
    rows["worse"] = (rows["change"] * direction) < 0
    rows["reasons"] = _reasons(rows, direction, concerns)
    rows["exception"] = rows["reasons"].map(bool)
    return rows.reset_index(drop=True)


def _change_interval(rows: pd.DataFrame) -> pd.DataFrame:
    """Adds change_lower and change_upper: the 95% interval of the change, in the KPI's own
    unit (the proportions' interval times its `multiplier`: points for a percentage, per
    1,000 for a rate per 1,000), as `change` is; NaN where either month is suppressed (the
    published counts are NULL)."""
    _, low, high = newcombe_difference_ci(
        rows["numerator"], rows["denominator"],
        rows["previous_numerator"], rows["previous_denominator"], CHANGE_CONFIDENCE,
    )  # fmt: skip
    scale = rows["multiplier"].astype(float)
    return rows.assign(change_lower=low * scale, change_upper=high * scale)


def _reasons(rows: pd.DataFrame, direction: pd.Series, concerns) -> list[tuple]:
    before = _statuses(rows, value="previous", suppressed="previous_suppressed")
    # The interval lies wholly on the wrong side of zero: it excludes no change.
    beyond_chance = (rows["change_upper"] * direction < 0) & (rows["change_lower"] * direction < 0)
    below = (rows["status"] == "not_met") & before.isin(["met", "between"])
    shown = ~rows["suppressed"].astype(bool)
    return [
        tuple(
            reason
            for reason, holds in (
                ("special_cause", shown_now and (org, metric) in concerns),
                ("significant_fall", bool(fall)),
                ("below_lower", bool(drop)),
            )
            if holds
        )
        for org, metric, shown_now, fall, drop in zip(
            rows["org_code"], rows["metric_id"], shown, beyond_chance, below, strict=True
        )
    ]


def reason_text(reasons: tuple, kpi) -> str:
    """The reasons of an exception in words, the threshold named: "special cause of
    concern on its SPC chart; dropped below the lower threshold (45%)"."""
    words = [REASON_WORDS[reason] for reason in reasons]
    if "below_lower" in reasons:
        lower = kpi["upper"] if pd.isna(kpi["lower"]) else kpi["lower"]
        words[reasons.index("below_lower")] += f" ({target_text(lower)})"
    return "; ".join(words)


def _statuses(rows: pd.DataFrame, value="value", suppressed="suppressed") -> pd.Series:
    return pd.Series(
        [
            target_status(v, s, lower, upper, improvement)
            for v, s, lower, upper, improvement in zip(
                rows[value],
                rows[suppressed],
                rows["lower"],
                rows["upper"],
                rows["improvement"],
                strict=True,
            )
        ],
        index=rows.index,
        dtype=object,
    )


def league_table(rows: pd.DataFrame, metric_id: str) -> pd.DataFrame:
    """Returns one KPI's practices, best first in the direction of improvement, with
    suppressed practices last."""
    rows = rows[rows["metric_id"] == metric_id]
    ascending = (rows["improvement"] == "decrease").any()
    return rows.sort_values(["suppressed", "value"], ascending=[True, ascending], kind="stable")


def exceptions(rows: pd.DataFrame) -> pd.DataFrame:
    """Returns the practice KPIs that are exceptions by the module's rule, with `reason`
    (the reasons in words): the most reasons first, then the biggest fall in the direction
    of improvement (a change not known, a suppressed month, last)."""
    found = rows[rows["exception"]].copy()
    direction = found["improvement"].map({"increase": 1.0, "decrease": -1.0})
    found["fall"] = (-found["change"] * direction).fillna(-float("inf"))
    found["count"] = found["reasons"].map(len)
    found["reason"] = [reason_text(row["reasons"], row) for _, row in found.iterrows()]
    order = ["count", "fall", "practice"]
    return found.sort_values(order, ascending=[False, False, True]).drop(columns=["fall", "count"])


def target_text(target) -> str:
    return "none" if target is None or pd.isna(target) else f"{target:g}%"
