"""What a board pack shows, gathered through `dashboard.access` (call it inside
`access.reading(version)`, so every read comes from the one snapshot the pack names).

The rows are the board's own (one `board_data.load_board` of every area the pack lists,
and `summary_matrix`), so the pack and the board cannot disagree; the targets and
trajectories are the live ones, from the one book that load read. Everything here is
already scoped and disclosure-controlled: a suppressed value arrives as None with
`suppressed` true and stays that way. A pack is a record others read, so it prints only
approved commentary and counts the metrics whose commentary awaits approval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd

from dashboard import access, targets_live
from dashboard.pages import board_data
from dashboard.pages.status import REFERENCE_FEEDS
from dashboard.scope import Scope
from metrics import serving
from wholesystem import commentary
from wholesystem.errors import UserError
from wholesystem.pack_store import ALL_AREAS
from wholesystem.settings import Settings


class PackError(UserError):
    """A pack that cannot be made as asked: an unknown or unseen area, a month the snapshot
    does not hold, a format or snapshot version that does not exist (one sentence)."""


@dataclass(frozen=True)
class Feed:
    """One feed's freshness on the cover: `stale` when it is behind the snapshot's last
    month (reference feeds, which have no months, never are)."""

    name: str
    latest: str
    stale: bool


@dataclass
class AreaFigures:
    """One metric in one area: the board's row, and the SPC points, change points (None
    for an area listed but not charted) and trajectory of its chart, up to the board month."""

    org_code: str
    org_name: str
    row: dict
    points: pd.DataFrame
    changes: pd.DataFrame | None
    trajectory: dict
    previous: object = None  # the approved commentary of the last board that had one


@dataclass
class Section:
    """One metric: its definition and caveats, every area the pack lists (the pack's area
    first) and the areas it charts (the pack's area, or every area side by side)."""

    indicator: dict
    definition: str
    caveats: list
    areas: list
    charted: list


@dataclass
class Pack:
    """Everything a pack shows, read from one snapshot."""

    version: str
    published_at: pd.Timestamp | None
    released_at: pd.Timestamp | None
    draft: bool
    system_name: str
    area: str  # an area code or ALL
    area_name: str
    month: date
    last_month: date
    freshness: list
    matrices: list  # (area name, summary matrix) for each charted area
    sections: list
    awaiting: int = 0  # metrics whose commentary (of an area charted) awaits approval


def gather(settings: Settings, scope: Scope, area: str, month: date) -> Pack:
    """Returns the pack of an area (or ALL) at a published month, as the scope sees it."""
    areas = board_data.visible_areas(scope).reset_index(drop=True)
    chosen = chosen_areas(areas, area)
    month = checked_month(month)
    # One load of every area listed (the chosen ones first), as the board loads side by side.
    data = board_data.load_board(
        scope, areas, chosen["org_code"].iloc[0], month, True, access.months()[-1]
    )
    names = dict(zip(data.areas["org_code"], data.areas["org_name"], strict=True))
    charted = list(chosen["org_code"])
    rows, awaiting = approved_only(data.rows, charted)
    info = access.snapshot_info()
    entry = _entry(settings, info["version"])
    first = rows[next(iter(names))]
    return Pack(
        version=info["version"],
        published_at=_timestamp(info.get("created_at")),
        released_at=_timestamp(entry.released_at) if entry else None,
        draft=bool(entry.draft) if entry else bool(info.get("draft", False)),
        system_name=_system_name(scope),
        area=area,
        area_name="All areas" if area == ALL_AREAS else names[area],
        month=month,
        last_month=pd.Timestamp(info["last_month"]).date(),
        freshness=freshness(pd.Timestamp(info["last_month"])),
        matrices=[(names[c], board_data.summary_matrix(rows[c])) for c in chosen["org_code"]],
        sections=_with_previous(
            settings, _sections(scope, data.book, first, rows, names, charted, month),
            data.board_period, charted,
        ),
        awaiting=awaiting,
    )  # fmt: skip


def _with_previous(settings, sections: list, board_period: date, charted: list) -> list:
    # "What did we say last time?": each chart's approved commentary of the latest earlier
    # board period that has one, read once for the whole pack.
    said = commentary.latest_before(settings, board_period, charted, approved_only=True)
    for section in sections:
        for figures in section.charted:
            figures.previous = said.get((section.indicator["id"], figures.org_code))
    return sections


def approved_only(rows: dict, charted: list) -> tuple[dict, int]:
    """Returns the rows of each area with only approved commentary left in (a comment not
    yet approved is None), and how many metrics' commentary in the charted areas awaits
    approval."""
    awaiting, kept = set(), {}
    for code, frame in rows.items():
        frame = frame.copy()
        waiting = [c is not None and not c.approved for c in frame["comment"]]
        if code in charted:
            awaiting |= set(frame.loc[waiting, "metric_id"])
        kept_comments = [None if w else c for w, c in zip(waiting, frame["comment"], strict=True)]
        frame["comment"] = pd.Series(kept_comments, index=frame.index, dtype=object)
        kept[code] = frame
    return kept, len(awaiting)


def chosen_areas(areas: pd.DataFrame, area: str) -> pd.DataFrame:
    """Returns the areas a pack is about: every visible one for ALL, else the one named;
    refuses an area the scope cannot see as if it did not exist."""
    if area == ALL_AREAS:
        return areas
    chosen = areas[areas["org_code"] == area]
    if chosen.empty:
        known = ", ".join(f"{r.org_code} ({r.org_name})" for r in areas.itertuples())
        raise PackError(
            f"there is no area {area!r} in snapshot {access.version()} "
            f"(areas: {known or 'none'}, or {ALL_AREAS} for all of them side by side)"
        )
    return chosen


def checked_month(month: date) -> date:
    """Returns the first day of the board date's month; refuses a month not published."""
    first = date(month.year, month.month, 1)
    months = access.months()
    if first not in months:
        raise PackError(
            f"the snapshot {access.version()} holds no month {first:%B %Y} (it covers "
            f"{months[0]:%B %Y} to {months[-1]:%B %Y})"
        )
    return first


def freshness(last_month: pd.Timestamp) -> list[Feed]:
    """Returns each feed's latest month loaded, flagged stale when it is behind the
    snapshot's last month (`board_data.freshness_rows`, as the board shows it)."""
    feeds = []
    for row in board_data.freshness_rows(last_month.date()).to_dict("records"):
        if row["feed"] in REFERENCE_FEEDS:
            latest = "Reference data"
        elif pd.isna(row["date_to"]):
            latest = "no data loaded"
        else:
            latest = f"{pd.Timestamp(row['date_to']):%B %Y}"
        feeds.append(Feed(row["name"], latest, bool(row["stale"])))
    return feeds


def definition_line(indicator: dict) -> str:
    """Returns the indicator's definition in one line: the first sentence of its
    description."""
    text = " ".join(str(indicator.get("description") or "").split())
    first = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text, maxsplit=1)[0]
    return first


