"""The one data-access module: every read the dashboard makes goes through here.

Each function takes the user's `Scope` (where rows are org-specific), reads the current
serving snapshot through `SnapshotReader`, and returns a small DataFrame or dict with two
controls already applied, so that no page, callback or download can bypass them:

- **scope**: rows for orgs outside the user's scope are never selected (see `scope.py`);
- **disclosure**: a suppressed row keeps its key and `suppressed = True`, but its counts,
  value, limits and comparisons are NULL; a parent or system value is NULL wherever that
  benchmark row is itself suppressed (publish records that on each row as
  `parent_suppressed` and `system_suppressed`), and the comparisons against it are
  'not compared', so no count of 1-7 can be read or recovered. Only when the setting
  `analysts_see_small_numbers` is on does a signed-in analyst or admin receive those rows
  unmasked (`suppressed` false, the published counts and comparisons); the SQL takes that
  as the one `$mask` parameter, decided here per request from `dashboard.roles`.

Call `configure(settings)` once per process (the app factory does) before reading.

**Which snapshot.** Outside a request every read uses the released snapshot (the pointer).
Inside a web request it is the kept snapshot named by the `snapshot=VERSION` URL parameter
(sent on Dash's own requests as the `X-Wholesystem-Snapshot` header by
`assets/snapshot.js`), else the user's default: the newest draft newer than the released
one for those who may see drafts (analysts, admins), else the released one. A viewer
asking for a draft, or anyone asking for an unknown version, is shown the default with a
notice (`shown_notice`). `reading(version)` pins a version for the reads inside it (the
pack, the command line). However a version is chosen, `_cursor` refuses a draft to a user
who may not see one, so no page or download can hand a viewer a draft's rows.
"""

from __future__ import annotations

import contextvars
import dataclasses
import json
from collections.abc import Sequence
from contextlib import contextmanager

import flask
import pandas as pd
from werkzeug.exceptions import Forbidden

from dashboard import roles
from dashboard.reader import KEPT_OPEN, SnapshotReader
from dashboard.scope import Scope, own_codes, visible_codes
from metrics import serving
from metrics.registry import LEVELS
from wholesystem.errors import UserError
from wholesystem.settings import Settings

MASKED_COLUMNS = (
    "numerator", "denominator", "value", "lower_95", "upper_95", "lower_998", "upper_998",
    "expected", "isr", "isr_lower_95", "isr_upper_95", "isr_lower_998", "isr_upper_998",
)  # fmt: skip
KEY_COLUMNS = (
    "metric_id", "period_type", "period_start", "period_end", "months", "level", "org_code",
    "parent_code", "segment", "method", "suppressed",
)  # fmt: skip
LEVELS_TOP_DOWN = tuple(reversed(LEVELS))  # system, area, locality, network, practice
JSON_COLUMNS = ("sources", "levels", "segments", "caveats", "references", "ages", "parameters")

_reader: SnapshotReader | None = None
_cache: dict[tuple[str, str, str], pd.DataFrame] = {}
ORG_UNITS_SQL = """
SELECT level, org_code, org_name, parent_code, {closed_on} AS closed_on FROM org_units
ORDER BY list_position(['system', 'area', 'locality', 'network', 'practice'], level),
         org_name, org_code
"""


def configure(settings: Settings) -> None:
    """Points the module at a data directory's serving snapshots."""
    global _reader
    _reader = SnapshotReader(settings)
    _cache.clear()


def configured_settings() -> Settings:
    """Returns the settings `configure` was given (for reads beside the snapshot, such as
    the targets in `dashboard.targets_live` outside a request)."""
    if _reader is None:
        raise RuntimeError("dashboard.access.configure(settings) has not been called")
    return _reader.settings


def _cursor():
    return _reader.cursor(_read_version())


def snapshot_cursor():
    """A new cursor on the snapshot this request or block reads (the pooled read-only
    connection; a draft refused as for every read), for the payments engine, which reads
    unsuppressed counts to work out money: its caller (`payments_data`) applies scope and
    disclosure to what it returns. Close it when done."""
    return _cursor()


def _read_version() -> str:
    # The version a read uses: the one shown, else the one the pointer names now.
    if _reader is None:
        raise RuntimeError("dashboard.access.configure(settings) has not been called")
    shown = _shown()
    _refuse_draft(shown.draft)
    return shown.version or _reader.current_version()


