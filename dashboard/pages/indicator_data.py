"""The indicator detail page's data: which view a URL asks for, checked against what the
user may see, and the reads that view needs, composed from `dashboard.access`.

A view is an indicator, a level and org, a period type and period, a segment, a
benchmark ('system', or 'parent': the org's siblings against their parent) and the funnel
limits ('auto', 'adjusted' or 'unadjusted'). Every part of it comes from a URL or a
crafted callback, so each is checked and a bad one gives one sentence for the page, never
an exception.

What the page compares follows the published verdict rule (docs/metrics.md,
"Comparisons"): against the whole system, an indicator with `isr = true` is compared below
system level through its indirectly standardised ratio's interval against 1; every other
comparison is the value's interval against the benchmark value. `Basis` names the columns
and benchmark a view's charts draw, so every colour sits beside what decided it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from dashboard import access, targets_live
from dashboard.figures.funnel import LIMIT_CHOICES
from dashboard.scope import Scope
from metrics.segments import SEGMENT_LEVELS
from metrics.stats import compare

LEVELS = access.LEVELS_TOP_DOWN
PERIOD_TYPES = {
    "month": "Month",
    "quarter": "Quarter",
    "rolling12": "Rolling 12 months",
    "fy": "Financial year",
    "board": "Board period (two months)",
}
BENCHMARKS = {
    "system": "Whole system",
    "parent": "Parent (org's siblings)",
    "peers": "Peer median",
}
PEER_LEVELS = ("practice", "network")  # the levels publish gives peer groups (metrics.peers)
RATIO_COLUMNS = {"value": "isr", "lower_95": "isr_lower_95", "upper_95": "isr_upper_95"}
CRUDE_COLUMNS = {"value": "value", "lower_95": "lower_95", "upper_95": "upper_95"}
STRICT = {"isr_lower_95": "isr_lower_998", "isr_upper_95": "isr_upper_998"}


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
    limits: str = "auto"

    def query(self) -> dict[str, str]:
        """Returns the URL query parameters that reproduce this view."""
        return {key: value for key, value in asdict(self).items() if key != "metric_id"}


@dataclass(frozen=True)
class Basis:
    """What a view's verdicts compare: `columns` maps value/lower_95/upper_95 to the
    published columns drawn (the ratio's, or the value's), `benchmark` is what they are
    compared with (1 for a ratio), `verdict` the published column holding the words."""

    ratio: bool
    columns: dict
    benchmark: float | None
    benchmark_name: str
    verdict: str

    def compared(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Returns rows with value, lower_95, upper_95, comparison and comparison_998 set
        to what this basis compares (the crude value kept as crude_value)."""
        chosen = {name: rows[column] for name, column in self.columns.items()}
        return rows.assign(
            crude_value=rows["value"],
            **chosen,
            comparison=rows[self.verdict],
            comparison_998=_column(rows, f"{self.verdict}_998"),
        )


@dataclass
class Detail:
    """The data one view shows, scoped and disclosure-controlled."""

    view: View
    indicator: dict
    org_name: str
    points: pd.DataFrame  # monthly SPC points of the org and segment
    icons: tuple[str | None, str | None]  # (variation, assurance)
    status: str | None  # spc_summary status: 'charted', 'too_few_points', ...
    status_points: int | None  # unsuppressed points in the series' last phase
    changes: pd.DataFrame  # the change points publish used for this series
    peers: pd.DataFrame  # values of the orgs compared, with org_name
    benchmark_value: float | None
    comparison_column: str  # comparison_system or comparison_parent
    peer_level: str
    selected: dict | None  # the org's own values row
    basis: Basis | None = None  # what the peers' verdicts compare
    own_basis: Basis | None = None  # what the org's own verdict compares
    peer_group: pd.DataFrame | None = None  # benchmark 'peers': access.peers of the org


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


