"""What each network is paid under a payment scheme for a period (docs/dashboard.md,
"Payments").

Read straight from a kept serving snapshot (the released one by default) in DuckDB:
the practices' unsuppressed counts (`indicator_values`, level 'practice', month rows),
their network month by month (`practice_months`) and their registered lists (the
`registered_population` indicator). The rules, in short:

- Money: each practice-month adds rate × patients / 12 to the network the practice is in
  that month (patients: its registered list, or its register: the denominator of the
  package's register KPI that month), so a practice that moves network mid-period pays
  each network pro rata to its months there. Up front: share × money; at risk: the rest,
  split across the package's KPIs by weight.
- Attainment: the KPIs are 12-month or status measures, so, as QOF, achievement is read
  at the period's last month, pooled from the counts of the practices in the network in
  that month (sum of numerators / sum of denominators): it equals the published network
  value. A practice that moved counts for attainment where it is at the end.
- Earned: linear (QOF): nothing at or short of the lower threshold, all at or beyond the
  upper, a straight line between; all-or-nothing: all at or beyond the upper threshold
  (the target). "Beyond" is in the direction of improvement. Thresholds are the scheme's,
  else those of the target in force for the network in the last month.
- Gain share: avoided admissions (baseline − actual) × cost × share, never below nothing.

Money cannot be computed on `*`, so this module reads unsuppressed counts; `masked` is the
one rule for what a viewer may see of the result (the page, downloads and the command).
"""

from __future__ import annotations

import math
import re
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from metrics import calendar, serving
from metrics.disclosure_rounding import ROUNDING_BASE
from wholesystem import schemes
from wholesystem.errors import UserError
from wholesystem.schemes import Scheme, SchemeError
from wholesystem.settings import Settings
from wholesystem.targets import TargetBook
from wholesystem.targets import thresholds as target_thresholds

QUARTER = re.compile(r"(\d{4})-Q([1-4])")
FINANCIAL_YEAR = re.compile(r"(\d{4})/(\d{2})")
LIST_METRIC = "registered_population"
# Within this of a threshold is at it: 57 of 95 patients is 60% exactly, not 60.0000000001.
AT_THRESHOLD = 1e-9
MONEY = ["money", "upfront", "at_risk", "earned", "missed", "gain_share", "total"]
# What a viewer may not see of a suppressed network KPI row, and of its network/package.
KPI_WITHHELD = ["numerator", "denominator", "attainment", "fraction", "points_earned",
                "earned", "missed"]  # fmt: skip
ROLLUP_WITHHELD = ["points_earned", "earned", "missed", "total"]
GAIN_WITHHELD = ["admissions", "expected", "avoided", "savings", "gain_share"]
# ... and where the list or register the money comes from is suppressed (kpis take
# [2:5], packages all but total, networks all but patients, which follow the list).
BASIS_WITHHELD = ["patients", "money", "at_risk", "earned", "missed", "upfront", "total"]


@dataclass(frozen=True)
class Payments:
    """A scheme's payments for one period (see INTERFACE and docs for the columns)."""

    scheme: Scheme
    period: str
    label: str
    months: tuple[date, ...]
    version: str
    networks: pd.DataFrame
    packages: pd.DataFrame
    kpis: pd.DataFrame
    practices: pd.DataFrame
    practice_money: pd.DataFrame
    gain: pd.DataFrame
    notes: tuple[str, ...] = ()
    masked: bool = False

    @property
    def end_month(self) -> date:
        return self.months[-1]


# ---------------------------------------------------------------------------- periods


def period_months(period: str) -> tuple[date, ...]:
    """The months of 'YYYY-Qn' (a financial-year quarter: YYYY is the year the financial
    year starts, Q1 April to June) or 'YYYY/YY' (a financial year); UserError otherwise."""
    first, count = _first_month(period)
    return tuple(_months_after(first, k) for k in range(count))


def _first_month(period: str) -> tuple[date, int]:
    # The period's first month and its length in months.
    text = str(period or "").strip()
    if match := QUARTER.fullmatch(text):
        return _months_after(date(int(match[1]), 4, 1), 3 * (int(match[2]) - 1)), 3
    match = FINANCIAL_YEAR.fullmatch(text)
    if match and (int(match[1]) + 1) % 100 == int(match[2]):
        return date(int(match[1]), 4, 1), 12
    raise UserError(
        f"period {text[:40]!r} is not a quarter 'YYYY-Qn' (financial year starting in YYYY, "
        "Q1 = April to June) or a financial year 'YYYY/YY'"
    )


def _months_after(month: date, count: int) -> date:
    return (pd.Timestamp(month) + pd.DateOffset(months=count)).date()


