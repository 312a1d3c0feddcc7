"""Downloads: every table and chart of every page as CSV and XLSX, every chart also as a
captioned PNG and SVG, from one server route.

A page's tables and charts are registered here by id (`register(export_id, builder)`);
the page puts `download_links(export_id, query)` beside each. A link asks
`/download/<export_id>.<fmt>?<the page's query>`; the route checks the `download` role,
then calls the builder with the query. Builders run on the server, take the signed-in
user's scope from `session.current_scope()` and read through `dashboard.access` with the
page's own data functions, so a download holds exactly the rows and suppression the page
shows; an org outside the scope is refused (404 and the page's own sentence, the same as
for an org that does not exist), never answered with an empty file. The snapshot is the
one shown (`access.shown_version()`): links carry it, so a download made after a publish
still matches the screen it was made from.

Formats:
- CSV is UTF-8 with a byte-order mark: Excel, which most board members open a CSV with,
  reads a CSV without one in the Windows code page and garbles names and dashes; Python
  (`utf-8-sig`), R (`readr`) and LibreOffice read the mark as what it is.
- XLSX (XlsxWriter): sheet 1 the table, numbers as numbers in the page's decimals;
  sheet 2 "About": title, organisation, period, definition, source, snapshot version,
  disclosure note, when and by whom it was generated.
- PNG and SVG: the chart drawn by Kaleido with title, organisation, period, source and
  snapshot version in the image (`dashboard.figures.static.captioned`).
Suppressed cells are "*" in every format; the figures never hold suppressed values.
"""

from __future__ import annotations

import importlib
import io
import numbers
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from urllib.parse import urlencode

import flask
import numpy
import pandas as pd
import plotly.graph_objects as go
import xlsxwriter
from dash import html

from dashboard import access, formats, roles, session
from dashboard.figures import static
from wholesystem.errors import UserError

