"""Definitions: every indicator's metadata, searchable, one card per indicator.

A search box filters on every text field of a definition (id, title, group, description,
why it matters, numerator, denominator, method, unit, sources, caveats, references, target
and its source...). Each indicator is addressable:
`/definitions?id=bed_days` shows that one definition, `/definitions?q=text` opens a search,
and every card carries the HTML anchor `definition-<id>` and links to `/indicator/<id>`.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, dcc, html

from dashboard import access, exports

PATH = "/definitions"
TITLE = "Definitions"
IN_NAV = True

GROUP_NAMES = {
    "northumbria": "Northumbria system metrics",
    "whole_system": "Whole-system metrics",
    "care_package": "Care-package KPIs",
    "context": "Context",
    "supplied": "Supplied indicators",
}
POLARITY_TEXT = {
    "higher": "Higher is better",
    "lower": "Lower is better",
    "none": "Neither higher nor lower is better",
}


def layout(path: str, query: dict[str, str]) -> html.Div:
    """The page: a labelled search box, a live count, and the matching definitions."""
    return html.Div(
        [
            dcc.Location(id="definitions-url", refresh=False),
            dcc.Store(id="definitions-selected", data=query.get("id")),
            html.H1("Definitions"),
            html.P("How every indicator is defined: what is counted, from which data, and why."),
            html.Label("Search indicators", htmlFor="definitions-search", className="form-label"),
            # dbc's Input, not dcc's: dcc.Input with a debounce puts the caret back where it
            # was one keystroke late, so on a slow computer fast typing comes out scrambled
            # ("last 100" as "las 100t"; tests/e2e/test_reference_pages.py).
            dbc.Input(
                id="definitions-search",
                type="search",
                value=query.get("q", ""),
                debounce=400,  # milliseconds: search as the user types, once they pause
                class_name="mb-2",
                placeholder="for example, bed days",
            ),
            html.P(id="definitions-count", role="status", **{"aria-live": "polite"}),
            html.Div(id="definitions-list"),
        ]
    )


def register(app) -> None:
    """Registers the search callback."""
    app.callback(
        Output("definitions-list", "children"),
        Output("definitions-count", "children"),
        Output("definitions-url", "search"),
        Input("definitions-search", "value"),
        Input("definitions-selected", "data"),
    )(show_definitions)


def show_definitions(text: str | None, selected_id: str | None):
    """Returns (definition cards, count sentence, URL search) for a search or one id.

    With no search text and an id from the URL, shows that one indicator; otherwise
    every indicator whose definition contains the text (`matching`).
    """
    frame = access.indicators()
    text = (text or "").strip()
    if not text and selected_id:
        return _one(frame, selected_id)
    found = matching(frame, text)
    search = f"?{urlencode({'q': text})}" if text else ""
    if found.empty:
        return [], f"No indicator matches “{text}”.", search
    count = f"{len(found)} of {len(frame)} indicators" + (f" match “{text}”." if text else ".")
    links = exports.download_links("definitions", {"q": text})
    return [links, *definition_groups(found)], count, search


def _one(frame: pd.DataFrame, metric_id: str):
    search = f"?{urlencode({'id': metric_id})}"
    found = frame[frame["id"] == metric_id]
    if found.empty:
        count = [
            f"There is no indicator with the id “{metric_id}”. ",
            html.A("Show all definitions", href=PATH),
        ]
        return [], count, search
    count = ["Showing 1 indicator. ", html.A("Show all definitions", href=PATH), "."]
    links = exports.download_links("definitions", {"id": metric_id})
    return [links, *definition_groups(found)], count, search


def matching(frame: pd.DataFrame, text: str) -> pd.DataFrame:
    """Returns the indicators whose definition contains the text anywhere a card shows it
    (every field of `metadata`, lists item by item, and the raw id and group), ignoring
    case and runs of white space (definitions wrap their lines)."""
    needle = " ".join(text.lower().split())
    if not needle:
        return frame
    found = [needle in searchable_text(row) for row in frame.to_dict("records")]
    return frame[found]


def searchable_text(row: dict) -> str:
    """Returns every text of an indicator's card in one lower-case, single-spaced text."""
    parts = [row["id"], row["group"], row["title"]]
    for _, value in metadata(row):
        parts += [value] if isinstance(value, str) else list(value)
    return " ".join(" \n ".join(str(part) for part in parts).lower().split())


