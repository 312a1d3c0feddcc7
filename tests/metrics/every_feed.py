"""Rows in every feed of the metrics tests' fixture system, for the tests that run the whole of
publish over it (the Spark engine's, the portability lint's)."""

from __future__ import annotations

from tests.metrics.published_system import add_deaths


def add_every_feed(system) -> None:
    """People with registers, events, spells, care home moves and survey answers, at two
    practices, besides the end-of-life deaths."""
    for number, (practice, sex, birth) in enumerate(
        [("A00001", "1", "1940-05"), ("A00001", "2", "1955-01"), ("A00003", "2", "2025-01"),
         ("A00004", "1", "1980-07"), ("A00004", "2", "1948-11")]
    ):  # fmt: skip
        person = f"P{number}"
        system.add("patients", person, gpprac=practice, sex=sex, birth_month=birth,
                   registered_from=f"{birth}-01" if birth > "2000" else "2000-01-01",
                   care_home_resident="true" if number == 4 else "false",
                   risk_score=str(0.1 * number + 0.05))  # fmt: skip
        system.add("conditions", person, condition="DM", diagnosed_on="2025-06-15")
        system.add("gp_events", person, event_date="2026-01-20", code="hba1c", value="50")
        system.add("apc_spells", f"S{number}", person_id=person, gpprac=practice,
                   admidate="2026-01-28", disdate="2026-02-03", sex=sex)  # fmt: skip
    system.add("conditions", "P1", condition="COPD", diagnosed_on="2024-01-01")
    system.add("gp_events", "P2", event_date="2025-10-01", code="dtap_ipv_hib_hepb", value="")
    system.add("care_home_admissions", "E1", person_id="P4", la_code="E06000002",
               admission_date="2026-02-10", age="77", sex="2")  # fmt: skip
    system.add("survey_responses", "R1", gpprac="A00001", response_date="2026-02-03")
    system.add("aggregate_indicators", org_code="A00001", period_start="2026-01-01",
               period_end="2026-03-31")  # fmt: skip
    add_deaths(system)
