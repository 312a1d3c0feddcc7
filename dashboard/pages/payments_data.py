"""What the Payments page shows, apart from drawing it: one scheme's payments for a period
at the networks the user may see, disclosure-controlled, and the what-if beside them.

The money comes from `wholesystem.payments.compute`, which reads the snapshot's
unsuppressed counts (money cannot be computed on `*`). Who may SEE what is decided here:

- **scope**: only networks within `access.org_units(scope, "network")` are kept, in every
  table and download; a network code outside the scope gets one sentence, never rows;
  practice detail keeps the practices the scope may see (`access.visible`) and, for a
  network or wider scope, every practice of its own networks (`access.own`), so a
  practice-scoped reader sees their own practice's rows, never a sibling's;
- **disclosure**: for a masked reader (`access.masks()`) `payments.masked` (the engine's
  one masking function) withholds (NaN) a suppressed network KPI's figures and that
  network's earned, missed and total; this module then withholds every total across
  networks that would include a withheld network, and a what-if figure (and difference)
  wherever the scheme's own figure is withheld, so no arithmetic on the page recovers a
  hidden value; practice detail is only for readers who see small numbers unmasked.

A snapshot never changes, so the engine's money is worked out once per snapshot, scheme,
period, what-if and targets in force (`_engine`, kept for the last few), and a change of
network, a download or the comparison reuses it, read through `access`'s pooled reader.
"""

from __future__ import annotations

import dataclasses
import json
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import pandas as pd

from dashboard import access, targets_live
from dashboard.pages.users_admin_data import sentence
from dashboard.scope import Scope
from wholesystem import payments, schemes
from wholesystem.errors import UserError

WITHHELD = "withheld"
WITHHELD_NOTE = (
    "Withheld: the network has a KPI whose count is suppressed (1 to 7, shown *), and its "
    "earned, missed and total money would let that KPI's money, and so its count, be "
    "worked out; so would any total across networks that includes it."
)
SUPPRESSED_KPI_NOTE = (
    "* = suppressed: the KPI's count is 1 to 7 (or could be worked out from one), so its "
    "attainment, points and money are not shown; the money is still paid on the "
    "unsuppressed counts."
)
PRACTICES_NEED_PERMISSION = (
    "Practice detail needs permission to see small numbers unsuppressed (an analyst or "
    "admin where the setting WHOLESYSTEM_ANALYSTS_SEE_SMALL_NUMBERS is on), because a "
    "practice's counts can be 1 to 7."
)
# The network table's money columns, in order: (column in payments' networks frame, heading).
MONEY_COLUMNS = (
    ("money", "Scheme money"),
    ("upfront", "Up front"),
    ("at_risk", "At risk on results"),
    ("earned", "Earned on results"),
    ("missed", "Missed"),
    ("gain_share", "Gain share"),
    ("total", "Total paid"),
)
ALL_NETWORKS = "All networks shown"
KEPT_RESULTS = 16  # the engine's results kept (each a few small frames)
_results: OrderedDict[tuple, payments.Payments] = OrderedDict()
_results_lock = threading.Lock()


@dataclass
class View:
    """One scheme's payments for a period at the networks in scope, disclosure-controlled
    (`payments.masked` for a masked reader: `practices` then empty); `network` the one
    chosen for the KPI and practice detail; `what_if` the payments under a what-if."""

    scheme: schemes.Scheme
    period: str
    network: str | None
    result: payments.Payments
    masked: bool
    what_if: payments.Payments | None = None

    @property
    def networks(self) -> pd.DataFrame:
        return self.result.networks

    @property
    def kpis(self) -> pd.DataFrame:
        return self.result.kpis

    @property
    def practices(self) -> pd.DataFrame | None:
        return None if self.masked else self.result.practices


def settings():
    """The app's settings (its payment schemes and side store)."""
    return access.configured_settings()


def scheme_names() -> dict[str, schemes.Scheme]:
    """The schemes in force, by name (TOML tables overridden by admins' edits)."""
    return schemes.load_schemes(settings())


def period_choices(kind: str | None = None) -> list[str]:
    """The complete periods of the snapshot shown (of a kind: 'quarter' or 'fy'), newest
    first."""
    cursor = access.snapshot_cursor()
    try:
        return payments.periods(settings(), kind=kind, connection=cursor)
    finally:
        cursor.close()


def default_period(scheme: schemes.Scheme) -> str | None:
    """The last complete period of the scheme's kind (quarter or financial year)."""
    chosen = period_choices(scheme.period)
    return chosen[0] if chosen else None


def period_label(period: str) -> str:
    return payments.period_label(period)


