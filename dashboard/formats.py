"""How numbers are written on the pages: the same decimals for every row of an indicator.

The decimals follow the indicator's unit, never the size of the value, so a column of one
indicator lines up and a board member never sees 2.35 beside 12.4 for the same measure:

- percentages (units starting "%"): one decimal and a % sign; two decimals when the
  indicator's target is under 10%, so a value short of a 2% target (1.95%) never reads
  as the target itself ("2.0%");
- an index (EQ-5D, from -0.6 to 1): three decimals;
- a standardised ratio (observed / expected, unit RATIO): two decimals;
- people: whole numbers;
- rates, ratios, means and days: one decimal.

A suppressed value is "*" (the page explains it once), a missing one "–". Also the words
for the hierarchy's levels: articles and plurals that stay right for configured labels.
"""

from __future__ import annotations

import math

from dashboard import access

SUPPRESSED = "*"
MISSING = "–"
SUPPRESSED_NOTE = (
    "* = suppressed: a count from 1 to 7, or a value from which one could be worked out, "
    "is not shown, and nothing is worked out from it."
)
# Under the HES rule (docs/metrics.md) every count shown is rounded: a board member reading
# 15 must know it stands for 13 to 17.
HES_ROUNDING_NOTE = " {counts} are rounded to the nearest 5 (HES rule)."
SMALL_TARGET = 10.0
RATIO = "standardised ratio"


def suppression_note(note: str = SUPPRESSED_NOTE) -> str:
    """Returns the note on `*`, naming the rounding when the shown snapshot used the HES rule."""
    if not access.uses_hes_rule():
        return note
    return note + HES_ROUNDING_NOTE.format(counts=access.rounded_counts())


def is_percentage(unit: str) -> bool:
    """Returns whether values of this unit are percentages."""
    return (unit or "").startswith("%")


def decimals(unit: str, target: float | None = None) -> int:
    """Returns the decimals every value of an indicator with this unit is shown with."""
    unit = unit or ""
    if unit == "people":
        return 0
    if "index" in unit:
        return 3
    if unit == RATIO:
        return 2
    if is_percentage(unit) and _present(target) and abs(target) < SMALL_TARGET:
        return 2
    return 1


def number(value, unit: str = "", target: float | None = None, *, suppressed=False) -> str:
    """Returns a value as text: '*' when suppressed, '–' when missing, else with the unit's
    decimals, thousands separated, and a % sign for percentages."""
    if suppressed:
        return SUPPRESSED
    if not _present(value):
        return MISSING
    text = f"{value:,.{decimals(unit, target)}f}"
    return text + ("%" if is_percentage(unit) else "")


def change(value, unit: str = "", target: float | None = None) -> str:
    """Returns a change between two values: signed, in the unit's decimals, and in
    percentage points ("+1.2 pts") for a percentage."""
    if not _present(value):
        return MISSING
    text = f"{value:+,.{decimals(unit, target)}f}"
    return text + (" pts" if is_percentage(unit) else "")


def _present(value) -> bool:
    if value is None:
        return False
    try:
        return not math.isnan(float(value))
    except (TypeError, ValueError):
        return False


# Words for the hierarchy's levels, whose display names can be configured ("PCN" for
# network): an acronym keeps its capitals, takes "an" when its first letter is spoken with
# a vowel sound ("an ICS", "a PCN"), and a plural "s" without an apostrophe.
VOWEL_SOUNDING_LETTERS = frozenset("AEFHILMNORSX")


def level_noun(level: str) -> str:
    """Returns a level's display name as a noun in running text: "locality", "PCN"."""
    label = str(access.level_label(level))
    return label if _is_acronym(label) else label.lower()


def plural(noun: str) -> str:
    """Returns the plural of a level noun: localities, practices, PCNs, areas."""
    if _is_acronym(noun):
        return noun + "s"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def with_article(noun: str) -> str:
    """Returns the noun with "a" or "an": "an area", "a locality", "a PCN", "an ICS"."""
    if _is_acronym(noun):
        vowel = noun[0] in VOWEL_SOUNDING_LETTERS
    else:
        vowel = noun[:1].lower() in "aeio" or (noun[:1].lower() == "u" and noun[:3] != "uni")
    return f"{'an' if vowel else 'a'} {noun}"


def sentence_start(text: str) -> str:
    """Returns the text with its first letter in capitals (the rest as it is: "PCNs")."""
    return text[:1].upper() + text[1:]


def _is_acronym(word: str) -> bool:
    letters = [character for character in word if character.isalpha()]
    return len(letters) > 1 and all(character.isupper() for character in letters)