def period_label(period: str) -> str:
    """The period in words with its months: "2026/27 Q2 (July to September 2026)"."""
    months = period_months(period)
    first, last = months[0], months[-1]
    span = f"{first:%B %Y}" if first.year != last.year else f"{first:%B}"
    year = _period_name("fy", first)
    name = year if len(months) == 12 else f"{year} Q{_period_name('quarter', first)[-1]}"
    return f"{name} ({span} to {last:%B %Y})"


def periods(
    settings: Settings, version: str | None = None, kind: str | None = None, connection=None
) -> list:
    """The complete quarters, then the complete financial years, of the snapshot, each
    newest first ('quarter' or 'fy' as `kind` to keep one kind); `connection` an open one
    on that snapshot (else one is opened and closed here)."""
    if connection is not None:
        return _periods(connection, kind)
    with closing(_open(settings, version)[0]) as opened:
        return _periods(opened, kind)


def _periods(connection, kind: str | None = None) -> list[str]:
    rows = connection.execute(
        "SELECT period_type, period_start FROM period_months "
        "WHERE period_type IN ('quarter', 'fy') GROUP BY period_type, period_start "
        "ORDER BY period_type = 'fy', period_start DESC"
    ).fetchall()
    return [_period_name(kind_, start) for kind_, start in rows if kind in (None, kind_)]


def _period_name(kind: str, start: date) -> str:
    """'YYYY/YY' for the financial year of `start` (kind 'fy'), else 'YYYY-Qn' for its
    quarter: the calendar's rule for where a financial year starts (`period_start`)."""
    year = calendar.period_start("fy", start)
    if kind == "fy":
        return f"{year.year}/{(year.year + 1) % 100:02d}"
    quarter = calendar.period_start("quarter", start)
    return f"{year.year}-Q{((quarter.year - year.year) * 12 + quarter.month - year.month) // 3 + 1}"


# ---------------------------------------------------------------------------- compute


def compute(
    settings: Settings,
    scheme: Scheme,
    period: str,
    version: str | None = None,
    what_if=None,
    *,
    book: TargetBook | None = None,
    connection=None,
) -> Payments:
    """The scheme's payments to every network for the period, from the kept snapshot
    `version` (the released one when None); `what_if` overrides the split and KPIs'
    thresholds and methods (`apply_what_if`); `book` the targets in force (read here when
    None); `connection` an open one on `version` (the dashboard's pooled reader; else one
    is opened and closed here). UserError for a period not in the snapshot."""
    scheme = apply_what_if(scheme, what_if)
    if connection is None:
        opened, version = _open(settings, version)
        with closing(opened):
            return compute(settings, scheme, period, version, book=book, connection=opened)
    months, read = _read(connection, scheme, period)
    indicators = read["indicators"]
    missing = [r.metric_id for r in scheme.kpis if r.metric_id not in set(indicators["id"])]
    if missing:
        raise UserError(f"KPI {missing[0]!r} of scheme {scheme.name!r} is not in {version}")
    book = book if book is not None else TargetBook.load(settings, indicators)
    info = indicators.set_index("id")  # the snapshot's definitions, as paid on
    kpis = _kpi_rows(scheme, read, info, book, months[-1])
    result = _assemble(scheme, period, months, version, read, kpis, info)
    return _mark_basis(result, read["basis"])


def apply_what_if(scheme: Scheme, what_if) -> Scheme:
    """The scheme with a what-if's `upfront_share` and per-KPI `lower`, `upper` and
    `method` (missing: unchanged; a None threshold: the target in force), or an edited
    copy of the scheme itself, checked as a scheme (SchemeError)."""
    if not what_if:
        return scheme
    if isinstance(what_if, Scheme):  # an edited copy of the scheme: checked again
        return schemes.parse_scheme(scheme.name, schemes.scheme_table(what_if), "what-if")
    table = schemes.scheme_table(scheme)
    unknown = sorted(set(what_if) - {"upfront_share", "kpis"})
    if unknown:
        raise SchemeError(f"what-if key {unknown[0]!r} is not upfront_share or kpis")
    if what_if.get("upfront_share") is not None:
        table["upfront_share"] = what_if["upfront_share"]
    changes = dict(what_if.get("kpis") or {})
    for package in table["packages"]:
        for rule in package["kpis"]:
            for key, value in (changes.pop(rule["metric_id"], None) or {}).items():
                if key in ("lower", "upper") or value is not None:  # None: the target in force
                    rule[key] = value
    if changes:
        raise SchemeError(f"what-if KPI {next(iter(changes))!r} is not in the scheme")
    return schemes.parse_scheme(scheme.name, table, f"{scheme.origin} (what-if)")


def _open(settings: Settings, version: str | None):
    version = version or serving.released_version(settings)
    if version is None:
        raise UserError(
            f"no published snapshot in {settings.serving_dir}; run `wholesystem publish` first"
        )
    return serving.open_version(settings, version), version