def choose(scope: Scope, query: dict) -> tuple | str:
    """Returns (scheme, period, network code or None) for a query, or one sentence saying
    which choice is not there (an unknown scheme, period, or a network outside the scope)."""
    try:
        found = scheme_names()
    except UserError as error:
        return sentence(error)
    if not found:
        return "No payment scheme is set up: an admin adds one under Payment schemes."
    name = query.get("scheme") or next(iter(found))
    if name not in found:
        return f"There is no payment scheme {name[:80]!r}."
    scheme = found[name]
    period = query.get("period") or default_period(scheme)
    if period is None or period not in period_choices(scheme.period):
        kind = "quarter" if scheme.period == "quarter" else "financial year"
        return f"There is no complete {kind} {str(period)[:80]!r} in this snapshot."
    network = query.get("network") or None
    if network is not None and network not in network_codes(scope):
        return f"There is no network {network[:80]!r} you can see."
    return scheme, period, network


def network_codes(scope: Scope) -> list[str]:
    """The networks the scope may see, in the page's order (by name)."""
    return list(access.org_units(scope, "network")["org_code"])


def view(scope: Scope, query: dict, what_if: dict | None = None) -> View | str:
    """Returns the page's view for a query (scheme, period, network) and an optional
    what-if (`payments.compute`'s), or one sentence for a bad choice or what-if."""
    chosen = choose(scope, query)
    if isinstance(chosen, str):
        return chosen
    scheme, period, network = chosen
    codes, masked = network_codes(scope), access.masks()
    practices = _practice_filter(scope)
    try:
        result = _computed(scheme, period, codes, practices, masked)
        changed = (
            None
            if what_if is None
            else _computed(scheme, period, codes, practices, masked, what_if)
        )
    except UserError as error:
        return sentence(error)
    chosen_network = network or (codes[0] if codes else None)
    return View(scheme, period, chosen_network, result, masked, changed)


def _practice_filter(scope: Scope):
    """Which practice rows the scope may see: its visible practices, and every practice
    (in the period) of a network it owns (a network or wider scope)."""
    visible, own = access.visible(scope), access.own(scope)

    def keep(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["practice_code"].isin(visible) | frame["network_code"].isin(own)]

    return keep


def _computed(scheme, period, codes, practices, masked, what_if=None) -> payments.Payments:
    """The engine's payments for the snapshot shown, masked for a masked reader, and kept
    to the networks in scope (every frame, so nothing outside the scope reaches a page)
    and the practice frames to the practices the scope may see (`practices`)."""
    result = _engine(scheme, period, what_if)
    if masked:
        result = payments.masked(result)
    frames = {
        name: _within(getattr(result, name), codes)
        for name in ("networks", "packages", "kpis", "practices", "practice_money", "gain")
    }
    for name in ("practices", "practice_money"):
        frames[name] = practices(frames[name]).reset_index(drop=True)
    frames["practices"] = _named(frames["practices"])
    return dataclasses.replace(result, **frames)


def _engine(scheme, period, what_if) -> payments.Payments:
    """`payments.compute` for the snapshot shown, once per (snapshot, scheme, period,
    what-if, targets in force): a snapshot never changes, and a change of any of the rest
    is a new key. Read through `access`'s pooled reader. Callers never change the frames."""
    book, version = targets_live.book(), access.shown_version()
    key = (
        str(settings().serving_dir), version, period,
        json.dumps(schemes.scheme_table(scheme), sort_keys=True),
        json.dumps(what_if, sort_keys=True, default=str), book.stamp,
    )  # fmt: skip
    with _results_lock:
        if key in _results:
            _results.move_to_end(key)
            return _results[key]
    cursor = access.snapshot_cursor()
    try:
        result = payments.compute(
            settings(), scheme, period, version, what_if, book=book, connection=cursor
        )
    finally:
        cursor.close()
    with _results_lock:
        _results[key] = result
        while len(_results) > KEPT_RESULTS:
            _results.popitem(last=False)
    return result


def _named(practices: pd.DataFrame) -> pd.DataFrame:
    """The practices with their names (from the snapshot's org units, if not given)."""
    if "practice_name" in practices:
        return practices
    orgs = access.org_units(Scope.whole_system(), "practice")
    names = dict(zip(orgs["org_code"], orgs["org_name"], strict=True))
    return practices.assign(practice_name=practices["practice_code"].map(names))


