"""Data for the practice profile: every indicator for one practice, with its network,
locality and system values and the spread of the practices the user can see.

The range (minimum, quartiles, maximum) is taken over the practices in the user's scope,
never over practices they may not see; for a whole-system user that is every practice.
Counts (registered population) are left out: their spread says only how big practices are.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import access
from dashboard.pages.drilldown_data import PERIOD_TYPES, ancestor_at, find_org, latest_period
from dashboard.scope import SYSTEM_CODE, Scope

GROUP_ORDER = ("care_package", "northumbria", "whole_system", "supplied", "context")
LABEL_WIDTH = 50


@dataclass
class PracticeProfile:
    """One practice's profile: the org, its network and locality, the period, and one row
    per indicator (see `profile_rows`)."""

    practice: dict
    network: dict | None
    locality: dict | None
    period: dict
    rows: pd.DataFrame
    practice_count: int


def practice_profile(scope: Scope, code: str | None, period_type: str = "rolling12"):
    """Returns the PracticeProfile of a practice the scope can see, or None."""
    orgs = access.org_units(scope)
    practices = orgs[orgs["level"] == "practice"]
    practice = find_org(practices, code)
    if practice is None or period_type not in PERIOD_TYPES:
        return None
    network = ancestor_at(orgs, practice["org_code"], "network")
    locality = ancestor_at(orgs, practice["org_code"], "locality")
    period = latest_period(period_type)
    benchmarks = [org["org_code"] for org in (network, locality) if org] + [SYSTEM_CODE]
    values = access.values(
        scope,
        org_codes=[*practices["org_code"], *benchmarks],
        period_type=period_type,
        period_starts=[period["period_start"]],
    )
    rows = profile_rows(values, access.indicators(), practice, network, locality)
    return PracticeProfile(practice, network, locality, period, rows, len(practices))


def profile_rows(values, indicators, practice, network, locality) -> pd.DataFrame:
    """Returns one row per indicator with a system value, in GROUP_ORDER: metric_id,
    title, label, unit, flip (lower is better), system, minimum, q25, q75, maximum and
    count (over unsuppressed practice values), practice, practice_suppressed,
    practice_comparison (with the system), network and locality."""
    indicators = indicators[indicators["method"] != "count"].set_index("id")
    is_practice = values["level"] == "practice"
    spread = _spread(values[is_practice & ~values["suppressed"]])
    own = values[values["org_code"] == practice["org_code"]].set_index("metric_id")
    rows = indicators[["title", "group", "unit", "polarity"]].join(spread, how="inner")
    rows["system"] = _value_of(values, SYSTEM_CODE)
    rows["network"] = _value_of(values, network["org_code"] if network else None)
    rows["locality"] = _value_of(values, locality["org_code"] if locality else None)
    rows["practice"] = own["value"]
    rows["practice_suppressed"] = own["suppressed"].reindex(rows.index).fillna(False).astype(bool)
    rows["practice_comparison"] = own["comparison_system"].reindex(rows.index).fillna("no data")
    rows["flip"] = rows["polarity"] == "lower"
    rows["label"] = [_wrap(title) for title in rows["title"]]
    rows = rows[rows["system"].notna()]
    order = rows["group"].map(GROUP_ORDER.index)
    return rows.assign(order=order).sort_values("order", kind="stable").drop(columns="order")


def _spread(practice_values: pd.DataFrame) -> pd.DataFrame:
    grouped = practice_values.groupby("metric_id")["value"]
    return pd.DataFrame(
        {
            "minimum": grouped.min(),
            "q25": grouped.quantile(0.25),
            "q75": grouped.quantile(0.75),
            "maximum": grouped.max(),
            "count": grouped.count(),
        }
    )


def _value_of(values: pd.DataFrame, code: str | None) -> pd.Series:
    # A suppressed benchmark has a NULL value already (access masks it).
    return values[values["org_code"] == code].set_index("metric_id")["value"]


def _wrap(title: str) -> str:
    """Breaks a long title onto lines of about LABEL_WIDTH characters for the chart axis."""
    lines, line = [], ""
    for word in title.split():
        if line and len(line) + len(word) + 1 > LABEL_WIDTH:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "<br>".join([*lines, line])
