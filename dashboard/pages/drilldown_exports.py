"""The locality drill-down's downloads: the org's indicators (its context strip and metric
cards: value, interval, its parent's value and the comparison, the system's value) and
the table of its children.

The query is the page's own (`org`, `period`); the data come from the page's
`drilldown_data.drilldown_view`, and an org outside the scope is refused with its sentence.
"""

from __future__ import annotations

import pandas as pd

from dashboard import exports, formats, session
from dashboard.pages import drilldown, drilldown_data
from dashboard.pages.drilldown_data import SYSTEM_CODE

INDICATORS_DEFINITION = (
    "The org's context measures and board metrics for the period: each value with its 95% "
    "confidence interval, its parent's value and the published comparison with the parent "
    "at 95%, and the whole system's value. Each metric's definition is on the Definitions "
    "page."
)
CHILDREN_DEFINITION = (
    "The org's children: registered population and the headline indicators, each with the "
    "published comparison with the org (the parent) at 95%."
)


def _view(query: dict) -> drilldown_data.DrilldownView:
    period = drilldown._period(query)
    view = drilldown_data.drilldown_view(session.current_scope(), query.get("org"), period)
    if view is None:
        raise exports.Refused(drilldown_data.unknown_org_sentence(query.get("org")))
    return view


def indicators(query: dict) -> exports.Export:
    """The org's context and metric values against its parent and the system."""
    view = _view(query)
    rows = list(view.rows_for(view.org["org_code"]).values())
    system = view.rows_for(SYSTEM_CODE)
    parent = view.trail[-2]["org_name"] if len(view.trail) > 1 else None
    frame = pd.DataFrame(
        {
            "Indicator": [row["title"] for row in rows],
            "Metric id": [row["metric_id"] for row in rows],
            "Unit": [row["unit"] for row in rows],
            "Value": [row["value"] for row in rows],
            "95% CI lower": [row["lower_95"] for row in rows],
            "95% CI upper": [row["upper_95"] for row in rows],
            f"Parent ({parent or 'none'})": [_parent(row, parent) for row in rows],
            "Compared with the parent (95%)": [
                row["comparison_parent"] if parent else "" for row in rows
            ],
            "Whole system": [_system(system.get(row["metric_id"])) for row in rows],
        }
    )
    hidden = pd.Series([bool(row["suppressed"]) for row in rows], dtype=bool)
    frame = exports.masked(frame, hidden, ["Value", "95% CI lower", "95% CI upper"])
    numbers = exports.number_formats(frame["Unit"].tolist())
    shown = [name for name in frame.columns[3:] if not name.startswith("Compared")]
    title = "Indicators against the parent and the system"
    return _export(view, title, frame, INDICATORS_DEFINITION, dict.fromkeys(shown, numbers))


def _parent(row: dict, parent: str | None):
    if parent is None:
        return None
    # access hides the parent value when this row or the parent's is suppressed.
    withheld = row["suppressed"] or pd.isna(row["parent_value"])
    return formats.SUPPRESSED if withheld else row["parent_value"]


def _system(row: dict | None):
    if row is None:
        return None
    return formats.SUPPRESSED if row["suppressed"] else row["value"]


def children(query: dict) -> exports.Export:
    """The org's children with their population and headline indicators."""
    view = _view(query)
    if view.org["level"] == "practice":
        raise exports.Refused("A practice is the lowest level: it has no children.")
    records = [_child(view, child) for child in view.children.to_dict("records")]
    frame = pd.DataFrame(records, columns=_child_columns())
    level = formats.level_noun(drilldown.CHILD_LEVEL[view.org["level"]])
    title = f"{formats.sentence_start(formats.plural(level))} in {view.org['org_name']}"
    units = view.indicators["unit"]
    numbers = {drilldown_data.KEY_LABELS[m]: exports.number_format(units[m]) for m in
               drilldown_data.KEY_INDICATORS}  # fmt: skip
    numbers["Registered population"] = exports.COUNT_FORMAT
    return _export(view, title, frame, CHILDREN_DEFINITION, numbers)


def _child_columns() -> list[str]:
    columns = ["Name", "Code", "Registered population"]
    for metric in drilldown_data.KEY_INDICATORS:
        label = drilldown_data.KEY_LABELS[metric]
        columns += [label, f"{label}: compared with the parent (95%)"]
    return columns


def _child(view, child: dict) -> list:
    rows = view.rows_for(child["org_code"])
    cells = [child["org_name"], child["org_code"], _own(rows.get("registered_population"))]
    for metric in drilldown_data.KEY_INDICATORS:
        row = rows.get(metric)
        cells += [_own(row), row["comparison_parent"] if row else "not compared"]
    return cells


def _own(row: dict | None):
    if row is None:
        return None
    return formats.SUPPRESSED if row["suppressed"] else row["value"]


def _export(view, title: str, frame: pd.DataFrame, definition: str, numbers: dict):
    org = view.org
    level = "" if org["level"] == "system" else f" ({formats.level_noun(org['level'])})"
    return exports.Export(
        title=title,
        frame=frame,
        org=f"{org['org_name']}{level}",
        period=view.period["label"],
        definition=definition,
        org_code=org["org_code"],
        period_code=f"{_period_type(view)}-{pd.Timestamp(view.period['period_end']):%Y-%m}",
        formats=numbers,
    )


def _period_type(view) -> str:
    return "month" if int(view.period["months"]) == 1 else "rolling12"


exports.register("drilldown-indicators", indicators, label="the context and indicators")
exports.register("drilldown-children", children, label="the table of the level below")