def _within(frame: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    kept = frame[frame["network_code"].isin(codes)]
    order = {code: i for i, code in enumerate(codes)}
    return kept.sort_values("network_code", key=lambda s: s.map(order), kind="stable").reset_index(
        drop=True
    )


def withheld(networks: pd.DataFrame) -> pd.Series:
    """Whether each network's earned, missed and total (or gain share) are withheld."""
    if "withheld" in networks:
        return networks["withheld"].fillna(False).astype(bool)
    return networks["total"].isna()


def totals(networks: pd.DataFrame) -> pd.Series:
    """The totals across the networks shown (NaN where any network's figure is withheld,
    so a total never lets a withheld figure be recovered)."""
    return payments.totals(networks)


def network_name(code: str | None) -> str:
    orgs = access.org_units(Scope.whole_system(), "network")
    names = dict(zip(orgs["org_code"], orgs["org_name"], strict=True))
    return names.get(code, str(code))


def kpi_titles() -> dict[str, str]:
    frame = access.indicators()
    return dict(zip(frame["id"], frame["title"], strict=True))


def money(value) -> str:
    """Money in whole pounds ("£12,345"); "withheld" for a withheld figure."""
    if _missing(value):
        return WITHHELD
    return f"£{value:,.0f}" if round(value) >= 0 else f"−£{-value:,.0f}"


def signed_money(value) -> str:
    """A difference in money: "+£1,234", "−£1,234" or "£0"; "withheld" if withheld."""
    if _missing(value):
        return WITHHELD
    if round(value) == 0:
        return "£0"
    return f"+£{value:,.0f}" if value > 0 else f"−£{-value:,.0f}"


def percent(value, suppressed: bool = False) -> str:
    if suppressed:
        return "*"
    return "–" if _missing(value) else f"{value:.1f}%"


def points(value, suppressed: bool = False) -> str:
    if suppressed:
        return "*"
    return "–" if _missing(value) else f"{value:,.2f}".rstrip("0").rstrip(".")


def count(value, suppressed: bool = False) -> str:
    if suppressed:
        return "*"
    return "–" if _missing(value) else f"{value:,.0f}"


def patients(value) -> str:
    """A network's patients ("withheld" where its list is suppressed)."""
    return WITHHELD if _missing(value) else f"{value:,.0f}"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value)


def scheme_words(scheme: schemes.Scheme) -> str:
    """The scheme in one paragraph: the split, the packages and their rates."""
    upfront = scheme.upfront_share * 100
    parts = [
        f"{package.name}: £{package.rate:,.2f} per "
        f"{'registered patient' if package.per == 'registered' else 'patient on its register'}"
        f" a year, {len(package.kpis)} KPI{'s' if len(package.kpis) != 1 else ''}"
        for package in scheme.packages
    ]
    gain = (
        "" if scheme.gain_share is None
        else f" Gain share: {scheme.gain_share.share * 100:g}% of the savings from fewer "
        "emergency admissions than the baseline."
    )  # fmt: skip
    return (
        f"Split {scheme.split}: {upfront:g}% of the package money is paid up front and "
        f"{100 - upfront:g}% on results. Packages: {'; '.join(parts)}.{gain}"
    )


def network_rows(view: View) -> tuple[list[list[str]], list[str] | None]:
    """The network table's rows in words, and its total row across the networks shown
    (None for one network: its own row says it all)."""
    networks = view.networks
    rows = [
        [row["network_name"], patients(row["patients"]),
         *(money(row[column]) for column, _ in MONEY_COLUMNS)]
        for _, row in networks.iterrows()
    ]  # fmt: skip
    total = totals(networks)
    footer = [ALL_NETWORKS, patients(networks["patients"].sum(skipna=False)),
              *(money(total.get(column)) for column, _ in MONEY_COLUMNS)]  # fmt: skip
    return rows, (footer if len(rows) > 1 else None)


def kpi_rows(view: View) -> list[list[str]]:
    """The chosen network's KPI rows in words."""
    kpis = view.kpis[view.kpis["network_code"] == view.network]
    improvement = _improvements()
    rows = []
    for _, row in kpis.iterrows():
        hidden = view.masked and bool(row["suppressed"])
        rows.append([
            row["title"], row["package"], percent(row["attainment"], hidden),
            percent(row["lower"]), percent(row["upper"]), points(row["points_available"]),
            points(row["points_earned"], hidden), money_or_star(row["earned"], hidden),
            money_or_star(row["missed"], hidden),
            "*" if hidden else missed_words(row, improvement.get(row["metric_id"], "increase")),
        ])  # fmt: skip
    return rows


def money_or_star(value, hidden: bool) -> str:
    return "*" if hidden else money(value)


def any_suppressed(view: View) -> bool:
    kpis = view.kpis[view.kpis["network_code"] == view.network]
    return bool(view.masked and kpis["suppressed"].any())


def _improvements() -> dict[str, str]:
    frame = access.indicators()
    return dict(zip(frame["id"], frame["improvement"], strict=True))