SNAPSHOT_PARAMETER = "snapshot"  # the URL query parameter naming a kept snapshot
SNAPSHOT_HEADER = "X-Wholesystem-Snapshot"  # the same, on Dash's own requests
SEE_DRAFTS = "draft_snapshot"  # the roles action that lets a user see draft snapshots
UNKNOWN_SNAPSHOT = "There is no kept snapshot {requested}, so this shows {default}."
DRAFT_REFUSED = "That snapshot is not released yet, so this shows {default}."


@dataclasses.dataclass(frozen=True)
class Shown:
    """The snapshot a read uses: `version` None follows the pointer (the released one);
    `notice` says why a requested version is not the one shown."""

    version: str | None
    draft: bool = False
    notice: str | None = None


_pinned: contextvars.ContextVar[Shown | None] = contextvars.ContextVar("pinned", default=None)


@contextmanager
def reading(version: str):
    """Every `access` read inside the block uses the kept snapshot `version` (for the
    pack and the command line). Raises UserError for a version that is not kept, and
    Forbidden inside a request whose user may not see that draft."""
    entry = next((e for e in _kept() if e.version == version), None)
    if entry is None:
        raise UserError(f"there is no kept snapshot {str(version)[:80]!r}")
    _refuse_draft(entry.draft)
    token = _pinned.set(Shown(version, entry.draft))
    cache_token = _reading_cache.set({})
    try:
        yield
    finally:
        _reading_cache.reset(cache_token)
        _pinned.reset(token)


# Reads beside the snapshot kept for the length of one `reading` block (the targets book).
_reading_cache: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "reading_cache", default=None
)


def reading_cache() -> dict | None:
    """A dict that lives as long as the innermost `reading` block (None outside one), for
    reads beside the snapshot that a pack or command repeats, such as the targets."""
    return _reading_cache.get()


def shown_version() -> str:
    """Returns the version (file name) of the snapshot this request or block reads."""
    return _shown().version or _reader.current_version()  # UserError before any publish


def shown_is_draft() -> bool:
    """Returns whether the snapshot shown is a draft not yet released."""
    return _shown().draft


def shown_notice() -> str | None:
    """Returns the sentence saying why the snapshot asked for is not the one shown."""
    return _shown().notice


NOT_DOWNLOADABLE = (
    "Snapshot '{version}' is not one you can download: it is not kept, or not released."
)


def download_refusal() -> str | None:
    """Returns the sentence refusing a download (a file, a board pack) of a snapshot asked
    for that may not be read, else None: a download never quietly comes from another
    snapshot than the one asked for, as a page may (with `shown_notice`)."""
    if not shown_notice():
        return None
    return NOT_DOWNLOADABLE.format(version=_requested()[:80])


def kept_snapshots() -> list[serving.SnapshotEntry]:
    """Returns the kept snapshots the signed-in user may open, newest first (drafts only
    for those who may see them)."""
    drafts = not flask.has_request_context() or roles.current_can(SEE_DRAFTS)
    return [entry for entry in _kept() if drafts or not entry.draft]


def _kept() -> list[serving.SnapshotEntry]:
    # Read once per request: each read lists the folder and the side store's releases.
    if not flask.has_request_context():
        return serving.kept_versions(_reader.settings)
    if "wholesystem_kept" not in flask.g:
        flask.g.wholesystem_kept = serving.kept_versions(_reader.settings)
    return flask.g.wholesystem_kept


def _shown() -> Shown:
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    if not flask.has_request_context():
        return Shown(None)
    if "wholesystem_shown" not in flask.g:
        flask.g.wholesystem_shown = _resolve(_requested())
    return flask.g.wholesystem_shown


def _requested() -> str | None:
    request = flask.request
    return request.args.get(SNAPSHOT_PARAMETER) or request.headers.get(SNAPSHOT_HEADER) or None


def _resolve(requested: str | None) -> Shown:
    """The snapshot a request shows: the one asked for if the user may see it, else
    their default with a notice saying why."""
    kept = {entry.version: entry for entry in _kept()}
    drafts = roles.current_can(SEE_DRAFTS)
    default = _default(kept, drafts)
    entry = kept.get(requested) if requested else None
    shown = kept.get(default.version or serving.released_version(_reader.settings))
    if requested and entry is None:
        return dataclasses.replace(default, notice=_notice(UNKNOWN_SNAPSHOT, requested, shown))
    if entry is not None and entry.draft and not drafts:
        return dataclasses.replace(default, notice=_notice(DRAFT_REFUSED, requested, shown))
    return default if entry is None else Shown(entry.version, entry.draft)


