"""The indicator registry: every indicator in the catalogue has a complete definition.

In the spirit of Datasette's documentation tests, these fail when an indicator that
docs/METRICS.md (the catalogue) defines has no definition file, when a definition lacks a
required field or uses a value the engine does not know, and when a care-package KPI's
default target differs from the catalogue's. They also check that configured overrides are
applied, and that mistakes in them are refused with a UserError.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from metrics import registry
from metrics.disclosure_rounding import rounded_metrics
from metrics.registry import (
    ACCUMULATIONS,
    DEFINITIONS_DIR,
    DENOMINATORS,
    GROUPS,
    LEVELS,
    METHODS,
    POLARITIES,
    REQUIRED_FIELDS,
    SPC_KEYS,
    load_registry,
    missing_fields,
    read_definition,
)
from wholesystem.errors import UserError

CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "METRICS.md"
SEGMENTS = ["age_band", "sex", "condition", "frailty", "care_home", "risk_tier", "deprivation"]
WAREHOUSE_TABLES = {
    "organisations", "population", "patients", "conditions", "gp_events", "apc_spells",
    "deaths", "care_home_admissions", "survey_responses", "aggregate_indicators",
    "lsoa_deprivation", "ae_attendances",
}  # fmt: skip
# Ids the catalogue names in its prose or inside a table cell, not in a table's first column.
PROSE_IDS = [
    "acsc_all", "acsc_bed_days", "emergency_bed_days_65plus", "decedents_3plus_nel_last_100_days",
]  # fmt: skip
# "Context measures" bullets in the catalogue → the indicator ids that show them.
CONTEXT_MEASURES = {
    "Registered population.": ["registered_population"],
    "% aged 65+.": ["pct_aged_65plus"],
    "% aged 75+.": ["pct_aged_75plus"],
    "Deprivation: IMD quintile mix, from the LSOA of each person.": [
        "pct_imd_q1", "pct_imd_q2", "pct_imd_q3", "pct_imd_q4", "pct_imd_q5",
    ],
    "Recorded prevalence of DM, COPD, HF and DEM.": [
        "prevalence_dm", "prevalence_copd", "prevalence_hf", "prevalence_dem",
    ],
    "% moderate or severe frailty.": ["pct_frailty_moderate_severe"],
    "% on the high-risk register.": ["pct_high_risk_register"],
}  # fmt: skip
# "Segments" bullets in the catalogue (the words before any detail) → segment names.
SEGMENT_NAMES = {
    "age band": "age_band",
    "sex": "sex",
    "condition": "condition",
    "frailty": "frailty",
    "care home resident": "care_home",
    "risk tier": "risk_tier",
    "deprivation quintile": "deprivation",
}
# Care-package KPIs and their default targets (lower, upper), from the catalogue's table.
CARE_PACKAGE_TARGETS = {
    "dm_hba1c_control": (35.0, 75.0),
    "dm_bp_control": (38.0, 90.0),
    "dm_cholesterol_control": (40.0, 90.0),
    "dm_triple_target": (30.0, 60.0),
    "dm_care_plan": (50.0, 90.0),
    "dm_retinal_screening": (60.0, 90.0),
    "dm_structured_education": (40.0, 90.0),
    "imm_dtap_8m": (89.0, 96.0),
    "imm_mmr1_18m": (86.0, 96.0),
    "cervical_screening_25_49": (45.0, 80.0),
    "cervical_screening_50_64": (45.0, 80.0),
    "high_risk_register_coverage": (2.0, 2.0),
}
# Families whose rows are people or their records, and so can be cut by segment.
PERSON_LEVEL_FAMILIES = {"spells", "deaths", "care_homes", "registers", "ae_attendances"}
ANNUALISED_CAVEAT = "Rates for periods shorter than a year are annualised (× 12 / months)."
NON_EMPTY_LISTS = ("sources", "levels", "caveats", "references")


def _catalogue() -> str:
    return CATALOGUE.read_text(encoding="utf-8")


def _table_rows(text: str) -> list[list[str]]:
    """Returns the cells of the body rows of the catalogue's tables whose first column is id."""
    rows, header = [], None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif header[0] == "id" and not set(cells[0]) <= set("-: "):
            rows.append(cells)
    return rows


def _table_ids(text: str) -> list[str]:
    """Returns the ids (backticked or not) in the first column of the catalogue's tables."""
    return [cells[0].strip("`") for cells in _table_rows(text)]


