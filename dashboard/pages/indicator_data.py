"""The indicator detail page's data: which view a URL asks for, checked against what the
user may see, and the reads that view needs, composed from `dashboard.access`.

A view is an indicator, a level and org, a period type and period, a segment and a
benchmark ('system', or 'parent': the org's siblings against their parent). Every part of
it comes from a URL or a crafted callback, so each is checked and a bad one gives one
sentence for the page, never an exception.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

import pandas as pd

from dashboard import access
from dashboard.scope import Scope
from metrics.segments import SEGMENT_LEVELS

LEVELS = access.LEVELS_TOP_DOWN
PERIOD_TYPES = {
    "month": "Month",
    "quarter": "Quarter",
    "rolling12": "Rolling 12 months",
    "fy": "Financial year",
    "board": "Board period (two months)",
}
BENCHMARKS = {"system": "Whole system", "parent": "Parent (org's siblings)"}


@dataclass(frozen=True)
class View:
    """One view of an indicator, as kept in the URL."""

    metric_id: str
    level: str
    org: str
    period_type: str
    period: str  # ISO date of the period's start
    segment: str
    benchmark: str

    def query(self) -> dict[str, str]:
        """Returns the URL query parameters that reproduce this view."""
        return {key: value for key, value in asdict(self).items() if key != "metric_id"}


@dataclass
class Detail:
    """The data one view shows, scoped and disclosure-controlled."""

    view: View
    indicator: dict
    org_name: str
    points: pd.DataFrame  # monthly SPC points of the org and segment
    icons: tuple[str | None, str | None]  # (variation, assurance)
    peers: pd.DataFrame  # values of the orgs compared, with org_name
    benchmark_value: float | None
    comparison_column: str  # comparison_system or comparison_parent
    peer_level: str
    selected: dict | None  # the org's own values row


_definitions: dict = {"version": None, "frame": None, "by_id": {}}


def definitions() -> pd.DataFrame:
    """Returns every indicator's definition (as `access.indicators`; do not modify it).

    Definitions are read once per snapshot version: every callback needs them, and
    decoding them all costs more than the rest of a callback's queries.
    """
    version = access.version()
    if _definitions["version"] != version:
        frame = access.indicators()
        by_id = {row["id"]: row for row in frame.to_dict("records")}
        _definitions.update(version=version, frame=frame, by_id=by_id)
    return _definitions["frame"]


def definition(metric_id: str) -> dict | None:
    """Returns an indicator's definition (as `access.indicator`), or None for an unknown id."""
    definitions()
    return _definitions["by_id"].get(metric_id)


def segment_options(indicator: dict) -> pd.DataFrame:
    """Returns the segments an indicator is published for ('all' first)."""
    frame = access.segments()
    kinds = set(indicator.get("segments") or ())
    return frame[(frame["segment"] == "all") | frame["kind"].isin(kinds)]


def parse_view(metric_id: str, query: dict, scope: Scope) -> tuple[View | None, str | None]:
    """Returns (view, None) for a valid request, or (None, the sentence to show).

    Missing parameters take defaults: the user's own level and org, month, the latest
    period, segment 'all' and the system benchmark.
    """
    indicator = definition(metric_id)
    if indicator is None:
        return None, f"There is no indicator '{metric_id}'. See Definitions."
    level = query.get("level") or scope.level
    if level not in LEVELS or level not in indicator["levels"]:
        return None, f"'{level}' is not a level this indicator is published at."
    org, problem = _checked_org(scope, level, query.get("org"))
    if problem:
        return None, problem
    period_type = query.get("period_type") or "month"
    if period_type not in PERIOD_TYPES:
        return None, f"'{period_type}' is not a period type (month, quarter, rolling12, fy, board)."
    period, problem = _checked_period(period_type, query.get("period"))
    if problem:
        return None, problem
    segment = query.get("segment") or "all"
    if segment not in set(segment_options(indicator)["segment"]):
        return None, f"There is no segment '{segment}' for this indicator."
    if segment != "all" and level not in SEGMENT_LEVELS:
        return None, "Segments are published at locality level and above; choose 'all'."
    benchmark = query.get("benchmark") or "system"
    if benchmark not in BENCHMARKS:
        return None, f"'{benchmark}' is not a benchmark (system or parent)."
    return View(metric_id, level, org, period_type, period, segment, benchmark), None