def _default(kept: dict, drafts: bool) -> Shown:
    released = serving.released_version(_reader.settings)
    pending = [
        entry for entry in kept.values()
        if entry.draft and (released is None or entry.version > released)
    ]  # fmt: skip
    if drafts and pending:
        return Shown(max(entry.version for entry in pending), True)
    return Shown(released)


def _notice(template: str, requested: str, shown: serving.SnapshotEntry | None) -> str:
    if shown is None:
        default = "nothing: no snapshot is released yet"
    else:
        label = "the draft" if shown.draft else "the released snapshot"
        when = shown.created_at
        default = (
            f"{label} published {when:%-d %b %Y %H:%M}" if when else f"{label} {shown.version}"
        )
    return template.format(requested=repr(requested[:80]), default=default)


def _refuse_draft(draft: bool) -> None:
    if draft and flask.has_request_context() and not roles.current_can(SEE_DRAFTS):
        raise Forbidden(roles.FORBIDDEN)


def _query(sql: str, parameters: Sequence | dict = ()) -> pd.DataFrame:
    return _cursor().execute(sql, parameters).df()


def version() -> str:
    """Returns the version name of the snapshot being shown."""
    cursor = _cursor()
    return cursor.execute("SELECT version FROM snapshot_info").fetchone()[0]


def snapshot_info() -> dict:
    """Returns the snapshot's version, publication time, months covered and settings."""
    return _query("SELECT * FROM snapshot_info").iloc[0].to_dict()


def uses_hes_rule(info: dict | None = None) -> bool:
    """Whether the shown snapshot (or the one `info`, its snapshot_info, describes) rounds the
    counts of any indicator to 5 (HES rule); a snapshot without the column used
    complementary suppression (metrics.publish)."""
    return bool(rounded_indicators(info))


def rounded_indicators(info: dict | None = None) -> list[str]:
    """The ids of the indicators whose counts the snapshot rounds (HES rule): every one under
    'hes', those `rounded_indicators` lists under 'mixed', none otherwise."""
    info = snapshot_info() if info is None else info
    rule = info.get("disclosure_rule")
    if rule == "mixed":
        return list(info["rounded_indicators"])
    return list(indicators()["id"]) if rule == "hes" else []


def rounded_counts(info: dict | None = None) -> str:
    """Which counts are rounded, to open a sentence: "Counts" when every indicator's are,
    else the groups wholly rounded ("Counts of the Northumbria group's indicators") and the
    titles of any other indicator rounded."""
    rounded = set(rounded_indicators(info))
    every = indicators()
    if rounded >= set(every["id"]):
        return "Counts"
    whole = every.groupby("group")["id"].agg(lambda ids: set(ids) <= rounded)
    groups = list(whole[whole].index)
    named = [f"the {group.replace('_', ' ').capitalize()} group's indicators" for group in groups]
    named += list(every[every["id"].isin(rounded) & ~every["group"].isin(groups)]["title"])
    return "Counts of " + ", ".join(named)


def indicators() -> pd.DataFrame:
    """Returns every indicator's definition, list fields decoded from JSON, in id order
    within group."""
    return _per_snapshot("indicators", _read_indicators).copy()


def _read_indicators(cursor) -> pd.DataFrame:
    frame = cursor.execute('SELECT * FROM indicators ORDER BY "group", id').df()
    for column in JSON_COLUMNS:
        frame[column] = frame[column].map(json.loads)
    return frame


def indicator(metric_id: str) -> dict | None:
    """Returns one indicator's definition, or None for an unknown id."""
    frame = indicators()
    rows = frame[frame["id"] == metric_id]
    return None if rows.empty else rows.iloc[0].to_dict()


def segments() -> pd.DataFrame:
    """Returns every segment with its kind, value and description, in display order."""
    return _query("SELECT * FROM segments ORDER BY kind_order, segment")


def months() -> list:
    """Returns the months covered, oldest first (first days, as dates)."""
    return [row[0] for row in _cursor().execute("SELECT month FROM months ORDER BY 1").fetchall()]


