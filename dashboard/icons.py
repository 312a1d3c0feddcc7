"""Making Data Count variation and assurance icons as accessible HTML.

Each icon is a coloured circle with a short visible label (H or L for a special cause high
or low, CC for common cause; P, F or ? for assurance), and a role of "img" whose
aria-label and title name the icon in full, e.g. "Special cause variation: improvement
(high)" or "Assurance: consistently passing target". Colours follow Making Data Count
(blue improvement, orange concern, purple neutral, grey common cause) with text colours
chosen for contrast.
"""

from __future__ import annotations

from dash import html

from dashboard import theme

# variation -> (kind shown in the label, colour, text colour)
SPECIAL_CAUSES = {
    "special_cause_improvement": ("improvement", theme.LIGHT_BLUE, theme.NHS_BLACK),
    "special_cause_concern": ("concern", theme.ORANGE, theme.NHS_BLACK),
    "special_cause_neutral_high": ("neutral", theme.PURPLE, theme.NHS_WHITE),
    "special_cause_neutral_low": ("neutral", theme.PURPLE, theme.NHS_WHITE),
}
ASSURANCE = {
    "consistent_pass": ("P", "Assurance: consistently passing target", theme.NHS_BLUE),
    "consistent_fail": ("F", "Assurance: consistently failing target", theme.ORANGE),
    "inconsistent": ("?", "Assurance: inconsistently passing and failing target", theme.GREY_1),
}
ASSURANCE_TEXT = {
    "consistent_pass": theme.NHS_WHITE,
    "consistent_fail": theme.NHS_BLACK,
    "inconsistent": theme.NHS_WHITE,
}
NO_VARIATION = "Variation: not enough data"
NO_ASSURANCE = "Assurance: no target"


def variation_direction(variation: str, improvement: str) -> str:
    """Returns 'high' or 'low': which side of the mean a special cause lies.

    Neutral causes carry their side; improvement is high when higher is better
    (improvement 'increase') and concern the opposite.
    """
    if variation.startswith("special_cause_neutral_"):
        return variation.rsplit("_", 1)[1]
    upward = improvement == "increase"
    if variation == "special_cause_concern":
        upward = not upward
    return "high" if upward else "low"


def variation_label(variation: str | None, improvement: str) -> str:
    """Returns the icon's full name, e.g. 'Special cause variation: concern (low)'."""
    if variation == "common_cause":
        return "Common cause variation: no significant change"
    if variation not in SPECIAL_CAUSES:
        return NO_VARIATION
    kind = SPECIAL_CAUSES[variation][0]
    return f"Special cause variation: {kind} ({variation_direction(variation, improvement)})"


def variation_icon(variation: str | None, improvement: str) -> html.Span:
    """Returns the variation icon for a series' variation and the indicator's improvement
    direction ('increase', 'decrease' or 'neutral')."""
    label = variation_label(variation, improvement)
    if variation == "common_cause":
        return _icon("CC", label, theme.GREY_1, theme.NHS_WHITE)
    if variation not in SPECIAL_CAUSES:
        return _icon("–", label, theme.GREY_5, theme.NHS_BLACK)
    _, colour, text = SPECIAL_CAUSES[variation]
    letter = variation_direction(variation, improvement)[0].upper()
    return _icon(letter, label, colour, text)


def assurance_label(assurance: str | None) -> str:
    """Returns the assurance icon's full name."""
    return ASSURANCE[assurance][1] if assurance in ASSURANCE else NO_ASSURANCE


def assurance_icon(assurance: str | None) -> html.Span:
    """Returns the assurance icon (consistent_pass, consistent_fail, inconsistent, None)."""
    if assurance not in ASSURANCE:
        return _icon("–", NO_ASSURANCE, theme.GREY_5, theme.NHS_BLACK)
    letter, label, colour = ASSURANCE[assurance]
    return _icon(letter, label, colour, ASSURANCE_TEXT[assurance])


def _icon(text: str, label: str, colour: str, text_colour: str) -> html.Span:
    return html.Span(
        text,
        role="img",
        title=label,
        **{"aria-label": label},
        className="mdc-icon",
        style={
            "backgroundColor": colour,
            "color": text_colour,
            "border": f"1px solid {theme.GREY_1}",
        },
    )
