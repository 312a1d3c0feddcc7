"""The locality drill-down: cards, children, context and breadcrumb equal the snapshot's
values, scope is enforced, suppressed values show "*", and a bad org gets one sentence."""

from __future__ import annotations

import pandas as pd

from dashboard import access, session
from dashboard.pages import drilldown
from dashboard.pages.drilldown_data import drilldown_view, format_value, latest_period
from dashboard.scope import Scope
from tests.dashboard.pages.tree import by_id, components, text

LOCALITY = "HDC"


def same(left, right) -> bool:
    """Exact equality, with missing equal to missing (a suppressed value is NULL)."""
    return (pd.isna(left) and pd.isna(right)) or left == right


def latest_values(org_codes, period_type="rolling12", scope=None) -> pd.DataFrame:
    period = latest_period(period_type)
    return access.values(
        scope or Scope.whole_system(),
        org_codes=org_codes,
        period_type=period_type,
        period_starts=[period["period_start"]],
    )


def test_cards_show_the_snapshot_values_against_the_parent():
    body = drilldown.render_body(LOCALITY)
    expected = latest_values([LOCALITY]).set_index("metric_id")
    view = drilldown_view(Scope.whole_system(), LOCALITY)
    rows = view.rows_for(LOCALITY)
    assert "bed_days" in rows and "emergency_admissions" in rows
    for metric, row in rows.items():
        assert same(row["value"], expected.loc[metric, "value"])
        assert same(row["parent_value"], expected.loc[metric, "parent_value"])
    card = text(by_id(body, "drilldown-card-bed_days"))
    bed_days = expected.loc["bed_days"]
    assert format_value(bed_days["value"], False, rows["bed_days"]["unit"]) in card
    assert f"Hollinsdale Place: {format_value(bed_days['parent_value'])}" in card
    phrase = drilldown.COMPARISON_PHRASES.get(bed_days["comparison_parent"], "")
    assert phrase in card


def test_breadcrumb_runs_from_the_system_to_the_org():
    body = drilldown.render_body(LOCALITY)
    crumbs = by_id(body, "drilldown-crumb-SYSTEM"), by_id(body, "drilldown-crumb-E38000992")
    assert [(crumb.children, crumb.href) for crumb in crumbs] == [
        ("Whole system", "/drilldown?org=SYSTEM"),
        ("Hollinsdale Place", "/drilldown?org=E38000992"),
    ]


def test_children_link_down_a_level_with_their_values():
    body = drilldown.render_body(LOCALITY)
    networks = access.org_units(Scope.whole_system(), "network")
    children = networks[networks["parent_code"] == LOCALITY]
    expected = latest_values(list(children["org_code"])).set_index(["org_code", "metric_id"])
    for code, name in zip(children["org_code"], children["org_name"], strict=True):
        link = by_id(body, f"drilldown-child-{code}")
        assert (link.children, link.href) == (name, f"/drilldown?org={code}")
        row = next(
            node
            for node in components(body)
            if isinstance(node, drilldown.html.Tr) and link in list(components(node))
        )
        admissions = expected.loc[(code, "emergency_admissions"), "value"]
        assert format_value(admissions, unit="per 1,000") in text(row)


def test_clicking_a_child_moves_down_a_level():
    body = drilldown.show_org("?org=U92003")
    assert text(body[1]).startswith("Coastline PCN (network)")
    practices = access.org_units(Scope.whole_system(), "practice")
    for code in practices.loc[practices["parent_code"] == "U92003", "org_code"]:
        assert by_id(body, f"drilldown-child-{code}").href == f"/drilldown?org={code}"


def test_context_strip_compares_population_and_age_with_the_system():
    body = drilldown.render_body(LOCALITY)
    values = latest_values([LOCALITY, "SYSTEM"]).set_index(["org_code", "metric_id"])
    own = values.loc[(LOCALITY, "registered_population"), "value"]
    system = values.loc[("SYSTEM", "registered_population"), "value"]
    context = text(by_id(body, "drilldown-context"))
    assert f"{own:,.0f} (system {system:,.0f})" in context
    aged = values.loc[(LOCALITY, "pct_aged_65plus"), "value"]
    assert f"{aged:.1f}%" in context
    assert "Q1: " in context and "Dementia prevalence" in context