def _check_exact_counts(connection, scheme: Scheme) -> None:
    """UserError where the snapshot rounds the counts (HES rule) of an indicator the scheme
    pays on: a network paid on 55 of 95 instead of 57 of 95 would be paid wrongly."""
    paid = [rule.metric_id for rule in scheme.kpis]
    paid += [scheme.gain_share.metric_id] if scheme.gain_share else []
    rounded_in_snapshot = set(serving.rounded_indicators(connection))
    rounded = [metric for metric in paid if metric in rounded_in_snapshot]
    if rounded:
        version = connection.execute("SELECT version FROM snapshot_info").fetchone()[0]
        raise UserError(
            f"payments need exact counts, but snapshot {version} has the counts of "
            f"{', '.join(rounded)} rounded to the nearest {ROUNDING_BASE} (HES rule); set "
            '[indicators.<id>] disclosure_rule = "complementary" for them and publish again '
            "to work out payments"
        )


def _check_period(connection, period: str) -> tuple[date, ...]:
    """The period's months; UserError, listing the snapshot's periods, for a period that
    is not one or is not complete in the snapshot."""
    valid = _periods(connection)
    listed = ", ".join(valid) or "none"
    try:
        months = period_months(period)
    except UserError as error:
        raise UserError(f"{error}; this snapshot has {listed}") from None
    if str(period).strip() not in valid:
        raise UserError(
            f"period {period!r} is not a complete quarter or financial year of the snapshot; "
            f"it has {listed}"
        )
    return months


def _read(connection, scheme: Scheme, period: str) -> tuple[tuple[date, ...], dict]:
    """The period's months, and the snapshot's rows its payments are worked from (by name:
    `READS`, and the gain share's frame and notes)."""
    _check_exact_counts(connection, scheme)
    months = _check_period(connection, period)
    _register_scheme(connection, scheme, months)
    read = {name: connection.execute(sql).df() for name, sql in READS.items()}
    read["gain"], read["notes"] = _gain(connection, scheme, months)
    return months, read


def _register_scheme(connection, scheme: Scheme, months) -> None:
    rules = pd.DataFrame(
        [
            (p.name, order, r.metric_id, r.weight, p.register_metric)
            for order, (p, r) in enumerate((p, r) for p in scheme.packages for r in p.kpis)
        ],
        columns=["package", "kpi_order", "metric_id", "weight", "register_metric"],
    )
    packages = pd.DataFrame(
        [(p.name, p.per, p.rate, p.register_metric) for p in scheme.packages],
        columns=["package", "per", "rate", "register_metric"],
    )
    wanted = pd.DataFrame({"month": pd.to_datetime(list(months)).date})
    for name, frame in (("scheme_kpis", rules), ("scheme_packages", packages),
                        ("wanted_months", wanted)):  # fmt: skip
        connection.register(f"{name}_frame", frame)
        connection.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_frame")
        connection.unregister(f"{name}_frame")
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE period_end AS "
        "SELECT max(month)::DATE AS month FROM wanted_months"
    )


# Each practice-month in the period, its network that month and its patients for each
# package (registered list, or the register KPI's denominator), summed per network,
# practice and package: rate × patients / 12 per month.
PRACTICE_MONEY_SQL = f"""
WITH membership AS (
    SELECT pm.practice_code, pm.network_code, pm.month
    FROM practice_months pm JOIN wanted_months w ON w.month = pm.month
),
counts AS (
    SELECT v.metric_id, v.org_code AS practice_code, v.period_start AS month,
           v.numerator, v.denominator
    FROM indicator_values v JOIN wanted_months w ON w.month = v.period_start
    WHERE v.level = 'practice' AND v.period_type = 'month' AND v.segment = 'all'
      AND (v.metric_id = '{LIST_METRIC}'
           OR v.metric_id IN (SELECT register_metric FROM scheme_packages))
),
patients AS (
    SELECT m.network_code, m.practice_code, m.month, p.package, p.rate,
           coalesce(CASE WHEN p.per = 'registered' THEN l.numerator ELSE r.denominator END, 0)
               AS patients,
           coalesce(l.numerator, 0) AS listed
    FROM membership m CROSS JOIN scheme_packages p
    LEFT JOIN counts l ON l.practice_code = m.practice_code AND l.month = m.month
                      AND l.metric_id = '{LIST_METRIC}'
    LEFT JOIN counts r ON r.practice_code = m.practice_code AND r.month = m.month
                      AND r.metric_id = p.register_metric
)
SELECT network_code, practice_code, package, count(*) AS months_in_network,
       sum(patients) AS patient_months, sum(listed) AS list_months,
       sum(rate * patients / 12) AS money,
       string_agg(strftime(month, '%Y-%m'), ' ' ORDER BY month) AS months_text
FROM patients GROUP BY ALL
ORDER BY network_code, practice_code, package
"""

