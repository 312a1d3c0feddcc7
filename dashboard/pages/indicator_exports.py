"""The indicator page's downloads: the SPC chart, the ranked bar chart and the funnel plot,
each as a captioned image and as its data (the page's "as a table" alternatives).

The query is the page's URL query plus `metric` (the indicator id); it is checked by the
page's own `indicator_data.parse_view`, the data come from `load_detail`, and the figures
from the page's own figure functions, so a download is what the page shows.
"""

from __future__ import annotations

import pandas as pd

from dashboard import access, exports, session, targets_live
from dashboard.figures.funnel import funnel_table
from dashboard.figures.spc_chart import cause_text
from dashboard.pages import indicator, indicator_panels
from dashboard.pages import indicator_data as data

NO_PEERS = "No values are published for this view."
RATIO_COLUMNS = ("Standardised ratio", "Ratio 95% CI lower", "Ratio 95% CI upper")
RATIO_FORMAT = "0.00"  # ratios to two decimals, as the page shows them


def _detail(query: dict) -> data.Detail:
    scope = session.current_scope()
    view, problem = data.parse_view(query.get("metric") or "", query, scope)
    if problem:
        raise exports.Refused(problem)
    return data.load_detail(scope, view)


def _base(detail: data.Detail, chart: str, period: str) -> dict:
    view, metric = detail.view, detail.indicator
    segment = "" if view.segment == "all" else f", {indicator.segment_name(view.segment)}"
    return {
        "title": f"{metric['title']}: {chart}{segment}",
        "org": f"{detail.org_name} ({access.level_label(view.level).lower()})",
        "period": period,
        "definition": exports.one_line(metric["description"]),
        "source": exports.source_of(metric),
        "org_code": view.org,
    }


def spc(query: dict) -> exports.Export:
    """The SPC chart of the view's org and segment, with its monthly points."""
    detail = _detail(query)
    points = detail.points
    if points.empty or points["value"].isna().all():
        raise exports.Refused(indicator.NO_SERIES)
    months = pd.to_datetime(points["period_start"])
    period = f"{months.min():%b %Y} to {months.max():%b %Y}, monthly"
    return exports.Export(
        **_base(detail, "SPC chart", period),
        frame=spc_frame(detail),
        figure=indicator.detail_spc_figure(detail),  # the page's own chart
        period_code=f"month-{months.max():%Y-%m}",
        formats=_number_formats(detail, ("Value", "Mean", "Lower process limit",
                                         "Upper process limit", "Planned (trajectory)")),
    )  # fmt: skip


def spc_frame(detail: data.Detail) -> pd.DataFrame:
    """The SPC chart's points as the page's table has them, with the trajectory planned."""
    points = detail.points.reset_index(drop=True)
    planned = targets_live.trajectory_for(detail.indicator, detail.view.org)
    months = pd.to_datetime(points["period_start"]).dt.date
    frame = pd.DataFrame(
        {
            "Month": months,
            "Value": points["value"],
            "Mean": points["mean"],
            "Lower process limit": points["lower_limit"],
            "Upper process limit": points["upper_limit"],
            "Cause": [
                indicator_panels.cause_words(row, cause_text) for row in points.to_dict("records")
            ],
            "Planned (trajectory)": [planned.get(month) for month in months],
        }
    )
    hidden = points["suppressed"].astype(bool) | points["value"].isna()
    return exports.masked(frame, hidden, ["Value"])


def ranked(query: dict) -> exports.Export:
    """The ranked bar chart of the orgs compared, with the peers' table."""
    detail, compared, table = _peers(query)
    shown = not detail.peers["suppressed"].all()
    return _peer_export(
        detail, "ranked, with 95% confidence intervals", table,
        indicator.ranked_figure(detail, compared) if shown else None,
    )  # fmt: skip


