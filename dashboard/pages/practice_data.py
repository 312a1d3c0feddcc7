"""Data for the practice profile: every indicator for one practice, with its network,
locality and system values and the spread of the practices the user can see.

The range (minimum, quartiles, maximum) is taken over the practices in the user's scope,
never over practices they may not see; for a whole-system user that is every practice.
Counts (registered population) are left out: their spread says only how big practices are.

Every row is drawn on the quantity its system verdict compares (docs/metrics.md): for an
indirectly standardised indicator (`isr`) that is the standardised ratio, with its 95%
interval, against 1 (the system); so its row holds ratios (the practice's, its network's
and locality's, and the spread of practices' ratios) with the system at 1, and keeps the
crude values (`practice_crude`, `system_crude`) as context. Every other row holds values
against the system's value. So a "better" is never drawn beside a worse value.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import access, theme
from dashboard.pages.drilldown_data import PERIOD_TYPES, ancestor_at, find_org, latest_period
from dashboard.scope import SYSTEM_CODE, Scope

GROUP_ORDER = ("care_package", "northumbria", "whole_system", "supplied", "context")
LABEL_WIDTH = 50
RATIO_LABEL = " (standardised ratio)"


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
    peer_rows = access.peer_benchmarks(
        scope, None, [practice["org_code"]], period_type, [period["period_start"]]
    )
    rows = profile_rows(values, access.indicators(), practice, network, locality, peer_rows)
    return PracticeProfile(practice, network, locality, period, rows, len(practices))


def profile_rows(values, indicators, practice, network, locality, peer_rows=None) -> pd.DataFrame:
    """Returns one row per indicator with a system value, in GROUP_ORDER: metric_id,
    title, label, unit, flip (lower is better), basis ('ratio' or 'value': what the row
    draws and the verdict compares), system (1 for a ratio), minimum, q25, q75, maximum
    and count (over unsuppressed practice values), practice with practice_lower and
    practice_upper (its 95% interval), practice_suppressed, practice_comparison (with
    the system), network, locality (each benchmark with `<column>_suppressed`), the
    crude practice_crude and system_crude, and, given `peer_rows` (access.peer_benchmarks
    of the practice), `peers` (the peer median), peers_used and peers_comparison."""
    indicators = indicators[indicators["method"] != "count"].set_index("id")
    drawn = compared_values(values, indicators["isr"])
    is_practice = drawn["level"] == "practice"
    spread = _spread(drawn[is_practice & ~drawn["suppressed"]])
    own = drawn[drawn["org_code"] == practice["org_code"]].set_index("metric_id")
    rows = indicators[["title", "group", "unit", "polarity", "target_value"]].join(
        spread, how="inner"
    )
    rows["basis"] = indicators["isr"].reindex(rows.index).map({True: "ratio", False: "value"})
    benchmarks = {"system": SYSTEM_CODE, "network": network, "locality": locality}
    for column, org in benchmarks.items():
        code = org if isinstance(org, str) else (org or {}).get("org_code")
        rows[column] = _value_of(drawn, code)
        rows[f"{column}_suppressed"] = _value_of(drawn, code, "suppressed").reindex(rows.index)
    rows["practice"] = own["value"]
    rows["practice_lower"] = own["lower_95"]
    rows["practice_upper"] = own["upper_95"]
    rows["practice_suppressed"] = own["suppressed"].reindex(rows.index).fillna(False).astype(bool)
    rows["practice_comparison"] = own["comparison_system"].reindex(rows.index).fillna("no data")
    rows["practice_crude"] = _value_of(values, practice["org_code"])
    rows["system_crude"] = _value_of(values, SYSTEM_CODE)
    rows["flip"] = rows["polarity"] == "lower"
    if peer_rows is not None:
        rows = _with_peers(rows, peer_rows)
    titles = rows["title"].where(rows["basis"] == "value", rows["title"] + RATIO_LABEL)
    rows["label"] = [theme.wrap_label(title, LABEL_WIDTH) for title in titles]
    rows = rows[rows["system"].notna()]
    order = rows["group"].map(GROUP_ORDER.index)
    return rows.assign(order=order).sort_values("order", kind="stable").drop(columns="order")


def _with_peers(rows: pd.DataFrame, peer_rows: pd.DataFrame) -> pd.DataFrame:
    """The peer median and the verdict against it, on rows drawn as values only: a ratio
    row draws the standardised ratio, and the peer benchmark is of crude values, so it is
    not drawn there (the indicator page shows it)."""
    peers = peer_rows.set_index("metric_id").reindex(rows.index)
    by_value = rows["basis"] == "value"
    rows["peers"] = peers["peer_value"].astype(float).where(by_value)
    rows["peers_used"] = peers["peers_used"].where(by_value)
    verdicts = peers["comparison_peer"].fillna("no data")
    rows["peers_comparison"] = verdicts.where(by_value, "not drawn (ratio)")
    return rows


def compared_values(values: pd.DataFrame, isr: pd.Series) -> pd.DataFrame:
    """Returns the values with each ISR indicator's value and interval replaced by its
    standardised ratio and the ratio's interval (the system's ratio by 1, the benchmark
    the verdict uses); other indicators as they are. `isr` is indexed by metric id."""
    drawn = values.copy()
    ratio = drawn["metric_id"].map(isr).fillna(False).astype(bool)
    drawn.loc[ratio, "value"] = drawn.loc[ratio, "isr"]
    drawn.loc[ratio, "lower_95"] = drawn.loc[ratio, "isr_lower_95"]
    drawn.loc[ratio, "upper_95"] = drawn.loc[ratio, "isr_upper_95"]
    drawn.loc[ratio & (drawn["level"] == "system") & ~drawn["suppressed"], "value"] = 1.0
    return drawn


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


def _value_of(values: pd.DataFrame, code: str | None, column: str = "value") -> pd.Series:
    # A suppressed benchmark has a NULL value already (access masks it).
    return values[values["org_code"] == code].set_index("metric_id")[column]