def periods(period_type: str) -> pd.DataFrame:
    """Returns the periods of a type (period_start, period_end, months), oldest first."""
    return _query(
        """SELECT DISTINCT period_start, period_end, months FROM period_months
           WHERE period_type = ? ORDER BY period_start""",
        [period_type],
    )


def org_units(scope: Scope, level: str | None = None) -> pd.DataFrame:
    """Returns the orgs the scope may see (level, org_code, org_name, parent_code, and
    closed_on: the day ODS closed a practice), by level from the system down and then by name."""
    frame = _all_org_units()
    frame = frame[frame["org_code"].isin(visible_codes(frame, scope))]
    if level is not None:
        frame = frame[frame["level"] == level]
    return frame.reset_index(drop=True)


def _all_org_units() -> pd.DataFrame:
    return _per_snapshot("org_units", _read_org_units).copy()


def _read_org_units(cursor) -> pd.DataFrame:
    # Snapshots published before ODS practices were loaded have no closed_on column.
    closed = cursor.execute(
        """SELECT count(*) FROM information_schema.columns
           WHERE table_name = 'org_units' AND column_name = 'closed_on'"""
    ).fetchone()[0]
    return cursor.execute(ORG_UNITS_SQL.format(closed_on="closed_on" if closed else "NULL")).df()


def _per_snapshot(name: str, read) -> pd.DataFrame:
    # A snapshot never changes, so small tables every page needs are read once per version.
    # Pages of several versions may be open at once, so the last few versions stay cached.
    version = _read_version()
    key = (str(_reader.settings.serving_dir), version, name)
    if key not in _cache:
        others = list(dict.fromkeys(k[:2] for k in _cache if k[:2] != key[:2]))  # oldest first
        oldest = others[: max(0, len(others) - KEPT_OPEN + 1)]
        for stale in [k for k in _cache if k[:2] in oldest]:
            _cache.pop(stale, None)
        _cache[key] = read(_reader.cursor(version))
    return _cache[key]


def visible(scope: Scope) -> set[str]:
    """Returns the org codes the scope may see."""
    return visible_codes(_all_org_units(), scope)


def own(scope: Scope) -> set[str]:
    """Returns the org codes the scope may write for (its org and beneath, not above)."""
    return own_codes(_all_org_units(), scope)


VALUES_SQL = """
SELECT {keys}, {masked},
       CASE WHEN $mask AND (v.suppressed OR v.parent_suppressed) THEN NULL
            ELSE v.parent_value END AS parent_value,
       CASE WHEN $mask AND (v.suppressed OR v.system_suppressed) THEN NULL
            ELSE v.system_value END AS system_value,
       (v.parent_suppressed AND $mask) AS parent_suppressed,
       (v.system_suppressed AND $mask) AS system_suppressed,
       {verdicts}
FROM indicator_values v
WHERE list_contains($visible, v.org_code) {filters}
ORDER BY v.metric_id, v.level, v.org_code, v.segment, v.period_start
"""


# A verdict against a suppressed benchmark row would say on which side of the interval the
# hidden value lies, so it is withheld ('not compared') like the benchmark itself.
VERDICTS = {
    "comparison_parent": "parent_suppressed",
    "comparison_system": "system_suppressed",
    "comparison_parent_998": "parent_suppressed",
    "comparison_system_998": "system_suppressed",
}
VERDICT_SQL = """CASE WHEN $mask AND v.suppressed THEN 'suppressed'
            WHEN $mask AND v.{hidden} THEN 'not compared' ELSE v.{verdict} END AS {verdict}"""