def _checked_org(scope: Scope, level: str, org: str | None) -> tuple[str | None, str | None]:
    codes = access.org_units(scope, level)["org_code"].tolist()
    if not org:
        org = scope.code if scope.level == level else (codes[0] if codes else None)
    if org not in codes:
        shown = org or "(none)"
        return None, f"There is no {level} '{shown}' in your scope."
    return org, None


def _checked_period(period_type: str, period: str | None) -> tuple[str | None, str | None]:
    starts = [pd.Timestamp(start).date() for start in access.periods(period_type)["period_start"]]
    if not starts:
        return None, f"No {period_type} periods are published."
    if not period:
        return starts[-1].isoformat(), None
    try:
        chosen = date.fromisoformat(period)
    except ValueError:
        chosen = None
    if chosen not in starts:
        return None, f"There is no published {period_type} period starting '{period}'."
    return chosen.isoformat(), None


def load_detail(scope: Scope, view: View) -> Detail:
    """Returns everything a valid view shows."""
    indicator = definition(view.metric_id)
    orgs = access.org_units(scope)
    names = dict(zip(orgs["org_code"], orgs["org_name"], strict=True))
    points = access.spc_points(scope, [view.metric_id], [view.org], view.segment)
    summary = access.spc_summary(scope, [view.metric_id], [view.org], view.segment)
    icons = (None, None) if summary.empty else tuple(summary.iloc[0][["variation", "assurance"]])
    peer_level = "area" if view.level == "system" else view.level
    rows = _values(scope, view, peer_level, orgs)
    peers, benchmark_value = _peers(view, rows, orgs, peer_level)
    peers = peers.assign(org_name=peers["org_code"].map(names))
    own = rows[rows["org_code"] == view.org]
    return Detail(
        view=view,
        indicator=indicator,
        org_name=names.get(view.org, view.org),
        points=points.reset_index(drop=True),
        icons=tuple(_text(icon) for icon in icons),
        peers=peers.reset_index(drop=True),
        benchmark_value=benchmark_value,
        comparison_column=f"comparison_{view.benchmark}",
        peer_level=peer_level,
        selected=None if own.empty else own.iloc[0].to_dict(),
    )


def _values(scope: Scope, view: View, peer_level: str, orgs: pd.DataFrame) -> pd.DataFrame:
    levels = {view.level, peer_level, "system", _parent_level(view.org, orgs)} - {None}
    return access.values(
        scope,
        metric_ids=[view.metric_id],
        levels=sorted(levels),
        period_type=view.period_type,
        period_starts=[date.fromisoformat(view.period)],
        segments=[view.segment],
    )


def _parent_level(org: str, orgs: pd.DataFrame) -> str | None:
    levels = dict(zip(orgs["org_code"], orgs["level"], strict=True))
    parents = dict(zip(orgs["org_code"], orgs["parent_code"], strict=True))
    return levels.get(parents.get(org))


def _peers(view: View, rows: pd.DataFrame, orgs: pd.DataFrame, peer_level: str):
    """Returns (the orgs compared, the benchmark value): every org at the level against the
    system, or the org's siblings against their parent."""
    peers = rows[rows["level"] == peer_level]
    if view.benchmark == "system" or view.level == "system":
        return peers, _value_of(rows, rows["level"] == "system")
    parent = dict(zip(orgs["org_code"], orgs["parent_code"], strict=True)).get(view.org)
    return peers[peers["parent_code"] == parent], _value_of(rows, rows["org_code"] == parent)


def _value_of(rows: pd.DataFrame, mask: pd.Series) -> float | None:
    chosen = rows[mask]
    if chosen.empty or pd.isna(chosen.iloc[0]["value"]):
        return None
    return float(chosen.iloc[0]["value"])


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def period_label(period_type: str, start: str) -> str:
    """Returns the name of a published period from its type and start (ISO date)."""
    periods = access.periods(period_type)
    rows = periods[pd.to_datetime(periods["period_start"]) == pd.Timestamp(start)]
    return start if rows.empty else period_label_of(next(rows.itertuples()))


def period_label_of(row) -> str:
    """Returns a period row's name, e.g. 'October 2026' or 'Jul 2026 to Sep 2026'."""
    first, last = pd.Timestamp(row.period_start), pd.Timestamp(row.period_end)
    return f"{first:%B %Y}" if row.months == 1 else f"{first:%b %Y} to {last:%b %Y}"
