"""The indicator page with `benchmark=peers` and the practice profile's peer marker: the
verdicts shown follow from the value, interval and peer median shown beside them, peers
outside the scope are not charted, and other levels get one sentence."""

from __future__ import annotations

import math

import pytest

from dashboard import access, exports, formats, roles, theme
from dashboard.pages import (
    indicator,
    indicator_panels,
    peers_exports,
    peers_panel,
    practice,
    practice_data,
)
from dashboard.scope import Scope
from metrics import stats
from tests.dashboard.pages.tree import by_id
from tests.dashboard.pages.tree import text as tree_text
from wholesystem.settings import Settings


@pytest.fixture(autouse=True)
def no_request(tmp_path, monkeypatch):
    monkeypatch.setattr(indicator_panels, "_settings", lambda: Settings(data_dir=tmp_path))
    monkeypatch.setattr(roles, "current_role", lambda: "viewer")


def spaced(component) -> str:
    return tree_text(component, " ")


def peer_view(metric_id: str, org: str, level: str = "practice"):
    return indicator.update_indicator(
        level, org, "rolling12", None, "all", "peers", "auto", metric_id
    )


def latest_benchmark(scope, metric_id: str, org: str) -> dict:
    start = access.periods("rolling12")["period_start"].iloc[-1]
    frame = access.peer_benchmarks(scope, [metric_id], [org], "rolling12", [start])
    return frame.iloc[0].to_dict()


def test_the_headline_gives_the_peer_median_and_the_published_verdict(scope_as):
    content, search = peer_view("dm_hba1c_control", "X10001")
    assert "benchmark=peers" in search
    bench = latest_benchmark(Scope.whole_system(), "dm_hba1c_control", "X10001")
    median = formats.number(bench["peer_value"], access.indicator("dm_hba1c_control")["unit"])
    assert (
        f"Compared with the peer median ({median}, the median of {bench['peers_used']} peers' "
        f"published values): {bench['comparison_peer']} at 95%"
    ) in spaced(content)
    rows = by_id(content, "peer-group-table")
    group = access.peers(Scope.whole_system(), "X10001")
    for name in group["peer_name"]:
        assert name in spaced(rows)


def test_every_peer_bar_follows_from_its_interval_and_the_peer_median(scope_as):
    checked = 0
    for metric_id in ("coordinated_care", "dm_hba1c_control", "mean_los_emergency"):
        polarity = access.indicator(metric_id)["polarity"]
        for level, org in (("practice", "X10001"), ("practice", "X20017"), ("network", None)):
            org = org or access.org_units(Scope.whole_system(), "network")["org_code"].iloc[0]
            content, _ = peer_view(metric_id, org, level)
            bench = latest_benchmark(Scope.whole_system(), metric_id, org)
            figure = by_id(content, "indicator-ranked").figure
            assert figure.layout.shapes[0].x0 == pytest.approx(bench["peer_value"])
            group = set(access.peers(Scope.whole_system(), org)["peer_code"]) | {org}
            for trace in figure.data:
                for x, minus, plus in zip(
                    trace.x, trace.error_x.arrayminus, trace.error_x.array, strict=True
                ):
                    word = stats.compare(x - minus, x + plus, bench["peer_value"], polarity)
                    assert trace.marker.color == theme.COMPARISON_COLOURS[word]
                    checked += 1
            assert sum(len(trace.x) for trace in figure.data) <= len(group) == 11
    assert checked > 50


def test_peers_outside_the_scope_are_listed_but_not_charted(scope_as):
    network = access.org_units(Scope.whole_system())
    network = network.set_index("org_code").loc["X10001", "parent_code"]
    scope = scope_as(Scope("network", network))
    content, _ = peer_view("dm_hba1c_control", "X10001")
    table = spaced(by_id(content, "indicator-peer-table"))
    whole = access.peers(Scope.whole_system(), "X10001")
    outside = whole[~access.peers(scope, "X10001")["in_scope"]]
    assert len(outside)
    listed = spaced(by_id(content, "peer-group-table"))
    for code, name in zip(outside["peer_code"], outside["peer_name"], strict=True):
        assert code not in table and code not in spaced(content) and name not in spaced(content)
    assert listed.count("A practice outside your scope") == len(outside)
    # The benchmark is still the median of all ten peers' published values.
    assert latest_benchmark(scope, "dm_hba1c_control", "X10001")["peers_used"] == 10


def test_peers_at_another_level_get_one_sentence(scope_as):
    area = access.org_units(Scope.whole_system(), "area")["org_code"].iloc[0]
    page = indicator.layout("/indicator/bed_days", {"level": "area", "org": area,
                                                    "benchmark": "peers"})  # fmt: skip
    assert spaced(page) == (
        "Indicator detail Peers are a benchmark for practices and networks; choose another."
    )


def test_the_practice_profile_draws_the_peer_median(scope_as):
    profile = practice_data.practice_profile(Scope.whole_system(), "X10001", "rolling12")
    rows = profile.rows
    start = profile.period["period_start"]
    bench = access.peer_benchmarks(Scope.whole_system(), None, ["X10001"], "rolling12", [start])
    bench = bench.set_index("metric_id")
    values = rows[rows["basis"] == "value"]
    assert values["peers"].tolist() == pytest.approx(
        bench.loc[values.index, "peer_value"].tolist(), nan_ok=True
    )
    assert rows.loc[rows["basis"] == "ratio", "peers"].isna().all()
    for metric_id, row in values.iterrows():
        if row["practice_suppressed"]:
            continue
        word = stats.compare(row["practice_lower"], row["practice_upper"], row["peers"],
                             row["polarity"])  # fmt: skip
        assert row["peers_comparison"] == word, metric_id
    page = practice.render_profile("X10001", "rolling12")
    figure = by_id(page, "practice-spine").figure
    marker = next(trace for trace in figure.data if trace.name == "Peer median")
    assert list(marker.customdata) == pytest.approx(rows["peers"].tolist(), nan_ok=True)
    assert math.isnan(marker.customdata[list(rows["basis"]).index("ratio")])
    assert "Peer group (10 practices)" in spaced(by_id(page, "peer-group"))


def test_the_peer_group_download_names_peers_outside_the_scope_only(scope_as):
    network = access.org_units(Scope.whole_system()).set_index("org_code")
    scope = scope_as(Scope("network", network.loc["X10001", "parent_code"]))
    frame = peers_exports.peer_group({"org": "X10001"}).frame
    assert frame["Org code"].tolist()[0] == "X10001" and len(frame) == 11
    outside = frame[frame["Note"] == peers_panel.OUTSIDE.format(noun="practice")]
    assert len(outside) == (~access.peers(scope, "X10001")["in_scope"]).sum() > 0
    hidden = ["Org code", "Organisation", "Distance", "List size", "% aged 65+"]
    assert outside[hidden].isna().all().all()
    other = network[(network["level"] == "practice") & ~network.index.isin(access.visible(scope))]
    with pytest.raises(exports.Refused):
        peers_exports.peer_group({"org": other.index[0]})