# The KPIs' counts at the period's last month, each practice with the network it is in then.
PRACTICE_COUNTS_SQL = """
SELECT pm.network_code, v.org_code AS practice_code, v.metric_id, v.numerator, v.denominator
FROM indicator_values v
JOIN period_end e ON e.month = v.period_start
JOIN practice_months pm ON pm.practice_code = v.org_code AND pm.month = v.period_start
WHERE v.level = 'practice' AND v.period_type = 'month' AND v.segment = 'all'
  AND v.metric_id IN (SELECT metric_id FROM scheme_kpis)
"""

# The published network rows at the last month: their suppression decides what a viewer
# may see; every network of the period's membership is listed.
NETWORK_ROWS_SQL = """
WITH networks AS (
    SELECT DISTINCT pm.network_code
    FROM practice_months pm JOIN wanted_months w ON w.month = pm.month
)
SELECT n.network_code, coalesce(o.org_name, n.network_code) AS network_name, k.metric_id,
       coalesce(v.suppressed, false) AS suppressed
FROM networks n CROSS JOIN (SELECT DISTINCT metric_id FROM scheme_kpis) k
LEFT JOIN org_units o ON o.org_code = n.network_code AND o.level = 'network'
LEFT JOIN indicator_values v
  ON v.org_code = n.network_code AND v.metric_id = k.metric_id AND v.level = 'network'
 AND v.period_type = 'month' AND v.segment = 'all'
 AND v.period_start = (SELECT month FROM period_end)
"""


# Whether a network's published list or register rows are suppressed in any month of the
# period: its money is worked out from them, so a viewer may not see that money.
BASIS_SUPPRESSED_SQL = f"""
SELECT v.org_code AS network_code, v.metric_id, bool_or(v.suppressed) AS suppressed
FROM indicator_values v JOIN wanted_months w ON w.month = v.period_start
WHERE v.level = 'network' AND v.period_type = 'month' AND v.segment = 'all'
  AND (v.metric_id = '{LIST_METRIC}'
       OR v.metric_id IN (SELECT register_metric FROM scheme_packages))
GROUP BY ALL
"""

READS = {
    "money": PRACTICE_MONEY_SQL,
    "counts": PRACTICE_COUNTS_SQL,
    "network_rows": NETWORK_ROWS_SQL,
    "basis": BASIS_SUPPRESSED_SQL,
    "indicators": "SELECT * FROM indicators",
    "names": "SELECT org_code, org_name FROM org_units WHERE level = 'practice'",
}


# -------------------------------------------------------------------------- KPI money


def _kpi_rows(scheme, read: dict, info, book, end_month) -> pd.DataFrame:
    """One row per network × package × KPI: the scheme's rules crossed with the networks,
    merged with the pooled counts, the package money and the network rows' suppression;
    then each row's thresholds, fraction earned, points and money."""
    keys = ["network_code", "metric_id"]
    network_rows = read["network_rows"]
    networks = network_rows.drop_duplicates("network_code")[["network_code", "network_name"]]
    pooled = read["counts"].groupby(keys, as_index=False)[["numerator", "denominator"]].sum()
    package_money = read["money"].groupby(["network_code", "package"], as_index=False)["money"]
    frame = (
        networks.merge(_rules(scheme), how="cross")
        .merge(pooled, on=keys, how="left")
        .merge(package_money.sum(), on=["network_code", "package"], how="left")
        .merge(network_rows[[*keys, "suppressed"]], on=keys, how="left")
    )
    share = (1 - scheme.upfront_share) * frame["weight"] / frame["total_weight"]
    frame["at_risk"] = share * frame["money"].fillna(0.0)
    frame["title"] = frame["metric_id"].map(info["title"])
    frame["unit"] = frame["metric_id"].map(info["unit"])
    frame["suppressed"] = frame["suppressed"].fillna(False).astype(bool)
    worked = [
        _kpi_money(row, info.loc[row.metric_id], book, end_month)
        for row in frame.itertuples(index=False)
    ]
    frame[WORKED_COLUMNS] = pd.DataFrame(worked, columns=WORKED_COLUMNS, index=frame.index)
    return frame[KPI_COLUMNS].reset_index(drop=True)


def _rules(scheme: Scheme) -> pd.DataFrame:
    """The scheme's KPI rules in order, each with its package and the package's weight."""
    return pd.DataFrame(
        [
            (p.name, r.metric_id, r.method, r.weight, sum(k.weight for k in p.kpis), r)
            for p in scheme.packages
            for r in p.kpis
        ],
        columns=["package", "metric_id", "method", "weight", "total_weight", "rule"],
    )


KPI_COLUMNS = [
    "network_code", "network_name", "package", "metric_id", "title", "unit", "method",
    "weight", "numerator", "denominator", "attainment", "lower", "upper", "threshold_source",
    "fraction", "points_available", "points_earned", "at_risk", "earned", "missed",
    "suppressed",
]  # fmt: skip