def values(
    scope: Scope,
    *,
    metric_ids: Sequence[str] | None = None,
    levels: Sequence[str] | None = None,
    org_codes: Sequence[str] | None = None,
    period_type: str = "month",
    period_starts: Sequence | None = None,
    segments: Sequence[str] = ("all",),
) -> pd.DataFrame:
    """Returns published values, scoped and disclosure-controlled.

    Each argument left as None places no filter. Org codes outside the scope are dropped
    silently, so a crafted request for another locality returns no rows. Suppressed rows
    come back with `suppressed` true and NULL counts, value, limits and comparisons
    ('suppressed'); a comparison against a suppressed parent or system row is
    'not compared' (`parent_suppressed`, `system_suppressed` say which). The
    comparisons are at 95% (`comparison_parent`, `comparison_system`) and 99.8%
    (`comparison_parent_998`, `comparison_system_998`), by the rule of docs/metrics.md
    ("Comparisons").
    """
    filters, parameters = _value_filters(
        metric_ids=metric_ids, levels=levels, org_codes=org_codes,
        period_starts=period_starts, segments=segments,
    )  # fmt: skip
    parameters.update(visible=sorted(visible(scope)), period_type=period_type, mask=masks())
    sql = VALUES_SQL.format(
        keys=", ".join(_key(column) for column in KEY_COLUMNS),
        masked=", ".join(
            f"CASE WHEN $mask AND v.suppressed THEN NULL ELSE v.{column} END AS {column}"
            for column in MASKED_COLUMNS
        ),
        filters="AND v.period_type = $period_type " + filters,
        verdicts=",\n       ".join(
            VERDICT_SQL.format(verdict=verdict, hidden=hidden)
            for verdict, hidden in VERDICTS.items()
        ),
    )
    return _query(sql, parameters)


def masks() -> bool:
    """Returns whether suppressed rows are masked for the signed-in user: always, unless
    the app's setting `analysts_see_small_numbers` is on and their role may see small
    numbers. Outside a request (no user) rows are always masked."""
    return not roles.current_can("see_small_numbers")


def _key(column: str) -> str:
    # A row served unmasked is not suppressed for its reader: pages then show its figure.
    return "(v.suppressed AND $mask) AS suppressed" if column == "suppressed" else f"v.{column}"


def _value_filters(**lists) -> tuple[str, dict]:
    clauses, parameters = [], {}
    columns = {"metric_ids": "metric_id", "levels": "level", "org_codes": "org_code",
               "period_starts": "period_start", "segments": "segment"}  # fmt: skip
    for name, chosen in lists.items():
        if chosen is not None:
            clauses.append(f"AND list_contains(${name}, v.{columns[name]})")
            parameters[name] = list(chosen)
    return " ".join(clauses), parameters


# Nearest-neighbour peers (metrics/peers.py; docs/metrics.md, "Peer groups").
PEER_VARIABLES = (
    ("list_size", "List size"),
    ("pct_aged_65plus", "% aged 65+"),
    ("deprivation", "% in most deprived IMD quintile"),
    ("prevalence", "Diabetes prevalence %"),
)
PEER_COLUMNS = ("peer_code", "peer_name", "rank", "distance",
                *(column for column, _ in PEER_VARIABLES), "in_scope")  # fmt: skip
PEER_TABLE_SQL = """
SELECT g.level, g.org_code, g.peer_code, g.rank, g.distance, {variables}
FROM peer_groups g
JOIN peer_variables v ON v.level = g.level AND v.org_code = g.peer_code
ORDER BY g.level, g.org_code, g.rank
"""


def peers(scope: Scope, org_code: str) -> pd.DataFrame:
    """Returns the org's peer group (PEER_COLUMNS), nearest first; empty for an org outside
    the scope or without a peer group. A peer outside the scope keeps only its rank
    (`in_scope` false; code, name, distance and variables NULL): as everywhere else, a
    reader is not told which orgs lie outside their scope, and the peer benchmark is the
    only thing they get that is derived from those orgs' figures."""
    shown = visible(scope)
    table = _per_snapshot("peer_groups", _read_peer_groups)
    rows = table[table["org_code"] == org_code] if org_code in shown else table.iloc[0:0]
    names = _all_org_units()[["level", "org_code", "org_name"]]
    names = names.rename(columns={"org_code": "peer_code", "org_name": "peer_name"})
    rows = rows.merge(names, on=["level", "peer_code"], how="left")
    rows["in_scope"] = rows["peer_code"].isin(shown)
    hidden = ["distance", *(column for column, _ in PEER_VARIABLES)]
    rows[hidden] = rows[hidden].astype(float).where(rows["in_scope"])
    rows[["peer_code", "peer_name"]] = rows[["peer_code", "peer_name"]].where(rows["in_scope"])
    return rows.reindex(columns=list(PEER_COLUMNS)).reset_index(drop=True)


def _read_peer_groups(cursor) -> pd.DataFrame:
    # Snapshots published before peer groups existed have none.
    if not _has_table(cursor, "peer_groups"):
        keys = ["level", "org_code", "peer_code", "rank", "distance"]
        return pd.DataFrame(columns=keys + [column for column, _ in PEER_VARIABLES])
    columns = ", ".join(f"v.{column}" for column, _ in PEER_VARIABLES)
    return cursor.execute(PEER_TABLE_SQL.format(variables=columns)).df()


