"""The Payments page's downloads: the network table, the chosen network's KPI table and
(for readers who see small numbers) its practices, as CSV and XLSX.

The query is the page's own (`scheme`, `period`, `network`); the rows come from
`payments_data.view`, so a download holds exactly the networks, disclosure and
withholding the page shows: a network outside the scope, an unknown scheme or period is
refused with the page's sentence, and the practice table is refused (403) to a masked
reader.
"""

from __future__ import annotations

import pandas as pd

from dashboard import access, exports, session
from dashboard.pages import payments_data as data

MONEY_FORMAT = '"£"#,##0'
PERCENT_FORMAT = '0.0"%"'
DEFINITION = (
    "Payment on results: each network's care-package money under the scheme, the share "
    "paid up front, the share at risk on the KPIs (QOF-style linear scaling between the "
    "lower and upper thresholds, or all-or-nothing at the target), what was earned and "
    "missed, any gain share, and the total."
)
WITHHELD_TEXT = (
    " 'withheld': a network with a suppressed KPI has its earned, missed and total money "
    "withheld, and so has any total across networks that includes it."
)


def _view(query: dict) -> data.View:
    view = data.view(session.current_scope(), query)
    if isinstance(view, str):
        raise exports.Refused(view)
    return view


def networks(query: dict) -> exports.Export:
    """Every network in scope: patients and the money, with the total row."""
    view = _view(query)
    frame = view.networks
    table = pd.DataFrame({"Network": frame["network_name"], "Code": frame["network_code"],
                          "Patients": _withheld(frame["patients"])})  # fmt: skip
    for column, heading in data.MONEY_COLUMNS:
        table[heading] = _withheld(frame[column])
    total = data.totals(frame)
    patients = frame["patients"].sum(skipna=False)  # no total of a withheld list
    footer = {"Network": data.ALL_NETWORKS, "Code": "",
              "Patients": data.WITHHELD if pd.isna(patients) else patients}  # fmt: skip
    for column, heading in data.MONEY_COLUMNS:
        value = total.get(column)
        footer[heading] = data.WITHHELD if pd.isna(value) else float(value)
    table = pd.concat([table, pd.DataFrame([footer])], ignore_index=True)
    formats = {heading: MONEY_FORMAT for _, heading in data.MONEY_COLUMNS}
    return _export(view, "Payment by network", table, formats | {"Patients": exports.COUNT_FORMAT})


def _withheld(values: pd.Series) -> pd.Series:
    """The column with "withheld" where `payments.masked` withheld a figure (NaN)."""
    return values.astype(object).where(values.notna(), data.WITHHELD)


def kpis(query: dict) -> exports.Export:
    """The chosen network's KPIs: attainment, thresholds, points and money."""
    view = _view(query)
    rows = view.kpis[view.kpis["network_code"] == view.network]
    hidden = rows["suppressed"].astype(bool) & view.masked
    improvement = dict(zip(access.indicators()["id"], access.indicators()["improvement"],
                           strict=True))  # fmt: skip
    table = pd.DataFrame(
        {
            "Network": rows["network_name"], "Code": rows["network_code"],
            "Package": rows["package"], "KPI": rows["title"], "Method": rows["method"],
            "Weight (points)": rows["weight"], "Numerator": rows["numerator"],
            "Denominator": rows["denominator"], "Attainment": rows["attainment"],
            "Lower threshold": rows["lower"], "Upper threshold": rows["upper"],
            "Points available": rows["points_available"], "Points earned": rows["points_earned"],
            "Money at risk": _withheld(rows["at_risk"]),
            "Money earned": _withheld(rows["earned"]), "Money missed": _withheld(rows["missed"]),
            "What was missed": [
                data.missed_words(row, improvement.get(row["metric_id"], "increase"))
                for _, row in rows.iterrows()
            ],
        }
    )  # fmt: skip
    table = exports.masked(table, hidden.to_numpy(), [
        "Numerator", "Denominator", "Attainment", "Points earned", "Money earned",
        "Money missed", "What was missed"])  # fmt: skip
    formats = {
        "Numerator": exports.COUNT_FORMAT, "Denominator": exports.COUNT_FORMAT,
        "Attainment": PERCENT_FORMAT, "Lower threshold": PERCENT_FORMAT,
        "Upper threshold": PERCENT_FORMAT, "Money at risk": MONEY_FORMAT,
        "Money earned": MONEY_FORMAT, "Money missed": MONEY_FORMAT,
    }  # fmt: skip
    name = data.network_name(view.network)
    return _export(view, f"KPIs of {name}", table.reset_index(drop=True), formats, view.network)


def practices(query: dict) -> exports.Export:
    """The chosen network's practices that fell short, largest shortfall first; only for
    readers who see small numbers unmasked."""
    view = _view(query)
    if view.practices is None:
        raise exports.Refused(data.PRACTICES_NEED_PERMISSION, 403)
    rows = view.practices
    rows = rows[(rows["network_code"] == view.network) & (rows["shortfall"] > 0)]
    rows = rows.sort_values(["shortfall", "practice_name"], ascending=[False, True])
    titles = data.kpi_titles()
    table = pd.DataFrame(
        {
            "Practice": rows["practice_name"], "Code": rows["practice_code"],
            "KPI": rows["metric_id"].map(lambda m: titles.get(m, m)),
            "Months in the network": rows["months_in_network"], "Numerator": rows["numerator"],
            "Denominator": rows["denominator"], "Attainment": rows["attainment"],
            "Needed for the upper threshold": rows["needed"],
            "Shortfall (patients)": rows["shortfall"],
        }
    )  # fmt: skip
    formats = {c: exports.COUNT_FORMAT for c in ("Numerator", "Denominator",
               "Needed for the upper threshold", "Shortfall (patients)")}  # fmt: skip
    name = data.network_name(view.network)
    title = f"Practices that drove {name}'s result"
    return _export(view, title, table.reset_index(drop=True),
                   formats | {"Attainment": PERCENT_FORMAT}, view.network)  # fmt: skip


def _export(
    view: data.View, title: str, frame, formats: dict, org_code: str = ""
) -> exports.Export:
    org = data.network_name(org_code) if org_code else "Every network you can see"
    return exports.Export(
        title=f"{title}: {view.scheme.title} ({view.scheme.split})",
        frame=frame,
        org=org,
        org_code=org_code,
        period=data.period_label(view.period),
        definition=DEFINITION + (WITHHELD_TEXT if view.masked else ""),
        period_code=f"{view.scheme.name}-{view.period.replace('/', '-')}",
        formats=formats,
    )


exports.register("payments-networks", networks, label="the payment by network table")
exports.register("payments-kpis", kpis, label="the KPI table")
exports.register("payments-practices", practices, label="the practice table")
