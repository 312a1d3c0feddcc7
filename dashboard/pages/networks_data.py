"""Data for the network comparison: care-package KPIs by network, and one network's practices.

Target rule (the heat map's colours and the league table's status): a value *meets* its
target when it is at or beyond `target_value` in the direction of improvement; it is
*near* when it falls short by at most 5 percentage points; otherwise it is *not met*.
Exceptions rule: a practice's KPI is an exception when its value got worse since the
previous month by any amount (lower where higher is better), both months unsuppressed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd

from dashboard import access
from dashboard.pages.drilldown_data import find_org
from dashboard.scope import SYSTEM_CODE, Scope

KPI_GROUP = "care_package"
NEAR_TARGET_POINTS = 5.0
STATUS_WORDS = {
    "met": "target met",
    "near": "within 5 points of target",
    "not_met": "target not met",
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


def care_package_kpis() -> pd.DataFrame:
    """Returns the care-package KPIs indexed by id: title, label (short), unit,
    improvement and target_value, in the registry's order."""
    frame = access.indicators()
    frame = frame[frame["group"] == KPI_GROUP].set_index("id")
    frame["label"] = [SHORT_LABELS.get(metric, title) for metric, title in frame["title"].items()]
    return frame[["title", "label", "unit", "improvement", "target_value"]]


def target_status(value, suppressed: bool, target, improvement: str) -> str:
    """Returns met, near, not_met, no_target, suppressed or no_data by the module's rule."""
    if suppressed:
        return "suppressed"
    if value is None or pd.isna(value):
        return "no_data"
    if target is None or pd.isna(target) or improvement not in ("increase", "decrease"):
        return "no_target"
    shortfall = target - value if improvement == "increase" else value - target
    if shortfall <= 0:
        return "met"
    return "near" if shortfall <= NEAR_TARGET_POINTS else "not_met"


def parse_month(text: str | None, months: list[date] | None = None) -> date | None:
    """Returns the published month named by an ISO date (the latest when none given), or
    None when that month is not published."""
    months = months or access.months()
    if not text:
        return months[-1]
    return next((month for month in months if month.isoformat() == text), None)


def heatmap_cells(scope: Scope, month: date) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Returns (cells, row labels, column labels) for the heat map of the scope's networks
    and the system by KPI in a month. Cells have row, column, status, text, hover and key
    ("<org>|<metric>"), plus org_code, metric_id, value and suppressed."""
    kpis = care_package_kpis()
    orgs = access.org_units(scope, "network")
    orgs = pd.concat([orgs, pd.DataFrame([{"org_code": SYSTEM_CODE, "org_name": "Whole system"}])])
    values = access.values(
        scope, metric_ids=list(kpis.index), levels=["network", "system"], period_starts=[month]
    )
    cells = values.merge(orgs[["org_code", "org_name"]], on="org_code")
    cells = cells.merge(kpis, left_on="metric_id", right_index=True)
    cells["status"] = [
        target_status(row.value, row.suppressed, row.target_value, row.improvement)
        for row in cells.itertuples()
    ]
    cells["text"] = [_cell_text(row.value, row.suppressed) for row in cells.itertuples()]
    cells["hover"] = [
        f"{row.org_name}<br>{row.title}<br>{row.text}{'' if row.suppressed else '%'}: "
        f"{STATUS_WORDS[row.status]} (target {target_text(row.target_value)})"
        for row in cells.itertuples()
    ]
    cells["key"] = cells["org_code"] + "|" + cells["metric_id"]
    cells = cells.rename(columns={"org_name": "row", "label": "column"})
    return cells, list(orgs["org_name"]), list(kpis["label"])


@dataclass
class NetworkView:
    """One network's practices in a month: `rows` has one row per (practice, KPI) with
    practice, metric_id, counts, value and 95% CI, target, status, previous (last month's
    value), previous_suppressed, change (points) and worse (the exceptions rule)."""

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
    kpis = care_package_kpis()
    if kpi not in kpis.index:
        return f"There is no care-package KPI {kpi!r}."
    orgs = access.org_units(scope)
    if find_org(orgs[orgs["level"] == "network"], network) is None:
        return f"There is no network with the code {network!r} that you can see."
    practices = orgs[(orgs["level"] == "practice") & (orgs["parent_code"] == network)]
    position = months.index(month)
    before = months[position - 1] if position > 0 else None
    values = access.values(
        scope,
        metric_ids=list(kpis.index),
        levels=["practice"],
        org_codes=list(practices["org_code"]),
        period_starts=[month] + ([before] if before else []),
    )
    rows = _compare_months(values, practices, kpis, month)
    return NetworkView(rows, kpis.loc[kpi], month, before)


def _compare_months(values, practices, kpis, month) -> pd.DataFrame:
    is_latest = values["period_start"] == pd.Timestamp(month)
    keys = ["org_code", "metric_id"]
    latest = values.loc[is_latest, keys + VALUE_COLUMNS]
    previous = values.loc[~is_latest, keys + ["value", "suppressed"]].rename(
        columns={"value": "previous", "suppressed": "previous_suppressed"}
    )
    rows = latest.merge(previous, on=keys, how="left")
    rows = rows.merge(practices[["org_code", "org_name"]], on="org_code")
    rows = rows.merge(kpis, left_on="metric_id", right_index=True)
    rows = rows.rename(columns={"org_name": "practice"})
    rows["previous_suppressed"] = rows["previous_suppressed"].fillna(False).astype(bool)
    rows["change"] = rows["value"] - rows["previous"]
    direction = rows["improvement"].map({"increase": 1.0, "decrease": -1.0})
    rows["worse"] = (rows["change"] * direction) < 0
    rows["status"] = [
        target_status(row.value, row.suppressed, row.target_value, row.improvement)
        for row in rows.itertuples()
    ]
    return rows.reset_index(drop=True)


def league_table(rows: pd.DataFrame, metric_id: str) -> pd.DataFrame:
    """Returns one KPI's practices, best first in the direction of improvement, with
    suppressed practices last."""
    rows = rows[rows["metric_id"] == metric_id]
    ascending = (rows["improvement"] == "decrease").any()
    return rows.sort_values(["suppressed", "value"], ascending=[True, ascending], kind="stable")


def exceptions(rows: pd.DataFrame) -> pd.DataFrame:
    """Returns the practice KPIs that got worse since the previous month, biggest fall in
    the direction of improvement first."""
    worse = rows[rows["worse"]].copy()
    worse["fall"] = worse["change"].abs()
    return worse.sort_values(["fall", "practice"], ascending=[False, True]).drop(columns="fall")


def _cell_text(value, suppressed: bool) -> str:
    if suppressed:
        return "*"
    return "" if value is None or math.isnan(value) else f"{value:.1f}"


def target_text(target) -> str:
    return "none" if target is None or pd.isna(target) else f"{target:g}%"
