"""The Data status page's word on publishing: a snapshot being built now, and the last publish.

While a publish runs, a banner says which snapshot is being built, the stage running, when
it began and how long it has run, and how many of about how many stages are done (the
count of the last finished publish). The page keeps it current without a reload: it then
holds a `dcc.Interval` whose callback redraws the banner and switches itself off once
the publish has ended. A publish whose process is gone without removing its marker is said
to have stopped. Below, a line says when the last publish finished (or that it failed).

Everything comes from `access.building`/`access.last_publish`: stage names and times only,
never a value of the snapshot being built; pages go on serving the released snapshot.
Viewers hear only of a build that will reach them (not of a draft's) and not who runs it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dash import Input, Output, dcc, html

from dashboard import access
from metrics.building import moment

BANNER = "status-building"
TICK = "status-building-tick"
REFRESH_MS = 2_000  # often enough to follow a stage of a few seconds, light on the server
OUTCOMES = {"failed": "failed", "interrupted": "was interrupted"}


def section(now: datetime | None = None) -> html.Div:
    """The banner (if a publish is building a snapshot) and the last publish's line, with
    the refreshing interval only while a live publish runs."""
    marker = access.building()
    children = [html.Div(contents(marker, access.last_publish(), now), id=BANNER)]
    if marker is not None and marker["state"] == "building":
        children.append(dcc.Interval(id=TICK, interval=REFRESH_MS))
    return html.Div(children, role="status", **{"aria-live": "polite"})


def refresh(ticks: int | None) -> tuple[list, bool]:
    """The callback: the banner as it is now, and whether to stop refreshing (the publish
    has ended or stopped)."""
    marker = access.building()
    last = access.last_publish()
    live = marker is not None and marker["state"] == "building"
    if not live and last is not None and last.get("outcome") == "finished":
        done = f"{last_line(last)} Reload the page to see it."
        return [html.Div(done, className="alert alert-success", role="alert")], True
    return contents(marker, last, None), not live


def register(app) -> None:
    """Registers the banner's refresh (only fired while the page holds the interval)."""
    app.callback(
        Output(BANNER, "children"), Output(TICK, "disabled"), Input(TICK, "n_intervals"),
        prevent_initial_call=True,
    )(refresh)  # fmt: skip


def contents(marker: dict | None, last: dict | None, now: datetime | None) -> list:
    """The banner for `marker` (none without one) and the line for the `last` publish."""
    now = now or datetime.now(UTC)
    shown = [] if marker is None else [banner(marker, now)]
    if last is not None and (marker is None or last.get("version") != marker.get("version")):
        shown.append(html.P(last_line(last), id="status-last-publish", className="nhs-muted"))
    return shown


def banner(marker: dict, now: datetime) -> html.Div:
    """A live build's progress, or a stopped one's warning."""
    if marker["state"] != "building":
        return html.Div(stopped_text(marker), className="alert alert-warning", role="alert")
    return html.Div(
        [html.Strong(building_text(marker, now)), " ", html.Span(_expectation(marker))],
        id="status-building-banner", className="alert alert-info",
    )  # fmt: skip


def building_text(marker: dict, now: datetime) -> str:
    """ "Snapshot X is being built: stage S (started 00:15:20 UTC, 12 s so far); 2 of ~15
    stages done." """
    what = "Draft snapshot" if marker.get("draft") else "Snapshot"
    done = len(marker.get("done") or [])
    expected = marker.get("expected_stages")
    count = f"{done} of ~{expected}" if expected else f"{done}"
    stage, started = marker.get("stage"), moment(marker.get("stage_started_at"))
    if stage is None or started is None:  # between stages, or writing out after the last
        started = moment(marker.get("started_at"))
        where = f"finishing (started {_clock(started)}, {_since(started, now)} s so far)"
    else:
        where = f"stage {stage} (started {_clock(started)}, {_since(started, now)} s so far)"
    return f"{what} {marker['version']} is being built: {where}; {count} stages done."


def stopped_text(marker: dict) -> str:
    """A build whose process has gone without finishing."""
    stage = marker.get("stage")
    during = f" during stage {stage}" if stage else ""
    return (
        f"Snapshot {marker['version']} was being built (from "
        f"{_clock(moment(marker.get('started_at')))}), but its publish stopped{during} without "
        "finishing. Nothing of it is shown: the pages show the snapshot named below. Publish "
        "again to build a new one."
    )


def last_line(last: dict) -> str:
    """ "The last publish finished at 6 Dec 2026 00:12:03 UTC (snapshot X, 41.5 s)." or
    how it failed."""
    finished = moment(last.get("finished_at"))
    when = f"{finished:%-d %b %Y %H:%M:%S} UTC" if finished else "an unknown time"
    if last.get("outcome") == "finished":
        seconds = last.get("seconds")
        took = f", {seconds:.1f} s" if isinstance(seconds, int | float) else ""
        return f"The last publish finished at {when} (snapshot {last['version']}{took})."
    outcome = OUTCOMES.get(last.get("outcome"), "did not finish")
    stage = last.get("stage")
    during = f" during stage {stage}" if stage else ""
    return (
        f"The last publish (snapshot {last['version']}) {outcome} at {when}{during}; "
        "the snapshot shown is unchanged."
    )


def _expectation(marker: dict) -> str:
    shown = "Pages show the released snapshot until the new one is published"
    if marker.get("draft"):
        shown = "Viewers keep the released snapshot; the draft is released from Snapshots"
    seconds = marker.get("expected_seconds")
    took = f" (the last publish took {seconds:.0f} s)" if isinstance(seconds, int | float) else ""
    return f"{shown}{took}."


def _clock(when: datetime | None) -> str:
    return "an unknown time" if when is None else f"{when.astimezone(UTC):%H:%M:%S} UTC"


def _since(when: datetime, now: datetime) -> int:
    return max(0, round((now - when).total_seconds()))