def definition_groups(frame: pd.DataFrame) -> list:
    """Returns one section per group (heading level 2), one card per indicator."""
    sections = []
    for group, members in frame.groupby("group", sort=False):
        sections.append(
            html.Section(
                [html.H2(GROUP_NAMES.get(group, group), className="h4 mt-3")]
                + [definition_card(row) for row in members.to_dict("records")]
            )
        )
    return sections


def definition_card(row: dict) -> html.Article:
    """Returns one indicator's full metadata, anchored at `definition-<id>`."""
    return html.Article(
        [
            html.H3(row["title"], className="h5"),
            # One Markdown block of escaped HTML per card, not ~40 Dash components: the
            # renderer takes seconds over the ~2,500 components of the full list.
            dcc.Markdown(metadata_html(row), dangerously_allow_html=True),
            dcc.Link(f"See the data for {row['title']}", href=f"/indicator/{row['id']}"),
        ],
        id=f"definition-{row['id']}",
        className="card card-body mb-3",
    )


def metadata_html(row: dict) -> str:
    """Returns the metadata as one HTML description list, every value HTML-escaped, on a
    single line (so Markdown passes it through as one HTML block)."""
    items = "".join(
        f'<dt class="col-sm-3">{escape(label)}</dt><dd class="col-sm-9">{_html_value(value)}</dd>'
        for label, value in metadata(row)
    )
    return f'<dl class="row mb-2">{items}</dl>'


def _html_value(value: str | list[str]) -> str:
    if isinstance(value, str):
        return escape(value)
    items = "".join(f"<li>{escape(item)}</li>" for item in value)
    return f'<ul class="mb-0">{items}</ul>'


def metadata(row: dict) -> list[tuple[str, str | list[str]]]:
    """Returns (label, text) for every metadata field of an indicator, in order; caveats
    and references are lists of texts."""
    return [
        ("Id", row["id"]),
        ("Group", GROUP_NAMES.get(row["group"], row["group"])),
        ("Description", _prose(row["description"])),
        ("Why it matters", _prose(row["why_it_matters"])),
        ("Numerator", _prose(row["numerator"])),
        ("Denominator", _prose(row["denominator"])),
        ("Method", row["method"]),
        ("Unit", row["unit"]),
        ("Multiplier", _number(row["multiplier"])),
        ("Polarity", POLARITY_TEXT.get(row["polarity"], row["polarity"])),
        ("Default target", target_text(row)),
        ("Sources", ", ".join(row["sources"]) or "None"),
        ("Levels", ", ".join(row["levels"]) or "None"),
        ("Segments", ", ".join(row["segments"]) or "None"),
        ("Caveats", [_prose(str(item)) for item in row["caveats"]] or "None"),
        ("Disclosure", row["disclosure"]),
        ("References", [_prose(str(item)) for item in row["references"]] or "None"),
        ("Last reviewed", row["last_reviewed"] or "Not recorded"),
    ]


def target_text(row: dict) -> str:
    """Returns the target in words: value, acceptable range and source, or 'No target'."""
    if pd.isna(row["target_value"]):
        return "No target"
    text = _number(row["target_value"])
    lower, upper = row["target_lower"], row["target_upper"]
    if not (pd.isna(lower) or pd.isna(upper)) and lower != upper:
        text += f" (range {_number(lower)} to {_number(upper)})"
    source = _prose(row["target_source"])
    return f"{text}; source: {source}" if source else text


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


def _prose(text: str | None) -> str:
    # Definitions wrap their lines in TOML; show them as flowing text.
    return " ".join((text or "").split())