def peer_variables(scope: Scope, org_code: str) -> dict | None:
    """Returns the org's own peer variables (PEER_VARIABLES) with `orgs_at_level` (how many
    orgs of its level have them all, so whether a full 10 peers was possible), or None for
    an org outside the scope or without them."""
    table = _per_snapshot("peer_variables", _read_peer_variables)
    rows = table[table["org_code"] == org_code]
    if org_code not in visible(scope) or rows.empty:
        return None
    row = rows.iloc[0].to_dict()
    row["orgs_at_level"] = int((table["level"] == row["level"]).sum())
    return row


def _read_peer_variables(cursor) -> pd.DataFrame:
    if not _has_table(cursor, "peer_variables"):
        return pd.DataFrame(columns=["level", "org_code", *(c for c, _ in PEER_VARIABLES)])
    return cursor.execute("SELECT * FROM peer_variables ORDER BY level, org_code").df()


def _has_table(cursor, name: str) -> bool:
    return bool(cursor.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()[0])  # fmt: skip


PEER_BENCHMARK_COLUMNS = (
    "metric_id", "period_type", "period_start", "level", "org_code", "segment", "suppressed",
    "peer_value", "peers_used", "comparison_peer", "comparison_peer_998",
)  # fmt: skip
PEER_BENCHMARKS_SQL = """
SELECT v.metric_id, v.period_type, v.period_start, v.level, v.org_code, v.segment,
       (v.suppressed AND $mask) AS suppressed,
       CASE WHEN $mask AND v.suppressed THEN NULL ELSE p.peer_value END AS peer_value,
       CASE WHEN $mask AND v.suppressed THEN NULL ELSE p.peers_used END AS peers_used,
       CASE WHEN $mask AND v.suppressed THEN 'suppressed' ELSE p.comparison_peer END
           AS comparison_peer,
       CASE WHEN $mask AND v.suppressed THEN 'suppressed' ELSE p.comparison_peer_998 END
           AS comparison_peer_998
FROM indicator_values v
JOIN peer_values p USING (metric_id, period_type, period_start, level, org_code, segment)
WHERE list_contains($visible, v.org_code) AND v.period_type = $period_type {filters}
ORDER BY v.metric_id, v.level, v.org_code, v.segment, v.period_start
"""


def peer_benchmarks(
    scope: Scope,
    metric_ids: Sequence[str] | None,
    org_codes: Sequence[str],
    period_type: str = "month",
    period_starts: Sequence | None = None,
    segments: Sequence[str] = ("all",),
) -> pd.DataFrame:
    """Returns the peer benchmark of each chosen practice or network row (the median of its
    unsuppressed peers' values, `peers_used` of them; NULL where fewer than 5) and the
    verdicts against it at 95% and 99.8% (`comparison_peer`, `_998`), scoped and masked
    like `values`: a suppressed row is 'suppressed' with no benchmark. Org codes outside
    the scope are dropped silently; other levels have no rows; `metric_ids` None is every
    indicator."""
    if not _has_table(_cursor(), "peer_values"):
        return pd.DataFrame(columns=list(PEER_BENCHMARK_COLUMNS))
    filters, parameters = _value_filters(
        metric_ids=metric_ids, org_codes=org_codes, period_starts=period_starts,
        segments=segments,
    )  # fmt: skip
    parameters.update(visible=sorted(visible(scope)), period_type=period_type, mask=masks())
    return _query(PEER_BENCHMARKS_SQL.format(filters=filters), parameters)


SPC_POINTS_SQL = """
SELECT metric_id, level, org_code, segment, period_start,
       CASE WHEN $mask AND suppressed THEN NULL ELSE value END AS value,
       mean, lower_limit, upper_limit,
       CASE WHEN $mask AND suppressed THEN NULL ELSE rule END AS rule,
       CASE WHEN $mask AND suppressed THEN NULL ELSE point_type END AS point_type,
       suppressed AND $mask AS suppressed,
       phase, in_limits, excluded_reason
FROM spc_points
WHERE list_contains($visible, org_code) AND list_contains($metric_ids, metric_id)
  AND list_contains($org_codes, org_code) AND segment = $segment
ORDER BY metric_id, org_code, period_start
"""

