"""The `wholesystem` command line: sample, load, status, publish, release, snapshots, pack,
export, users, annotations, alerts, serve, demo.

Every subcommand turns a `UserError` into one line on stderr and exit status 2; argparse
reports bad arguments the same way. Nothing a user can do should print a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sqlite3
import sys
from datetime import date
from pathlib import Path

import duckdb

from metrics.building import Listener
from metrics.calendar import PERIOD_TYPES
from metrics.registry import LEVELS
from wholesystem.errors import UserError
from wholesystem.settings import load_settings


def _month(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month like 2026-10") from None


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= MAX_SCALE:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a scale from above 0 to {MAX_SCALE} (England is about 140)"
        )
    return value


def _months(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_MONTHS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of months from 1 to {MAX_MONTHS}"
        )
    return int(text)


def _seed(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a seed (a whole number, 0 or more)")
    return int(text)


class _Parser(argparse.ArgumentParser):
    """argparse, with a bad argument reported on one line (`--help` gives the usage)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Returns the argument parser for every subcommand."""
    parser = _Parser(prog="wholesystem", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sample = commands.add_parser("sample", help="generate the synthetic sample system")
    sample.add_argument("--out", type=Path, default=Path("sample_data/generated"))
    sample.add_argument("--seed", type=_seed, default=42)
    sample.add_argument("--scale", type=_scale, default=1.0)
    sample.add_argument("--end-month", type=_month, help="last month covered, e.g. 2026-10")
    sample.add_argument("--months", type=_months, default=36)
    sample.add_argument("--feeds", help="comma-separated feeds to write (default: all)")
    load = commands.add_parser("load", help="validate and load feed files into the warehouse")
    load.add_argument("files", nargs="+", type=Path)
    load.add_argument("--feed", help="the feed, when the header does not say it")
    load.add_argument(
        "--explain", action="store_true",
        help="print how each file's header matches a feed (columns mapped, ignored, missing) "
        "and its encoding; load nothing",
    )  # fmt: skip
    demo = commands.add_parser(
        "demo", help="generate, load and publish the sample system, then serve the dashboard"
    )
    demo.add_argument("--seed", type=_seed, default=42)
    demo.add_argument("--no-serve", action="store_true", help="stop after publishing")
    status = commands.add_parser("status", help="what the warehouse holds, per feed")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    publish = commands.add_parser(
        "publish", help="compute every indicator and publish a serving snapshot"
    )
    publish.add_argument(
        "--draft", action="store_true",
        help="write a draft only analysts and admins see, until `wholesystem release`",
    )  # fmt: skip
    publish.add_argument(
        "--incremental", action="store_true",
        help="recompute units only for the people and months changed since the last "
             "incremental publish (the first one computes all and writes the cache); "
             "not faster than a plain publish today (docs/metrics.md)",
    )  # fmt: skip
    release = commands.add_parser("release", help="release a kept snapshot to every user")
    release.add_argument("version", help="the snapshot, e.g. snapshot-20261205T185747919176Z")
    commands.add_parser("snapshots", help="the kept snapshots: drafts, releases, packs")
    export = commands.add_parser("export", help="one indicator's published values as CSV")
    export.add_argument("--metric", required=True, help="indicator id, e.g. nel_last_100_days")
    # Level and period type are checked by metrics.export, so that a bad one gets the
    # same one-line error and exit status 2 as an unknown indicator or org.
    export.add_argument("--level", required=True, help=f"one of {', '.join(LEVELS)}")
    export.add_argument("--org", help="one org code at that level (default: all)")
    export.add_argument(
        "--period-type", default="month", help=f"one of {', '.join(PERIOD_TYPES)} (default: month)"
    )
    export.add_argument("--segment", default="all", help="e.g. age_band:65-74 (default: all)")
    export.add_argument(
        "--no-suppress", action="store_true", help="show small counts (operators only)"
    )
    exported = commands.add_parser(
        "warehouse-export", help="write the warehouse's tables as Parquet (for the Spark engine)"
    )
    exported.add_argument(
        "--parquet", type=Path, required=True, metavar="DIR",
        help="folder for <table>.parquet, one per table (WHOLESYSTEM_SPARK_WAREHOUSE=DIR)",
    )  # fmt: skip
    _add_pack_parser(commands)
    _add_users_parser(commands)
    _add_annotations_parser(commands)
    _add_alerts_parser(commands)
    _add_targets_parser(commands)
    _add_payments_parser(commands)
    _add_tokens_parser(commands)
    serve = commands.add_parser("serve", help="serve the dashboard for local use")
    serve.add_argument("--host", default=DEMO_HOST, help=f"address to listen on ({DEMO_HOST})")
    serve.add_argument("--port", type=_port, default=DEMO_PORT, help=f"({DEMO_PORT})")
    return parser


PASSWORD_HELP = (
    "read the password from standard input (at least WHOLESYSTEM_PASSWORD_MIN_LENGTH, 12, "
    "characters and not easily guessed; without this a random one is made and shown once)"
)


def _add_pack_parser(commands) -> None:
    pack = commands.add_parser("pack", help="a board pack (PDF or HTML) of an area at a month")
    pack.add_argument("--area", required=True, help="an area code, or ALL for every area")
    pack.add_argument("--date", required=True, type=_day, help="the board month, e.g. 2026-10-01")
    pack.add_argument("--format", choices=("pdf", "html"), default="pdf", help="(pdf)")
    pack.add_argument("--out", type=Path, help="also copy the pack to this file")
    pack.add_argument("--version", help="a kept snapshot (default: the released one)")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-10-01") from None


def _add_users_parser(commands) -> None:
    users = commands.add_parser("users", help="dashboard users: add, list, set-password")
    actions = users.add_subparsers(dest="users_command", required=True)
    add = actions.add_parser("add", help="create a user and print (or read) their password")
    add.add_argument("name")
    add.add_argument("--role", required=True, help="admin, analyst or viewer")
    add.add_argument(
        "--scope", help="LEVEL:CODE the user may see, e.g. locality:L01 (default: whole system)"
    )
    add.add_argument("--password-stdin", action="store_true", help=PASSWORD_HELP)
    actions.add_parser("list", help="every user with role and scope")
    reset = actions.add_parser("set-password", help="give a user a new password")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true", help=PASSWORD_HELP)


def _add_annotations_parser(commands) -> None:
    annotations = commands.add_parser(
        "annotations", help="SPC change points: add, list, remove (used at the next publish)"
    )
    actions = annotations.add_subparsers(dest="annotations_command", required=True)
    add = actions.add_parser("add", help="record a change point on an indicator's charts")
    add.add_argument("metric", help="indicator id, e.g. bed_days")
    add.add_argument("--month", required=True, type=_month, help="the month, e.g. 2025-06")
    add.add_argument("--label", required=True, help="what changed, e.g. 'New discharge pathway'")
    add.add_argument("--org", help="one org's charts only (default: every org)")
    add.add_argument(
        "--no-recalculate", action="store_true", help="mark the month; keep the same limits"
    )
    listing = actions.add_parser("list", help="every change point, by indicator and month")
    listing.add_argument("--metric", help="one indicator's only")
    remove = actions.add_parser("remove", help="delete a change point by its id")
    remove.add_argument("id", type=_annotation_id)


def _add_alerts_parser(commands) -> None:
    alerts = commands.add_parser("alerts", help="alert digests: send the unsent e-mails")
    actions = alerts.add_subparsers(dest="alerts_command", required=True)
    send = actions.add_parser("send", help="e-mail the digests not yet sent")
    send.add_argument("--version", help="only the digests of this release")


def _add_targets_parser(commands) -> None:
    targets = commands.add_parser("targets", help="targets in bulk: import or export a CSV")
    actions = targets.add_subparsers(dest="targets_command", required=True)
    read = actions.add_parser("import", help="add or replace targets from a CSV (all or none)")
    read.add_argument("file", type=Path, help="CSV with the columns in docs/targets.md")
    read.add_argument("--by", help="who is setting them (default: your login name)")
    write = actions.add_parser("export", help="write the targets in force to a CSV")
    write.add_argument("file", type=Path, help="the CSV to write")


def _add_tokens_parser(commands) -> None:
    tokens = commands.add_parser("tokens", help="API tokens: create, list, revoke")
    actions = tokens.add_subparsers(dest="tokens_command", required=True)
    create = actions.add_parser("create", help="a token for a user; prints its secret once")
    create.add_argument("name", help="the dashboard user the token reads as")
    create.add_argument("--label", required=True, help="what the token is for")
    listing = actions.add_parser("list", help="every token: id, user, label, made, last used")
    listing.add_argument("--user", help="one user's only")
    revoke = actions.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("id", type=_token_id)


def _add_payments_parser(commands) -> None:
    payments = commands.add_parser(
        "payments", help="a payment scheme's payments to each network for a period"
    )
    payments.add_argument("--scheme", required=True, help="the scheme's name (or title)")
    payments.add_argument(
        "--period", required=True,
        help="a financial-year quarter YYYY-Qn (YYYY the year it starts; Q1 April to June) "
        "or a financial year YYYY/YY",
    )  # fmt: skip
    payments.add_argument("--version", help="a kept snapshot (default: the released one)")
    payments.add_argument("--csv", action="store_true", help="CSV, one row per network and KPI")
    payments.add_argument(
        "--no-suppress", action="store_true",
        help="every figure and the practices, suppressed or not (operators only)",
    )  # fmt: skip


def _payments(arguments) -> int:
    from wholesystem import payments_cli

    return payments_cli.run(load_settings(), arguments)


def _annotation_id(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not an annotation id (see `list`)")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    """Runs one subcommand; returns the exit status."""
    arguments = build_parser().parse_args(argv)
    try:
        return COMMANDS[arguments.command](arguments)
    except UserError as error:
        print(f"wholesystem {arguments.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"wholesystem {arguments.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader stopped early (`| head`): not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Python flushes stdout at exit
        return 0
    except (OSError, sqlite3.DatabaseError, duckdb.Error) as error:  # the machine, not a bug
        print(f"wholesystem {arguments.command}: {_environment_error(error)}", file=sys.stderr)
        return 2


def _environment_error(error: Exception) -> str:
    """One sentence for a file, disk or database the command could not use."""
    if isinstance(error, sqlite3.DatabaseError):
        return (
            f"the users database {load_settings().users_path} cannot be used ({error}); "
            "restore it from a backup or move it aside"
        )
    if isinstance(error, OSError):
        where = f" {error.filename}" if error.filename else ""
        return f"cannot use{where} ({error.strerror or error})"
    return f"a DuckDB database could not be used: {str(error).splitlines()[0]}"


def _sample(arguments) -> int:
    from sample_data.generate import generate

    feeds = arguments.feeds.split(",") if arguments.feeds else None
    if arguments.out.exists() and not arguments.out.is_dir():
        raise UserError(f"--out {arguments.out} is a file; name a directory (new or existing)")
    try:
        written = generate(
            arguments.out, seed=arguments.seed, scale=arguments.scale,
            end_month=arguments.end_month, months=arguments.months, feeds=feeds,
            progress=lambda message: print(message, file=sys.stderr),
        )  # fmt: skip
    except ValueError as error:  # generate() names the bad argument
        raise UserError(str(error)) from None
    except OSError as error:  # unwritable, missing parent, disk full
        raise UserError(
            f"cannot write the sample under {arguments.out} ({error.strerror or error})"
        ) from None
    count = sum(len(files) for files in written.values())
    print(f"wrote {count} files for {len(written)} feeds under {arguments.out}")
    return 0


def _load(arguments) -> int:
    from etl.load import load_files
    from etl.summary import print_summary

    settings = load_settings()
    if arguments.explain:
        return _explain(arguments, settings)
    report = lambda message: print(message, file=sys.stderr)  # noqa: E731
    results = load_files(arguments.files, settings, arguments.feed, report)
    print_summary(results)
    return 1 if any(result.outcome == "rejected" for result in results) else 0


def _explain(arguments, settings) -> int:
    """`load --explain`: how each header matches; exit 1 if a file matches no feed."""
    from etl.explain import explain_files

    lines, matched = explain_files(arguments.files, settings, arguments.feed)
    print("\n".join(lines))
    return 0 if matched else 1


def _demo(arguments) -> int:
    from etl.load import load_files
    from etl.summary import print_summary
    from sample_data.generate import generate
    from sample_data.timeline import default_end_month

    settings = load_settings()
    report = lambda message: print(message, file=sys.stderr)  # noqa: E731
    written = generate(
        DEMO_SAMPLE_DIR, seed=arguments.seed, scale=DEMO_SCALE, end_month=DEMO_END_MONTH,
        progress=report,
    )  # fmt: skip
    files = [path for feed in DEMO_LOAD_ORDER for path in sorted(written.get(feed, []))]
    results = load_files(files, settings, report=report)
    print_summary(results)
    print()
    _status(argparse.Namespace(json=False))
    if any(result.outcome == "rejected" for result in results):
        return 1
    record_demo_change_points(settings, DEMO_END_MONTH or default_end_month(date.today()))
    print()
    print("Publishing the sample's first snapshot (a line per stage follows):", flush=True)
    result = _publish_snapshot(arguments)
    print(f"The publish of {result.version} took {result.seconds:.1f} s.")
    from dashboard import users

    password = users.new_password(DEMO_ADMIN)
    users.add_or_reset(settings, DEMO_ADMIN, "admin", password)
    from wholesystem import demo_schemes

    demo_schemes.seed(settings, DEMO_ADMIN)
    print(f"Payment schemes: {', '.join(demo_schemes.DEMO_SCHEMES)} (wholesystem payments)")
    print(f"Sign in at http://{DEMO_HOST}:{DEMO_PORT} as {DEMO_ADMIN} with password {password}")
    if arguments.no_serve:
        return 0
    return _serve_dashboard(settings, DEMO_HOST, DEMO_PORT)


def _status(arguments) -> int:
    from etl.status import feed_status, format_status
    from etl.warehouse import open_warehouse

    settings = load_settings()
    connection = open_warehouse(settings, read_only=True)
    try:
        status = feed_status(connection)
    finally:
        connection.close()
    if arguments.json:
        print(json.dumps({"warehouse": str(settings.warehouse_path), "feeds": status}, indent=2))
    else:
        print(format_status(status))
    return 0


def _publish(arguments) -> int:
    _publish_snapshot(arguments)
    return 0


def _publish_snapshot(arguments):
    """Publishes a snapshot, prints what was published and returns the PublishResult."""
    from metrics.publish import publish

    settings = load_settings()
    draft = getattr(arguments, "draft", False)
    incremental = getattr(arguments, "incremental", False)
    result = publish(
        settings, report=PrintProgress(), draft=draft, published_by=_login_name(),
        incremental=incremental,
    )  # fmt: skip
    print(
        f"published {result.version}: {result.rows:,} values ({result.suppressed:,} "
        f"suppressed), {result.series:,} SPC series in {result.seconds:.1f} s -> {result.path}"
    )
    if result.draft:
        print(
            f"DRAFT: only analysts and admins see it until `wholesystem release {result.version}`"
        )
    if result.removed:
        print(f"removed older snapshots: {', '.join(result.removed)}")
    for note in result.notes:
        print(f"note: {note}")
    if not result.draft:
        _alert(settings, result.version)
    return result


def _warehouse_export(arguments) -> int:
    from metrics.spark_export import export_parquet

    written = export_parquet(load_settings(), arguments.parquet)
    for table, rows in written:
        print(f"{table}: {rows:,} rows -> {arguments.parquet / (table + '.parquet')}")
    return 0


def _alert(settings, version: str) -> None:
    """Writes (and e-mails) the release's alert digests; a failure is one line on stderr
    and never fails the release."""
    from wholesystem.alerts import safely_after_release

    safely_after_release(settings, version, lambda line: print(f"alerts: {line}", file=sys.stderr))


def _pack(arguments) -> int:
    from dashboard import access
    from dashboard.pack import build_pack
    from wholesystem.pack_store import packs_dir

    settings = load_settings()
    out = arguments.out
    if out is not None and not out.parent.is_dir():
        raise UserError(f"cannot write {out}: the folder {out.parent} does not exist")
    access.configure(settings)
    record = build_pack(
        settings, arguments.area, arguments.date, arguments.format, arguments.version,
        _login_name(),
    )  # fmt: skip
    stored = packs_dir(settings) / record.file_name
    if out is not None:
        shutil.copyfile(stored, out)
    print(f"board pack {record.id}: {record.area}, {record.board_date:%B %Y}, from "
          f"{record.version} -> {out or stored}")  # fmt: skip
    return 0


def _release(arguments) -> int:
    from metrics.serving import release

    settings = load_settings()
    entry = release(settings, arguments.version, _login_name())
    # A snapshot published before snapshots recorded the time has no created_at.
    published = _minute(entry.created_at) + (" UTC" if entry.created_at else "")
    print(f"released {entry.version} (published {published}); "
          "viewers see it from their next page")  # fmt: skip
    _alert(settings, entry.version)
    return 0


def _alerts(arguments) -> int:
    from wholesystem import mailer
    from wholesystem.alerts import send_unsent

    settings = load_settings()
    if not mailer.enabled(settings):
        raise UserError("e-mail is off: set WHOLESYSTEM_SMTP_HOST to send alert digests")
    sent, failed = send_unsent(settings, arguments.version)
    print(f"sent {sent} alert e-mail(s); {failed} failed (the reason is kept on each digest)")
    return 1 if failed else 0


SNAPSHOT_HEADINGS = ("version", "published (UTC)", "months", "state", "packs")


def _snapshots(arguments) -> int:
    from metrics.serving import kept_versions, released_version
    from wholesystem.pack_store import packs_by_version

    settings = load_settings()
    released = released_version(settings)
    packs = packs_by_version(settings)  # one read, not one per snapshot
    rows = [
        (entry.version, _minute(entry.created_at), _covered(entry),
         _state(entry, entry.version == released), str(len(packs.get(entry.version, []))))
        for entry in kept_versions(settings)
    ]  # fmt: skip
    if not rows:
        raise UserError(f"no snapshots in {settings.serving_dir}; run `wholesystem publish`")
    widths = [max(len(row[i]) for row in [SNAPSHOT_HEADINGS, *rows]) for i in range(5)]
    for row in [SNAPSHOT_HEADINGS, *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())
    return 0


def _minute(moment) -> str:
    return "unknown" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def _covered(entry) -> str:
    if entry.first_month is None or entry.last_month is None:
        return "unknown"
    return f"{entry.first_month:%Y-%m} to {entry.last_month:%Y-%m}"


def _state(entry, current: bool) -> str:
    if entry.draft:
        return "DRAFT (not released)"
    by = f" by {entry.released_by}" if entry.released_by else ""
    return f"released {_minute(entry.released_at)}{by}" + (" (current)" if current else "")


class PrintProgress(Listener):
    """The publish's progress on stderr, like the load's: the snapshot being built, then a
    line per stage with its time, each flushed at once so that a piped or CI log shows
    how far a publish has got while it runs. The snapshot is named as the first stage
    starts, so that a publish that cannot start (no warehouse) prints only why."""

    announce: str | None = None

    def begun(self, version: str, draft: bool) -> None:
        kind = "a draft: released by `wholesystem release`" if draft else "released when done"
        self.announce = f"publish: building {version} ({kind})"

    def starting(self, name: str) -> None:
        if self.announce:
            print(self.announce, file=sys.stderr, flush=True)
            self.announce = None

    def __call__(self, name: str, seconds: float) -> None:
        print(f"publish: {name:<34} {seconds:6.1f} s", file=sys.stderr, flush=True)


def _export(arguments) -> int:
    from metrics.export import export_rows, rounding_statement, write_csv

    settings = load_settings()
    rows = export_rows(
        settings, arguments.metric, arguments.level, arguments.org,
        arguments.period_type, arguments.segment, suppress=not arguments.no_suppress,
    )  # fmt: skip
    write_csv(rows)
    statement = rounding_statement(settings, arguments.metric)
    if statement:  # beside the CSV, not in it: the columns stay fixed
        print(f"export: {statement}", file=sys.stderr)
    return 0


def _users(arguments) -> int:
    from dashboard import users

    settings = load_settings()
    if arguments.users_command == "list":
        for user in users.list_users(settings):
            print(f"{user.name}\t{user.role}\t{user.scope}\t{user.created_at}")
        return 0
    password = _read_password() if arguments.password_stdin else users.new_password(arguments.name)
    if arguments.users_command == "set-password":
        users.set_password(settings, arguments.name, password)
        print(f"new password for {arguments.name}; every session they had has ended")
    else:
        user = users.add_user(settings, arguments.name, arguments.role, arguments.scope, password)
        print(f"added {user.name}: {user.role}, {user.scope}")
    if not arguments.password_stdin:
        print(f"password: {password}  (shown once; only its hash is stored)")
    return 0


def _annotations(arguments) -> int:
    from wholesystem import annotations

    settings = load_settings()
    if arguments.annotations_command == "add":
        added = annotations.add_annotation(
            settings, arguments.metric, arguments.month, arguments.label,
            recalculate=not arguments.no_recalculate, org_code=arguments.org,
            author=_login_name(),
        )  # fmt: skip
        print(f"added {_annotation_line(added)}")
        print("it takes effect at the next `wholesystem publish`")
    elif arguments.annotations_command == "list":
        for annotation in annotations.list_annotations(settings, arguments.metric):
            print(_annotation_line(annotation))
    elif annotations.remove_annotation(settings, arguments.id):
        print(f"removed annotation {arguments.id}; it takes effect at the next publish")
    else:
        raise UserError(f"there is no annotation with id {arguments.id} (see `annotations list`)")
    return 0


def _targets(arguments) -> int:
    from wholesystem import targets_csv

    settings = load_settings()
    if arguments.targets_command == "export":
        count = targets_csv.export_csv(settings, arguments.file)
        print(f"wrote {count} target(s) in force to {arguments.file}")
        return 0
    stored = targets_csv.import_csv(settings, arguments.file, arguments.by or _login_name())
    replaced = sum(1 for target in stored if target.replaces)
    print(f"imported {len(stored)} target(s) from {arguments.file} ({replaced} replaced)")
    print("they show on the dashboard at the next page load")
    return 0


def _token_id(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a token id (see `tokens list`)")
    return int(text)


def _tokens(arguments) -> int:
    from dashboard import users
    from wholesystem import api_tokens

    settings, by = load_settings(), _login_name() or "command line"
    if arguments.tokens_command == "create":
        if users.get_user(settings, arguments.name) is None:
            raise UserError(f"there is no user named {arguments.name!r} (see `users list`)")
        token, secret = api_tokens.create(settings, arguments.name, arguments.label, by)
        print(f"made token {token.id} for {token.user_name} ({token.label})")
        print(f"token: {secret}  (shown once; only its hash is stored)")
    elif arguments.tokens_command == "list":
        for token in api_tokens.list_tokens(settings, arguments.user):
            state = f"revoked {token.revoked_at} by {token.revoked_by}"
            used = token.last_used_at or "never used"
            fields = (token.id, token.user_name, token.label, token.created_at, used)
            print("\t".join(str(field) for field in (*fields, "in use" if token.active else state)))
    else:
        token = api_tokens.revoke(settings, arguments.id, by, any_user=True)
        print(f"revoked token {token.id} of {token.user_name} ({token.label})")
    return 0


def _login_name() -> str | None:
    from getpass import getuser

    try:
        return getuser()
    except OSError:  # no login name (e.g. a container's anonymous uid)
        return None


def _annotation_line(annotation) -> str:
    org = annotation.org_code or "every org"
    limits = "recalculate" if annotation.recalculate else "same limits"
    month = annotation.month.strftime("%Y-%m")
    return f"{annotation.id}\t{annotation.metric_id}\t{month}\t{org}\t{limits}\t{annotation.label}"


def record_demo_change_points(settings, end_month: date) -> None:
    """Records the sample's known changes (sample_data/README.md, "The four stories") as
    annotations: Tynebridge Central's emergency admissions step down from the
    window's middle month, which moves every emergency measure of the orgs that contain it
    (its practices and networks, the locality, Tynebridge Place and the whole system); and
    Hollinsdale Place's gains start to reverse two thirds of the way through (marked, not
    recalculated: a turning trend is not a new process level). The previous demo's are
    replaced (its window may have ended in another month); analysts' own are kept."""
    from wholesystem import annotations

    for annotation in annotations.list_annotations(settings):
        if annotation.author == DEMO_AUTHOR:
            annotations.remove_annotation(settings, annotation.id)
    for metric, org, month, label, recalculate in demo_change_points(end_month):
        annotations.add_annotation(
            settings, metric, month, label, recalculate=recalculate, org_code=org,
            author=DEMO_AUTHOR,
        )  # fmt: skip