TABLE_FORMATS = ("csv", "xlsx")
IMAGE_FORMATS = ("png", "svg")
FORMAT_NAMES = {"csv": "CSV", "xlsx": "Excel (XLSX)", "png": "PNG image", "svg": "SVG image"}
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
    "svg": "image/svg+xml",
}
# Query parameters the route reads itself; the rest is the page's view, for the builder.
SIZE_LIMITS = {"width": (300, 4000), "height": (200, 4000), "scale": (1, 4)}
RESERVED = frozenset(SIZE_LIMITS)
SOURCE = "Source: wholesystem, published from the local warehouse"
DISCLOSURE_NOTE = (
    "Disclosure control: counts from 1 to 7, and any value from which one could be worked "
    "out, are suppressed and shown as *; nothing in this file is derived from them."
)
HES_NOTE = (
    "{counts} are rounded to the nearest 5, and values, limits and comparisons are computed "
    "from the rounded counts, means and standardised rates to the decimals shown (HES rule)."
)
UNSUPPRESSED_NOTE = (
    "Not disclosure-controlled: small numbers are shown unsuppressed to an analyst or admin "
    "under the setting WHOLESYSTEM_ANALYSTS_SEE_SMALL_NUMBERS. Do not share this file "
    "beyond those allowed to see patient-identifiable counts."
)
# Under the HES rule the snapshot holds no exact count: an analyst allowed small numbers sees
# a suppressed row's rounded counts, not the small count itself.
HES_UNSUPPRESSED_NOTE = (
    "Not disclosure-controlled: rows suppressed for others are shown to an analyst or admin "
    "under the setting WHOLESYSTEM_ANALYSTS_SEE_SMALL_NUMBERS, with their rounded counts (0 "
    "or 5 for a count from 1 to 7). Do not share this file beyond those allowed to see them."
)
# The builder modules registering the pages' downloads (imported by `install`).
BUILDER_MODULES = tuple(
    f"dashboard.pages.{page}_exports"
    for page in (
        "board", "indicator", "networks", "drilldown", "practice", "definitions", "status",
        "snapshots", "users_admin", "payments", "peers",
    )
)  # fmt: skip
NO_EXPORT = "There is no download '{name}'."
DRAFT = " (DRAFT: not yet released)"
TOO_LARGE = (
    "A {width} x {height} image at scale {scale} would have {pixels:,.0f} pixels; the most is "
    "{most:,} (for example 4000 x 4000, or 2000 x 2000 at scale 2): ask for a smaller one."
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Refused(Exception):
    """A builder's refusal: one sentence, answered with HTTP 404 (an org outside the scope
    gets the same as one that does not exist) or, with `status`, another code."""

    def __init__(self, sentence: str, status: int = 404):
        super().__init__(sentence)
        self.status = status


@dataclass
class Export:
    """What one download holds. `frame`: the table, columns named as they are headed,
    numbers as numbers, "*" in a suppressed cell; `figure` for a chart; `formats` maps a
    column to its Excel number format (`number_format`); `org_code` and `period_code` name
    the file."""

    title: str
    frame: pd.DataFrame | None = None
    figure: go.Figure | None = None
    org: str = ""
    period: str = ""
    definition: str = ""
    source: str = SOURCE
    org_code: str = ""
    period_code: str = ""
    formats: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Registered:
    builder: Callable[[dict], Export]
    label: str
    chart: bool


_registry: dict[str, Registered] = {}


def register(export_id: str, builder: Callable[[dict], Export], *, label: str = "",
             chart: bool = False) -> None:  # fmt: skip
    """Registers a download: `builder(query) -> Export` is called on the server for each
    request; `label` names it in the links ("the board table"); `chart` adds PNG and SVG."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", export_id):
        raise ValueError(f"an export id is lower-case letters, digits and dashes: {export_id!r}")
    _registry[export_id] = Registered(builder, label or export_id.replace("-", " "), chart)


def registered() -> dict[str, Registered]:
    """Returns the registered downloads by id."""
    return dict(_registry)


def formats_of(export_id: str) -> tuple[str, ...]:
    """Returns the formats a registered download comes in."""
    return (IMAGE_FORMATS if _registry[export_id].chart else ()) + TABLE_FORMATS


def download_links(export_id: str, query: dict, *, chart: bool = False) -> html.Div:
    """Returns the links a page puts beside a table or chart: CSV and XLSX, and with
    `chart` PNG and SVG first. `query` is the page's view (as in its URL); the links also
    carry the snapshot shown. Raises KeyError for an id nobody registered."""
    load_builders()
    entry = _registry[export_id]
    shown = formats_of(export_id) if chart else TABLE_FORMATS
    parameters = {k: str(v) for k, v in query.items() if v not in (None, "") and k not in RESERVED}
    parameters.setdefault(access.SNAPSHOT_PARAMETER, access.shown_version())
    search = urlencode(parameters)
    links = [
        html.A(
            FORMAT_NAMES[fmt],
            href=f"/download/{export_id}.{fmt}?{search}",
            download="",
            className="download-link me-2",
            id=f"download-{export_id}-{fmt}",
            **{"aria-label": f"Download {entry.label} as {FORMAT_NAMES[fmt]}"},
        )
        for fmt in shown
    ]
    return html.Div(
        [f"Download {entry.label}: ", *links],
        className="download-links small mb-2",
        id=f"download-{export_id}",
        **{"data-export": export_id},
    )


def install(server: flask.Flask) -> None:
    """Adds the download route to the app's server (behind the login gate, which covers
    every route but /login and the static files) and registers the pages' downloads."""
    load_builders()
    server.add_url_rule("/download/<name>", "download", download)


def load_builders() -> None:
    """Imports the modules that register the pages' downloads (once; imports are cached)."""
    for module in BUILDER_MODULES:
        importlib.import_module(module)


def download(name: str) -> flask.Response:
    """The route: checks the role, builds the download for the request's query and answers
    it as an attachment; a bad request gets one sentence."""
    roles.require("download")
    export_id, _, fmt = name.rpartition(".")
    if export_id not in _registry or fmt not in formats_of(export_id):
        return _sentence(NO_EXPORT.format(name=name[:80]), 404)
    refusal = access.download_refusal()  # the snapshot asked for may not be read
    if refusal:
        return _sentence(refusal, 404)
    try:
        size = _image_size(flask.request.args)
        query = {k: v for k, v in flask.request.args.items() if k not in RESERVED}
        export = _registry[export_id].builder(query)
        body = write(export, fmt, **size)
    except Refused as refusal:
        return _sentence(str(refusal), refusal.status)
    except UserError as error:  # no Chromium to draw an image with
        return _sentence(str(error), 503)
    response = flask.Response(body, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{file_name(export_id, export, fmt)}"'
    )
    return response


def _sentence(text: str, status: int) -> flask.Response:
    return flask.Response(text, status=status, mimetype="text/plain")