def funnel(query: dict) -> exports.Export:
    """The funnel plot of the orgs compared, with the peers' table."""
    detail, _, table = _peers(query)
    drawn = indicator.detail_funnel(detail)
    figure = None if drawn is None else indicator._funnel_figure(detail, table, drawn)
    return _peer_export(detail, "funnel plot (95% and 99.8% limits)", table, figure)


def _peers(query: dict):
    detail = _detail(query)
    if detail.peers.empty or detail.basis is None:
        raise exports.Refused(NO_PEERS)
    compared = detail.basis.compared(detail.peers)
    table = funnel_table(detail.peers, indicator.detail_funnel(detail)).assign(
        comparison=compared["comparison"], comparison_998=compared["comparison_998"]
    )
    return detail, compared, table


def _peer_export(detail, chart: str, table: pd.DataFrame, figure) -> exports.Export:
    view = detail.view
    units = indicator.level_plural(detail.peer_level)
    period = data.period_label(view.period_type, view.period)
    base = _base(detail, f"{units.lower()} compared, {chart}", period)
    frame = peer_frame(table, detail.basis.ratio)
    value_columns = [c for c in frame.columns if c.startswith(("Value", "95% CI", "95% funnel",
                                                               "99.8% funnel"))]  # fmt: skip
    return exports.Export(
        **base,
        frame=frame,
        figure=figure,
        period_code=f"{view.period_type}-{view.period}",
        formats=_number_formats(detail, value_columns)
        | dict.fromkeys(("Numerator", "Denominator", "Expected"), exports.COUNT_FORMAT)
        | dict.fromkeys(RATIO_COLUMNS, RATIO_FORMAT),
    )


PEER_COLUMNS = {
    "org_name": "Organisation", "org_code": "Code", "numerator": "Numerator",
    "denominator": "Denominator", "value": "Value", "lower_95": "95% CI lower",
    "upper_95": "95% CI upper",
}  # fmt: skip
RATIO_PEER_COLUMNS = {
    "expected": "Expected", "isr": "Standardised ratio", "isr_lower_95": "Ratio 95% CI lower",
    "isr_upper_95": "Ratio 95% CI upper",
}  # fmt: skip
FUNNEL_COLUMNS = {
    "lower_95_limit": "95% funnel lower", "upper_95_limit": "95% funnel upper",
    "lower_998_limit": "99.8% funnel lower", "upper_998_limit": "99.8% funnel upper",
    "position": "Funnel position", "comparison": "Compared (95%)",
    "comparison_998": "Compared (99.8%)",
}  # fmt: skip
# Starred in a suppressed org's row (access has already emptied them).
HIDDEN = ("numerator", "denominator", "value", "lower_95", "upper_95", "expected", "isr",
          "isr_lower_95", "isr_upper_95", "position")  # fmt: skip


def peer_frame(table: pd.DataFrame, ratio: bool) -> pd.DataFrame:
    """The orgs compared as the page's table has them, highest first: counts, value and
    interval, the ratio where the verdict compares it, the funnel limits and position,
    and the published verdicts at 95% and 99.8%."""
    table = table.sort_values("isr" if ratio else "value", ascending=False, na_position="last")
    columns = PEER_COLUMNS | (RATIO_PEER_COLUMNS if ratio else {}) | FUNNEL_COLUMNS
    frame = table[list(columns)].rename(columns=columns).reset_index(drop=True)
    hidden = table["suppressed"].astype(bool).reset_index(drop=True)
    return exports.masked(frame, hidden, [columns[key] for key in HIDDEN if key in columns])


def _number_formats(detail: data.Detail, columns) -> dict:
    unit = indicator_panels.measure_unit(detail.indicator, detail.view.segment)
    code = exports.number_format(unit, detail.indicator.get("target_value"))
    return dict.fromkeys(columns, code)


exports.register("indicator-spc", spc, label="the SPC chart", chart=True)
exports.register("indicator-ranked", ranked, label="the ranked bar chart", chart=True)
exports.register("indicator-funnel", funnel, label="the funnel plot", chart=True)