def demo_change_points(end_month: date, months: int = 36) -> list[tuple]:
    """(metric, org, month, label, recalculate) of the sample's known changes."""
    from sample_data import system
    from sample_data.organisations import build_practices
    from sample_data.stories import step_month, turn_month
    from sample_data.timeline import Window

    window = Window(end_month, months)
    starts = [date.fromisoformat(str(day)) for day in window.month_starts.astype("datetime64[D]")]
    step, turn = starts[step_month(window)], starts[turn_month(window)]
    stepped = [p for p in build_practices(DEMO_SCALE) if p.locality.code == system.STEP_LOCALITY]
    orgs = sorted({p.code for p in stepped} | {p.network_code for p in stepped})
    orgs += [system.STEP_LOCALITY, stepped[0].area.code, "SYSTEM"]
    step_label = "Tynebridge Central emergency admissions step down (sample story 1)"
    turn_label = "Hollinsdale Place gains start to reverse (sample story 2)"
    return [
        (metric, org, step, step_label, True) for metric in EMERGENCY_MEASURES for org in orgs
    ] + [(metric, system.TREND_AREA, turn, turn_label, False) for metric in EMERGENCY_MEASURES]


def _read_password() -> str:
    if sys.stdin.isatty():
        from getpass import getpass

        return getpass("Password: ")
    return sys.stdin.readline().rstrip("\r\n")