def _image_size(args) -> dict:
    size = {}
    for name, (low, high) in SIZE_LIMITS.items():
        text = args.get(name)
        if text is None:
            continue
        if not text.isdigit() or not low <= int(text) <= high:
            raise Refused(f"The {name} must be a whole number from {low} to {high}.", 400)
        size[name] = int(text)
    return size


def write(export: Export, fmt: str, **size) -> bytes:
    """Returns the export in a format: csv, xlsx, png or svg (`size`: width, height, scale)."""
    if fmt == "csv":
        return csv_bytes(export)
    if fmt == "xlsx":
        return xlsx_bytes(export)
    figure = image_figure(export)
    _check_pixels(figure, **size)
    return static.render(figure, fmt, **size)


def _check_pixels(figure: go.Figure, width=None, height=None, scale=1) -> None:
    # Each of width, height and scale may be within its limits while the image is not.
    width, height = static.image_size(figure, width, height)
    pixels = static.pixels(width, height, scale)
    if pixels > static.MAX_PIXELS:
        words = {"width": width, "height": height, "scale": scale, "pixels": pixels}
        raise Refused(TOO_LARGE.format(**words, most=static.MAX_PIXELS), 400)


def csv_bytes(export: Export) -> bytes:
    """Returns the table as CSV, UTF-8 with a byte-order mark, dates ISO, missing empty,
    counts as whole numbers (a column with a suppressed cell is read as decimals)."""
    frame = _frame(export).copy()
    for name, code in export.formats.items():
        if code == COUNT_FORMAT and name in frame:
            frame[name] = frame[name].map(_whole)
    for name in frame.columns:
        frame[name] = frame[name].map(_inert)
    return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def _whole(value):
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _inert(value):
    # A text cell that a spreadsheet would run as a formula (commentary is typed by users;
    # OWASP "CSV injection") starts with a quote mark, so Excel shows it as text.
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def image_figure(export: Export) -> go.Figure:
    """Returns the export's chart with its words drawn in (`static.captioned`)."""
    if export.figure is None:
        raise Refused("This download has no chart.")
    return static.captioned(
        export.figure, title=export.title, org=export.org, period=export.period,
        source=export.source, version=version_text(),
    )  # fmt: skip


def about(export: Export) -> list[tuple[str, str]]:
    """Returns the rows of the XLSX's "About" sheet."""
    generated = datetime.now(UTC).strftime("%d %b %Y %H:%M UTC")
    return [
        ("Title", export.title),
        ("Organisation", export.org or "–"),
        ("Period", export.period or "–"),
        ("Definition", export.definition or "–"),
        ("Source", export.source),
        ("Snapshot version", version_text()),
        ("Disclosure", disclosure_note()),
        ("Generated at", generated),
        ("Generated by", session.current_user_name() or "–"),
    ]


def version_text() -> str:
    """Returns the snapshot version shown, marked DRAFT when it is not yet released."""
    return access.shown_version() + (DRAFT if access.shown_is_draft() else "")


def disclosure_note() -> str:
    """Returns the disclosure note for the signed-in user's downloads, naming the HES rule
    when the snapshot was published under it."""
    if access.uses_hes_rule():
        rounding = HES_NOTE.format(counts=access.rounded_counts())
        return f"{rounding} {DISCLOSURE_NOTE if access.masks() else HES_UNSUPPRESSED_NOTE}"
    return DISCLOSURE_NOTE if access.masks() else UNSUPPRESSED_NOTE


def xlsx_bytes(export: Export) -> bytes:
    """Returns the table as an XLSX workbook: sheet 1 the table (numbers as numbers in
    their columns' formats, "*" for a suppressed cell), sheet 2 "About"."""
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as book:
        _table_sheet(book, export)
        _about_sheet(book, about(export))
    return buffer.getvalue()


def _table_sheet(book, export: Export) -> None:
    sheet = book.add_worksheet("Data")
    frame = _frame(export)
    style = _styles(book)
    sheet.set_row(0, None, style("bold"))
    for column, name in enumerate(frame.columns):
        sheet.write_string(0, column, str(name), style("bold"))
        sheet.set_column(column, column, _width(frame[name], name))
        codes = _column_formats(export.formats.get(name), len(frame))
        for row, (value, code) in enumerate(zip(frame[name].tolist(), codes, strict=True), 1):
            _write_cell(sheet, row, column, value, code, style)
    sheet.freeze_panes(1, 0)


