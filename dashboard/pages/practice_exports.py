"""The practice profile's download: the spine chart (a captioned image) and its table.

The query is the page's own (`org`, `period`); the data come from the page's
`practice_data.practice_profile` and the figure from its own spine chart, and a practice
outside the scope is refused with the page's sentence.
"""

from __future__ import annotations

import pandas as pd

from dashboard import access, exports, formats, session
from dashboard.figures.spine import spine_chart
from dashboard.pages import practice, practice_data
from dashboard.pages.drilldown_data import PERIOD_TYPES, unknown_org_sentence

DEFINITION = (
    "Every indicator for the practice against its network, locality and the whole system, "
    "with the lowest, 25th percentile, 75th percentile and highest of the practices you "
    "can see. Rows on the standardised ratio basis hold indirectly standardised ratios "
    "(1 = the system's age and sex rates); the others hold values. "
) + practice.RATIO_NOTE


def spine(query: dict) -> exports.Export:
    """The practice's profile: its spine chart and the chart's table."""
    period = query.get("period") if query.get("period") in PERIOD_TYPES else "rolling12"
    scope = session.current_scope()
    code = query.get("org") or _first_practice(scope)  # as the page: the first, by default
    profile = practice_data.practice_profile(scope, code, period)
    if profile is None:
        raise exports.Refused(unknown_org_sentence(code))
    if profile.rows.empty:
        raise exports.Refused("No indicator is published for this practice and period.")
    own = profile.practice
    figure = spine_chart(profile.rows, practice.spine_title(profile), practice.marker_names())
    frame = spine_frame(profile.rows)
    return exports.Export(
        title=f"Practice profile: {own['org_name']} against the system",
        frame=frame,
        figure=figure,
        org=f"{own['org_name']} ({own['org_code']})",
        period=profile.period["label"],
        definition=DEFINITION,
        org_code=own["org_code"],
        period_code=f"{period}-{pd.Timestamp(profile.period['period_end']):%Y-%m}",
        formats=dict.fromkeys(frame.columns[4:], _number_formats(profile.rows)),
    )


def _first_practice(scope) -> str | None:
    practices = access.org_units(scope, "practice")
    return practices["org_code"].iloc[0] if len(practices) else None


BENCHMARKS = ("network", "locality", "system")
SPREAD = {"minimum": "Lowest practice", "q25": "25th percentile", "q75": "75th percentile",
          "maximum": "Highest practice"}  # fmt: skip


def spine_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The spine chart's table: one row per indicator, on the basis its verdict compares."""
    frame = pd.DataFrame(
        {
            "Indicator": rows["title"],
            "Metric id": rows.index,
            "Basis": rows["basis"].map({"ratio": "standardised ratio", "value": "value"}),
            "Unit": rows["unit"].where(rows["basis"] == "value", formats.RATIO),
            "Practice": rows["practice"],
            "95% CI lower": rows["practice_lower"],
            "95% CI upper": rows["practice_upper"],
            "Compared with the system (95%)": rows["practice_comparison"],
        }
    ).reset_index(drop=True)
    hidden = rows["practice_suppressed"].astype(bool).reset_index(drop=True)
    frame = exports.masked(frame, hidden, ["Practice", "95% CI lower", "95% CI upper"])
    for column in BENCHMARKS:
        label = "System" if column == "system" else access.level_label(column)
        values = rows[column].reset_index(drop=True).astype(object)
        starred = rows[f"{column}_suppressed"].eq(True).reset_index(drop=True)
        frame[label] = values.where(~starred, formats.SUPPRESSED)
    for column, label in SPREAD.items():
        frame[label] = rows[column].reset_index(drop=True)
    if "peers" in rows:  # the peer median, drawn on value rows only (practice_data)
        frame["Peer median"] = rows["peers"].reset_index(drop=True)
        frame["Compared with peers (95%)"] = rows["peers_comparison"].reset_index(drop=True)
    return frame


def _number_formats(rows: pd.DataFrame) -> list[str]:
    units = rows["unit"].where(rows["basis"] == "value", formats.RATIO).tolist()
    return exports.number_formats(units, rows["target_value"].tolist())


exports.register("practice-spine", spine, label="the spine chart", chart=True)
