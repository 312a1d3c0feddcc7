"""The practice profile: spine rows equal the snapshot's values, the range covers only the
practices in scope, suppressed values show "*", and a bad practice gets one sentence."""

from __future__ import annotations

import dash
import pandas as pd

from dashboard import access, session
from dashboard.pages import practice
from dashboard.pages.drilldown_data import latest_period
from dashboard.pages.practice_data import practice_profile
from dashboard.scope import Scope
from tests.dashboard.pages.tree import components, text

PRACTICE = "X10017"  # Abbey Medical Centre, network U91003, locality TBC
NETWORK, LOCALITY = "U91003", "TBC"


def latest(scope: Scope, **filters) -> pd.DataFrame:
    period = latest_period("rolling12")
    return access.values(
        scope, period_type="rolling12", period_starts=[period["period_start"]], **filters
    )


def same(left, right) -> bool:
    return (pd.isna(left) and pd.isna(right)) or left == right


def test_rows_equal_the_snapshot_values_of_practice_and_benchmarks():
    rows = practice_profile(Scope.whole_system(), PRACTICE).rows
    values = latest(Scope.whole_system(), org_codes=[PRACTICE, NETWORK, LOCALITY, "SYSTEM"])
    values = values.set_index(["org_code", "metric_id"])["value"]
    polarity = access.indicators().set_index("id")["polarity"]
    assert len(rows) > 40 and "registered_population" not in rows.index
    for metric, row in rows.iterrows():
        assert same(row["practice"], values.get((PRACTICE, metric)))
        assert same(row["network"], values[(NETWORK, metric)])
        assert same(row["locality"], values[(LOCALITY, metric)])
        assert row["system"] == values[("SYSTEM", metric)]
        assert row["flip"] == (polarity[metric] == "lower")


def test_range_spans_every_unsuppressed_practice_in_scope():
    rows = practice_profile(Scope.whole_system(), PRACTICE).rows
    values = latest(Scope.whole_system(), levels=["practice"])
    grouped = values[~values["suppressed"]].groupby("metric_id")["value"]
    spread = grouped.agg(["min", "max", "count"]).assign(q25=grouped.quantile(0.25))
    for metric, row in rows.iterrows():
        expected = spread.loc[metric]
        assert (row["minimum"], row["maximum"], row["count"], row["q25"]) == (
            expected["min"],
            expected["max"],
            expected["count"],
            expected["q25"],
        )


def test_a_locality_user_sees_only_their_practices(monkeypatch):
    scope = Scope("locality", LOCALITY)
    monkeypatch.setattr(session, "current_scope", lambda: scope)
    profile = practice_profile(scope, PRACTICE)
    theirs = access.org_units(Scope.whole_system(), "practice")
    networks = access.org_units(Scope.whole_system(), "network")
    own_networks = networks.loc[networks["parent_code"] == LOCALITY, "org_code"]
    codes = theirs.loc[theirs["parent_code"].isin(own_networks), "org_code"]
    values = latest(Scope.whole_system(), levels=["practice"], org_codes=list(codes))
    counts = values[~values["suppressed"]].groupby("metric_id")["value"].count()
    assert profile.practice_count == len(codes) < len(theirs)
    assert profile.rows["count"].to_dict() == counts[profile.rows.index].to_dict()
    picker = next(
        n
        for n in components(practice.layout("/practice", {}))
        if getattr(n, "id", "") == "practice-org"
    )
    assert sorted(option["value"] for option in picker.options) == sorted(codes)
    assert text(practice.render_profile("X10001")) == (
        "There is no organisation with the code 'X10001' that you can see."
    )


def test_spine_chart_and_table_show_the_practice():
    body = practice.render_profile(PRACTICE)
    rows = practice_profile(Scope.whole_system(), PRACTICE).rows
    figure = next(n for n in components(body) if getattr(n, "id", "") == "practice-spine").figure
    marker = next(trace for trace in figure.data if trace.name == "Practice")
    assert [same(a, b) for a, b in zip(marker.customdata, rows["practice"], strict=True)] == [
        True
    ] * len(rows)
    table = next(n for n in components(body) if isinstance(n, dash.html.Tbody))
    first = [text(cell) for cell in table.children[0].children]
    assert first[0] == rows["title"].iloc[0]
    assert first[1] == f"{rows['practice'].iloc[0]:.1f}%"
    assert first[5] == f"{rows['system'].iloc[0]:.1f}%"


def test_suppressed_values_show_a_star():
    rows = practice_profile(Scope.whole_system(), PRACTICE).rows
    suppressed = rows[rows["practice_suppressed"]]
    assert len(suppressed)
    table = next(
        n for n in components(practice.render_profile(PRACTICE)) if isinstance(n, dash.html.Tbody)
    )
    cells = {text(row.children[0]): text(row.children[1]) for row in table.children}
    assert {cells[title] for title in suppressed["title"]} == {"*"}


def test_choice_is_kept_in_the_url():
    _, search = practice.update_profile(PRACTICE, "month")
    assert search == f"?org={PRACTICE}&period=month"


def test_unknown_practice_gets_one_sentence():
    page = practice.layout("/practice", {"org": "NOPE"})
    body = next(n for n in components(page) if getattr(n, "id", "") == "practice-body")
    assert text(body) == "There is no organisation with the code 'NOPE' that you can see."
