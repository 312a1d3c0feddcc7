"""The indicator registry: one TOML definition file per indicator in `metrics/definitions/`.

A definition is data, in the spirit of OpenPrescribing's measure files: what the indicator
is, why it matters, how its numerator and denominator are counted, its polarity, method,
target and caveats. The engine reads the `computation` table to know which SQL family
produces the indicator and how its months combine into longer periods, and the optional
`spc` table for the months its SPC limits leave out (SPC_KEYS). Every field listed in
REQUIRED_FIELDS must be present (a test fails otherwise).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from metrics.disclosure_rounding import VALUE_ROUNDED_METHODS
from wholesystem.errors import UserError

DEFINITIONS_DIR = Path(__file__).parent / "definitions"
LEVELS = ("practice", "network", "locality", "area", "system")
PARENT_LEVEL = {"practice": "network", "network": "locality", "locality": "area", "area": "system"}
POLARITIES = ("lower", "higher", "none")
METHODS = ("proportion", "rate", "dsr", "ratio", "mean", "count")
GROUPS = ("northumbria", "whole_system", "care_package", "context", "supplied")
# How a period longer than a month is built from its months: added up, or the value at the
# period's last month (registers and "in the 12 months to period end" measures).
ACCUMULATIONS = ("sum", "period_end")
DENOMINATORS = ("units", "registered_population", "care_home_residents")
REQUIRED_FIELDS = (
    "id", "title", "group", "description", "why_it_matters", "numerator", "denominator",
    "sources", "unit", "multiplier", "polarity", "method", "levels", "segments",
    "disclosure", "caveats", "references", "last_reviewed", "computation",
)  # fmt: skip
# The optional `[spc]` table: months of each monthly series left out of the SPC mean and
# limits, the first N (a lead-in the caveats call biased) and the latest N (still revised).
SPC_KEYS = ("lead_in_months", "provisional_months")
# The disclosure rules (metrics.disclosure, metrics.disclosure_rounding). An indicator's is,
# first found: `[indicators.<id>] disclosure_rule` in the configuration, the setting
# `disclosure_rule` (every indicator's, when set), its definition's `disclosure_rule`
# (the board's Northumbria indicators: "hes"), else "complementary". So a board's counts are
# rounded while the KPIs a payment scheme pays on stay exact.
DISCLOSURE_RULES = ("complementary", "hes")
# A definition's `disclosure` says what is particular to the indicator ("Supplied counts",
# "Not shown under 10 responses"); the threshold and the rule are settings, so the text
# holds each once as a placeholder, and the snapshot gets the sentence for the threshold and
# rule it was published under (Indicator.disclosure_sentence). The pages and the API show
# that sentence, so what it says of the rule is what the rule does to this indicator's
# method: under the HES rule a mean's or a DSR's value is not worked out from the rounded
# counts but rounded itself (metrics.disclosure_rounding).
SMALL_COUNTS, ROUNDING = "{small}", "{rounding}"
RULE_SENTENCES = {
    "complementary": " Other values are shown as * too where a hidden count could be worked "
    "out from them.",
    "hes": " Other counts are rounded to the nearest 5, and the values, limits and comparisons "
    "are worked out from the rounded counts (HES rule).",
    "hes, value rounded": " Other counts are rounded to the nearest 5, and the value and its "
    "limits to the decimals shown (HES rule).",
}


@dataclass(frozen=True)
class Target:
    """A target: `value` is what assurance is judged against; lower/upper are thresholds."""

    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    source: str = ""


@dataclass(frozen=True)
class Indicator:
    """One indicator's definition (see metrics/definitions/*.toml for the fields' meaning)."""

    id: str
    title: str
    group: str
    description: str
    why_it_matters: str
    numerator: str
    denominator: str
    sources: tuple[str, ...]
    unit: str
    multiplier: float
    polarity: str
    method: str
    levels: tuple[str, ...]
    segments: tuple[str, ...]
    disclosure: str
    caveats: tuple[str, ...]
    references: tuple[str, ...]
    last_reviewed: str
    family: str
    accumulate: str = "sum"
    denominator_kind: str = "units"
    ages: tuple[int, int | None] = (0, None)
    annualised: bool = False
    isr: bool = False
    minimum_denominator: int = 0
    lead_in_months: int = 0
    provisional_months: int = 0
    target: Target = Target()
    parameters: dict = field(default_factory=dict)
    disclosure_rule: str = "complementary"  # the definition's (DISCLOSURE_RULES)
    configured_rule: str | None = None  # `[indicators.<id>] disclosure_rule`, if any

    def disclosure_sentence(self, threshold: int, rounded: bool) -> str:
        """How this indicator's counts are protected, for the `threshold` and the rule
        (`rounded`: the HES rule) that a snapshot applied."""
        sentence = self.disclosure.replace(SMALL_COUNTS, f"1–{threshold}")
        return sentence.replace(ROUNDING, RULE_SENTENCES[self._rule_applied(rounded)])

    def _rule_applied(self, rounded: bool) -> str:
        """The key of RULE_SENTENCES for this indicator under the rule a snapshot applied."""
        if not rounded:
            return "complementary"
        return "hes, value rounded" if self.method in VALUE_ROUNDED_METHODS else "hes"

    def rule(self, setting: str | None) -> str:
        """The disclosure rule this indicator is published under, given the setting's."""
        return self.configured_rule or setting or self.disclosure_rule

    @property
    def improvement(self) -> str:
        """The SPC improvement direction that follows from the polarity."""
        return {"lower": "decrease", "higher": "increase"}.get(self.polarity, "neutral")


