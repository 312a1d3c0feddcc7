"""The API's routes: each reads through `dashboard.access` as the pages do, so the token's
user gets exactly the rows, scope and disclosure control the pages give them.

Every route declares itself (`declare.endpoint`); `dashboard.api.install` turns the
declarations into Flask rules. A route returns `responses.answer(read, ...)`, which pages,
formats and tags the rows `read` gives; it raises `params.BadQuery` for a bad request.
"""

from __future__ import annotations

import pandas as pd
from flask_login import current_user

from dashboard import access
from dashboard.api import params, responses
from dashboard.api.declare import Param, endpoint
from dashboard.api.params import BadQuery
from metrics.calendar import PERIOD_TYPES
from metrics.registry import LEVELS

METRIC = Param("metric", "indicator id(s), comma-separated, from /api/v1/indicators")
LEVEL = Param("level", "org level", enum=LEVELS)
ORG = Param("org", "org code(s), comma-separated; codes outside your scope give no rows")
SEGMENT = Param("segment", "e.g. all, age_band:65-74, condition:DM", default="all")


@endpoint(
    "/indicators",
    summary="Indicators and their definitions",
    description="Every published indicator: id, title, group, definition, numerator, "
    "denominator, units, polarity, sources, levels, segments, caveats, references.",
    example="/api/v1/indicators",
)
def indicators():
    return responses.answer(access.indicators)


@endpoint(
    "/indicators/<metric_id>",
    summary="One indicator's definition",
    description="One indicator, as a list of one row; 404 for an id that is not published.",
    example="/api/v1/indicators/emergency_admissions",
    params=(Param("metric_id", "indicator id", required=True, where="path"),),
)
def indicator(metric_id: str):
    frame = access.indicators()
    frame = frame[frame["id"] == metric_id]
    if frame.empty:
        raise BadQuery(f"There is no published indicator {params.shown(metric_id)}.", 404)
    return responses.answer(lambda: frame)


@endpoint(
    "/orgs",
    summary="Organisations and their hierarchy",
    description="The orgs in your scope (your part of the hierarchy and the benchmarks "
    "above it): level, org_code, org_name, parent_code, closed_on; from the system down.",
    example="/api/v1/orgs?level=network",
    params=(LEVEL, Param("parent", "only the orgs directly beneath this org code")),
)
def orgs():
    level, parent = params.level(), params.text("parent")

    def read() -> pd.DataFrame:
        frame = access.org_units(current_user.scope, level)
        return frame if parent is None else frame[frame["parent_code"] == parent]

    return responses.answer(read)


@endpoint(
    "/values",
    summary="Published values, as the pages show them",
    description="Values with their intervals, benchmarks and comparisons, scoped and "
    "disclosure-controlled: a suppressed row has `suppressed` true and null counts, value, "
    "limits and comparisons (`*` in CSV); a benchmark whose own row is suppressed is null, "
    "with 'not compared' (`parent_suppressed` or `system_suppressed` true; `*` in CSV). "
    "Filters and CSV cells match `wholesystem export`.",
    example="/api/v1/values?metric=emergency_admissions&level=practice&period_type=month",
    params=(
        Param("metric", METRIC.description, required=True), LEVEL, ORG,
        Param("period_type", "period type", enum=PERIOD_TYPES, default="month"), SEGMENT,
        Param("from", "first period_start, YYYY-MM-DD or YYYY-MM", format="date"),
        Param("to", "last period_start, YYYY-MM-DD or YYYY-MM", format="date"),
    ),
)  # fmt: skip
def values():
    metrics, level, orgs_ = params.metric_ids(), params.level(), params.listed("org")
    period_type, segment = params.period_type(), params.segment()
    first, last = params.day("from"), params.day("to")

    def read() -> pd.DataFrame:
        starts = _starts(period_type, first, last)
        return access.values(
            current_user.scope, metric_ids=metrics, levels=None if level is None else [level],
            org_codes=orgs_, period_type=period_type, period_starts=starts, segments=[segment],
        )  # fmt: skip

    return responses.answer(read)


def _starts(period_type: str, first, last) -> list | None:
    """The period starts from `first` to `last` (either open); None: no filter."""
    if first is None and last is None:
        return None
    starts = access.periods(period_type)["period_start"]
    return [start for start in starts if _between(start, first, last)]


def _between(start, first, last) -> bool:
    day = pd.Timestamp(start).date()
    return (first is None or first <= day) and (last is None or day <= last)


