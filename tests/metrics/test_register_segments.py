"""Register indicators (counted by profile) are cut by every segment, not only age and sex."""

from __future__ import annotations

from tests.metrics.conftest import value

MARCH = "2026-03-01"


def test_register_indicators_publish_profile_segments(system):
    system.add("patients", "P1", gpprac="A00001", frailty="severe", high_risk_register="true")
    system.add("patients", "P2", gpprac="A00002", frailty="fit", high_risk_register="false")
    for person in ("P1", "P2"):
        system.add("conditions", person, condition="DM", diagnosed_on="2020-01-15")
    system.add("gp_events", "P1", event_date="2026-02-01", code="sbp", value="130")
    system.add("gp_events", "P1", event_date="2026-02-01", code="dbp", value="75")
    frame = system.compute()

    def counts(metric, segment):
        row = value(frame, metric, "locality", "L1", MARCH, segment=segment)
        return row["numerator"], row["denominator"]

    assert counts("dm_bp_control", "condition:DM") == (1, 2)
    assert counts("dm_bp_control", "frailty:severe") == (1, 1)
    assert counts("dm_bp_control", "frailty:fit") == (0, 1)
    assert counts("high_risk_register_coverage", "condition:DM") == (1, 2)