WORKED_COLUMNS = KPI_COLUMNS[8:20]


def _kpi_money(row, indicator, book, month) -> tuple:
    """A KPI row's `WORKED_COLUMNS`: its attainment against its thresholds, and the
    points and the share of its money at risk earned and missed."""
    lower, upper, source = thresholds(row.rule, book, row.network_code, month, indicator)
    numerator, denominator, at_risk = float(row.numerator), float(row.denominator), row.at_risk
    multiplier = float(indicator["multiplier"] or 1)
    attainment = numerator * multiplier / denominator if denominator > 0 else math.nan
    fraction = earned_fraction(attainment, lower, upper, row.method, indicator["improvement"])
    return (
        numerator, denominator, attainment, _float(lower), _float(upper), source, fraction,
        row.weight, row.weight * fraction, at_risk, at_risk * fraction,
        at_risk * (1 - fraction),
    )  # fmt: skip


def _float(value) -> float:
    return math.nan if value is None else float(value)


def thresholds(rule, book: TargetBook, network_code: str, month: date, indicator) -> tuple:
    """(lower, upper, source): the scheme's thresholds, else the target in force for the
    network in the month ('set' or 'default'), as the networks page reads them."""
    if rule.lower is not None and rule.upper is not None:
        return rule.lower, rule.upper, "scheme"
    target = book.target(rule.metric_id, network_code, month)
    lower, upper = target_thresholds(target, indicator["improvement"])
    lower = rule.lower if rule.lower is not None else lower
    upper = rule.upper if rule.upper is not None else upper
    source = (
        "scheme"
        if rule.lower is not None or rule.upper is not None
        else (target.source if target is not None else "none")
    )
    return lower, upper, source


def earned_fraction(attainment, lower, upper, method: str, improvement: str) -> float:
    """The share of a KPI's at-risk money earned: linear, 0 at or short of `lower`, 1 at
    or beyond `upper`, a straight line between; all-or-nothing, 1 at or beyond `upper`
    (the target). Beyond is in the direction of improvement; no attainment or no
    threshold earns nothing."""
    sign = {"increase": 1.0, "decrease": -1.0}.get(improvement, 0.0)
    if sign == 0 or _missing(attainment) or _missing(upper):
        return 0.0
    if sign * (attainment - upper) >= -AT_THRESHOLD:
        return 1.0
    if method == "all_or_nothing" or _missing(lower) or lower == upper:
        return 0.0
    if sign * (attainment - lower) <= AT_THRESHOLD:
        return 0.0
    return float(min(1.0, sign * (attainment - lower) / (sign * (upper - lower))))


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# -------------------------------------------------------------------------- gain share

# The gain-share indicator's events and the registered lists of each practice-month in
# the period (with the network it is in that month) and of the same month a year earlier.
GAIN_SQL = f"""
WITH membership AS (
    SELECT pm.practice_code, pm.network_code, pm.month
    FROM practice_months pm JOIN wanted_months w ON w.month = pm.month
),
counts AS (
    SELECT metric_id, org_code AS practice_code, period_start AS month, numerator
    FROM indicator_values
    WHERE level = 'practice' AND period_type = 'month' AND segment = 'all'
      AND metric_id IN ($metric, '{LIST_METRIC}')
      AND period_start >= (SELECT min(month) FROM wanted_months) - INTERVAL 12 MONTH
)
SELECT m.network_code, m.practice_code, m.month,
       coalesce(e.numerator, 0) AS admissions, coalesce(l.numerator, 0) AS listed,
       eb.numerator AS base_admissions, lb.numerator AS base_listed
FROM membership m
LEFT JOIN counts e ON e.practice_code = m.practice_code AND e.month = m.month
                  AND e.metric_id = $metric
LEFT JOIN counts l ON l.practice_code = m.practice_code AND l.month = m.month
                  AND l.metric_id = '{LIST_METRIC}'
LEFT JOIN counts eb ON eb.practice_code = m.practice_code
                   AND eb.month = m.month - INTERVAL 12 MONTH AND eb.metric_id = $metric
LEFT JOIN counts lb ON lb.practice_code = m.practice_code
                   AND lb.month = m.month - INTERVAL 12 MONTH AND lb.metric_id = '{LIST_METRIC}'
"""

GAIN_SUPPRESSED_SQL = """
SELECT org_code AS network_code, bool_or(suppressed) AS suppressed
FROM indicator_values
WHERE level = 'network' AND segment = 'all' AND metric_id = $metric
  AND period_type = $kind
  AND period_start IN ((SELECT min(month) FROM wanted_months),
                       (SELECT min(month) FROM wanted_months) - INTERVAL 12 MONTH)
GROUP BY ALL
"""
GAIN_COLUMNS = ["network_code", "metric_id", "admissions", "expected", "avoided", "savings",
                "gain_share", "baseline", "assessed", "suppressed"]  # fmt: skip


