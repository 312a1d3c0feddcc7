"""Alert digests: after each release, one digest per subscribed user of what turned.

`after_release(settings, version)` runs after a release (`wholesystem publish` not as a
draft, `wholesystem release`, the Snapshots page's Release button). For each user with
subscriptions (an indicator at an org) it compares each subscribed series' latest month
in the released snapshot with the month before, and, when the user's previous digest was
of a snapshot whose last month is older, every month since that one with the month before
it. What turned, in a month:

- **a new special cause**: the month's SPC point is a special cause (of concern, of
  improvement, or neutral) that the month before was not (both months shown);
- **an assurance change**: the assurance of the month's process limits against the target
  in force (`targets_live.assurance_for`, i.e. `metrics.assurance`) differs from the
  month before's;
- **a threshold crossed**: the value moved across a threshold of the target in force in
  the month (`targets_live.thresholds`: lower, upper or the single target), either way;
- **off trajectory**: the value misses the trajectory's planned value
  (`targets_live.on_track_for`) having met it the month before.

Every read goes through `dashboard.access` inside `access.reading(version)` with the
user's scope, and outside any request (a request's user would decide the masking), so
suppressed rows are always masked, and nothing is said of a month whose point is
suppressed: a crossing or a trajectory needs both months shown, and an assurance change
the month's point shown, as the pages show no assurance icon otherwise. A subscription
to an org no longer in the user's scope (its org and those beneath it) yields nothing. A
digest with nothing turned is still written, so the user knows of the release, except
when the release holds no month after the one of the user's previous digest (an older
snapshot released again): then nothing is written, since no month is newer than what
they were last told of.

E-mail follows when an SMTP host is set (`wholesystem.mailer`), to confirmed addresses
only: setting an address sends its owner a one-time link (`request_confirmation`, the
token kept hashed in `alerts_store`, valid for a day) that confirms it for the signed-in
user. A failure is recorded on the digest and never raises through the release. The
commands send inline; a release from the web page writes the digests in the request and
sends from a daemon thread, so a slow or dead mail server never holds the admin's request.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable
from datetime import date
from itertools import groupby

import flask
import pandas as pd

from dashboard import access, formats, targets_live, users
from dashboard.pages.networks_data import target_status
from wholesystem import alerts_store, mailer
from wholesystem.settings import Settings

LOG = logging.getLogger(__name__)
SPECIAL = ("improvement", "concern", "neutral")
SPECIAL_WORDS = {
    "improvement": "a new special cause of improvement",
    "concern": "a new special cause of concern",
    "neutral": "a new special cause (neither better nor worse)",
}
RULE_WORDS = {
    "outside_limits": "a point outside the process limits",
    "trend": "a trend",
    "two_in_three": "two of three points near a limit",
    "shift": "a run on one side of the mean",
}
ASSURANCE_WORDS = {
    "consistent_pass": "consistently meeting the target",
    "consistent_fail": "consistently missing the target",
    "inconsistent": "sometimes meeting the target",
}
NOTHING = "Nothing turned in your subscriptions in this release."
ALERTS_PATH = "/alerts"
CONFIRM_PATH = "/alerts/confirm"  # + "/<token>": the e-mail confirmation link
CONFIRM_SUBJECT = "wholesystem alerts: confirm your e-mail address"


SENDER_THREAD = "wholesystem-alert-mail"


def after_release(settings: Settings, version: str) -> int:
    """Writes one digest per user with subscriptions for the released `version` (none
    again for a (user, version) that has one) and e-mails them when SMTP is set; returns
    the number of digests written. Inside a web request the digests are written in a
    thread of its own, outside the request, so the releasing admin's role never unmasks a
    row, and the e-mail goes from a daemon thread the request does not wait for."""
    if not flask.has_request_context():
        written = _after_release(settings, version)
        if mailer.enabled(settings):
            send_unsent(settings, version)
        return written
    written = _outside_request(_after_release, settings, version)
    if mailer.enabled(settings):
        send_in_background(settings, version)
    return written


def _outside_request(work: Callable, *arguments):
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = work(*arguments)
        except Exception as error:  # carried back to the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, name="wholesystem-alerts")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def send_in_background(settings: Settings, version: str) -> threading.Thread:
    """Starts `send_unsent` for `version` on a daemon thread and returns it; a failure is
    recorded on each digest (and anything else logged), for `wholesystem alerts send`."""

    def run():
        try:
            send_unsent(settings, version)
        except Exception:  # nobody waits on this thread: the log is where it shows
            LOG.exception("alert e-mails for %s failed", version)

    thread = threading.Thread(target=run, name=SENDER_THREAD, daemon=True)
    thread.start()
    return thread


def safely_after_release(settings: Settings, version: str, say: Callable[[str], None]) -> None:
    """`after_release` for the release commands and page: any failure is reported in one
    sentence through `say` and logged, and never undoes or fails the release."""
    try:
        written = after_release(settings, version)
    except Exception as error:  # the release stands whatever happens here
        LOG.exception("alert digests for %s failed", version)
        say(f"the release stands, but its alert digests could not be written ({error})")
        return
    if written:
        say(f"wrote {written} alert digest(s)")


def _after_release(settings: Settings, version: str) -> int:
    subscribed = alerts_store.subscriptions(settings)
    if not subscribed:
        return 0
    _configure(settings)
    written = 0
    with access.reading(version):
        months = access.months()
        for user, theirs in groupby(subscribed, key=lambda s: s.user):
            written += _digest_for(settings, version, months, user, list(theirs))
    return written


def _configure(settings: Settings) -> None:
    # The command line has not configured `access`; the web app has, with these settings.
    try:
        configured = access.configured_settings()
    except RuntimeError:
        configured = None
    if configured is None or configured.serving_dir != settings.serving_dir:
        access.configure(settings)


def _digest_for(settings, version, months, user, theirs) -> int:
    account = users.get_user(settings, user)
    if account is None or not account.active:
        return 0
    previous = alerts_store.latest_digest(settings, user)
    if previous is not None and previous.version == version:
        return 0  # idempotent: this release already has this user's digest
    since = date.fromisoformat(previous.last_month) if previous and previous.last_month else None
    judged = judged_months(months, since)
    if since is not None and not judged:
        return 0  # an older snapshot released again: no month newer than the last digest's
    pairs = [(s.metric_id, s.org_code) for s in theirs]
    items = turned(account.scope, pairs, months, judged)
    written = alerts_store.write_digest(
        settings, user, version, previous.version if previous else None,
        months[-1].isoformat() if months else None, items,
    )  # fmt: skip
    return int(written is not None)


def judged_months(months: list[date], since: date | None) -> list[date]:
    """The months compared with the month before: the latest, and every month after
    `since` (the last month of the user's previous digest) when that is older; none when
    no month is after `since` (an older snapshot released again)."""
    if len(months) < 2 or (since is not None and months[-1] <= since):
        return []
    later = [month for month in months[1:] if since is not None and month > since]
    return later or [months[-1]]


def turned(scope, pairs, months: list[date], judged: list[date]) -> list[dict]:
    """The items of what turned in the judged months for the (metric_id, org_code) pairs
    within the scope, read through `access` (the block's snapshot, masked)."""
    visible = access.own(scope)  # its org and beneath: not the benchmarks above it
    indicators = access.indicators().set_index("id")
    pairs = [(m, o) for m, o in pairs if o in visible and m in indicators.index]
    if not pairs or not judged:
        return []
    orgs = access.org_units(scope).set_index("org_code")
    points = access.spc_points(scope, sorted({m for m, _ in pairs}), sorted({o for _, o in pairs}))
    points["month"] = pd.to_datetime(points["period_start"]).dt.date
    book = targets_live.book()
    items = []
    for metric_id, org_code in pairs:
        indicator = {"id": metric_id, **indicators.loc[metric_id].to_dict()}
        series = points[(points["metric_id"] == metric_id) & (points["org_code"] == org_code)]
        by_month = {row["month"]: row for row in series.to_dict("records")}
        org = {"org_code": org_code, **orgs.loc[org_code].to_dict()}
        for month in judged:
            before = months[months.index(month) - 1]
            if month in by_month and before in by_month:
                now, then = by_month[month], by_month[before]
                items += _items(indicator, org, now, then, book)
    return items


def _items(indicator: dict, org: dict, now: dict, then: dict, book) -> list[dict]:
    found = [
        _special_cause(now, then),
        _assurance(indicator, org["org_code"], now, then, book),
        *_thresholds(indicator, org["org_code"], now, then, book),
        _trajectory(indicator, org["org_code"], now, then, book),
    ]
    return [_item(indicator, org, now, kind, text) for kind, text in filter(None, found)]


def _shown(point: dict) -> bool:
    return not point["suppressed"] and not pd.isna(point["value"])


def _special_cause(now: dict, then: dict):
    if not (_shown(now) and _shown(then)) or now["point_type"] not in SPECIAL:
        return None
    if then["point_type"] == now["point_type"]:
        return None
    rule = RULE_WORDS.get(now["rule"])
    return "special_cause", SPECIAL_WORDS[now["point_type"]] + (f" ({rule})" if rule else "")


def _assurance(indicator, org_code, now: dict, then: dict, book):
    if not _shown(now):  # as the pages: no assurance icon where the month's point is not
        return None
    judged = [
        targets_live.assurance_for(
            indicator, org_code, p["month"], p["lower_limit"], p["upper_limit"], book
        )
        for p in (then, now)
    ]
    if None in judged or judged[0] == judged[1]:
        return None
    before, after = (ASSURANCE_WORDS[a] for a in judged)
    return "assurance", f"assurance changed from {before} to {after}"


def _thresholds(indicator, org_code, now: dict, then: dict, book) -> list:
    if not (_shown(now) and _shown(then)):
        return []
    improvement = indicator.get("improvement")
    target = book.target(indicator["id"], org_code, now["month"])
    lower, upper = targets_live.thresholds(target, improvement)
    named = [("the target", upper)] if lower == upper or pd.isna(lower) else [
        ("the lower threshold", lower), ("the upper threshold (the target)", upper)
    ]  # fmt: skip
    crossed = []
    for name, threshold in named:
        if threshold is None or pd.isna(threshold):
            continue
        before, after = (
            target_status(p["value"], False, threshold, threshold, improvement) for p in (then, now)
        )
        if before != after and {before, after} == {"met", "not_met"}:
            level = f"{threshold:g}" + ("%" if formats.is_percentage(indicator["unit"]) else "")
            crossed.append(("threshold", _crossing(name, level, after == "met", improvement)))
    return crossed


def _crossing(name: str, threshold: str, better: bool, improvement: str) -> str:
    if improvement == "increase":
        move = "rose to or above" if better else "fell below"
    else:
        move = "fell to or below" if better else "rose above"
    return f"{move} {name} of {threshold}: {'better' if better else 'worse'}"


def _trajectory(indicator, org_code, now: dict, then: dict, book):
    on = [
        targets_live.on_track_for(indicator, org_code, p["month"], p["value"], book)
        for p in (then, now)
    ]
    if on[0] is not True or on[1] is not False:
        return None
    planned = targets_live.planned_for(indicator, org_code, now["month"], book)
    plan = formats.number(planned, indicator.get("unit", ""), indicator.get("target_value"))
    return "trajectory", f"newly off trajectory (planned {plan})"


def _item(indicator: dict, org: dict, point: dict, kind: str, text: str) -> dict:
    suppressed = not _shown(point)
    value = "suppressed" if suppressed else formats.number(
        point["value"], indicator.get("unit", ""), indicator.get("target_value")
    )  # fmt: skip
    link = f"/indicator/{indicator['id']}?level={org['level']}&org={org['org_code']}"
    return {
        "metric_id": indicator["id"], "title": indicator["title"],
        "org_code": org["org_code"], "org_name": org["org_name"],
        "month": point["month"].isoformat(), "kind": kind, "text": text,
        "value": value, "link": link,
    }  # fmt: skip


# ----------------------------------------------------------------------------- e-mail


def send_unsent(settings: Settings, version: str | None = None) -> tuple[int, int]:
    """E-mails the digests not yet sent (of one version, or all) to users with a
    confirmed address (others are left unsent); returns (sent, failed). A failure is
    recorded on its digest, never raised."""
    sent = failed = 0
    for digest in alerts_store.unsent(settings, version):
        address = users.confirmed_email_of(settings, digest.user)
        if not address:
            continue
        try:
            mailer.send(settings, address, subject(digest), *bodies(settings, digest))
        except mailer.MailError as error:
            alerts_store.record_email(settings, digest.id, str(error))
            failed += 1
        else:
            alerts_store.record_email(settings, digest.id, None)
            sent += 1
    return sent, failed


def request_confirmation(settings: Settings, user: str, address: str) -> None:
    """E-mails `address` a one-time link that confirms it for `user` (signed in) within
    a day, replacing any earlier link; raises MailError (one sentence) when it cannot be
    sent, keeping no link. The caller has set the address (unconfirmed) and e-mail is on."""
    token = alerts_store.start_confirmation(settings, user, address)
    link = f"{settings.public_url or ''}{CONFIRM_PATH}/{token}"
    hours = int(alerts_store.CONFIRMATION_LIFETIME.total_seconds() // 3600)
    text = (
        f"Someone signed in to wholesystem as {user} asked for alert digests to be e-mailed "
        f"to this address. To confirm, open this link while signed in as {user}, within "
        f"{hours} hours:\n\n{link}\n\nIf it was not you, ignore this e-mail: nothing is "
        "sent here until the link is opened.\n"
    )
    markup = "".join(f"<p>{html.escape(part)}</p>" for part in text.strip().split("\n\n"))
    markup = markup.replace(
        html.escape(link), f'<a href="{html.escape(link)}">{html.escape(link)}</a>'
    )
    try:
        mailer.send(settings, address, CONFIRM_SUBJECT, text, markup)
    except mailer.MailError:
        alerts_store.drop_confirmation(settings, user)
        raise


def confirm(settings: Settings, user: str, token: str) -> str | None:
    """Confirms the address of `user`'s pending link when `token` is its token (one use,
    within a day, and still their address); returns the address, or None."""
    address = alerts_store.take_confirmation(settings, user, token)
    if address is None or not users.confirm_email(settings, user, address):
        return None
    return address


def subject(digest: alerts_store.Digest) -> str:
    month = month_words(digest.last_month)
    count = len(digest.items)
    what = f"{count} change{'s' if count != 1 else ''}" if count else "nothing turned"
    return f"wholesystem alerts: {what} in the release to {month}"


def item_line(item: dict) -> str:
    """One item in words: "Diabetes BP control, Coastline PCN, October 2026: fell
    below the lower threshold (38%): worse. Value: 37.0%."."""
    return (
        f"{item['title']}, {item['org_name']}, {month_words(item['month'])}: "
        f"{item['text']}. Value: {item['value']}."
    )


def bodies(settings: Settings, digest: alerts_store.Digest) -> tuple[str, str]:
    """The plain-text and HTML bodies of a digest's e-mail."""
    base = settings.public_url or ""
    page = f"{base}{ALERTS_PATH}"
    lines = [item_line(item) + f"\n  {base}{item['link']}" for item in digest.items] or [NOTHING]
    text = (
        f"What turned in your alert subscriptions in the release to "
        f"{month_words(digest.last_month)}:\n\n"
        + "\n".join(f"- {line}" for line in lines)
        + f"\n\nYour alerts page: {page}\n"
    )
    rows = (
        "".join(
            f'<li>{html.escape(item_line(item))} <a href="{html.escape(base + item["link"])}">'
            "Open the indicator</a></li>"
            for item in digest.items
        )
        or f"<li>{NOTHING}</li>"
    )
    markup = (
        f"<p>What turned in your alert subscriptions in the release to "
        f"{html.escape(month_words(digest.last_month))}:</p><ul>{rows}</ul>"
        f'<p><a href="{html.escape(page)}">Your alerts page</a></p>'
    )
    return text, markup


def month_words(iso: str | None) -> str:
    return "an unknown month" if not iso else f"{date.fromisoformat(iso):%B %Y}"
