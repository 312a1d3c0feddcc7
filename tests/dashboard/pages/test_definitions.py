"""The Definitions page: search by id, title, description or group; every field shown;
one indicator addressable by id; a link to each indicator's detail page."""

from __future__ import annotations

import re
from html import unescape

from dash import dcc, html

from dashboard import access
from dashboard.pages import definitions


def walk(component):
    """Yields a component and every component and text beneath it."""
    yield component
    children = getattr(component, "children", None)
    if children is None or isinstance(children, int | float):
        return
    if isinstance(children, str):
        yield children
        return
    for child in children if isinstance(children, list | tuple) else [children]:
        yield from walk(child)


def card_ids(children) -> list[str]:
    return [
        node.id.removeprefix("definition-")
        for section in children
        for node in walk(section)
        if isinstance(node, html.Article)
    ]


def texts(component) -> list[str]:
    return [node for node in walk(component) if isinstance(node, str)]


def description_list(markup: str) -> dict:
    """Reads the card's HTML <dl> back: label -> text, or list of texts for a <ul>."""
    pairs = re.findall(r"<dt[^>]*>(.*?)</dt><dd[^>]*>(.*?)</dd>", markup)
    return {unescape(label): _read_value(value) for label, value in pairs}


def _read_value(value: str):
    if value.startswith("<ul"):
        return [unescape(item) for item in re.findall(r"<li>(.*?)</li>", value)]
    return unescape(value)


def card(metric_id: str) -> html.Article:
    children, _, _ = definitions.show_definitions("", metric_id)
    (article,) = [node for node in walk(children[-1]) if isinstance(node, html.Article)]
    return article


def test_an_empty_search_shows_every_indicator_once():
    frame = access.indicators()
    children, count, search = definitions.show_definitions("", None)
    assert sorted(card_ids(children)) == sorted(frame["id"])
    assert count == f"{len(frame)} of {len(frame)} indicators."
    assert search == ""


def mentioning(frame, text: str) -> list[str]:
    """The ids of indicators that mention the text in any field of their definition: every
    text and every item of every list (sources, caveats, references...), white space folded."""

    def texts(value):
        if isinstance(value, str):
            return [value]
        if isinstance(value, list | tuple):
            return [str(item) for item in value]
        return []

    needle = text.lower()
    return sorted(
        row["id"]
        for row in frame.to_dict("records")
        if any(needle in " ".join(t.lower().split()) for v in row.values() for t in texts(v))
    )


def test_search_finds_every_indicator_that_cites_qof_anywhere():
    frame = access.indicators()
    expected = mentioning(frame, "QOF")
    children, count, _ = definitions.show_definitions("QOF", None)
    assert sorted(card_ids(children)) == expected
    assert len(expected) == 12  # in references, sources, target sources and descriptions
    assert count == f"12 of {len(frame)} indicators match “QOF”."


def test_search_reads_caveats_references_numerators_and_denominators():
    frame = access.indicators().set_index("id")
    row = frame.loc["bed_days"]
    for words in (row["caveats"][0], row["references"][0], row["numerator"], row["denominator"]):
        phrase = " ".join(words.split()[:6])
        children, _, _ = definitions.show_definitions(phrase, None)
        assert "bed_days" in card_ids(children), phrase


def test_search_last_100_finds_exactly_the_indicators_that_mention_it():
    frame = access.indicators()
    expected = mentioning(frame, "last 100")
    children, count, search = definitions.show_definitions("Last 100", None)
    assert sorted(card_ids(children)) == expected
    assert {"decedents_nel_last_100_days", "nel_last_100_days"} <= set(expected)
    assert count == f"{len(expected)} of {len(frame)} indicators match “Last 100”."
    assert search == "?q=Last+100"


def test_search_matches_ids_and_groups():
    frame = access.indicators()
    children, _, _ = definitions.show_definitions("care_package", None)
    assert sorted(card_ids(children)) == sorted(frame.loc[frame["group"] == "care_package", "id"])
    children, _, _ = definitions.show_definitions("dm_hba1c", None)
    assert "dm_hba1c_control" in card_ids(children)
    assert sorted(card_ids(children)) == mentioning(frame, "dm_hba1c")


def test_a_search_matching_nothing_says_so():
    children, count, _ = definitions.show_definitions("no such thing at all", None)
    assert children == []
    assert count == "No indicator matches “no such thing at all”."


def test_an_id_from_the_url_shows_that_indicator_alone():
    children, count, search = definitions.show_definitions("", "bed_days")
    assert card_ids(children) == ["bed_days"]
    assert search == "?id=bed_days"
    assert "Showing 1 indicator. " in count


def test_typing_a_search_replaces_the_single_indicator():
    children, _, search = definitions.show_definitions("bed days", "bed_days")
    assert len(card_ids(children)) > 1
    assert search == "?q=bed+days"


def test_an_unknown_id_gets_one_sentence():
    children, count, _ = definitions.show_definitions("", "not_a_metric")
    assert children == []
    assert count[0] == "There is no indicator with the id “not_a_metric”. "