def _gain(connection, scheme: Scheme, months) -> tuple[pd.DataFrame, list[str]]:
    """Per network: admissions in the period, the baseline's expected admissions, the
    avoided ones, the savings and the share paid (never below nothing)."""
    gain = scheme.gain_share
    if gain is None:
        return pd.DataFrame(columns=GAIN_COLUMNS), []
    rows = connection.execute(GAIN_SQL, {"metric": gain.metric_id}).df()
    kind = "fy" if len(months) == 12 else "quarter"
    hidden = (
        connection.execute(GAIN_SUPPRESSED_SQL, {"metric": gain.metric_id, "kind": kind})
        .df()
        .set_index("network_code")["suppressed"]
    )
    notes = []
    if gain.baseline_per_1000 is None:
        rows["expected"], notes = _previous_year(rows, months)
        baseline = "previous_year"
    else:
        rows["expected"] = rows["listed"] * gain.baseline_per_1000 / 1000 / 12
        baseline = "per_1000"
    # Every practice-month's admissions count (the network's published row), each
    # against an expected number; a network with no expected number is not assessed.
    grouped = rows.groupby("network_code")
    frame = (
        pd.DataFrame(
            {
                "admissions": grouped["admissions"].sum(),
                "expected": grouped["expected"].sum(min_count=1),
            }
        )
        .rename_axis("network_code")
        .reset_index()
    )
    frame["assessed"] = frame["expected"].notna()
    frame["avoided"] = frame["expected"] - frame["admissions"]
    frame["savings"] = frame["avoided"] * gain.cost_per_admission
    frame["gain_share"] = np.maximum(frame["savings"].fillna(0) * gain.share, 0.0)
    frame["metric_id"], frame["baseline"] = gain.metric_id, baseline
    frame["suppressed"] = frame["network_code"].map(hidden).fillna(False).astype(bool)
    return frame[GAIN_COLUMNS], notes


def _previous_year(rows: pd.DataFrame, months) -> tuple[pd.Series, list[str]]:
    """Each practice-month's expected admissions: last year's in the same month scaled to
    this year's list; for a practice-month with no figures a year earlier (a new practice,
    or a snapshot that starts later), its list at its network's rate a patient from the
    practice-months that have them (none: no expected number, noted)."""
    based = rows["base_listed"].fillna(0).gt(0) & rows["base_admissions"].notna()
    expected = rows["base_admissions"] * rows["listed"] / rows["base_listed"].where(based)
    sums = rows[based].groupby("network_code")[["base_admissions", "base_listed"]].sum()
    rate = rows["network_code"].map(sums["base_admissions"] / sums["base_listed"])
    expected = expected.where(based, rows["listed"] * rate)
    notes = []
    if not based.all():
        notes.append(
            f"{int((~based).sum())} practice-months have no figures for the same month a year "
            f"earlier in this snapshot (it starts later than {months[0].year - 1}-"
            f"{months[0].month:02d}, or the practice is new), so each expects its network's "
            "admissions a patient from the practice-months that have them; a network with "
            "none is not assessed for the gain share"
        )
    return expected, notes


# ------------------------------------------------------------------------ assembling


def _assemble(scheme, period, months, version, read: dict, kpis, info) -> Payments:
    money, gain = read["money"], read["gain"]
    names = kpis.drop_duplicates("network_code").set_index("network_code")["network_name"]
    practice_money = _practice_money(scheme, money)
    packages = _packages(scheme, money, kpis, len(months))
    networks = _networks(scheme, money, packages, gain, names, len(months))
    networks["months_text"] = period_label(period)
    networks["withheld"] = False
    practices = _practices(scheme, money, read["counts"], kpis, info)
    practice_names = dict(zip(read["names"]["org_code"], read["names"]["org_name"], strict=True))
    for frame in (practices, practice_money):
        frame.insert(2, "practice_name", frame["practice_code"].map(practice_names))
    gain = gain.assign(network_name=gain["network_code"].map(names))
    return Payments(
        scheme, period, period_label(period), months, version, networks, packages, kpis,
        practices, practice_money, gain, tuple(read["notes"]),
    )  # fmt: skip


def _practice_money(scheme, money) -> pd.DataFrame:
    frame = money.copy()
    frame["patients"] = frame["patient_months"] / frame["months_in_network"]
    frame["upfront"] = frame["money"] * scheme.upfront_share
    frame["at_risk"] = frame["money"] - frame["upfront"]
    return frame[["network_code", "practice_code", "package", "months_in_network",
                  "months_text", "patients", "money", "upfront", "at_risk"]]  # fmt: skip


