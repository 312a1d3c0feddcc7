"""Making Data Count icons: full names for assistive technology, letters and colours."""

from __future__ import annotations

import pytest

from dashboard import theme
from dashboard.icons import assurance_icon, variation_icon


def described(icon):
    return icon.to_plotly_json()["props"]


@pytest.mark.parametrize(
    ("variation", "improvement", "label", "letter", "colour"),
    [
        (
            "special_cause_improvement",
            "increase",
            "Special cause variation: improvement (high)",
            "H",
            theme.LIGHT_BLUE,
        ),
        (
            "special_cause_improvement",
            "decrease",
            "Special cause variation: improvement (low)",
            "L",
            theme.LIGHT_BLUE,
        ),
        (
            "special_cause_concern",
            "increase",
            "Special cause variation: concern (low)",
            "L",
            theme.ORANGE,
        ),
        (
            "special_cause_concern",
            "decrease",
            "Special cause variation: concern (high)",
            "H",
            theme.ORANGE,
        ),
        (
            "special_cause_neutral_high",
            "neutral",
            "Special cause variation: neutral (high)",
            "H",
            theme.PURPLE,
        ),
        (
            "special_cause_neutral_low",
            "neutral",
            "Special cause variation: neutral (low)",
            "L",
            theme.PURPLE,
        ),
        (
            "common_cause",
            "increase",
            "Common cause variation: no significant change",
            "CC",
            theme.GREY_1,
        ),
        (None, "increase", "Variation: not enough data", "–", theme.GREY_5),
    ],
)
def test_variation_icon(variation, improvement, label, letter, colour):
    props = described(variation_icon(variation, improvement))
    assert props["aria-label"] == label
    assert props["title"] == label
    assert props["role"] == "img"
    assert props["children"] == letter
    assert props["style"]["backgroundColor"] == colour


@pytest.mark.parametrize(
    ("assurance", "label", "letter", "colour"),
    [
        ("consistent_pass", "Assurance: consistently passing target", "P", theme.NHS_BLUE),
        ("consistent_fail", "Assurance: consistently failing target", "F", theme.ORANGE),
        ("inconsistent", "Assurance: inconsistently passing and failing target", "?", theme.GREY_1),
        (None, "Assurance: no target", "–", theme.GREY_5),
    ],
)
def test_assurance_icon(assurance, label, letter, colour):
    props = described(assurance_icon(assurance))
    assert (props["aria-label"], props["title"]) == (label, label)
    assert props["children"] == letter
    assert props["style"]["backgroundColor"] == colour