def _section_bullets(text: str, heading: str) -> list[str]:
    """Returns the bullet texts of one `## heading` section of the catalogue."""
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return [line[2:].strip() for line in section.splitlines() if line.startswith("- ")]


def _definitions() -> dict[str, dict]:
    paths = sorted(DEFINITIONS_DIR.glob("*.toml"))
    return {path.stem: read_definition(path) for path in paths}


DEFINITIONS = _definitions()


def _catalogue_ids() -> list[str]:
    return _table_ids(_catalogue()) + PROSE_IDS


def test_catalogue_is_parsed():
    ids = _table_ids(_catalogue())
    assert len(ids) == len(set(ids)) >= 25
    assert {"bed_days", "acsc_chronic", "dm_hba1c_control", "emergency_admissions"} <= set(ids)


@pytest.mark.parametrize("indicator_id", PROSE_IDS)
def test_prose_ids_are_named_in_the_catalogue(indicator_id):
    assert f"`{indicator_id}`" in _catalogue()


@pytest.mark.parametrize("indicator_id", _catalogue_ids())
def test_every_catalogue_indicator_has_a_definition(indicator_id):
    assert (DEFINITIONS_DIR / f"{indicator_id}.toml").is_file()


def test_polarity_follows_the_catalogue():
    polarities = {
        cells[0].strip("`"): cells[-1].split()[0]
        for cells in _table_rows(_catalogue())
        if cells[-1].split()[0] in ("lower", "higher")
    }
    assert len(polarities) == 17  # the two tables with a polarity column
    for indicator_id, polarity in polarities.items():
        assert DEFINITIONS[indicator_id]["polarity"] == polarity
    for indicator_id in CARE_PACKAGE_TARGETS:  # "The polarity is higher is better."
        assert DEFINITIONS[indicator_id]["polarity"] == "higher"


def test_carers_are_reported_separately():
    # The catalogue's coordinated_care row: "patients and carers separately".
    assert DEFINITIONS["coordinated_care_carers"]["computation"]["family"] == "survey"


def test_every_context_measure_maps_to_context_indicators():
    assert _section_bullets(_catalogue(), "Context measures (for fair comparison, not judged)") == (
        list(CONTEXT_MEASURES)
    )
    for ids in CONTEXT_MEASURES.values():
        for indicator_id in ids:
            raw = DEFINITIONS[indicator_id]
            assert (raw["group"], raw["polarity"], raw["segments"]) == ("context", "none", [])


def test_every_segment_maps_to_a_segment_name():
    bullets = _section_bullets(_catalogue(), "Segments")
    names = [re.split(r"[(:;.]", bullet, maxsplit=1)[0].strip() for bullet in bullets]
    assert names == list(SEGMENT_NAMES)
    assert list(SEGMENT_NAMES.values()) == SEGMENTS


@pytest.mark.parametrize("stem", list(DEFINITIONS))
def test_person_level_indicators_have_every_segment(stem):
    raw = DEFINITIONS[stem]
    person_level = raw["computation"]["family"] in PERSON_LEVEL_FAMILIES
    assert raw["segments"] == (SEGMENTS if person_level else [])


@pytest.mark.parametrize("stem", list(DEFINITIONS))
def test_definition_has_every_required_field(stem):
    raw = DEFINITIONS[stem]
    assert missing_fields(raw) == []
    assert all(raw[name] for name in NON_EMPTY_LISTS)


@pytest.mark.parametrize("name", REQUIRED_FIELDS)
def test_a_removed_field_is_reported_missing(name):
    raw = copy.deepcopy(DEFINITIONS["acsc_chronic"])
    del raw[name]
    assert name in missing_fields(raw)


def test_an_empty_field_and_a_missing_computation_key_are_reported():
    raw = copy.deepcopy(DEFINITIONS["dm_hba1c_control"])
    raw["numerator"] = ""
    del raw["computation"]["family"]
    assert missing_fields(raw) == ["numerator", "computation.family"]


@pytest.mark.parametrize("stem", list(DEFINITIONS))
def test_definition_values_are_known(stem):
    raw = DEFINITIONS[stem]
    computation = raw["computation"]
    assert raw["id"] == stem
    assert raw["polarity"] in POLARITIES
    assert raw["method"] in METHODS
    assert raw["group"] in GROUPS
    assert set(raw["levels"]) <= set(LEVELS)
    assert computation["accumulate"] in ACCUMULATIONS
    assert computation.get("denominator", "units") in DENOMINATORS
    assert set(raw["sources"]) <= WAREHOUSE_TABLES
    assert raw["multiplier"] > 0
    assert str(raw["last_reviewed"]) == "2026-11-22"