def test_a_practice_has_no_children_and_links_to_its_profile():
    body = drilldown.render_body("X10017")
    assert not [
        n for n in components(body) if str(getattr(n, "id", "")).startswith("drilldown-child-")
    ]
    assert by_id(body, "drilldown-practice-profile").href == "/practice?org=X10017"


def test_suppressed_values_show_a_star():
    values = latest_values(None)
    suppressed = values[
        values["suppressed"]
        & (values["level"] == "practice")
        & (values["metric_id"] == "decedents_3plus_nel_last_100_days")
    ]
    code = suppressed["org_code"].iloc[0]
    card = by_id(drilldown.render_body(code), "drilldown-card-decedents_3plus_nel_last_100_days")
    assert card.children[1].children == "*"
    assert "95% CI *" in text(card)
    network = access.org_units(Scope.whole_system(), "practice").set_index("org_code")
    assert f"{network_name(network.loc[code, 'parent_code'])}: *" in text(card)


def network_name(code: str) -> str:
    orgs = access.org_units(Scope.whole_system())
    return orgs.loc[orgs["org_code"] == code, "org_name"].iloc[0]


def test_a_locality_user_cannot_open_another_locality(monkeypatch):
    monkeypatch.setattr(session, "current_scope", lambda: Scope("locality", LOCALITY))
    assert text(drilldown.render_body("TBC")) == (
        "There is no organisation with the code 'TBC' that you can see."
    )
    system = drilldown.render_body("SYSTEM")
    children = [
        n.id for n in components(system) if str(getattr(n, "id", "")).startswith("drilldown-child-")
    ]
    assert children == ["drilldown-child-E38000992"]
    assert text(drilldown.render_body(None)[1]).startswith("Hollinsdale Coast (locality)")


def test_unknown_org_gets_one_sentence():
    page = drilldown.layout("/drilldown", {"org": "NOPE"})
    assert text(by_id(page, "drilldown-body")) == (
        "There is no organisation with the code 'NOPE' that you can see."
    )


def test_period_choice_is_kept_in_the_url_with_the_org():
    assert drilldown.choose_period("month", "?org=HDC") == "?org=HDC&period=month"
    body = drilldown.show_org("?org=HDC&period=month")
    assert text(body[1]).endswith(latest_period("month")["label"])
    assert by_id(body, "drilldown-child-U92003").href == "/drilldown?org=U92003&period=month"


def test_the_system_is_not_compared_with_itself():
    body = drilldown.render_body("SYSTEM")
    page = text(body, " ")
    assert "The system has no parent level to compare with." not in page
    assert page.count("top level") == 1
    assert page.count("* = suppressed") == 1  # the star is explained once
    context = by_id(body, "drilldown-context")
    assert text(context.children[0]) == "Context"
    assert "(system " not in text(context, " ")
    badges = [node for node in components(by_id(body, "drilldown-card-bed_days"))
              if "badge" in (getattr(node, "className", "") or "")]  # fmt: skip
    assert badges == []


def test_below_the_system_the_context_strip_compares_with_the_system():
    context = text(by_id(drilldown.render_body(LOCALITY), "drilldown-context"), " ")
    assert context.startswith("Context against the system") and "(system " in context


def test_level_words_use_articles_and_plurals_of_the_configured_labels(monkeypatch):
    labels = {"network": "PCN", "area": "Place", "locality": "Locality"}
    monkeypatch.setattr(access, "level_label", lambda level: labels.get(level, level.title()))
    page = text(drilldown.render_body(LOCALITY), " ")
    assert "PCNs in " in page and "Choose a PCN to move down a level." in page
    system = text(drilldown.render_body("SYSTEM"), " ")
    assert "Places in Whole system" in system and "Choose a place to move down a level." in system
    area = access.org_units(Scope.whole_system(), "area")["org_code"].iloc[0]
    monkeypatch.setattr(access, "level_label", lambda level: level.capitalize())
    area_page = text(drilldown.render_body(area), " ")
    assert "Localities in " in area_page and "Choose a locality" in area_page
    system = text(drilldown.render_body("SYSTEM"), " ")
    assert "Choose an area to move down a level." in system
    assert "Localitys" not in area_page and "a area" not in system