def _serve(arguments) -> int:
    return _serve_dashboard(load_settings(), arguments.host, arguments.port)


def _serve_dashboard(settings, host: str, port: int) -> int:
    """Serves the dashboard with the threaded development server until interrupted."""
    from dashboard import auth, users
    from dashboard.app import create_app
    from metrics.serving import current_version

    if current_version(settings) is None:
        raise UserError(
            f"nothing is published under {settings.serving_dir}; run `wholesystem publish` first"
        )
    temporary = not settings.secret_key
    if temporary and not auth.is_loopback(host):
        raise UserError(
            f"WHOLESYSTEM_SECRET_KEY is not set; set it to serve on {host} "
            "(only 127.0.0.1 or localhost may use a temporary key)"
        )
    known_users = users.list_users(settings)  # before any note: a bad users file stops here
    app = create_app(settings, temporary_secret=temporary)
    if temporary:
        print("note: a temporary secret key; sign-ins end when the server stops", file=sys.stderr)
    if not known_users:
        print("note: no users yet; add one with `wholesystem users add NAME --role admin`")
    try:
        run_server(app, host, port)
    except KeyboardInterrupt:  # Ctrl+C is how a person stops a local server: not an error
        print("stopped")
    return 0


def run_server(app, host: str, port: int) -> None:
    """Runs Flask's threaded development server (local use; production uses gunicorn),
    with a Server header that names no versions."""
    from dashboard.hardening import QuietRequestHandler

    app.run(host=host, port=port, debug=False, threaded=True, request_handler=QuietRequestHandler)