def missed_words(row, improvement: str = "increase") -> str:
    """What a KPI missed, in words: how far short of the upper threshold (and the lower,
    below which a linear KPI earns nothing) and how many more patients were needed."""
    attainment, upper, lower = row["attainment"], row["upper"], row["lower"]
    if _missing(attainment) or _missing(upper):
        return "–"
    sign = -1 if improvement == "decrease" else 1
    gap = sign * (upper - attainment)
    if gap <= 0:
        return "Nothing: at or beyond the upper threshold."
    patients = _patients_needed(row, upper, sign)
    needed = f": {patients:,} {'more' if sign > 0 else 'fewer'} patients needed" if patients else ""
    words = f"Short of the upper threshold by {gap:.1f} points{needed}"
    if row["method"] == "linear" and not _missing(lower) and sign * (lower - attainment) > 0:
        words += f" (and below the lower, {lower:g}%, so nothing earned)"
    return words + "."


def _patients_needed(row, upper: float, sign: int) -> int | None:
    numerator, denominator = row["numerator"], row["denominator"]
    if _missing(numerator) or _missing(denominator):
        return None
    # The fewest whole patients that reach the threshold (a float's last bit never adds one).
    target = round(upper * denominator / 100, 9)
    needed = math.ceil(target) - numerator if sign > 0 else numerator - math.floor(target)
    return max(int(needed), 0)


def practice_rows(view: View) -> list[list[str]]:
    """The chosen network's practices that fell short, largest shortfall first."""
    practices = view.practices
    practices = practices[
        (practices["network_code"] == view.network) & (practices["shortfall"] > 0)
    ]
    titles = kpi_titles()
    practices = practices.sort_values(["shortfall", "practice_name"], ascending=[False, True])
    return [
        [row["practice_name"], titles.get(row["metric_id"], row["metric_id"]),
         count(row["months_in_network"]), count(row["numerator"]), count(row["denominator"]),
         percent(row["attainment"]), count(row["shortfall"])]
        for _, row in practices.iterrows()
    ]  # fmt: skip


WHAT_IF_WORDS = {"upfront": "Up front", "earned": "Earned on results",
                 "gain_share": "Gain share", "total": "Total"}  # fmt: skip


def what_if_columns(view: View) -> tuple[str, ...]:
    """The money columns set side by side: up front, earned, the gain share where either
    scheme has one, and the total."""
    gain = view.scheme.gain_share is not None or view.what_if.scheme.gain_share is not None
    return tuple(c for c in WHAT_IF_WORDS if gain or c != "gain_share")


def what_if_rows(view: View) -> tuple[list[list[str]], list[str]]:
    """Each network's money (`what_if_columns`) under the scheme and `view.what_if`, and
    the difference in total; withheld wherever either figure is."""
    columns = what_if_columns(view)
    before, after = view.networks.set_index("network_code"), view.what_if.networks
    after = after.set_index("network_code").reindex(before.index)
    rows = []
    for code in before.index:
        rows.append(
            [before.at[code, "network_name"], *_pairs(before.loc[code], after.loc[code], columns)]
        )
    if len(rows) == 1:
        return rows, None
    return rows, [ALL_NETWORKS, *_pairs(totals(before), totals(after), columns)]


def _pairs(before, after, columns) -> list[str]:
    cells = []
    for column in columns:
        hidden = _missing(before.get(column)) or _missing(after.get(column))
        cells += [money(before.get(column)), WITHHELD if hidden else money(after.get(column))]
    hidden = _missing(before.get("total")) or _missing(after.get("total"))
    cells.append(WITHHELD if hidden else signed_money(after["total"] - before["total"]))
    return cells


def what_if_words(scheme: schemes.Scheme, what_if: schemes.Scheme) -> str:
    """What the what-if changes, in words."""
    changes = []
    if what_if.upfront_share != scheme.upfront_share:
        changes.append(f"the split from {scheme.split} to {what_if.split}")
    before = {rule.metric_id: rule for rule in scheme.kpis}
    titles = kpi_titles()
    for rule in what_if.kpis:
        old = before[rule.metric_id]
        if (rule.method, rule.lower, rule.upper) != (old.method, old.lower, old.upper):
            changes.append(f"{titles.get(rule.metric_id, rule.metric_id)} "
                           f"({_rule_words(old)} → {_rule_words(rule)})")  # fmt: skip
    if not changes:
        return "The what-if is the same as the scheme."
    return "The what-if changes " + "; ".join(changes) + ". Nothing is saved."


def _rule_words(rule) -> str:
    def threshold(value):
        return "target in force" if value is None else f"{value:g}%"

    method = "linear" if rule.method == "linear" else "all or nothing"
    return f"{method}, {threshold(rule.lower)} to {threshold(rule.upper)}"