def segment_options(
    indicator: dict, level: str | None = None, scope: Scope | None = None
) -> pd.DataFrame:
    """Returns the segments an indicator is published for ('all' first); given a level
    and scope, only those the snapshot holds for the indicator at that level."""
    frame = access.segments()
    kinds = set(indicator.get("segments") or ())
    frame = frame[(frame["segment"] == "all") | frame["kind"].isin(kinds)]
    if level is None or scope is None:
        return frame
    return frame[frame["segment"].isin(published_segments(scope, indicator["id"], level))]


_segments_read: dict = {}


def published_segments(scope: Scope, metric_id: str, level: str) -> set[str]:
    """Returns the segments the snapshot holds values for, for an indicator at a level
    (read from its latest month, for the orgs in scope; kept per snapshot version, since a
    page asks several times)."""
    key = (access.version(), str(scope), metric_id, level)
    if key not in _segments_read:
        rows = access.values(
            scope,
            metric_ids=[metric_id],
            levels=[level],
            period_starts=[access.months()[-1]],
            segments=None,
        )
        if len(_segments_read) > 512:
            _segments_read.clear()
        _segments_read[key] = set(rows["segment"]) | {"all"}
    return _segments_read[key]


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
    if segment not in set(segment_options(indicator, level, scope)["segment"]):
        return None, f"Segment '{segment}' is not published at {level} level; choose another."
    benchmark = query.get("benchmark") or "system"
    if benchmark not in BENCHMARKS:
        return None, f"'{benchmark}' is not a benchmark (system, parent or peers)."
    if benchmark == "peers" and level not in PEER_LEVELS:
        return None, "Peers are a benchmark for practices and networks; choose another."
    limits = query.get("limits") or "auto"
    if limits not in LIMIT_CHOICES:
        return None, f"'{limits}' is not a choice of funnel limits (auto, adjusted, unadjusted)."
    view = View(metric_id, level, org, period_type, period, segment, benchmark, limits)
    return view, None


def _live_assurance(indicator: dict, view: View, summary: dict, points) -> str | None:
    """The assurance icon of a charted series, against the target in force now (read
    live, so a new target shows without republishing)."""
    if summary.get("status") != "charted":
        return None
    return targets_live.series_assurance(indicator, view.org, points)


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
    first = {} if summary.empty else summary.iloc[0].to_dict()
    peer_level = "area" if view.level == "system" else view.level
    rows = _values(scope, view, peer_level, orgs)
    group = access.peers(scope, view.org) if view.benchmark == "peers" else None
    if group is not None:
        rows = _with_peer_benchmark(scope, view, rows, indicator, group)
    peers, benchmark_value = _peers(view, rows, orgs, peer_level, group)
    peers = peers.assign(org_name=peers["org_code"].map(names))
    own = rows[rows["org_code"] == view.org]
    benchmark = "system" if view.level == "system" else view.benchmark
    return Detail(
        view=view,
        indicator=indicator,
        org_name=names.get(view.org, view.org),
        points=points.reset_index(drop=True),
        icons=(_text(first.get("variation")), _live_assurance(indicator, view, first, points)),
        status=_series_status(first, points),
        status_points=_count(first.get("points")),
        changes=_changes(scope, view),
        peers=peers.reset_index(drop=True),
        benchmark_value=benchmark_value,
        comparison_column=f"comparison_{benchmark}",
        peer_level=peer_level,
        selected=None if own.empty else own.iloc[0].to_dict(),
        basis=comparison_basis(indicator, peer_level, benchmark, benchmark_value),
        own_basis=comparison_basis(
            indicator, view.level, view.benchmark, _own_benchmark(own, view.benchmark)
        ),
        peer_group=group,
    )


