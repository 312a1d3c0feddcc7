"""The indicator detail page's text panels: the table alternatives of its charts, the
indicator's definition, and the change points of its SPC chart (listed for everyone,
recorded and removed by analysts and admins). Suppressed values show as "*".

Change points are stored by `wholesystem.annotations` beside the users (the web tier never
writes DuckDB) and take effect at the next publish. The role is checked on the server in
the callback, whatever the page showed.
"""

from __future__ import annotations

from datetime import date

import dash_bootstrap_components as dbc
import flask
import pandas as pd
from dash import ALL, Input, Output, State, ctx, html, no_update

from dashboard import access, formats, roles, session
from dashboard.pages.board_data import format_value
from wholesystem import annotations

CHANGE_NOTE = (
    "A change point splits the chart's mean and limits (or only marks the chart, when the "
    "limits are kept). Recorded change points take effect at the next publish."
)

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


EXCLUDED_TEXT = {
    "lead_in": "Lead-in month, left out of the limits",
    "provisional": "Provisional month, left out of the limits",
}


def measure_unit(indicator: dict, segment: str) -> str:
    """Returns the unit of the values shown: an age-band segment of a directly
    standardised indicator carries the crude age-specific rate (docs/metrics.md)."""
    unit = indicator["unit"]
    if indicator.get("method") == "dsr" and segment.startswith("age_band:"):
        return unit.replace("directly standardised rate", "crude age-specific rate")
    return unit


def ratio_text(ratio, lower, upper) -> str:
    """Returns a standardised ratio with its 95% interval, to two decimals."""
    if pd.isna(ratio):
        return "–"
    if pd.isna(lower) or pd.isna(upper):
        return f"{ratio:.2f}"
    return f"{ratio:.2f} (95% CI {lower:.2f} to {upper:.2f})"


def spc_table(points: pd.DataFrame, cause_text, indicator: dict | None = None) -> html.Table:
    """Returns the SPC chart as a table: month, value, mean, limits and special cause (or
    why the month is not in the limits)."""
    unit = (indicator or {}).get("unit", "")
    target = (indicator or {}).get("target_value")

    def shown(value, hidden: bool = False) -> str:
        return formats.number(value, unit, target, suppressed=hidden)

    rows = [
        [
            f"{pd.Timestamp(row['period_start']):%b %Y}",
            shown(row["value"], bool(row["suppressed"]) or pd.isna(row["value"])),
            shown(row["mean"]),
            shown(row["lower_limit"]),
            shown(row["upper_limit"]),
            cause_words(row, cause_text),
        ]
        for row in points.to_dict("records")
    ]
    headers = ["Month", "Value", "Mean", "Lower process limit", "Upper process limit", "Cause"]
    return table(headers, rows, "indicator-spc-table")


def cause_words(row: dict, cause_text) -> str:
    if pd.isna(row["value"]):
        return "Suppressed"
    reason = row.get("excluded_reason")
    if reason in EXCLUDED_TEXT:
        return EXCLUDED_TEXT[reason]
    return cause_text(row["rule"], row["value"], row["mean"], row["upper_limit"])


def peer_table(funnel: pd.DataFrame, basis, indicator: dict, segment: str) -> html.Table:
    """Returns the funnel plot and ranked bar chart as one table, highest value first:
    counts, the crude value, the standardised ratio where the verdict compares it, the
    drawn funnel limits and position, and the published verdicts at 95% and 99.8%."""
    key = "isr" if basis.ratio else "value"
    ordered = funnel.sort_values(key, ascending=False, na_position="last")
    rows = [_peer_row(row, basis, indicator) for row in ordered.to_dict("records")]
    unit = measure_unit(indicator, segment)
    headers = ["Organisation", "Numerator", "Denominator", f"Value ({unit})", "95% CI"]
    if basis.ratio:
        headers += ["Expected", "Standardised ratio (95% CI)"]
    headers += [
        "95% funnel limits",
        "99.8% funnel limits",
        "Funnel position",
        "Compared (95%)",
        "Compared (99.8%)",
    ]
    return table(headers, rows, "indicator-peer-table")


