"""The network comparison page's downloads: the heat map (a captioned image and its cells),
one network's practice league table for a KPI, and its exceptions for the MDT review.

The query is the page's own (`month`, `network`, `kpi`); the data come from the page's
`networks_data` functions, and a network outside the scope is refused with its sentence.
"""

from __future__ import annotations

import pandas as pd

from dashboard import access, exports, session
from dashboard.figures.heatmap import status_heatmap
from dashboard.pages import networks, networks_data
from dashboard.pages.indicator_data import definitions
from dashboard.pages.networks_data import STATUS_WORDS

KPI_DEFINITION = (
    "Care-package KPIs: the QOF-style lower and upper thresholds of each KPI, the status of "
    "each value against them in the direction of improvement, and the change since the "
    "previous month in percentage points."
)


def _month(query: dict):
    month = networks_data.parse_month(query.get("month"))
    if month is None:
        raise exports.Refused(f"There is no published month {query.get('month')!r}.")
    return month


def heatmap(query: dict) -> exports.Export:
    """The heat map of the scope's networks and the system by KPI in the month."""
    month = _month(query)
    cells, rows, columns = networks_data.heatmap_cells(session.current_scope(), month)
    if cells.empty:
        raise exports.Refused(f"No care-package KPI is published for {month:%B %Y}.")
    frame = pd.DataFrame(
        {
            "Network": cells["row"],
            "Code": cells["org_code"],
            "KPI": cells["title"],
            "Value": cells["value"],
            "Lower threshold": cells["lower"],
            "Upper threshold (target)": cells["upper"],
            "Status": cells["status"].map(STATUS_WORDS),
        }
    )
    return exports.Export(
        title="Care-package KPIs by network against their thresholds",
        frame=exports.masked(frame, cells["suppressed"].astype(bool), ["Value"]),
        figure=status_heatmap(cells, rows, columns, title=networks.heatmap_title(month)),
        org="Every network you can see and the whole system",
        period=f"{month:%B %Y}",
        definition=KPI_DEFINITION,
        source=exports.source_of(*_kpis()),
        period_code=f"month-{month:%Y-%m}",
        formats=dict.fromkeys(
            ("Value", "Lower threshold", "Upper threshold (target)"),
            exports.number_formats(cells["unit"].tolist(), cells["target_value"].tolist()),
        ),
    )


def _kpis() -> list[dict]:
    table = definitions()
    return table[table["group"] == networks_data.KPI_GROUP].to_dict("records")


def _view(query: dict) -> networks_data.NetworkView:
    view = networks_data.network_view(
        session.current_scope(), query.get("network"), query.get("kpi"), query.get("month")
    )
    if isinstance(view, str):
        raise exports.Refused(view)
    return view


def league(query: dict) -> exports.Export:
    """The chosen network's practices for one KPI, best first."""
    view = _view(query)
    rows = networks_data.league_table(view.rows, view.kpi.name)
    hidden = rows["suppressed"].astype(bool)
    frame = pd.DataFrame(
        {
            "Practice": rows["practice"],
            "Code": rows["org_code"],
            "Numerator": rows["numerator"],
            "Denominator": rows["denominator"],
            "Value": rows["value"],
            "95% CI lower": rows["lower_95"],
            "95% CI upper": rows["upper_95"],
            "Lower threshold": rows["lower"],
            "Upper threshold (target)": rows["upper"],
            "Status": rows["status"].map(STATUS_WORDS),
            "Change since previous month (points)": rows["change"],
        }
    )
    frame = exports.masked(frame, hidden, ["Numerator", "Denominator", "Value", "95% CI lower",
                                           "95% CI upper"])  # fmt: skip
    either = hidden | rows["previous_suppressed"].astype(bool)
    frame = exports.masked(frame, either.to_numpy(), ["Change since previous month (points)"])
    units = (rows["unit"].tolist(), rows["target_value"].tolist())
    title = f"Practice league table: {view.kpi['title']}"
    return _network_export(query, view, title, frame, units)


def exceptions(query: dict) -> exports.Export:
    """The chosen network's practice KPIs that are exceptions by the page's rule."""
    view = _view(query)
    found = networks_data.exceptions(view.rows)
    frame = pd.DataFrame(
        {
            "Practice": found["practice"],
            "Code": found["org_code"],
            "KPI": found["title"],
            "Previous month": found["previous"],
            "Latest month": found["value"],
            "Change (points)": found["change"],
            "Change 95% CI lower": found["change_lower"],
            "Change 95% CI upper": found["change_upper"],
            "Why": found["reason"],
        }
    )
    # Reason (a) lists a practice whose previous month may be suppressed: show "*" there.
    either = found["suppressed"].astype(bool) | found["previous_suppressed"].astype(bool)
    frame = exports.masked(frame, found["previous_suppressed"], ["Previous month"])
    frame = exports.masked(frame, either, ["Change (points)", "Change 95% CI lower",
                                           "Change 95% CI upper"])  # fmt: skip
    units = (found["unit"].tolist(), found["target_value"].tolist())
    return _network_export(query, view, "Exceptions for the MDT review", frame, units)


def _network_export(query: dict, view, title: str, frame: pd.DataFrame, units) -> exports.Export:
    """`units`: (unit, target) of each row, for the values' decimals and % signs."""
    code = query["network"]  # network_view found it in the scope
    orgs = access.org_units(session.current_scope(), "network")
    name = orgs.loc[orgs["org_code"] == code, "org_name"].iloc[0]
    names = {"Value", "Previous month", "Latest month", "95% CI lower", "95% CI upper",
             "Lower threshold", "Upper threshold (target)"}  # fmt: skip
    changes = {"Change since previous month (points)", "Change (points)"}
    formats = {c: exports.number_formats(*units) for c in frame.columns if c in names}
    signed = exports.number_formats(*units, signed=True)
    formats |= {c: signed for c in frame.columns if c in changes}
    formats |= {c: exports.COUNT_FORMAT for c in ("Numerator", "Denominator") if c in frame}
    return exports.Export(
        title=title,
        frame=frame.reset_index(drop=True),
        org=f"{name} ({access.level_label('network').lower()})",
        org_code=code,
        period=f"{view.month:%B %Y}",
        definition=KPI_DEFINITION,
        source=exports.source_of(*_kpis()),
        period_code=f"month-{view.month:%Y-%m}",
        formats=formats,
    )


exports.register("networks-heatmap", heatmap, label="the heat map", chart=True)
exports.register("networks-league", league, label="the practice league table")
exports.register("networks-exceptions", exceptions, label="the exceptions table")