def comparison_basis(indicator: dict, level: str, benchmark: str, value) -> Basis | None:
    """Returns what the published verdict of an org at `level` against `benchmark`
    compares (docs/metrics.md, "Comparisons"); None at system level, which is not
    compared. `value` is the benchmark value for a comparison of values."""
    if level == "system":
        return None
    value = None if value is None or pd.isna(value) else float(value)
    if benchmark == "system" and bool(indicator.get("isr")):
        name = "1 (the whole system's age- and sex-specific rates)"
        return Basis(True, RATIO_COLUMNS, 1.0, name, "comparison_system")
    names = {"system": "the whole system", "parent": "the parent", "peers": "the peer median"}
    name = names[benchmark]
    return Basis(False, CRUDE_COLUMNS, value, name, f"comparison_{benchmark}")


def _own_benchmark(own: pd.DataFrame, benchmark: str):
    return None if own.empty else own.iloc[0][f"{benchmark}_value"]


def _series_status(summary: dict, points: pd.DataFrame) -> str | None:
    """The published status; for a snapshot without one, 'charted' where limits exist."""
    status = summary.get("status")
    if isinstance(status, str):
        return status
    if points.empty or points["value"].isna().all():
        return "all_suppressed" if len(points) else None
    return "charted" if points["mean"].notna().any() else "too_few_points"


def _changes(scope: Scope, view: View) -> pd.DataFrame:
    try:
        return access.spc_annotations(scope, view.metric_id, view.org)
    except duckdb.CatalogException:  # a snapshot published before change points existed
        return pd.DataFrame(columns=["metric_id", "org_code", "month", "label", "recalculate"])


def _count(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _column(rows: pd.DataFrame, name: str) -> pd.Series:
    return rows[name] if name in rows else pd.Series("not published", index=rows.index)


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


def _peers(view: View, rows: pd.DataFrame, orgs: pd.DataFrame, peer_level: str, group=None):
    """Returns (the orgs compared, the benchmark value): every org at the level against the
    system, the org's siblings against their parent, or the org and its peers (those in
    scope) against its peer median."""
    peers = rows[rows["level"] == peer_level]
    if group is not None:
        chosen = peers[peers["org_code"].isin([view.org, *group["peer_code"]])]
        own = rows[rows["org_code"] == view.org]["peers_value"].dropna()
        return chosen, (float(own.iloc[0]) if len(own) else None)
    if view.benchmark == "system" or view.level == "system":
        return peers, _value_of(rows, rows["level"] == "system")
    parent = dict(zip(orgs["org_code"], orgs["parent_code"], strict=True)).get(view.org)
    return peers[peers["parent_code"] == parent], _value_of(rows, rows["org_code"] == parent)


def _with_peer_benchmark(scope, view: View, rows, indicator: dict, group) -> pd.DataFrame:
    """The rows with the org's peer median (`peers_value`, `peers_used`) on every row, and
    each row's verdict against that one drawn value (`comparison_peers`, `_998`): the
    org's own is the published `comparison_peer`; the peers' are worked out against the
    same benchmark by the same function (`metrics.stats.compare`), so every colour follows
    from the value, interval and line drawn beside it."""
    bench = access.peer_benchmarks(
        scope, [view.metric_id], [view.org], view.period_type,
        [date.fromisoformat(view.period)], [view.segment],
    )  # fmt: skip
    own = bench.iloc[0].to_dict() if len(bench) else {}
    value = own.get("peer_value")
    value = np.nan if value is None or pd.isna(value) else float(value)
    rows = rows.assign(peers_value=value, peers_used=own.get("peers_used"))
    is_own = rows["org_code"] == view.org
    for level, column in (("95", "comparison_peers"), ("998", "comparison_peers_998")):
        words = _words(rows, level, value, indicator["polarity"])
        published = own.get(column.replace("peers", "peer")) or "not compared"
        rows[column] = words.where(~is_own, published)
    return rows


def _words(rows: pd.DataFrame, level: str, benchmark: float, polarity) -> pd.Series:
    words = compare(rows[f"lower_{level}"], rows[f"upper_{level}"], benchmark, polarity)
    words = pd.Series(np.atleast_1d(words), index=rows.index)
    return words.where(~rows["suppressed"].astype(bool), "suppressed")


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
