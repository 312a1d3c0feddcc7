"""The network comparison: heat map, league table, changes and exceptions equal the
snapshot's values, the target rule holds, scope is enforced, and bad input gets a sentence."""

from __future__ import annotations

import dash
import pandas as pd
import pytest

from dashboard import access, formats, session
from dashboard.figures.heatmap import STATUSES
from dashboard.pages import networks
from dashboard.pages import networks_data as data
from dashboard.scope import Scope
from tests.dashboard.pages.tree import components, text

NETWORK = "U92003"  # Coastline PCN, in locality HDC
KPI = "dm_bp_control"


def table_rows(section) -> list[list[str]]:
    """Returns the body rows of the first table in a section, as cell texts."""
    body = next(node for node in components(section) if isinstance(node, dash.html.Tbody))
    return [[text(cell) for cell in row.children] for row in body.children]


def practice_values(months, metric_ids=None) -> pd.DataFrame:
    practices = access.org_units(Scope.whole_system(), "practice")
    codes = practices.loc[practices["parent_code"] == NETWORK, "org_code"]
    values = access.values(
        Scope.whole_system(),
        metric_ids=metric_ids,
        levels=["practice"],
        org_codes=list(codes),
        period_starts=months,
    )
    names = dict(zip(practices["org_code"], practices["org_name"], strict=True))
    return values.assign(practice=values["org_code"].map(names))


@pytest.mark.parametrize(
    ("value", "suppressed", "lower", "upper", "improvement", "status"),
    [
        # QOF-style thresholds 38-90%: at or above the upper, between, short of the lower
        (90.0, False, 38.0, 90.0, "increase", "met"),
        (89.9, False, 38.0, 90.0, "increase", "between"),
        (38.0, False, 38.0, 90.0, "increase", "between"),
        (37.9, False, 38.0, 90.0, "increase", "not_met"),
        # lower is better: target (upper threshold) 10, lower threshold 15
        (9.0, False, 15.0, 10.0, "decrease", "met"),
        (15.0, False, 15.0, 10.0, "decrease", "between"),
        (15.1, False, 15.0, 10.0, "decrease", "not_met"),
        # one target (the 2% high-risk register): 1.95% is short of it, not "near"
        (1.95, False, 2.0, 2.0, "increase", "not_met"),
        (2.0, False, 2.0, 2.0, "increase", "met"),
        (1.95, False, float("nan"), 2.0, "increase", "not_met"),
        (None, True, 38.0, 90.0, "increase", "suppressed"),
        (float("nan"), False, 38.0, 90.0, "increase", "no_data"),
        (50.0, False, float("nan"), float("nan"), "increase", "no_target"),
    ],
)
def test_target_rule_uses_both_thresholds(value, suppressed, lower, upper, improvement, status):
    assert data.target_status(value, suppressed, lower, upper, improvement) == status


def test_thresholds_come_from_the_definitions():
    kpis = data.care_package_kpis()
    assert kpis.loc["dm_bp_control", ["lower", "upper"]].tolist() == [38.0, 90.0]
    assert kpis.loc["high_risk_register_coverage", ["lower", "upper"]].tolist() == [2.0, 2.0]
    assert data.threshold_text(kpis.loc["dm_bp_control"]) == "thresholds 38% and 90%"
    assert data.threshold_text(kpis.loc["high_risk_register_coverage"]) == "target 2%"


def test_heat_map_is_not_almost_all_red_and_says_what_each_colour_means():
    cells, _, _ = data.heatmap_cells(Scope.whole_system(), access.months()[-1])
    shares = cells["status"].value_counts(normalize=True)
    assert shares.get("not_met", 0) < 0.5 and shares.get("between", 0) > 0.2
    page = text(networks.render_heatmap(access.months()[-1].isoformat()), " ")
    assert "within 5 points" not in page
    for words in networks.KEY_WORDS.values():
        assert words in page


def test_heat_map_cells_equal_the_snapshot_network_values():
    month = access.months()[-1]
    section = networks.render_heatmap(month.isoformat())
    figure = next(
        node for node in components(section) if getattr(node, "id", "") == "networks-heatmap"
    ).figure
    trace = figure.data[0]
    kpis = data.care_package_kpis()
    expected = access.values(
        Scope.whole_system(), metric_ids=list(kpis.index), levels=["network"], period_starts=[month]
    )
    names = access.org_units(Scope.whole_system(), "network")
    assert list(trace.y) == [*names["org_name"], "Whole system"]
    assert list(trace.x) == list(kpis["label"])
    for row in expected.itertuples():
        i = list(names["org_code"]).index(row.org_code)
        j = list(kpis.index).index(row.metric_id)
        kpi = kpis.loc[row.metric_id]
        assert trace.text[i][j] == formats.number(
            row.value, kpi["unit"], kpi["target_value"], suppressed=row.suppressed
        )
        status = data.target_status(
            row.value, row.suppressed, kpi["lower"], kpi["upper"], kpi["improvement"]
        )
        assert trace.z[i][j] == STATUSES.index(status)
        assert trace.customdata[i][j] == f"{row.org_code}|{row.metric_id}"
    assert len(expected) == len(names) * len(kpis)


