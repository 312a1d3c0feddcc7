"""Number and level-word formatting: decimals by unit, percentages, changes, articles and
plurals of configurable level labels."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard import access, formats


@pytest.mark.parametrize(
    ("value", "unit", "target", "shown"),
    [
        (72.345, "% of the register", 90.0, "72.3%"),
        (1.95, "% of registered adults", 2.0, "1.95%"),  # short of a 2% target: not "2.0%"
        (620.858, "bed days per 1,000 registered population per year", None, "620.9"),
        (0.81234, "mean EQ-5D index", None, "0.812"),
        (12345.0, "people", None, "12,345"),
        (0.8359, formats.RATIO, None, "0.84"),
        (4.25, "days", None, "4.2"),
        (math.nan, "days", None, "–"),
        (None, "days", None, "–"),
    ],
)
def test_numbers_take_the_decimals_of_their_unit(value, unit, target, shown):
    assert formats.number(value, unit, target) == shown


def test_decimals_do_not_depend_on_the_size_of_the_value():
    unit = "% of the register"
    assert {len(formats.number(v, unit).split(".")[1]) for v in (0.5, 5.0, 55.0)} == {2}


def test_suppressed_and_changes():
    assert formats.number(12.0, "days", suppressed=True) == "*"
    assert formats.change(1.234, "% of the register") == "+1.2 pts"
    assert formats.change(-12.34, "bed days per 1,000") == "-12.3"
    assert formats.change(math.nan, "days") == "–"


@pytest.mark.parametrize(
    ("noun", "with_article", "plural"),
    [
        ("area", "an area", "areas"),
        ("locality", "a locality", "localities"),
        ("PCN", "a PCN", "PCNs"),
        ("ICS", "an ICS", "ICSs"),
        ("practice", "a practice", "practices"),
        ("network", "a network", "networks"),
    ],
)
def test_articles_and_plurals(noun, with_article, plural):
    assert formats.with_article(noun) == with_article
    assert formats.plural(noun) == plural


def test_level_nouns_keep_acronyms(monkeypatch):
    monkeypatch.setattr(formats.access, "level_label", {"network": "PCN"}.get)
    assert formats.level_noun("network") == "PCN"
    monkeypatch.setattr(formats.access, "level_label", lambda level: level.capitalize())
    assert formats.level_noun("locality") == "locality"
    assert formats.sentence_start(formats.plural("PCN")) == "PCNs"


INDICATORS = pd.DataFrame({
    "id": ["bed_days", "eq5d_index", "dm_bp_control"],
    "group": ["northumbria", "northumbria", "care_package"],
    "title": ["Total bed days", "EQ-5D index", "Diabetes: blood pressure"],
})  # fmt: skip
BOARD = ["bed_days", "eq5d_index"]


@pytest.mark.parametrize(
    ("info", "counts"),
    [
        ({}, None),
        ({"disclosure_rule": "hes"}, "Counts"),
        ({"disclosure_rule": "mixed", "rounded_indicators": BOARD},
         "Counts of the Northumbria group's indicators"),
        ({"disclosure_rule": "mixed", "rounded_indicators": ["bed_days"]},
         "Counts of Total bed days"),
    ],
)  # fmt: skip
def test_the_suppression_note_names_the_counts_rounded_under_the_hes_rule(
    monkeypatch, info, counts
):
    monkeypatch.setattr(access, "indicators", lambda: INDICATORS)
    monkeypatch.setattr(access, "snapshot_info", lambda: info)
    rounding = "" if counts is None else f" {counts} are rounded to the nearest 5 (HES rule)."
    assert formats.suppression_note() == formats.SUPPRESSED_NOTE + rounding
    assert formats.suppression_note("* = suppressed.") == "* = suppressed." + rounding
