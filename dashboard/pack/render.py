"""The pack as one HTML document (a Jinja2 template, charts inline as SVG) and that same
document printed to PDF by Chromium through Playwright.

Why Chromium's print-to-PDF rather than WeasyPrint or ReportLab: the HTML pack and the PDF
pack are then one document, laid out by one engine, so they cannot drift apart; Chromium
draws Plotly's SVG exactly as the browser does (WeasyPrint's SVG support is partial, and
ReportLab would mean laying the pack out a second time in Python); Playwright is already a
dependency and Chromium is already installed for the charts (Kaleido) and the browser
tests, so no new native libraries (Pango, Cairo) are needed.

The HTML carries the pack's numbers in a JSON block (`<script type="application/json"
id="pack-numbers">`), so a test, or a reader's own tools, can compare packs number by
number. Only what the page shows is in it: a suppressed value is null there too.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from datetime import date
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from dashboard import icons, targets_live, theme
from dashboard.figures import static
from dashboard.pack.charts import chart_svg
from dashboard.pack.content import AreaFigures, Pack
from dashboard.pages import board, board_data
from dashboard.pages.board_data import GROUP_HEADINGS, STATUS_WORDS
from wholesystem.errors import UserError

TEMPLATES = Path(__file__).parent / "templates"
NO_BROWSER = (
    "a PDF pack needs Chromium: install it (for example `apt-get install chromium`) or ask "
    "for the HTML pack with --format html"
)
PAGE_MARGIN = {"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"}
_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def pack_html(pack: Pack, link: str, made_by: str | None = None) -> str:
    """Returns the pack as a standalone HTML document; `link` opens its snapshot on the
    dashboard (`/?snapshot=VERSION`)."""
    template = _environment.get_template("pack.html.j2")
    return template.render(
        pack=pack,
        link=link,
        made_by=made_by,
        made_at=pd.Timestamp.now(tz="UTC"),
        charts={
            (section.indicator["id"], figures.org_code): chart_svg(
                figures, section.indicator, len(section.charted)
            )
            for section in pack.sections
            for figures in section.charted
        },
        numbers=numbers(pack),
        fmt=_Formatter(),
        theme=theme,
        titles={section.indicator["id"]: section.indicator["title"] for section in pack.sections},
        matrix_words=MATRIX_WORDS,
        group_words=GROUP_HEADINGS,
        target_words=target_words,
    )


# The summary matrix in the board page's own words.
MATRIX_WORDS = board.MATRIX_ROWS | board.MATRIX_COLUMNS


def target_words(row: dict) -> str:
    """Returns where the target in force comes from, in every page's words
    (`targets_live.describe`): who set it, when and why, or the default, or none."""
    return targets_live.describe(row.get("target_record"))


def fingerprint(pack: Pack) -> str:
    """Returns a digest of everything the pack shows apart from when and by whom it was
    made: its numbers, the words of its targets and commentary and its charts' change
    points. Two packs with the same fingerprint (and version, area, date, format and
    scope) are the same pack, so the dashboard sends the stored one again."""
    shown = [numbers(pack), pack.awaiting, pack.system_name, pack.area_name]
    for section in pack.sections:
        for figures in section.areas:
            comment = figures.row.get("comment")
            changes = figures.changes
            shown.append([
                target_words(figures.row),
                None if comment is None else [str(v) for v in vars(comment).values()],
                None if changes is None else changes.to_json(orient="records", date_format="iso"),
            ])  # fmt: skip
    text = json.dumps(shown, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pack_pdf(html_text: str, footer: str) -> bytes:
    """Returns the HTML printed to an A4 PDF by headless Chromium, each page footed with
    `footer` and its page number."""
    from playwright.sync_api import Error, sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**_launch_options())
            try:
                page = browser.new_page()
                page.set_content(html_text, wait_until="load")
                page.emulate_media(media="print")
                return page.pdf(
                    format="A4", print_background=True, margin=PAGE_MARGIN,
                    display_header_footer=True, header_template="<span></span>",
                    footer_template=_footer_template(footer),
                )  # fmt: skip
            finally:
                browser.close()
    except Error as error:
        if "Executable doesn't exist" in str(error):
            raise UserError(NO_BROWSER) from None
        raise


def _launch_options() -> dict:
    # The browser Kaleido draws the charts with (BROWSER_PATH when set). Chromium's sandbox
    # cannot start as root (a container), so only then is it turned off.
    try:
        path = static.browser_path()
    except UserError:
        raise UserError(NO_BROWSER) from None
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    return {"headless": True, "executable_path": path, "args": ["--no-sandbox"] if root else []}


def _footer_template(footer: str) -> str:
    from markupsafe import escape

    return (
        '<div style="font: 8px Arial, sans-serif; color: #4C6272; width: 100%; '
        f'padding: 0 12mm; display: flex; justify-content: space-between;"><span>{escape(footer)}'
        '</span><span>Page <span class="pageNumber"></span> of <span class="totalPages">'
        "</span></span></div>"
    )


def numbers(pack: Pack) -> dict:
    """Returns the pack's numbers as plain JSON values: per metric and area the value,
    change, limits, target, trajectory and icons shown, and the charted points."""
    return {
        "version": pack.version,
        "area": pack.area,
        "board_date": pack.month.isoformat(),
        "draft": pack.draft,
        "stale_feeds": [feed.name for feed in pack.freshness if feed.stale],
        "metrics": {
            section.indicator["id"]: {
                figures.org_code: _area_numbers(figures) for figures in section.areas
            }
            for section in pack.sections
        },
    }


ROW_NUMBERS = (
    "value", "suppressed", "change", "lower_limit", "upper_limit", "variation", "assurance",
    "status", "target", "target_source", "planned", "on_track",
)  # fmt: skip
POINT_NUMBERS = ("value", "mean", "lower_limit", "upper_limit")


def _area_numbers(figures: AreaFigures) -> dict:
    shown = {name: _plain(figures.row.get(name)) for name in ROW_NUMBERS}
    shown["points"] = [
        [pd.Timestamp(row["period_start"]).date().isoformat()]
        + [_plain(row[name]) for name in POINT_NUMBERS]
        for row in figures.points.to_dict("records")
    ]
    shown["trajectory"] = {month.isoformat(): v for month, v in figures.trajectory.items()}
    comment = figures.row.get("comment")
    shown["comment"] = None if comment is None else {"id": comment.id, "text": comment.text}
    said = figures.previous
    shown["previous_comment"] = None if said is None else {"id": said.id, "text": said.text}
    return shown


def _plain(value):
    """A JSON value: None for missing (NaN, NaT, NA), plain Python for numpy scalars."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    return value if isinstance(value, str | int | float | bool) else str(value)


