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


def expected_exceptions(months) -> set[tuple[str, str]]:
    """The MDT rule worked by hand: a fall of MDT_FALL_POINTS or more in the direction of
    improvement, or a fall that crosses a threshold, both months unsuppressed."""
    kpis = data.care_package_kpis()
    values = practice_values(months[-2:], list(kpis.index))
    values = values[~values["suppressed"]]
    wide = values.pivot_table(
        index=["practice", "metric_id"], columns="period_start", values="value"
    )
    now, before = wide[pd.Timestamp(months[-1])], wide[pd.Timestamp(months[-2])]
    found = set()
    for (practice, metric), value in now.dropna().items():
        kpi, previous = kpis.loc[metric], before.get((practice, metric))
        if previous is None or pd.isna(previous):
            continue
        sign = 1 if kpi["improvement"] == "increase" else -1
        fall = sign * (value - previous)
        crossed = any(
            sign * (previous - threshold) >= 0 > sign * (value - threshold)
            for threshold in (kpi["lower"], kpi["upper"])
        )
        if fall < 0 and (fall <= -data.MDT_FALL_POINTS or crossed):
            found.add((practice, kpi["title"]))
    return found


def test_exceptions_list_only_falls_that_matter_by_the_stated_rule():
    months = access.months()
    detail = networks.render_network(NETWORK, KPI, months[-1].isoformat())
    listed = [(row[0], row[1]) for row in table_rows(detail[1])]
    assert set(listed) == expected_exceptions(months) and len(listed) == len(set(listed))
    changes = [float(row[4].split()[0]) for row in table_rows(detail[1])]
    assert all(change < 0 for change in changes)
    # no fall of a hundredth of a point is listed unless it crosses a threshold
    assert "2 percentage points or more, or across a threshold" in text(detail[1])


def test_a_small_fall_across_the_target_is_an_exception_and_a_small_one_inside_is_not():
    kpis = data.care_package_kpis()
    rows = pd.DataFrame(
        {"org_code": ["P1", "P2", "P3"], "metric_id": ["dm_bp_control"] * 3,
         "numerator": 1, "denominator": 1, "value": [89.9, 80.0, 60.0],
         "lower_95": 0.0, "upper_95": 0.0, "suppressed": False,
         "period_start": pd.Timestamp("2026-10-01")}
    )  # fmt: skip
    previous = rows.assign(value=[90.1, 80.01, 63.0], period_start=pd.Timestamp("2026-09-01"))
    practices = pd.DataFrame({"org_code": ["P1", "P2", "P3"], "org_name": ["A", "B", "C"]})
    compared = data._compare_months(
        pd.concat([rows, previous]), practices, kpis, pd.Timestamp("2026-10-01").date()
    )
    assert compared.set_index("practice")["exception"].to_dict() == {
        "A": True,  # 90.1 -> 89.9: fell below the target (upper threshold)
        "B": False,  # 80.01 -> 80.0: a fall of 0.01 points, no threshold crossed
        "C": True,  # 63 -> 60: a fall of 3 points
    }


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