def test_a_card_shows_every_metadata_field():
    row = access.indicator("cervical_screening_25_49")
    article = card("cervical_screening_25_49")
    assert article.id == "definition-cervical_screening_25_49"
    assert row["title"] in texts(article)
    (block,) = [node for node in walk(article) if isinstance(node, dcc.Markdown)]
    assert block.dangerously_allow_html
    fields = description_list(block.children)
    assert list(fields) == [
        "Id", "Group", "Description", "Why it matters", "Numerator", "Denominator", "Method",
        "Unit", "Multiplier", "Polarity", "Default target", "Sources", "Levels", "Segments",
        "Caveats", "Disclosure", "References", "Last reviewed",
    ]  # fmt: skip
    assert fields["Id"] == "cervical_screening_25_49"
    assert fields["Group"] == "Care-package KPIs"
    assert fields["Description"] == " ".join(row["description"].split())
    assert fields["Numerator"] == " ".join(row["numerator"].split())
    assert fields["Unit"] == "% of women aged 25–49"
    assert fields["Multiplier"] == "100"
    assert fields["Polarity"] == "Higher is better"
    assert fields["Sources"] == "patients, gp_events"
    assert fields["Last reviewed"] == row["last_reviewed"]
    assert fields["Caveats"] == [" ".join(caveat.split()) for caveat in row["caveats"]]
    assert fields["References"] == row["references"]
    # A KPI networks are paid on: its counts are exact (the board's are rounded, below).
    assert fields["Disclosure"] == (
        "Counts 1–7 shown as *, with the percentage and limits derived from them. Other values "
        "are shown as * too where a hidden count could be worked out from them."
    )
    board = description_list(definitions.metadata_html(access.indicator("bed_days")))
    assert board["Disclosure"] == (
        "Counts 1–7 shown as *, with the rate and limits derived from them. Other counts are "
        "rounded to the nearest 5, and the values, limits and comparisons are worked out from "
        "the rounded counts (HES rule)."
    )
    # A mean's and a DSR's value is not worked out from the rounded counts: it is shown
    # rounded (metrics.disclosure_rounding VALUE_ROUNDED_METHODS); what is particular to
    # the indicator (EQ-5D's 10 responses) comes first.
    rounded_itself = (
        " Other counts are rounded to the nearest 5, and the value and its limits to the "
        "decimals shown (HES rule)."
    )
    shown = {
        metric_id: description_list(definitions.metadata_html(access.indicator(metric_id)))
        for metric_id in ("eq5d_index", "acsc_chronic")  # mean, DSR: both board indicators
    }
    assert shown["eq5d_index"]["Disclosure"] == (
        "Not shown under 10 responses; counts 1–7 shown as *." + rounded_itself
    )
    assert shown["acsc_chronic"]["Disclosure"] == (
        "Counts 1–7 shown as *, with the rate and limits derived from them." + rounded_itself
    )


def test_a_search_takes_each_disclosure_sentence_from_the_snapshot(monkeypatch):
    """The sentences are the snapshot's (indicators.disclosure), so a search does not read
    the snapshot's settings at all, and the cards saying the HES rule are its rounded ones."""
    reads = []
    real = access.snapshot_info
    monkeypatch.setattr(access, "snapshot_info", lambda: reads.append(1) or real())
    children, count, _ = definitions.show_definitions("", None)
    assert count == f"{len(access.indicators())} of {len(access.indicators())} indicators."
    assert reads == []
    cards = [node for part in children for node in walk(part) if isinstance(node, dcc.Markdown)]
    rounded = [card for card in cards if "(HES rule)" in card.children]
    assert len(rounded) == len(access.rounded_indicators(real()))


def test_card_text_is_escaped_html():
    row = dict(access.indicator("bed_days"), description="Rates <b>&</b> ratios", caveats=[])
    fields = description_list(definitions.metadata_html(row))
    assert fields["Description"] == "Rates <b>&</b> ratios"
    assert "Rates &lt;b&gt;&amp;&lt;/b&gt; ratios" in definitions.metadata_html(row)
    assert fields["Caveats"] == "None"


def test_a_card_states_the_target_with_its_range_and_source():
    row = access.indicator("cervical_screening_25_49")
    assert definitions.target_text(row) == (
        "80 (range 45 to 80); source: QOF 2025/26 CS005 thresholds (45–80%); "
        "assurance is judged against the upper threshold"
    )
    assert definitions.target_text(access.indicator("registered_population")) == "No target"


def test_a_card_links_to_the_indicator_detail():
    links = [node for node in walk(card("bed_days")) if isinstance(node, dcc.Link)]
    assert [link.href for link in links] == ["/indicator/bed_days"]
    assert links[0].children == "See the data for Total bed days"


def test_layout_fills_the_search_and_selection_from_the_url():
    page = definitions.layout("/definitions", {"q": "frailty", "id": "bed_days"})
    nodes = {getattr(node, "id", None): node for node in walk(page)}
    assert nodes["definitions-search"].value == "frailty"
    assert nodes["definitions-selected"].data == "bed_days"
    labels = [node for node in walk(page) if isinstance(node, html.Label)]
    assert [label.htmlFor for label in labels] == ["definitions-search"]