@pytest.mark.parametrize("stem", list(DEFINITIONS))
def test_annualised_rates_say_so(stem):
    raw = DEFINITIONS[stem]
    annualised = raw["computation"].get("annualised", False)
    assert (ANNUALISED_CAVEAT in raw["caveats"]) == annualised


def test_care_package_group_is_the_catalogue_table():
    care_package = {stem for stem, raw in DEFINITIONS.items() if raw["group"] == "care_package"}
    assert care_package == set(CARE_PACKAGE_TARGETS)


def test_expected_targets_match_the_catalogue():
    catalogue = {
        cells[0].strip("`"): cells[-1]
        for cells in _table_rows(_catalogue())
        if cells[0].strip("`") in CARE_PACKAGE_TARGETS
    }
    assert set(catalogue) == set(CARE_PACKAGE_TARGETS)
    for indicator_id, target in catalogue.items():
        bounds = re.search(r"(\d+)–(\d+)%", target) or re.search(r"target (\d+)()%", target)
        lower, upper = bounds.group(1), bounds.group(2) or bounds.group(1)
        assert CARE_PACKAGE_TARGETS[indicator_id] == (float(lower), float(upper))


@pytest.mark.parametrize("indicator_id", list(CARE_PACKAGE_TARGETS))
def test_care_package_target_defaults(indicator_id):
    target = load_registry()[indicator_id].target
    assert (target.lower, target.upper) == CARE_PACKAGE_TARGETS[indicator_id]
    assert target.value == target.upper
    assert target.source


def test_load_registry_returns_every_definition():
    assert list(load_registry()) == list(DEFINITIONS)


def test_load_registry_applies_an_override():
    overrides = {"dm_cholesterol_control": {"cholesterol_threshold": 5.0, "target_lower": 50}}
    indicators = load_registry(overrides)
    cholesterol = indicators["dm_cholesterol_control"]
    assert cholesterol.parameters == {"cholesterol_threshold": 5.0}
    assert (cholesterol.target.lower, cholesterol.target.upper) == (50.0, 90.0)
    assert indicators["dm_triple_target"].parameters["cholesterol_threshold"] == 4.0
    assert load_registry()["dm_cholesterol_control"].target.lower == 40.0


def test_load_registry_rejects_an_unknown_indicator():
    with pytest.raises(UserError, match="no_such_indicator"):
        load_registry({"no_such_indicator": {"target": 50}})


def test_load_registry_rejects_an_unknown_key():
    with pytest.raises(UserError, match="cholesterol_treshold"):
        load_registry({"dm_cholesterol_control": {"cholesterol_treshold": 5.0}})


def test_load_registry_rejects_an_incomplete_definition(monkeypatch):
    broken = copy.deepcopy(DEFINITIONS["acsc_chronic"])
    del broken["caveats"]
    monkeypatch.setattr(registry, "_raw_definitions", lambda: (("acsc_chronic", broken),))
    with pytest.raises(UserError, match="caveats"):
        load_registry()


# --- the optional [spc] table -----------------------------------------------------------

LEAD_IN_CAVEAT = "Deaths within 100 days of the start of the hospital data"


def test_spc_months_default_to_none_left_out():
    indicator = load_registry()["bed_days"]
    assert (indicator.lead_in_months, indicator.provisional_months) == (0, 0)


@pytest.mark.parametrize("stem", list(DEFINITIONS))
def test_a_lead_in_is_declared_where_the_caveats_call_the_first_months_biased(stem):
    raw = DEFINITIONS[stem]
    biased_start = any(caveat.startswith(LEAD_IN_CAVEAT) for caveat in raw["caveats"])
    assert load_registry()[stem].lead_in_months == (4 if biased_start else 0)
    assert set(raw.get("spc", {})) <= set(SPC_KEYS)


def test_provisional_months_are_declared_for_the_measures_still_revised():
    declared = {
        stem: indicator.provisional_months
        for stem, indicator in load_registry().items()
        if indicator.provisional_months
    }
    assert declared == {"readmission_30d_75plus": 1, "care_home_admissions_65plus": 1}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"lead_in_month": 4}, r"\[spc\] has unknown key\(s\) lead_in_month"),
        ({"lead_in_months": -1}, r"\[spc\] lead_in_months = -1 is not a whole number of months"),
        ({"provisional_months": 1.5}, r"\[spc\] provisional_months = 1.5 is not a whole number"),
        ({"provisional_months": True}, r"\[spc\] provisional_months = True is not a whole number"),
    ],
)
def test_a_bad_spc_table_is_refused_naming_the_file(monkeypatch, table, message):
    broken = copy.deepcopy(DEFINITIONS["bed_days"]) | {"spc": table}
    monkeypatch.setattr(registry, "_raw_definitions", lambda: (("bed_days", broken),))
    with pytest.raises(UserError, match=r"bed_days\.toml: " + message):
        load_registry()