def read_definition(path: Path) -> dict:
    """Returns the raw TOML table of one definition file."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"indicator definition {path.name} is not valid TOML: {error}") from None


def missing_fields(raw: dict) -> list[str]:
    """Returns the required fields a raw definition lacks or leaves empty."""
    absent = [name for name in REQUIRED_FIELDS if raw.get(name) in (None, "")]
    computation = raw.get("computation", {})
    absent += [f"computation.{key}" for key in ("family", "accumulate") if key not in computation]
    return absent


def build_indicator(raw: dict, overrides: dict | None = None) -> Indicator:
    """Returns the Indicator for a raw definition, with configured overrides applied."""
    overrides = overrides or {}
    computation = raw["computation"]
    target = {**raw.get("target", {}), **_target_overrides(overrides)}
    parameters = {**raw.get("parameters", {}), **_parameter_overrides(raw, overrides)}
    ages = computation.get("ages", [0, None])
    return Indicator(
        id=raw["id"], title=raw["title"], group=raw["group"], description=raw["description"],
        why_it_matters=raw["why_it_matters"], numerator=raw["numerator"],
        denominator=raw["denominator"], sources=tuple(raw["sources"]), unit=raw["unit"],
        multiplier=float(raw["multiplier"]), polarity=raw["polarity"], method=raw["method"],
        levels=tuple(raw["levels"]), segments=tuple(raw["segments"]),
        disclosure=_checked_disclosure(raw), caveats=tuple(raw["caveats"]),
        references=tuple(raw["references"]), last_reviewed=str(raw["last_reviewed"]),
        family=computation["family"], accumulate=computation["accumulate"],
        denominator_kind=computation.get("denominator", "units"),
        ages=(ages[0], ages[1] if len(ages) > 1 else None),
        annualised=bool(computation.get("annualised", False)),
        isr=bool(computation.get("isr", False)),
        minimum_denominator=int(computation.get("minimum_denominator", 0)),
        **spc_months(raw), target=Target(**target), parameters=parameters,
        disclosure_rule=_checked_rule(raw.get("disclosure_rule", "complementary"),
                                      f"indicator definition {raw['id']}.toml: disclosure_rule"),
        configured_rule=_checked_rule(overrides.get("disclosure_rule"),
                                      f"configuration [indicators.{raw['id']}] disclosure_rule"),
    )  # fmt: skip


def _checked_disclosure(raw: dict) -> str:
    """The definition's `disclosure`; raises UserError naming the file unless it holds
    each placeholder once, the rule's at the end (the threshold and the rule are the
    snapshot's to fill in, the rule as a sentence of its own)."""
    text = raw["disclosure"]
    missing = [held for held in (SMALL_COUNTS, ROUNDING) if text.count(held) != 1]
    if missing or not text.endswith(ROUNDING):
        wrong = f"hold {missing[0]} once" if missing else f"end with {ROUNDING}"
        raise UserError(
            f"indicator definition {raw['id']}.toml: disclosure must {wrong}: the snapshot "
            "puts the suppression threshold at {small} ('1–7') and the disclosure rule, as a "
            "sentence of its own, at {rounding}"
        )
    return text


def _checked_rule(rule: str | None, where: str) -> str | None:
    """`rule`; raises UserError naming `where` for a rule that does not exist."""
    if rule is not None and rule not in DISCLOSURE_RULES:
        raise UserError(f"{where} = {rule!r} is not one of {', '.join(DISCLOSURE_RULES)}")
    return rule


def spc_months(raw: dict) -> dict[str, int]:
    """Returns the `[spc]` table's month counts (0 when absent); raises UserError naming the
    definition for an unknown key or a value that is not a whole number of months."""
    table = raw.get("spc", {})
    unknown = sorted(set(table) - set(SPC_KEYS)) if isinstance(table, dict) else ["spc"]
    if unknown:
        raise UserError(
            f"indicator definition {raw['id']}.toml: [spc] has unknown key(s) "
            f"{', '.join(unknown)}; the keys are {', '.join(SPC_KEYS)}"
        )
    months = {key: table.get(key, 0) for key in SPC_KEYS}
    for key, value in months.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 120:
            raise UserError(
                f"indicator definition {raw['id']}.toml: [spc] {key} = {value!r} is not a "
                "whole number of months from 0 to 120"
            )
    return months


def _target_overrides(overrides: dict) -> dict:
    names = {"target": "value", "target_lower": "lower", "target_upper": "upper"}
    return {names[key]: float(value) for key, value in overrides.items() if key in names}


def _parameter_overrides(raw: dict, overrides: dict) -> dict:
    known = raw.get("parameters", {})
    unknown = set(overrides) - set(known) - {"target", "target_lower", "target_upper"}
    unknown -= {"disclosure_rule"}
    if unknown:
        names = ", ".join(sorted(unknown))
        raise UserError(f"configuration [indicators.{raw['id']}] has unknown key(s): {names}")
    return {key: type(known[key])(value) for key, value in overrides.items() if key in known}


@cache
def _raw_definitions() -> tuple[tuple[str, dict], ...]:
    paths = sorted(DEFINITIONS_DIR.glob("*.toml"))
    return tuple((path.stem, read_definition(path)) for path in paths)


def load_registry(overrides: dict | None = None) -> dict[str, Indicator]:
    """Returns every indicator by id, in file order, with configured overrides applied.

    Raises UserError when a definition is incomplete or an override names no indicator.
    """
    overrides = overrides or {}
    raws = dict(_raw_definitions())
    unknown = sorted(set(overrides) - set(raws))
    if unknown:
        raise UserError(f"configuration names unknown indicator(s): {', '.join(unknown)}")
    for stem, raw in raws.items():
        if missing_fields(raw):
            raise UserError(f"indicator definition {stem}.toml lacks {missing_fields(raw)}")
    return {stem: build_indicator(raw, overrides.get(stem)) for stem, raw in raws.items()}