def _packages(scheme, money, kpis, month_count) -> pd.DataFrame:
    grouped = money.groupby(["network_code", "package"], as_index=False)[
        ["patient_months", "money"]
    ].sum()
    grouped["patients"] = grouped["patient_months"] / month_count
    grouped["upfront"] = grouped["money"] * scheme.upfront_share
    grouped["at_risk"] = grouped["money"] - grouped["upfront"]
    results = kpis.groupby(["network_code", "network_name", "package"], as_index=False).agg(
        points_available=("points_available", "sum"), points_earned=("points_earned", "sum"),
        earned=("earned", "sum"), missed=("missed", "sum"), suppressed=("suppressed", "any"),
    )  # fmt: skip
    frame = results.merge(grouped, on=["network_code", "package"], how="left")
    rules = {p.name: (p.per, p.rate) for p in scheme.packages}
    frame["per"] = frame["package"].map(lambda name: rules[name][0])
    frame["rate"] = frame["package"].map(lambda name: rules[name][1])
    return frame[["network_code", "network_name", "package", "per", "rate", "patients",
                  "money", "upfront", "at_risk", "points_available", "points_earned",
                  "earned", "missed", "suppressed"]]  # fmt: skip


def _networks(scheme, money, packages, gain, names, month_count) -> pd.DataFrame:
    first = scheme.packages[0].name
    listed = money[money["package"] == first].groupby("network_code")["list_months"].sum()
    frame = packages.groupby(["network_code", "network_name"], as_index=False).agg(
        money=("money", "sum"), upfront=("upfront", "sum"), at_risk=("at_risk", "sum"),
        points_available=("points_available", "sum"),
        points_earned=("points_earned", "sum"), earned=("earned", "sum"),
        missed=("missed", "sum"), suppressed=("suppressed", "any"),
    )  # fmt: skip
    frame["patients"] = frame["network_code"].map(listed).fillna(0) / month_count
    shares = gain.set_index("network_code")["gain_share"] if len(gain) else pd.Series()
    frame["gain_share"] = frame["network_code"].map(shares).fillna(0.0).astype(float)
    frame["total"] = frame["upfront"] + frame["earned"] + frame["gain_share"]
    frame["network_name"] = frame["network_code"].map(names)
    return frame[["network_code", "network_name", "patients", "money", "upfront",
                  "at_risk", "points_available", "points_earned", "earned", "missed",
                  "gain_share", "total", "suppressed"]]  # fmt: skip


PRACTICE_COLUMNS = [
    "network_code", "practice_code", "package", "metric_id", "months_in_network",
    "in_network_at_end", "numerator", "denominator", "attainment", "upper", "needed",
    "shortfall", "rank",
]  # fmt: skip


def _practices(scheme, money, counts, kpis, info) -> pd.DataFrame:
    """Per network × practice × KPI: the practice's counts at the last month (when it is
    in the network then) and its shortfall: the numerator it would need to reach the
    upper threshold less its numerator (for a lower-is-better KPI, the excess over the
    most allowed), ranked largest first within each network and KPI."""
    rules = pd.DataFrame(
        [(p.name, r.metric_id) for p in scheme.packages for r in p.kpis],
        columns=["package", "metric_id"],
    )
    places = money[["network_code", "practice_code", "package", "months_in_network"]]
    frame = places.merge(rules, on="package").merge(
        counts, on=["network_code", "practice_code", "metric_id"], how="left"
    )
    frame["in_network_at_end"] = frame["denominator"].notna()
    limits = kpis[["network_code", "metric_id", "upper"]]
    frame = frame.merge(limits, on=["network_code", "metric_id"], how="left")
    frame["needed"], frame["shortfall"], frame["attainment"] = _shortfalls(frame, info)
    frame["rank"] = (
        frame[frame["shortfall"] > 0]
        .groupby(["network_code", "metric_id"])["shortfall"]
        .rank(method="first", ascending=False)
    )
    frame = frame.sort_values(["network_code", "metric_id", "shortfall"],
                              ascending=[True, True, False])  # fmt: skip
    return frame[PRACTICE_COLUMNS].reset_index(drop=True)


def _shortfalls(frame: pd.DataFrame, info: pd.DataFrame):
    """(needed, shortfall, attainment) of each practice row, by the snapshot's definitions
    (`info`: its indicators by id, as the KPI money uses them)."""
    improvement = frame["metric_id"].map(info["improvement"])
    sign = pd.Series(np.where(improvement == "decrease", -1.0, 1.0), index=frame.index)
    multiplier = frame["metric_id"].map(info["multiplier"]).fillna(1).replace(0, 1).astype(float)
    share = frame["upper"] / multiplier * frame["denominator"]
    needed = np.where(sign > 0, np.ceil(share - 1e-9), np.floor(share + 1e-9))
    shortfall = np.maximum(sign * (needed - frame["numerator"]), 0)
    attainment = (
        frame["numerator"] * multiplier / frame["denominator"].where(frame["denominator"] > 0)
    )
    return needed, shortfall, attainment