MAX_SCALE = 500  # generation is practice by practice; England's admissions are about 140
MAX_MONTHS = 240
DEMO_HOST = "127.0.0.1"
DEMO_PORT = 8050
DEMO_ADMIN = "demo-admin"
DEMO_AUTHOR = "wholesystem demo"  # the author of the change points the demo records
DEMO_SAMPLE_DIR = Path("sample_data/generated")
DEMO_SCALE = 1.0
DEMO_END_MONTH = None  # the last complete month
# The indicators counting emergency admissions or their bed days: the sample's stories
# change the emergency admission rate, so these move with them.
EMERGENCY_MEASURES = (
    "emergency_admissions", "bed_days", "bed_days_emergency", "emergency_bed_days_65plus",
    "acsc_all", "acsc_chronic", "acsc_bed_days",
)  # fmt: skip
DEMO_LOAD_ORDER = (
    "organisations", "population", "patients", "conditions", "gp_events", "apc_spells",
    "deaths", "care_home_admissions", "survey_responses", "aggregate_indicators",
    "lsoa_deprivation", "ae_attendances",
)  # fmt: skip
COMMANDS = {
    "sample": _sample, "load": _load, "status": _status, "demo": _demo, "publish": _publish,
    "export": _export, "users": _users, "annotations": _annotations, "serve": _serve,
    "pack": _pack, "release": _release, "snapshots": _snapshots, "targets": _targets,
    "alerts": _alerts, "payments": _payments, "tokens": _tokens,
    "warehouse-export": _warehouse_export,
}  # fmt: skip

if __name__ == "__main__":
    sys.exit(main())