@endpoint(
    "/spc",
    summary="SPC points and icons",
    description="The monthly SPC points of each series (value, mean, process limits, rule, "
    "point type, phase) with the series' icons (`variation`, `assurance`, `status`) on each "
    "row, and the icons alone in the JSON `summary`. A suppressed month has no value, rule "
    "or point type. Name the orgs with `org`, or every org of a `level` in your scope.",
    example="/api/v1/spc?metric=emergency_admissions&level=network",
    params=(Param("metric", METRIC.description, required=True), ORG, LEVEL, SEGMENT),
)
def spc():
    metrics, codes, segment = params.metric_ids(), _series_orgs(), params.segment()
    scope = current_user.scope

    def read() -> pd.DataFrame:
        points = access.spc_points(scope, metrics, codes, segment)
        icons = access.spc_summary(scope, metrics, codes, segment)
        keys = ["metric_id", "level", "org_code", "segment"]
        return points.merge(icons[[*keys, "variation", "assurance", "status"]], on=keys)

    def summary() -> list[dict]:
        return responses.records(access.spc_summary(scope, metrics, codes, segment))

    return responses.answer(read, summary=summary)


def _series_orgs() -> list[str]:
    codes, level = params.listed("org"), params.level()
    if codes is None and level is None:
        raise BadQuery("parameter 'org' or 'level' is required: which orgs' series to send.")
    visible = access.org_units(current_user.scope, level)
    if codes is None:
        return list(visible["org_code"])
    if len(codes) == 1 and codes[0] not in set(visible["org_code"]):
        raise BadQuery(f"There is no org {params.shown(codes[0])} in your scope.", 404)
    return codes


@endpoint(
    "/snapshots",
    summary="Snapshot versions you may read",
    description="The kept snapshots, newest first: version, created_at, draft, released_at, "
    "released_by, first_month, last_month. Viewers see only released ones. Pass a version "
    "as `snapshot=` to any route to read from it.",
    example="/api/v1/snapshots",
)
def snapshots():
    kept = access.kept_snapshots()
    frame = pd.DataFrame(
        [
            {
                "version": e.version,
                "created_at": e.created_at,
                "draft": e.draft,
                "released_at": e.released_at,
                "released_by": e.released_by,
                "first_month": e.first_month,
                "last_month": e.last_month,
            }
            for e in kept
        ]
    )
    return responses.answer(lambda: frame, extra=repr(kept))


@endpoint(
    "/peers",
    summary="An org's nearest-neighbour peer group",
    description="The 10 practices or networks most like a practice or network (list size, "
    "% aged 65+, deprivation, prevalence), nearest first: peer_code, peer_name, rank, "
    "distance and the variables. A peer outside your scope keeps only its rank "
    "(`in_scope` false, the rest null). Other levels have no peer group.",
    example="/api/v1/peers?org=U92003",
    params=(Param("org", "a practice or network code in your scope", required=True),),
)
def peers():
    code = _one_org()
    return responses.answer(lambda: access.peers(current_user.scope, code))


@endpoint(
    "/peer-benchmarks",
    summary="Peer benchmarks of practice and network values",
    description="Per published row of a practice or network: the median of its peers' "
    "unsuppressed values (`peer_value`, from `peers_used` peers; null under 5) and the "
    "verdicts against it at 95% and 99.8%. A suppressed row is 'suppressed' with no "
    "benchmark. Org codes outside your scope give no rows.",
    example="/api/v1/peer-benchmarks?metric=emergency_admissions&org=U92003",
    params=(
        Param("metric", METRIC.description, required=True),
        Param("org", "practice or network code(s), comma-separated", required=True),
        Param("period_type", "period type", enum=PERIOD_TYPES, default="month"), SEGMENT,
        Param("from", "first period_start, YYYY-MM-DD or YYYY-MM", format="date"),
        Param("to", "last period_start, YYYY-MM-DD or YYYY-MM", format="date"),
    ),
)  # fmt: skip
def peer_benchmarks():
    metrics, codes = params.metric_ids(), params.listed("org")
    if codes is None:
        raise BadQuery("parameter 'org' is required: practice or network code(s).")
    period_type, segment = params.period_type(), params.segment()
    first, last = params.day("from"), params.day("to")

    def read() -> pd.DataFrame:
        starts = _starts(period_type, first, last)
        return access.peer_benchmarks(
            current_user.scope, metrics, codes, period_type, starts, [segment]
        )

    return responses.answer(read)


def _one_org() -> str:
    code = params.text("org")
    if code is None:
        raise BadQuery("parameter 'org' is required: a practice or network code.")
    if code not in access.visible(current_user.scope):
        raise BadQuery(f"There is no org {params.shown(code)} in your scope.", 404)
    return code
