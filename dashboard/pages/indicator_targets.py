"""The indicator page's target: the target in force, who set it and why, and whether the
latest month is on track against the trajectory, all read live from `targets_live`.
"""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard import access, formats, targets_live
from wholesystem.targets import EffectiveTarget


def judged_month(points: pd.DataFrame):
    """The month the icons are judged at: the latest shown value's, else the series' last
    month, else (no series) the snapshot's last month: never none, so a target outside
    its months is never shown."""
    last = targets_live.latest_observed(points)
    if last is not None:
        return pd.Timestamp(last["period_start"]).date()
    if points.empty:
        return access.months()[-1]
    return pd.Timestamp(points["period_start"].iloc[-1]).date()


def chart_target(indicator: dict, org_code: str, points: pd.DataFrame) -> tuple:
    """(the number the chart draws as the target or None, the org's trajectory)."""
    target = targets_live.target_for(indicator, org_code, judged_month(points))
    judged = None if target is None else target.judged_against
    return judged, targets_live.trajectory_for(indicator, org_code)


def target_panel(indicator: dict, org_code: str, points: pd.DataFrame) -> html.Div:
    """The target sentence and, with a trajectory, the on-track sentence."""
    month = judged_month(points)
    target = targets_live.target_for(indicator, org_code, month)
    lines = [html.P(target_sentence(indicator, target), id="indicator-target", className="mb-1")]
    track = track_sentence(indicator, org_code, points)
    if track:
        lines.append(html.P(track, id="indicator-on-track", className="mb-1"))
    return html.Div(lines, className="mb-2")


def target_sentence(indicator: dict, target: EffectiveTarget | None) -> str:
    """The target in words, e.g. "Target: 70.0%; set for every organisation by ana on
    5 Dec 2026: <reason>", or for a default, where it comes from."""
    if target is None:
        return "No target is set, so no assurance icon can be shown."
    words = f"Target: {_number(indicator, target.judged_against)}"
    if target.lower is not None and target.upper is not None:
        low, high = (_number(indicator, v) for v in (target.lower, target.upper))
        words += f" (thresholds {low} to {high})"
    described = targets_live.describe(target, whom=True)
    return f"{words}; {described}" + ("." if target.record is None else "")


def track_sentence(indicator: dict, org_code: str, points: pd.DataFrame) -> str | None:
    """Whether the latest month shown is on track, e.g. "On track against the trajectory
    for June 2025: planned 62.0%, actual 64.3%." (None without a trajectory)."""
    if not targets_live.trajectory_for(indicator, org_code):
        return None
    last = targets_live.latest_observed(points)
    if last is None:
        return "The trajectory cannot be judged: no month of this series has a value shown."
    month = pd.Timestamp(last["period_start"]).date()
    planned = targets_live.planned_for(indicator, org_code, month)
    if planned is None:
        return f"The trajectory plans no value for {month:%B %Y}, the latest month shown."
    track = targets_live.on_track_for(indicator, org_code, month, last["value"])
    words = "On track" if track else "Off track"
    actual = _number(indicator, last["value"])
    return (
        f"{words} against the trajectory for {month:%B %Y}: planned "
        f"{_number(indicator, planned)}, actual {actual}."
    )


def _number(indicator: dict, value) -> str:
    return formats.number(value, indicator["unit"], indicator.get("target_value"))