def _mark_basis(result: Payments, basis: pd.DataFrame) -> Payments:
    """Adds `basis_suppressed` to packages, kpis and networks (the list or register the
    money comes from is suppressed in a month of the period) and `list_suppressed` to
    networks (their registered list is)."""
    hidden = set(
        zip(basis.loc[basis["suppressed"], "network_code"],
            basis.loc[basis["suppressed"], "metric_id"], strict=True)
    )  # fmt: skip
    basis_of = {
        p.name: LIST_METRIC if p.per == "registered" else p.register_metric
        for p in result.scheme.packages
    }

    def flagged(frame: pd.DataFrame) -> list[bool]:
        pairs = zip(frame["network_code"], frame["package"].map(basis_of), strict=True)
        return [pair in hidden for pair in pairs]

    packages = result.packages.assign(basis_suppressed=flagged(result.packages))
    kpis = result.kpis.assign(basis_suppressed=flagged(result.kpis))
    by_network = packages.groupby("network_code")["basis_suppressed"].any()
    networks = result.networks.assign(
        basis_suppressed=result.networks["network_code"].map(by_network).fillna(False),
        list_suppressed=[(code, LIST_METRIC) in hidden for code in result.networks["network_code"]],
    )
    return replace(result, packages=packages, kpis=kpis, networks=networks)


# ---------------------------------------------------------------------------- showing


def masked(payments: Payments) -> Payments:
    """What a viewer may see: for a network KPI row suppressed in the snapshot, its counts,
    attainment, points and money are withheld, and so are that network's and package's
    points earned, earned, missed and total (they would give the withheld KPI's money
    away); where the network's list or register rows that money is worked out from are
    suppressed in a month of the period, that money (and the network's up front, at risk,
    earned, missed and total) too; the gain share (and total) where the network's
    gain-share rows (this period's or the baseline's) or list are suppressed; no practice
    detail. Otherwise up-front money, the money at risk and the lists stay."""
    kpis, packages, networks = _mask_kpis(payments)
    gain = _mask_gain(payments.gain, networks)
    networks["withheld"] = networks["suppressed"] | networks["total"].isna()
    return replace(
        payments, kpis=kpis, packages=packages, networks=networks, gain=gain,
        practices=payments.practices.iloc[0:0], practice_money=payments.practice_money.iloc[0:0],
        masked=True,
    )  # fmt: skip


def _mask_kpis(payments: Payments) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The KPI rows withheld where suppressed or where their money's basis is, and the
    roll-ups of each (`_mask_rollups`)."""
    kpis = payments.kpis.copy()
    kpis.loc[kpis["suppressed"], KPI_WITHHELD] = math.nan
    kpis.loc[kpis["basis_suppressed"], BASIS_WITHHELD[2:5]] = math.nan
    return kpis, *_mask_rollups(payments.packages, payments.networks)


def _mask_rollups(packages: pd.DataFrame, networks: pd.DataFrame) -> tuple:
    """Packages' and networks' sums that include a withheld KPI or basis figure."""
    packages = packages.copy()
    packages.loc[packages["suppressed"], ROLLUP_WITHHELD[:3]] = math.nan
    packages.loc[packages["basis_suppressed"], BASIS_WITHHELD[:-1]] = math.nan
    networks = networks.copy()
    networks.loc[networks["suppressed"], ROLLUP_WITHHELD] = math.nan
    networks.loc[networks["basis_suppressed"], BASIS_WITHHELD[1:]] = math.nan
    networks.loc[networks["list_suppressed"], "patients"] = math.nan
    return packages, networks


def _mask_gain(gain: pd.DataFrame, networks: pd.DataFrame) -> pd.DataFrame:
    """The gain share withheld where its rows or the network's list are suppressed, with
    the network's gain share and total (`networks` changed in place)."""
    gain = gain.copy()
    if gain.empty:
        return gain
    lists = set(networks.loc[networks["list_suppressed"], "network_code"])
    gain["suppressed"] = gain["suppressed"] | gain["network_code"].isin(lists)
    gain.loc[gain["suppressed"], GAIN_WITHHELD] = math.nan
    hidden = networks["network_code"].isin(set(gain.loc[gain["suppressed"], "network_code"]))
    networks.loc[hidden, ["gain_share", "total"]] = math.nan
    return gain


def totals(frame: pd.DataFrame, columns=None) -> pd.Series:
    """The sums of a frame's numeric columns across its rows; a column with any withheld
    (NaN) value has no total, so no total gives a withheld figure away by subtraction."""
    columns = columns or [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]
    return pd.Series({c: frame[c].sum(skipna=False) for c in columns}, dtype=float)