def test_heat_map_has_a_table_alternative():
    section = networks.render_heatmap(access.months()[-1].isoformat())
    rows = table_rows(section)
    cells, names, columns = data.heatmap_cells(Scope.whole_system(), access.months()[-1])
    first = cells[cells["row"] == names[0]].set_index("column")
    assert rows[0][0] == names[0]
    assert (
        rows[0][1]
        == f"{first.loc[columns[0], 'text']} ({data.STATUS_WORDS[first.loc[columns[0], 'status']]})"
    )


def test_league_table_equals_the_snapshot_with_the_change_since_last_month():
    months = access.months()
    detail = networks.render_network(NETWORK, KPI, months[-1].isoformat())
    values = practice_values(months[-2:], [KPI])
    latest = values[values["period_start"] == pd.Timestamp(months[-1])].set_index("practice")
    previous = values[values["period_start"] == pd.Timestamp(months[-2])].set_index("practice")
    rows = table_rows(detail[0])
    assert sorted(row[0] for row in rows) == sorted(latest.index)
    assert [row[3] for row in rows] == [
        f"{v:.1f}%" for v in latest["value"].sort_values(ascending=False)
    ]
    for row in rows:
        practice = latest.loc[row[0]]
        change = practice["value"] - previous.loc[row[0], "value"]
        assert row[1:6] == [
            f"{practice['numerator']:,.0f}",
            f"{practice['denominator']:,.0f}",
            f"{practice['value']:.1f}%",
            f"{practice['lower_95']:.1f}% to {practice['upper_95']:.1f}%",
            "Thresholds 38% and 90%",
        ]
        assert row[7] == f"{change:+.1f} pts"


def test_exceptions_list_every_reason_in_words():
    months = access.months()
    view = data.network_view(Scope.whole_system(), NETWORK, KPI, months[-1].isoformat())
    expected = data.exceptions(view.rows)
    detail = networks.render_network(NETWORK, KPI, months[-1].isoformat())
    rows = table_rows(detail[1])
    assert [(row[0], row[1]) for row in rows] == list(
        zip(expected["practice"], expected["title"], strict=True)
    )
    assert [row[5] for row in rows] == [
        formats.sentence_start(reason) for reason in expected["reason"]
    ]
    # the sample has practices turning for two of the three reasons in its last month
    assert {"special_cause", "below_lower"} <= set(expected["reasons"].explode())
    # e.g. Redburn's structured education: 40.0% (at the 40% lower threshold) to 14/39 =
    # 35.9%; the interval of the change, -24.4 to +16.7 points, includes no change
    assert [
        "Redburn Surgery", "40.0%", "35.9%", "-4.1 pts (95% CI -24.4 to +16.7)",
        "Dropped below the lower threshold (40%)",
    ] in [[row[0], *row[2:]] for row in rows]  # fmt: skip
    assert "excludes no change" in text(detail[1])


def hand_built(now: list, before: list, concerns=frozenset(), multiplier=100.0) -> pd.DataFrame:
    """Practices P1.. with dm_bp_control (thresholds 38% and 90%) counts (numerator,
    denominator) now and the month before; None is a suppressed month. `multiplier`
    restates the KPI in another unit (1000: per 1,000)."""
    kpis = data.care_package_kpis()
    kpis.loc["dm_bp_control", "multiplier"] = multiplier
    codes = [f"P{i}" for i in range(1, len(now) + 1)]

    def month(counts, start):
        return pd.DataFrame(
            {"org_code": codes, "metric_id": "dm_bp_control",
             "numerator": [c and c[0] for c in counts],
             "denominator": [c and c[1] for c in counts],
             "value": [c and multiplier * c[0] / c[1] for c in counts],
             "lower_95": 0.0, "upper_95": 0.0, "suppressed": [c is None for c in counts],
             "period_start": pd.Timestamp(start)}
        )  # fmt: skip

    values = pd.concat([month(now, "2026-10-01"), month(before, "2026-09-01")])
    practices = pd.DataFrame({"org_code": codes, "org_name": codes})
    rows = data._compare_months(
        values, practices, kpis, pd.Timestamp("2026-10-01").date(), concerns
    )
    return rows.set_index("practice")


def test_each_exception_reason_worked_by_hand():
    rows = hand_built(
        now=[(60, 100), (37, 100), (70, 100), (50, 100), None, (30, 100)],
        before=[(75, 100), (39, 100), (69, 100), (52, 100), (80, 100), None],
        concerns={("P3", "dm_bp_control"), ("P5", "dm_bp_control")},
    )
    assert rows["reasons"].to_dict() == {
        # 75% -> 60%: Wilson 50.20-69.06% and 65.70-82.45%; Newcombe's interval of the
        # change is -15 -/+ sqrt(9.80^2 + 7.45^2), +sqrt(9.06^2 + 9.30^2): -27.31 to -2.01
        "P1": ("significant_fall",),
        # 39% -> 37%: short of the lower threshold 38% from above it; the interval of the
        # change, -15.18 to +11.28 points, includes no change
        "P2": ("below_lower",),
        "P3": ("special_cause",),  # a rise, but its SPC point is a special cause of concern
        "P4": (),  # 52% -> 50%: -15.7 to +11.7 points, inside both thresholds
        "P5": (),  # suppressed now: its SPC point is not judged, the change not compared
        "P6": (),  # 30% now, but last month suppressed: no drop can be said
    }
    assert rows.loc["P1", ["change_lower", "change_upper"]].tolist() == pytest.approx(
        [-27.313, -2.013], abs=1e-3
    )
    assert rows["exception"].tolist() == [True, True, True, False, False, False]


