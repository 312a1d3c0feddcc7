"""`wholesystem payments`: a scheme's payments for a period, per network, as text or CSV.

By default the command shows what a viewer sees on the payments page (`payments.masked`):
a figure that would reveal a suppressed network KPI is "*", and so is any total it is
part of. `--no-suppress` (for operators, where the warehouse is) shows every figure and
the practices: their pro rata money and the shortfalls that drove a miss.
"""

from __future__ import annotations

import csv
import math
import sys

import pandas as pd

from metrics import export
from wholesystem import payments, schemes
from wholesystem.settings import Settings

MASK = "*"
MONEY_COLUMNS = ("at_risk", "earned", "missed", "upfront", "gain_share", "total")
SHORTFALLS_SHOWN = 3  # practices per missed KPI in the text output
CSV_COLUMNS = [
    "period", "months", "scheme", "network_code", "network_name", "package", "metric_id",
    "method", "numerator", "denominator", "attainment", "lower", "upper", "points_available",
    "points_earned", "at_risk", "earned", "missed", "upfront", "gain_share", "total",
]  # fmt: skip


def run(settings: Settings, arguments) -> int:
    """Computes and prints the payments; UserError (one sentence) for a bad scheme,
    period or version."""
    scheme = schemes.get_scheme(settings, arguments.scheme)
    result = payments.compute(settings, scheme, arguments.period, arguments.version)
    shown = result if arguments.no_suppress else payments.masked(result)
    if arguments.csv:
        write_csv(shown, sys.stdout)
    else:
        print("\n".join(text_lines(shown)))
    return 0


def text_lines(result: payments.Payments) -> list[str]:
    """The payments as lines of text: a heading, one block per network, the totals."""
    scheme = result.scheme
    lines = [
        f"{scheme.title} ({scheme.name}): {scheme.split} up front / on results",
        f"Period {result.label}; snapshot {result.version}",
    ]
    if result.masked and result.kpis["suppressed"].any():
        lines.append(f'"{MASK}": withheld, the network\'s KPI is suppressed in the snapshot.')
    lines += [f"Note: {note}" for note in result.notes]
    for network in result.networks.itertuples():
        lines += ["", *_network_lines(result, network)]
    total = payments.totals(result.networks, ["upfront", "earned", "missed", "gain_share",
                                              "total"])  # fmt: skip
    lines += ["", "All networks: " + _money_line(total)]
    return lines


def _network_lines(result, network) -> list[str]:
    lines = [
        f"{network.network_name} ({network.network_code}): {_count(network.patients)} "
        f"registered patients (mean over the period), package money {_pounds(network.money)}",
        f"  {'KPI':<28} {'Attainment':>22} {'Thresholds':>14} {'Method':>15} {'Points':>12} "
        f"{'Earned':>12} {'Missed':>12}",
    ]
    for kpi in result.kpis[result.kpis["network_code"] == network.network_code].itertuples():
        lines.append(
            f"  {kpi.metric_id:<28} {_attainment(kpi):>22} {_thresholds(kpi):>14} "
            f"{kpi.method:>15} {_points(kpi):>12} {_pounds(kpi.earned):>12} "
            f"{_pounds(kpi.missed):>12}"
        )
        lines += _shortfall_lines(result, kpi)
    lines.append("  " + _money_line(network._asdict(), at_risk=True))
    lines += _mover_lines(result, network.network_code)
    return lines


def _money_line(row, at_risk: bool = False) -> str:
    parts = [f"up front {_pounds(row['upfront'])}"]
    if at_risk:
        parts.append(f"at risk {_pounds(row['at_risk'])}")
    parts += [f"{name.replace('_', ' ')} {_pounds(row[name])}"
              for name in ("earned", "missed", "gain_share", "total")]  # fmt: skip
    return ", ".join(parts)


def _shortfall_lines(result, kpi) -> list[str]:
    practices = result.practices
    if practices.empty or kpi.fraction >= 1:
        return []
    chosen = practices[
        (practices["network_code"] == kpi.network_code)
        & (practices["metric_id"] == kpi.metric_id) & (practices["shortfall"] > 0)
    ].head(SHORTFALLS_SHOWN)  # fmt: skip
    return [
        f"      {row.practice_code}: {row.numerator:,.0f} of {row.denominator:,.0f}, "
        f"{row.shortfall:,.0f} short of the {row.needed:,.0f} needed for the upper threshold"
        for row in chosen.itertuples()
    ]


def _mover_lines(result, network_code: str) -> list[str]:
    """With practice detail: practices in the network for only part of the period."""
    money = result.practice_money
    if money.empty:
        return []
    months = len(result.months)
    part = money[(money["network_code"] == network_code) & (money["months_in_network"] < months)]
    return [
        f"  Part of the period: {row.practice_code} ({row.package}) in this network for "
        f"{row.months_text}: {_pounds(row.money)} pro rata"
        for row in part.itertuples()
    ]


def write_csv(result: payments.Payments, handle) -> None:
    """One row per network × KPI, then one per network (package and KPI "(all)")."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    head = [result.period, " ".join(f"{m:%Y-%m}" for m in result.months), result.scheme.name]
    for kpi in result.kpis.itertuples():
        row = kpi._asdict() | {"upfront": None, "gain_share": None, "total": None}
        writer.writerow(head + [_cell(row, c, result.masked) for c in CSV_COLUMNS[3:]])
    for network in result.networks.itertuples():
        row = network._asdict() | {"package": "(all)", "metric_id": "(all)"}
        writer.writerow(head + [_cell(row, c, result.masked) for c in CSV_COLUMNS[3:]])


def _cell(row: dict, column: str, masked: bool) -> str:
    """A CSV cell as `wholesystem export` writes one (`export.format_cell`: whole numbers
    without a point, never exponent form), "*" for a withheld figure, "" for none."""
    value = row.get(column)
    if isinstance(value, float) and math.isnan(value):
        flagged = any(row.get(flag) for flag in ("suppressed", "basis_suppressed", "withheld"))
        withheld = masked and (flagged or column in ("gain_share", "total"))
        return MASK if withheld else ""
    if isinstance(value, float):  # money to the penny, points to 4 places, counts in full
        places = 2 if column in MONEY_COLUMNS else 4 if column.startswith("points") else None
        value = round(value, places) if places is not None else value
    return export.format_cell(value)


def _pounds(value) -> str:
    return MASK if pd.isna(value) else f"£{value:,.2f}"


def _count(value) -> str:
    return MASK if pd.isna(value) else f"{value:,.0f}"


def _attainment(kpi) -> str:
    if pd.isna(kpi.attainment):
        return MASK if kpi.suppressed else "no data"
    return f"{kpi.attainment:.1f} ({kpi.numerator:,.0f}/{kpi.denominator:,.0f})"


def _thresholds(kpi) -> str:
    if pd.isna(kpi.upper):
        return "none"
    if kpi.method == "all_or_nothing" or pd.isna(kpi.lower) or kpi.lower == kpi.upper:
        return f"{kpi.upper:g}"
    return f"{kpi.lower:g}–{kpi.upper:g}"


def _points(kpi) -> str:
    earned = MASK if pd.isna(kpi.points_earned) else f"{kpi.points_earned:.2f}"
    return f"{earned}/{kpi.points_available:g}"
