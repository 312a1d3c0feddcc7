"""What the Targets page shows and does, apart from drawing it: the targets in force and
their history in words, the form's choices, and add, edit and end as one function each.

Each action reads the values the browser sent (text; anything else is refused with 400),
turns them into a `wholesystem.targets.TargetSpec`, checks that the org is within the
user's scope, and writes through `wholesystem.targets` (which checks the rest and keeps
the history); a bad value changes nothing and gets one sentence (TargetError).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard import access
from dashboard.pages.users_admin_data import when
from dashboard.scope import Scope
from wholesystem import targets
from wholesystem.settings import Settings
from wholesystem.targets import Target, TargetError, TargetSpec

EVERY_ORG = "*"  # the org picker's "Every organisation" (no org code has a "*")
NEW = "new"  # the target picker's "a new target"
EVERYWHERE = "Every organisation"
FORM_FIELDS = ("metric", "org", "value", "lower", "upper", "valid_from", "valid_to",
               "trajectory", "reason")  # fmt: skip
COLUMNS = {
    "id": "Id", "indicator": "Indicator", "org": "Organisation", "months": "Months",
    "target": "Target", "trajectory": "Trajectory", "reason": "Why", "set_by": "Set by",
    "set_at": "Set at",
}  # fmt: skip
HISTORY_COLUMNS = {
    **COLUMNS, "state": "State", "ended_by": "Ended by", "ended_at": "Ended at",
    "replaces": "Replaces",
}  # fmt: skip


def indicator_options() -> list[dict]:
    """The indicators a target can be set on (those with a better direction), by title."""
    frame = access.indicators()
    frame = frame[frame["improvement"].isin(["increase", "decrease"])].sort_values("title")
    return [{"label": f"{row.title} ({row.id})", "value": row.id} for row in frame.itertuples()]


def org_options(scope: Scope) -> list[dict]:
    """Every organisation (for a whole-system user), then each org at or beneath the
    scope's (not the benchmarks above it, which the scope may see but not set for)."""
    orgs = access.org_units(scope)
    settable = access.own(scope)
    options = [{"label": EVERYWHERE, "value": EVERY_ORG}] if scope.is_whole_system else []
    for level, code, name in zip(orgs["level"], orgs["org_code"], orgs["org_name"], strict=True):
        if code in settable:
            label = f"{access.level_label(level)}: {name} ({code})"
            options.append({"label": label, "value": code})
    return options


def target_options(settings: Settings, scope: Scope) -> list[dict]:
    """ "A new target", then each target in force within the scope."""
    titles = _titles()
    options = [{"label": "A new target", "value": NEW}]
    for target in _within(targets.list_targets(settings), scope, editable=True):
        where = target.org_code or "every organisation"
        label = f"#{target.id} {titles.get(target.metric_id, target.metric_id)}, {where}"
        options.append({"label": label, "value": str(target.id)})
    return options


def in_force_rows(settings: Settings, scope: Scope) -> list[dict[str, str]]:
    """The targets in force within the scope, in words."""
    titles, names = _titles(), _org_names()
    return [_row(t, titles, names) for t in _within(targets.list_targets(settings), scope)]


def history_rows(settings: Settings, scope: Scope) -> list[dict[str, str]]:
    """Every record (in force and ended) within the scope, newest first, in words."""
    titles, names = _titles(), _org_names()
    records = _within(targets.list_targets(settings, in_force_only=False), scope)
    return [_history_row(t, titles, names) for t in sorted(records, key=lambda t: -t.id)]


def form_values(settings: Settings, chosen: str, scope: Scope) -> dict[str, str]:
    """The form's fields for a chosen target (empty for a new one)."""
    target = chosen_target(settings, chosen, scope) if chosen not in ("", NEW) else None
    if target is None:
        return dict.fromkeys(FORM_FIELDS, "") | {"org": EVERY_ORG}
    return {
        "metric": target.metric_id, "org": target.org_code or EVERY_ORG,
        "value": _plain(target.value), "lower": _plain(target.lower),
        "upper": _plain(target.upper), "valid_from": _month(target.valid_from),
        "valid_to": _month(target.valid_to),
        "trajectory": targets.format_trajectory(target.trajectory, "\n"),
        "reason": "",  # each change needs its own reason
    }  # fmt: skip


def add(settings: Settings, form: dict, scope: Scope, by: str | None) -> str:
    """Adds the target the form describes; returns one sentence."""
    target = targets.add_target(settings, spec_from_form(form, scope), by)
    return f"Target #{target.id} added."


def edit(settings: Settings, form: dict, scope: Scope, by: str | None) -> str:
    """Replaces the chosen target with the form's (the old record is ended and kept)."""
    old = _required_target(settings, form, scope)
    target = targets.edit_target(settings, old.id, spec_from_form(form, scope), by)
    return f"Target #{old.id} ended and replaced by #{target.id}."