# --- which indicators are published under the HES rule (metrics.registry DISCLOSURE_RULES) ---


def test_by_default_the_board_indicators_are_rounded_and_the_others_exact():
    indicators = load_registry()
    board = sorted(i.id for i in indicators.values() if i.group == "northumbria")
    assert len(board) == 14
    assert rounded_metrics(indicators, None) == board
    assert indicators["bed_days"].disclosure_sentence(7, rounded=True) == (
        "Counts 1–7 shown as *, with the rate and limits derived from them. Other counts are "
        "rounded to the nearest 5, and the values, limits and comparisons are worked out from "
        "the rounded counts (HES rule)."
    )


def test_the_setting_is_every_indicators_rule_and_a_configured_one_beats_it():
    indicators = load_registry()
    assert rounded_metrics(indicators, "complementary") == []
    assert rounded_metrics(indicators, "hes") == sorted(indicators)
    rules = {"bed_days": "complementary", "dm_bp_control": "hes"}
    configured = load_registry({id: {"disclosure_rule": rule} for id, rule in rules.items()})
    assert rounded_metrics(configured, "complementary") == ["dm_bp_control"]
    assert "bed_days" not in rounded_metrics(configured, "hes")
    assert "bed_days" not in rounded_metrics(configured, None)


def test_a_rule_that_does_not_exist_is_one_sentence():
    with pytest.raises(UserError) as refused:
        load_registry({"bed_days": {"disclosure_rule": "round"}})
    assert str(refused.value) == (
        "configuration [indicators.bed_days] disclosure_rule = 'round' is not one of "
        "complementary, hes"
    )


# --- the disclosure sentence follows the snapshot's threshold and rule, not the file's ---


def test_the_disclosure_sentence_names_the_threshold_and_rounding_applied():
    indicators = load_registry()
    assert indicators["dm_hba1c_control"].disclosure_sentence(10, rounded=False) == (
        "Counts 1–10 shown as *, with the percentage and limits derived from them. Other values "
        "are shown as * too where a hidden count could be worked out from them."
    )
    assert indicators["eq5d_index"].disclosure_sentence(7, rounded=False) == (
        "Not shown under 10 responses; counts 1–7 shown as *. Other values are shown as * too "
        "where a hidden count could be worked out from them."
    )
    # A mean (EQ-5D) and a DSR are rounded themselves, not worked out from rounded counts.
    for metric_id, particular in (
        ("eq5d_index", "Not shown under 10 responses; counts 1–5 shown as *."),
        ("acsc_chronic", "Counts 1–5 shown as *, with the rate and limits derived from them."),
    ):
        assert indicators[metric_id].disclosure_sentence(5, rounded=True) == particular + (
            " Other counts are rounded to the nearest 5, and the value and its limits to the "
            "decimals shown (HES rule)."
        )


@pytest.mark.parametrize("stem", sorted(DEFINITIONS))
def test_no_definition_fixes_the_threshold_or_the_rule_in_words(stem):
    sentence = load_registry()[stem].disclosure_sentence(9, rounded=False)
    assert "1–9" in sentence and "7" not in sentence and "HES" not in sentence
    assert "{" not in sentence


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("Counts 1–7 shown as *.{rounding}", "hold {small} once"),
        ("Counts {small} shown.", "hold {rounding} once"),
        ("Counts {small}{rounding}, too.", "end with {rounding}"),
    ],
)
def test_a_disclosure_without_its_placeholders_is_refused_naming_the_file(monkeypatch, text, wrong):
    broken = copy.deepcopy(DEFINITIONS["bed_days"]) | {"disclosure": text}
    monkeypatch.setattr(registry, "_raw_definitions", lambda: (("bed_days", broken),))
    with pytest.raises(UserError) as refused:
        load_registry()
    assert str(refused.value) == (
        f"indicator definition bed_days.toml: disclosure must {wrong}: the snapshot puts the "
        "suppression threshold at {small} ('1–7') and the disclosure rule, as a sentence of "
        "its own, at {rounding}"
    )
