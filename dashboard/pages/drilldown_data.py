"""Data for the locality drill-down: one org's indicators, its children's and its context.

Every read goes through `dashboard.access` with the user's scope, so an org outside the
scope is simply not found. Also holds the small helpers the org pages share: finding an
org and its ancestors, the latest period of a type, and formatting values ("*" when
suppressed).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import access, formats
from dashboard.scope import SYSTEM_CODE, Scope

LEVELS = access.LEVELS_TOP_DOWN
PERIOD_TYPES = {"rolling12": "Latest 12 months", "month": "Latest month"}
CARD_GROUPS = ("northumbria", "whole_system")
# The columns of the children table: a few headline indicators, so it fits a screen.
KEY_INDICATORS = (
    "emergency_admissions",
    "acsc_chronic",
    "bed_days",
    "anticipatory_care_plans",
    "readmission_30d_75plus",
)
DEPRIVATION = tuple(f"pct_imd_q{quintile}" for quintile in range(1, 6))
PREVALENCE = ("prevalence_dm", "prevalence_copd", "prevalence_hf", "prevalence_dem")
CONTEXT = ("registered_population", "pct_aged_65plus", *DEPRIVATION, *PREVALENCE)
CONTEXT_LABELS = {
    "registered_population": "Registered population",
    "pct_aged_65plus": "Aged 65 and over",
    "prevalence_dm": "Diabetes prevalence",
    "prevalence_copd": "COPD prevalence",
    "prevalence_hf": "Heart failure prevalence",
    "prevalence_dem": "Dementia prevalence",
}
DEPRIVATION_LABEL = "Deprivation mix (IMD quintile 1 = most deprived)"
KEY_LABELS = {
    "emergency_admissions": "Emergency admissions per 1,000 a year",
    "acsc_chronic": "Chronic ACSC admissions per 100,000 a year",
    "bed_days": "Bed days per 1,000 a year",
    "anticipatory_care_plans": "Anticipatory care plans",
    "readmission_30d_75plus": "Readmissions within 30 days, 75+",
}


def unknown_org_sentence(code: str | None) -> str:
    """The one sentence shown for an org code the user cannot see."""
    return f"There is no organisation with the code {code!r} that you can see."


def format_value(value, suppressed: bool = False, unit: str = "") -> str:
    """Returns a value for display in its unit's decimals (`dashboard.formats`): "*" when
    suppressed, "–" when missing, a % sign for a percentage, whole numbers of people."""
    return formats.number(value, unit, suppressed=suppressed)


def format_interval(row: pd.Series | dict, unit: str = "") -> str:
    """Returns "lower to upper" of a row's 95% interval, "*" when suppressed, "–" when none."""
    if row["suppressed"]:
        return "*"
    if pd.isna(row["lower_95"]) or pd.isna(row["upper_95"]):
        return "–"
    return (
        f"{format_value(row['lower_95'], unit=unit)} to {format_value(row['upper_95'], unit=unit)}"
    )


def latest_period(period_type: str) -> dict:
    """Returns the latest period of a type: period_start, period_end, months and a label
    such as "12 months to October 2026"."""
    period = access.periods(period_type).iloc[-1].to_dict()
    end = pd.Timestamp(period["period_end"]).strftime("%B %Y")
    months = int(period["months"])
    period["label"] = end if months == 1 else f"{months} months to {end}"
    return period


def find_org(orgs: pd.DataFrame, code: str | None) -> dict | None:
    """Returns the org row (as a dict) with this code among `orgs`, or None."""
    rows = orgs[orgs["org_code"] == code]
    return None if rows.empty else rows.iloc[0].to_dict()


def lineage(orgs: pd.DataFrame, code: str) -> list[dict]:
    """Returns the org and its ancestors among `orgs`, system first."""
    trail, org = [], find_org(orgs, code)
    while org is not None:
        trail.insert(0, org)
        org = None if org["level"] == "system" else find_org(orgs, org["parent_code"])
    return trail


def ancestor_at(orgs: pd.DataFrame, code: str, level: str) -> dict | None:
    """Returns the org's ancestor (or itself) at a level, or None."""
    return next((org for org in lineage(orgs, code) if org["level"] == level), None)


@dataclass
class DrilldownView:
    """Everything the drill-down shows for one org and period."""

    org: dict
    trail: list[dict]
    children: pd.DataFrame
    indicators: pd.DataFrame
    values: pd.DataFrame
    period: dict

    def __post_init__(self):
        # Plain dicts, built once: a page reads a few hundred cells, and pandas row access
        # per cell would cost more than the query.
        rows = self.values.merge(self.indicators, left_on="metric_id", right_index=True)
        self._by_org: dict[str, dict[str, dict]] = {}
        for row in rows.to_dict("records"):
            self._by_org.setdefault(row["org_code"], {})[row["metric_id"]] = row

    def rows_for(self, code: str) -> dict[str, dict]:
        """Returns the org's values with indicator metadata, by metric id, in the order of
        `indicators`."""
        rows = self._by_org.get(code, {})
        return {metric: rows[metric] for metric in self.indicators.index if metric in rows}


def drilldown_view(scope: Scope, code: str | None, period_type: str = "rolling12"):
    """Returns a DrilldownView of the org for the latest period of a type, or None when
    the scope cannot see the org (or it does not exist)."""
    orgs = access.org_units(scope)
    org = find_org(orgs, code or scope.code)
    if org is None or period_type not in PERIOD_TYPES:
        return None
    children = orgs[(orgs["parent_code"] == org["org_code"]) & (orgs["level"] != "system")]
    period = latest_period(period_type)
    metadata = access.indicators().set_index("id")
    card_ids = metadata.index[metadata["group"].isin(CARD_GROUPS)].tolist()
    values = access.values(
        scope,
        metric_ids=[*card_ids, *CONTEXT],
        org_codes=[org["org_code"], *children["org_code"], SYSTEM_CODE],
        period_type=period_type,
        period_starts=[period["period_start"]],
    )
    indicators = metadata.loc[card_ids + list(CONTEXT), ["title", "group", "unit", "polarity"]]
    return DrilldownView(
        org,
        lineage(orgs, org["org_code"]),
        children.reset_index(drop=True),
        indicators,
        values,
        period,
    )