def _sections(scope, book, first: pd.DataFrame, rows: dict, names: dict, charted: list, month):
    indicators = {row["id"]: row for row in access.indicators().to_dict("records")}
    ids = first["metric_id"].tolist()
    points = _points(scope, ids, list(names), month)
    sections = []
    for metric_id in ids:
        indicator = indicators[metric_id]
        figures = [
            _figures(scope, book, indicator, (code, names[code]), rows[code], points, charted)
            for code in names
        ]
        sections.append(
            Section(
                indicator=indicator,
                definition=definition_line(indicator),
                caveats=list(indicator.get("caveats") or []),
                areas=figures,
                charted=[f for f in figures if f.org_code in charted],
            )
        )
    return sections


def _figures(scope, book, indicator: dict, org: tuple, rows, points: dict, charted: list):
    # Change points are read only for the charts drawn; an area listed is not charted.
    code, name = org
    drawn = code in charted
    found = rows[rows["metric_id"] == indicator["id"]]
    row = found.iloc[0].to_dict() if not found.empty else {"metric_id": indicator["id"]}
    series = points.get((indicator["id"], code))
    if series is None:
        series = pd.DataFrame(columns=list(_POINT_COLUMNS))
    return AreaFigures(
        org_code=code,
        org_name=name,
        row=row,
        points=series.reset_index(drop=True),
        changes=access.spc_annotations(scope, indicator["id"], code) if drawn else None,
        trajectory=targets_live.trajectory_for(indicator, code, book=book),
    )


_POINT_COLUMNS = (
    "metric_id", "level", "org_code", "segment", "period_start", "value", "mean",
    "lower_limit", "upper_limit", "rule", "point_type", "suppressed", "phase", "in_limits",
    "excluded_reason",
)  # fmt: skip


def _points(scope, ids: list, codes: list, month: date) -> dict:
    frame = access.spc_points(scope, ids, codes)
    frame = frame[pd.to_datetime(frame["period_start"]) <= pd.Timestamp(month)]
    return {key: group for key, group in frame.groupby(["metric_id", "org_code"], sort=False)}


def _system_name(scope: Scope) -> str:
    systems = access.org_units(scope, "system")
    return str(systems["org_name"].iloc[0]) if not systems.empty else "Whole system"


def _entry(settings: Settings, version: str):
    return next((e for e in serving.kept_versions(settings) if e.version == version), None)


def _timestamp(value) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value)