def _peer_row(row: dict, basis, indicator: dict) -> list:
    hidden = bool(row["suppressed"])
    unit, target = indicator["unit"], indicator.get("target_value")
    limits = _ratio_interval if basis.ratio else _value_interval(unit, target)
    cells = [
        f"{row['org_name']} ({row['org_code']})",
        _count(row["numerator"], hidden),
        _count(row["denominator"], hidden),
        formats.number(row["value"], unit, target, suppressed=hidden),
        "*" if hidden else _value_interval(unit, target)(row["lower_95"], row["upper_95"]),
    ]
    if basis.ratio:
        cells += [
            _count(row["expected"], hidden),
            "*" if hidden else ratio_text(row["isr"], row["isr_lower_95"], row["isr_upper_95"]),
        ]
    return [
        *cells,
        "–" if hidden else limits(row["lower_95_limit"], row["upper_95_limit"]),
        "–" if hidden else limits(row["lower_998_limit"], row["upper_998_limit"]),
        "*" if hidden else _text(row["position"]),
        row["comparison"],
        _text(row.get("comparison_998")),
    ]


def _value_interval(unit: str, target):
    def interval(lower, upper) -> str:
        if pd.isna(lower) or pd.isna(upper):
            return "–"
        return f"{formats.number(lower, unit, target)} to {formats.number(upper, unit, target)}"

    return interval


def _ratio_interval(lower, upper) -> str:
    return "–" if pd.isna(lower) or pd.isna(upper) else f"{lower:.2f} to {upper:.2f}"


def _text(value) -> str:
    return value if isinstance(value, str) else "–"


def _count(value, hidden: bool) -> str:
    if hidden:
        return "*"
    return "–" if value is None or pd.isna(value) else f"{value:,.0f}"


def definition_panel(indicator: dict) -> html.Section:
    """Returns the indicator's definition as a description list, with its target."""
    items = []
    for label, key in DEFINITION_FIELDS:
        items += [html.Dt(label), html.Dd(_definition_text(key, indicator.get(key)))]
    # The definition's target is the default; the one in force is beside the SPC chart.
    items += [html.Dt("Default target"), html.Dd(_target_text(indicator))]
    items += [html.Dt("Disclosure"), html.Dd(indicator["disclosure"])]
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
        return "No default target."
    text = format_value(target)
    lower = indicator.get("target_lower")
    if lower is not None and not pd.isna(lower) and lower != target:
        text += f" (lower threshold {format_value(lower)})"
    source = indicator.get("target_source")
    return text + (f"; source: {source}" if source else "")


def change_point_panel(detail) -> html.Section:
    """Returns the change points recorded for the view's indicator and org, with a form
    to record one and Remove buttons for analysts and admins."""
    editor = roles.current_can("annotate")
    view = detail.view
    children = [
        html.H3("Change points", className="h5"),
        html.P(CHANGE_NOTE, className="nhs-muted small"),
        html.Div(change_list(view.metric_id, view.org, editor), id="indicator-change-list"),
    ]
    if editor:
        children += [_change_form(view.org), html.P(id="indicator-change-message", role="status")]
    children.append(html.Span(view.org, id="indicator-change-org", hidden=True))
    return html.Section(children, id="indicator-changes", className="mt-3")


def _change_form(org: str) -> dbc.Row:
    def field(label, component, width):
        return dbc.Col([html.Label(label, htmlFor=component.id), component], md=width)

    scope_options = [
        {"label": f"This organisation ({org})", "value": "org"},
        {"label": "Every organisation", "value": "all"},
    ]
    return dbc.Row(
        [
            field("Month", dbc.Input(id="indicator-change-month", type="month"), 3),
            field("Label", dbc.Input(id="indicator-change-label", type="text", maxLength=80), 4),
            field(
                "Applies to",
                dbc.Select(id="indicator-change-scope", options=scope_options, value="org"),
                3,
            ),
            dbc.Col(
                [
                    dbc.Checkbox(
                        id="indicator-change-recalculate",
                        label="Recalculate the limits from this month",
                        value=True,
                    ),
                    dbc.Button("Record change point", id="indicator-change-add", size="sm"),
                ],
                md=12,
                className="mt-2",
            ),
        ],
        className="g-2",
    )