def end(settings: Settings, form: dict, scope: Scope, by: str | None) -> str:
    """Ends the chosen target (who and when are recorded)."""
    old = _required_target(settings, form, scope)
    targets.end_target(settings, old.id, by)
    return f"Target #{old.id} ended."


def spec_from_form(form: dict[str, str], scope: Scope) -> TargetSpec:
    """The TargetSpec of the form's text; raises TargetError (one sentence)."""
    if not form["metric"]:
        raise TargetError("choose an indicator")
    org = None if form["org"] in ("", EVERY_ORG) else form["org"]
    check_org_in_scope(org, scope)
    return TargetSpec(
        metric_id=form["metric"], org_code=org,
        valid_from=targets.parse_month(form["valid_from"], "valid from"),
        valid_to=targets.parse_month(form["valid_to"], "valid to"),
        value=targets.parse_number(form["value"], "value"),
        lower=targets.parse_number(form["lower"], "lower threshold"),
        upper=targets.parse_number(form["upper"], "upper threshold"),
        trajectory=targets.parse_trajectory(form["trajectory"], numbered=True),
        reason=form["reason"],
    )  # fmt: skip


def check_org_in_scope(org: str | None, scope: Scope) -> None:
    """Refuses an org outside the user's scope, and "every organisation" to a user whose
    scope is narrower than the whole system."""
    if org is None and not scope.is_whole_system:
        raise TargetError("only a whole-system user can set a target for every organisation")
    if org is not None and org not in access.own(scope):
        raise TargetError(f"org code {org!r} is not in your scope")


def chosen_target(settings: Settings, chosen: str, scope: Scope) -> Target | None:
    """The target in force with the chosen id, within the scope, or None."""
    if not chosen.isdigit():
        return None
    target = targets.get_target(settings, int(chosen))
    if target is None or not target.in_force or not _within([target], scope, editable=True):
        return None
    return target


def _required_target(settings: Settings, form: dict, scope: Scope) -> Target:
    target = chosen_target(settings, form.get("chosen", ""), scope)
    if target is None:
        raise TargetError("choose a target in force to change")
    return target


def _within(records: list[Target], scope: Scope, editable: bool = False) -> list[Target]:
    """The records a scope sees: for its orgs, and (to read, not to change) for every org."""
    if scope.is_whole_system:
        return list(records)
    settable = access.own(scope)
    shown = [None] if not editable else []
    return [t for t in records if t.org_code in settable or t.org_code in shown]


def _row(target: Target, titles: dict, names: dict) -> dict[str, str]:
    return {
        "id": str(target.id), "indicator": titles.get(target.metric_id, target.metric_id),
        "org": names.get(target.org_code, target.org_code) if target.org_code else EVERYWHERE,
        "months": months_text(target), "target": value_text(target),
        "trajectory": _trajectory_words(target.trajectory), "reason": target.reason,
        "set_by": target.set_by or "–", "set_at": _when(target.set_at),
    }  # fmt: skip


def _history_row(target: Target, titles: dict, names: dict) -> dict[str, str]:
    return _row(target, titles, names) | {
        "state": "In force" if target.in_force else "Ended",
        "ended_by": target.ended_by or "–", "ended_at": _when(target.ended_at),
        "replaces": f"#{target.replaces}" if target.replaces else "–",
    }  # fmt: skip


def months_text(target: Target) -> str:
    """ "From 2025-04 to 2026-03", "From 2025-04", "Until 2026-03" or "Every month"."""
    start, stop = _month(target.valid_from), _month(target.valid_to)
    if start and stop:
        return f"From {start} to {stop}"
    return f"From {start}" if start else f"Until {stop}" if stop else "Every month"


def value_text(target: Target) -> str:
    """ "70", "thresholds 45 to 80" or "70 (thresholds 45 to 80)"."""
    thresholds = (
        f"thresholds {_plain(target.lower)} to {_plain(target.upper)}"
        if target.lower is not None
        else ""
    )
    if target.value is None:
        return thresholds
    return _plain(target.value) + (f" ({thresholds})" if thresholds else "")


def _trajectory_words(trajectory: dict) -> str:
    if not trajectory:
        return "None"
    months = list(trajectory)
    return f"{len(months)} months, {months[0]:%Y-%m} to {months[-1]:%Y-%m}"


def _titles() -> dict[str, str]:
    frame = access.indicators()
    return dict(zip(frame["id"], frame["title"], strict=True))


def _org_names() -> dict[str, str]:
    orgs = access.org_units(Scope.whole_system())
    codes, names = orgs["org_code"], orgs["org_name"]
    return {code: f"{name} ({code})" for code, name in zip(codes, names, strict=True)}


def _plain(value) -> str:
    return "" if value is None or pd.isna(value) else f"{value:g}"


def _month(month: date | None) -> str:
    return "" if month is None else f"{month:%Y-%m}"


def _when(stamp: str | None) -> str:
    return when(stamp) or "–"