def _styles(book):
    """Returns style(code): one workbook format per number format code (made once)."""
    made = {
        "bold": book.add_format({"bold": True, "text_wrap": True, "valign": "top"}),
        "right": book.add_format({"align": "right"}),
    }

    def style(code: str | None):
        if code is None:
            return None
        if code not in made:
            made[code] = book.add_format({"num_format": code})
        return made[code]

    return style


def _column_formats(codes, rows: int) -> list:
    # A column's number format, or one per row (a table of metrics with different units).
    if codes is None or isinstance(codes, str):
        return [codes] * rows
    return list(codes)


def _write_cell(sheet, row: int, column: int, value, code, style) -> None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        sheet.write_blank(row, column, None)
    elif isinstance(value, bool | numpy.bool_):
        sheet.write_boolean(row, column, bool(value))
    elif isinstance(value, numbers.Real):
        sheet.write_number(row, column, float(value), style(code))
    elif isinstance(value, datetime | date):
        moment = pd.Timestamp(value).to_pydatetime()
        sheet.write_datetime(row, column, moment, style(code or DATE_FORMAT))
    elif value == formats.SUPPRESSED:
        sheet.write_string(row, column, value, style("right"))
    else:
        sheet.write_string(row, column, str(value))


def _width(values: pd.Series, name) -> int:
    longest = max(
        [len(str(name)) // 2, *(len(str(v)) for v in values.head(200).tolist())], default=8
    )
    return min(max(longest + 2, 8), 60)


def _about_sheet(book, rows: list[tuple[str, str]]) -> None:
    sheet = book.add_worksheet("About")
    bold = book.add_format({"bold": True, "valign": "top"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sheet.set_column(0, 0, 20)
    sheet.set_column(1, 1, 100)
    for row, (label, text) in enumerate(rows):
        sheet.write_string(row, 0, label, bold)
        sheet.write_string(row, 1, str(text), wrap)


def _frame(export: Export) -> pd.DataFrame:
    if export.frame is None:
        raise Refused("This download has no table.")
    return export.frame


def file_name(export_id: str, export: Export, fmt: str) -> str:
    """Returns the download's file name: the export id, org, period and snapshot version."""
    draft = "DRAFT" if access.shown_is_draft() else ""
    parts = (export_id, export.org_code, export.period_code, access.shown_version(), draft)
    stem = "_".join(_slug(part) for part in parts if part)
    return f"{stem}.{fmt}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", str(text)).strip("-")[:60]


# Helpers for builders.


def masked(frame: pd.DataFrame, suppressed, columns) -> pd.DataFrame:
    """Returns the frame with "*" in `columns` where `suppressed` (a boolean Series or
    column name) is true; the values there are already NULL (access masks them)."""
    frame = frame.copy()
    hidden = frame[suppressed] if isinstance(suppressed, str) else suppressed
    hidden = pd.Series(hidden, index=frame.index).fillna(False).astype(bool)
    for column in columns:
        frame[column] = frame[column].astype(object).where(~hidden, formats.SUPPRESSED)
    return frame


def number_format(unit: str = "", target: float | None = None, *, signed: bool = False) -> str:
    """Returns the Excel number format of an indicator's values: the page's decimals
    (`dashboard.formats.decimals`), thousands separated, a % sign for a percentage; with
    `signed`, a change: its sign always shown, " pts" for percentage points."""
    places = formats.decimals(unit, target)
    code = "#,##0" + ("." + "0" * places if places else "")
    percent = formats.is_percentage(unit)
    if signed:
        suffix = '" pts"' if percent else ""
        return f"+{code}{suffix};-{code}{suffix};{code}{suffix}"
    return code + ('"%"' if percent else "")


def number_formats(units, targets=None, *, signed: bool = False) -> list[str]:
    """Returns one number format per row, for a column of values of different indicators."""
    targets = [None] * len(units) if targets is None else list(targets)
    return [number_format(u, t, signed=signed) for u, t in zip(units, targets, strict=True)]


COUNT_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"


def source_of(*indicators: dict) -> str:
    """Returns the source line of downloads of these indicators: the snapshot and the feeds
    they are computed from, by name."""
    from dashboard.pages.status import feed_name  # the pages import this module

    feeds = dict.fromkeys(feed for row in indicators for feed in (row.get("sources") or ()))
    named = ", ".join(feed_name(feed) for feed in feeds)
    return f"{SOURCE}" + (f"; computed from: {named}" if named else "")


def one_line(text) -> str:
    """Returns a definition's text on one line (definitions wrap their lines in TOML)."""
    return " ".join(str(text or "").split())