def change_list(metric_id: str, org: str, editor: bool) -> html.Ul | html.P:
    """Returns the recorded change points of an indicator for an org (its own and those for
    every org), each with a Remove button for an editor."""
    recorded = [
        item
        for item in annotations.list_annotations(_settings(), metric_id)
        if item.org_code in (None, org)
    ]
    if not recorded:
        return html.P("No change points are recorded for this series.")
    return html.Ul([_change_item(item, editor) for item in recorded], className="small")


def _change_item(item, editor: bool) -> html.Li:
    where = "every organisation" if item.org_code is None else item.org_code
    limits = "limits recalculated" if item.recalculate else "limits kept"
    text = f"{item.month:%b %Y}: {item.label} ({limits}; {where}; by {item.author or '–'}) "
    remove = html.Button(
        "Remove",
        id={"type": "indicator-change-remove", "index": item.id},
        type="button",
        className="btn btn-link btn-sm p-0 align-baseline",
        **{"aria-label": f"Remove change point {item.label}, {item.month:%b %Y}"},
    )
    return html.Li([text, remove] if editor else [text])


def record_change(add, removes, month, label, recalculate, applies_to, org, metric_id):
    """Callback: records or removes a change point; returns (the list, one sentence). The
    role and scope are checked here, on the server; bad input changes nothing."""
    if ctx.triggered_id is None or (ctx.triggered_id == "indicator-change-add" and not add):
        return no_update, no_update
    if not roles.current_can("annotate"):
        return no_update, "Only analysts and admins can record or remove change points."
    scope = session.current_scope()
    if org not in access.visible(scope):
        return no_update, f"There is no organisation '{org}' in your scope."
    try:
        if ctx.triggered_id == "indicator-change-add":
            message = _add(annotations, scope, metric_id, org, month, label, recalculate,
                           applies_to)  # fmt: skip
        else:
            message = _remove(annotations, metric_id, org, ctx.triggered_id["index"], removes)
    except annotations.AnnotationError as error:
        return no_update, sentence(str(error))
    if message is None:
        return no_update, no_update
    return change_list(metric_id, org, True), message


def _add(store, scope, metric_id, org, month, label, recalculate, applies_to) -> str:
    first = parse_month(month)
    if (label or "").strip() == "":
        raise store.AnnotationError("Give the change point a label, such as 'New pathway'.")
    every = applies_to == "all"
    if every and scope.level != "system":
        raise store.AnnotationError(
            "Only a whole-system user can record a change point for every organisation."
        )
    store.add_annotation(
        _settings(), metric_id, first, label.strip(), recalculate=bool(recalculate),
        org_code=None if every else org, author=session.current_user_name(),
    )  # fmt: skip
    return f"Recorded '{label.strip()}' from {first:%B %Y}; it takes effect at the next publish."


def _remove(store, metric_id, org, annotation_id, removes) -> str | None:
    if not any(removes or ()):
        return None
    ours = {
        item.id: item
        for item in store.list_annotations(_settings(), metric_id)
        if item.org_code in (None, org)
    }
    if annotation_id not in ours:
        return "That change point is not one of this series'; nothing was removed."
    store.remove_annotation(_settings(), annotation_id)
    removed = ours[annotation_id]
    return f"Removed '{removed.label}'; the chart changes at the next publish."


def sentence(text: str) -> str:
    """Returns a message as a sentence: a capital first letter and a full stop."""
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def parse_month(text) -> date:
    """Returns the first of the month given as YYYY-MM (a month input's value), or raises
    AnnotationError with one sentence."""
    try:
        year, month = (int(part) for part in str(text or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        shown = text or "(none)"
        raise annotations.AnnotationError(
            f"'{shown}' is not a month; give one as YYYY-MM."
        ) from None


def register_change_points(app) -> None:
    """Registers the change-point form's callback."""
    app.callback(
        Output("indicator-change-list", "children"),
        Output("indicator-change-message", "children"),
        Input("indicator-change-add", "n_clicks"),
        Input({"type": "indicator-change-remove", "index": ALL}, "n_clicks"),
        State("indicator-change-month", "value"),
        State("indicator-change-label", "value"),
        State("indicator-change-recalculate", "value"),
        State("indicator-change-scope", "value"),
        State("indicator-change-org", "children"),
        State("indicator-metric", "data"),
        prevent_initial_call=True,
    )(record_change)


def _settings():
    return flask.current_app.config["WHOLESYSTEM_SETTINGS"]