def test_the_change_interval_is_in_the_kpis_own_unit():
    # The same counts as P1 above, 75 -> 60 per 100, stated per 1,000: 750 -> 600, and
    # the interval -27.313 to -2.013 points becomes -273.13 to -20.13 per 1,000.
    rows = hand_built(now=[(60, 100)], before=[(75, 100)], multiplier=1000.0)
    assert rows.loc["P1", "change"] == pytest.approx(-150.0)
    assert rows.loc["P1", ["change_lower", "change_upper"]].tolist() == pytest.approx(
        [-273.13, -20.13], abs=1e-2
    )
    assert rows.loc["P1", "reasons"] == ("significant_fall",)


def test_an_exception_for_several_reasons_names_them_all_first():
    rows = hand_built(
        now=[(20, 100), (60, 100)], before=[(45, 100), (75, 100)],
        concerns={("P1", "dm_bp_control")},
    )  # fmt: skip
    found = data.exceptions(rows.reset_index())
    assert found["practice"].tolist() == ["P1", "P2"]
    assert found["reason"].tolist() == [
        "special cause of concern on its SPC chart; a fall whose 95% confidence interval "
        "excludes no change; dropped below the lower threshold (38%)",
        "a fall whose 95% confidence interval excludes no change",
    ]


def test_suppressed_practices_show_a_star():
    month = access.months()[-1]
    values = practice_values([month], ["imm_dtap_8m"])
    suppressed = values.loc[values["suppressed"], "practice"]
    assert len(suppressed)
    rows = {
        row[0]: row
        for row in table_rows(networks.render_network(NETWORK, "imm_dtap_8m", month.isoformat())[0])
    }
    for practice in suppressed:
        assert rows[practice][1:6] == ["*", "*", "*", "*", "Thresholds 89% and 96%"]
        assert rows[practice][7] == "*"
    assert set(list(rows)[-len(suppressed) :]) == set(suppressed)  # suppressed rank last


def test_a_locality_user_sees_only_their_networks(monkeypatch):
    scope = Scope("locality", "HDC")
    monkeypatch.setattr(session, "current_scope", lambda: scope)
    _, names, _ = data.heatmap_cells(scope, access.months()[-1])
    assert names == ["Coastline PCN", "Saltmarsh PCN", "Whole system"]
    page = networks.layout("/networks", {})
    chooser = next(
        node for node in components(page) if getattr(node, "id", "") == "networks-network"
    )
    assert [option["value"] for option in chooser.options] == ["U92003", "U92004"]
    assert text(networks.render_network("U91001", KPI, None)) == (
        "There is no network with the code 'U91001' that you can see."
    )


def test_clicking_a_cell_chooses_its_network_and_kpi():
    click = {"points": [{"customdata": f"{NETWORK}|{KPI}"}]}
    assert networks.choose_from_heatmap(click) == (NETWORK, KPI)
    system = {"points": [{"customdata": f"SYSTEM|{KPI}"}]}
    assert networks.choose_from_heatmap(system) == (dash.no_update, KPI)


def test_choices_are_kept_in_the_url():
    _, search = networks.update_network(NETWORK, KPI, "2026-10-01")
    assert search == f"?network={NETWORK}&kpi={KPI}&month=2026-10-01"


def test_bad_input_gets_one_sentence():
    assert (
        text(networks.render_network(NETWORK, "bogus", None))
        == "There is no care-package KPI 'bogus'."
    )
    assert text(networks.layout("/networks", {"month": "2026-13"}).children[1]) == (
        "There is no published month '2026-13'."
    )


def test_the_first_month_has_no_change_and_no_exceptions():
    first = access.months()[0]
    league, exceptions = networks.render_network(NETWORK, KPI, first.isoformat())
    changes = [row[7] for row in table_rows(league)]
    assert changes and set(changes) <= {"–", "*"}
    assert "There is no previous month to compare with." in text(exceptions)


def test_a_month_with_nothing_to_draw_says_why_instead_of_empty_axes(monkeypatch):
    month = access.months()[-1]
    empty = data.heatmap_cells(Scope.whole_system(), month)[0].iloc[0:0]
    monkeypatch.setattr(data, "heatmap_cells", lambda scope, month: (empty, [], []))
    section = networks.render_heatmap(month.isoformat())
    assert not [node for node in components(section) if isinstance(node, dash.dcc.Graph)]
    assert text(section) == (
        f"No care-package KPI is published for {month:%B %Y} at any network you can see, "
        "so there is no heat map."
    )