# Icons are published only for a charted series; the CASE makes sure of it on the server.
SPC_SUMMARY_SQL = """
SELECT metric_id, level, org_code, segment,
       CASE WHEN status = 'charted' THEN variation END AS variation,
       CASE WHEN status = 'charted' THEN assurance END AS assurance, status, points
FROM spc_summary
WHERE list_contains($visible, org_code) AND list_contains($metric_ids, metric_id)
  AND list_contains($org_codes, org_code) AND segment = $segment
ORDER BY metric_id, org_code
"""

SPC_ANNOTATIONS_SQL = """
SELECT metric_id, org_code, month, label, recalculate FROM spc_annotations
WHERE metric_id = $metric_id AND (org_code IS NULL OR org_code = $org_code)
  AND list_contains($visible, $org_code)
ORDER BY month, org_code NULLS FIRST, label
"""


def spc_points(
    scope: Scope, metric_ids: Sequence[str], org_codes: Sequence[str], segment: str = "all"
) -> pd.DataFrame:
    """Returns the monthly SPC points of the chosen series, scoped: value, mean, process
    limits, rule, point type, `phase` (0, then +1 at each recalculating change point),
    `in_limits` (the point was used for its phase's mean and limits) and `excluded_reason`
    ('suppressed', 'lead_in', 'provisional' or None). A suppressed month has no value, rule
    or point type; a phase with too few points has no mean or limits."""
    parameters = _series_parameters(scope, metric_ids, org_codes, segment)
    return _query(SPC_POINTS_SQL, {**parameters, "mask": masks()})


def spc_summary(
    scope: Scope, metric_ids: Sequence[str], org_codes: Sequence[str], segment: str = "all"
) -> pd.DataFrame:
    """Returns the chosen series' icons, scoped: `variation` and `assurance` (None unless
    `status` is 'charted'), `status` ('charted', 'too_few_points', 'last_point_suppressed'
    or 'all_suppressed') and `points` (unsuppressed points in the last phase)."""
    return _query(SPC_SUMMARY_SQL, _series_parameters(scope, metric_ids, org_codes, segment))


def spc_annotations(scope: Scope, metric_id: str, org_code: str) -> pd.DataFrame:
    """Returns the change points the published chart of one series used (metric_id,
    org_code (None for every org), month, label, recalculate), oldest first; nothing for
    an org outside the scope."""
    parameters = {"visible": sorted(visible(scope)), "metric_id": metric_id, "org_code": org_code}
    return _query(SPC_ANNOTATIONS_SQL, parameters)


def _series_parameters(scope, metric_ids, org_codes, segment) -> dict:
    return {
        "visible": sorted(visible(scope)),
        "metric_ids": list(metric_ids),
        "org_codes": list(org_codes),
        "segment": segment,
    }


def feed_status() -> pd.DataFrame:
    """Returns per feed: files loaded and rejected, latest load and file, rows accepted and
    quarantined, and the dates the feed covers (date_from, date_to)."""
    return _query("SELECT * FROM feed_status ORDER BY feed")


def quarantine_by_rule() -> pd.DataFrame:
    """Returns rows quarantined by feed and rule, most first within each feed."""
    return _query("SELECT * FROM quarantine_by_rule ORDER BY feed, rows DESC")


# A publish in progress and how the last one ended (metrics.serving): names, stages and
# times, never a value. Who ran it, its process and a draft's build only for those who may
# see drafts; viewers hear of a build whose snapshot they will see.
PUBLISHER_FIELDS = ("published_by", "pid", "host", "process_started")


def building() -> dict | None:
    """Returns the snapshot a publish is building now, as the user may know of it, or None."""
    return _publish_record(serving.building(configured_settings()))


def last_publish() -> dict | None:
    """Returns how the last publish ended, as the user may know of it, or None."""
    return _publish_record(serving.last_publish(configured_settings()))


def _publish_record(record: dict | None) -> dict | None:
    if record is None or roles.current_can(SEE_DRAFTS):
        return record
    if record.get("draft"):
        return None
    return {key: value for key, value in record.items() if key not in PUBLISHER_FIELDS}


def level_label(level: str) -> str:
    """Returns a level's display name: the `level_labels` setting's (e.g. "PCN" for
    network), else the level's own name, capitalised."""
    labels = _reader.settings.level_labels if _reader is not None else {}
    return str(labels.get(level, level.capitalize()))
