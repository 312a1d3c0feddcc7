"""The indicator detail page's text panels: the table alternatives of its charts and the
indicator's definition. Suppressed values show as "*".
"""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard.pages.board_data import format_value

DEFINITION_FIELDS = (
    ("Description", "description"),
    ("Why it matters", "why_it_matters"),
    ("Numerator", "numerator"),
    ("Denominator", "denominator"),
    ("Method", "method"),
    ("Unit", "unit"),
    ("Polarity", "polarity"),
    ("Sources", "sources"),
    ("Caveats", "caveats"),
)
POLARITY_TEXT = {
    "higher": "higher is better",
    "lower": "lower is better",
    "none": "neither higher nor lower is better",
}


def table(headers: list[str], rows: list[list], table_id: str | None = None) -> html.Table:
    """Returns a plain accessible table: column headers, the first cell a row header."""
    head = html.Thead(html.Tr([html.Th(text, scope="col") for text in headers]))
    body = html.Tbody(
        [
            html.Tr([html.Th(row[0], scope="row"), *(html.Td(cell) for cell in row[1:])])
            for row in rows
        ]
    )
    return html.Table([head, body], id=table_id, className="table table-sm bg-white")


def spc_table(points: pd.DataFrame, cause_text) -> html.Table:
    """Returns the SPC chart as a table: month, value, mean, limits and special cause."""
    rows = [
        [
            f"{pd.Timestamp(row['period_start']):%b %Y}",
            format_value(row["value"], bool(row["suppressed"])),
            format_value(row["mean"]),
            format_value(row["lower_limit"]),
            format_value(row["upper_limit"]),
            "–"
            if pd.isna(row["value"])
            else cause_text(row["rule"], row["value"], row["mean"], row["upper_limit"]),
        ]
        for row in points.to_dict("records")
    ]
    headers = ["Month", "Value", "Mean", "Lower process limit", "Upper process limit", "Cause"]
    return table(headers, rows, "indicator-spc-table")


def peer_table(funnel: pd.DataFrame, comparison_column: str) -> html.Table:
    """Returns the funnel plot and ranked bar chart as one table, highest value first."""
    ordered = funnel.sort_values("value", ascending=False, na_position="last")
    rows = [_peer_row(row, comparison_column) for row in ordered.to_dict("records")]
    headers = [
        "Organisation",
        "Numerator",
        "Denominator",
        "Value",
        "95% CI",
        "95% funnel limits",
        "99.8% funnel limits",
        "Funnel position",
        "Compared",
    ]
    return table(headers, rows, "indicator-peer-table")


def _peer_row(row: dict, comparison_column: str) -> list:
    hidden = bool(row["suppressed"])
    return [
        f"{row['org_name']} ({row['org_code']})",
        _count(row["numerator"], hidden),
        _count(row["denominator"], hidden),
        format_value(row["value"], hidden),
        "*" if hidden else _interval(row["lower_95"], row["upper_95"]),
        "–" if hidden else _interval(row["lower_95_limit"], row["upper_95_limit"]),
        "–" if hidden else _interval(row["lower_998_limit"], row["upper_998_limit"]),
        "*" if hidden else _text(row["position"]),
        row[comparison_column],
    ]


def _text(value) -> str:
    return value if isinstance(value, str) else "–"


def _count(value, hidden: bool) -> str:
    if hidden:
        return "*"
    return "–" if value is None or pd.isna(value) else f"{value:,.0f}"


def _interval(lower, upper) -> str:
    if pd.isna(lower) or pd.isna(upper):
        return "–"
    return f"{format_value(lower)} to {format_value(upper)}"


def definition_panel(indicator: dict) -> html.Section:
    """Returns the indicator's definition as a description list, with its target."""
    items = []
    for label, key in DEFINITION_FIELDS:
        items += [html.Dt(label), html.Dd(_definition_text(key, indicator.get(key)))]
    items += [html.Dt("Target"), html.Dd(_target_text(indicator))]
    return html.Section(
        [html.H2("Definition"), html.Dl(items, id="indicator-definition")], className="nhs-card"
    )


def _definition_text(key: str, value):
    if key == "polarity":
        return POLARITY_TEXT.get(value, value)
    if isinstance(value, list | tuple):
        return html.Ul([html.Li(item) for item in value]) if value else "None"
    return value or "–"


def _target_text(indicator: dict) -> str:
    target = indicator.get("target_value")
    if target is None or pd.isna(target):
        return "No target is set."
    text = format_value(target)
    lower = indicator.get("target_lower")
    if lower is not None and not pd.isna(lower) and lower != target:
        text += f" (lower threshold {format_value(lower)})"
    source = indicator.get("target_source")
    return text + (f"; source: {source}" if source else "")