class _Formatter:
    """The template's words for numbers and icons: the board's own (`board_data`'s
    formatting, in each indicator's decimals, and `icons`)."""

    def value(self, row: dict, indicator: dict) -> str:
        suppressed = bool(row.get("suppressed"))
        return board_data.format_value(_plain(row.get("value")), suppressed, indicator)

    def change(self, row: dict, indicator: dict) -> str:
        current = _period_value(row.get("value"), row.get("suppressed"))
        previous = _period_value(row.get("previous_value"), row.get("previous_suppressed"))
        return board_data.format_change(current, previous, indicator)

    def number(self, value, indicator: dict) -> str:
        return board_data.format_value(_plain(value), False, indicator)

    def variation(self, row: dict, indicator: dict) -> tuple[str, str, str, str]:
        span = icons.variation_icon(row.get("variation"), indicator["improvement"])
        return _badge(span, row)

    def assurance(self, row: dict) -> tuple[str, str, str, str]:
        return _badge(icons.assurance_icon(row.get("assurance")), row)

    def on_track(self, row: dict) -> str:
        on_track = _plain(row.get("on_track"))
        return "–" if on_track is None else ("On track" if on_track else "Off track")

    def month(self, value) -> str:
        return "–" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%B %Y}"

    def board_period(self, start) -> str:
        end = pd.Timestamp(start) + pd.DateOffset(months=1)
        return board_data.period_label("board", (start, end))

    def day(self, value) -> str:
        return "–" if not value else f"{pd.Timestamp(value):%-d %B %Y}"

    def moment(self, value) -> str:
        return "–" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%-d %B %Y %H:%M}"


def _period_value(value, suppressed) -> dict | None:
    """A period's value as `board_data.format_change` takes it (None when not published)."""
    if suppressed:
        return {"value": None, "suppressed": True}
    value = _plain(value)
    return None if value is None else {"value": value, "suppressed": False}


def _badge(span, row: dict) -> tuple[str, str, str, str]:
    """(letter, label, background, text colour) of an icon; a series that is not charted
    says why in words instead."""
    status = row.get("status")
    label = span.title
    if status and status != "charted":
        label = f"{label} ({STATUS_WORDS.get(status, status).lower()})"
    return span.children, label, span.style["backgroundColor"], span.style["color"]
