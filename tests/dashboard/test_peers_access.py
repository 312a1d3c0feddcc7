"""`access.peers` and `access.peer_benchmarks` on the published sample: scope (an org
outside it gives nothing; peers outside it are named but not measured) and masking (a
suppressed row has no benchmark), reading what publish wrote."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import access
from dashboard.scope import Scope
from metrics.serving import open_current

WHOLE = Scope.whole_system()


@pytest.fixture
def sample(published_sample):
    access.configure(published_sample)
    connection, _ = open_current(published_sample)
    yield connection
    connection.close()


def network_of(connection, practice: str) -> str:
    return connection.execute(
        "SELECT parent_code FROM org_units WHERE org_code = ?", [practice]
    ).fetchone()[0]


def test_peers_are_the_published_group_with_names_and_variables(sample):
    published = sample.execute(
        "SELECT g.*, v.list_size FROM peer_groups g JOIN peer_variables v "
        "ON v.level = g.level AND v.org_code = g.peer_code "
        "WHERE g.org_code = 'X10001' ORDER BY g.rank"
    ).df()
    group = access.peers(WHOLE, "X10001")
    assert tuple(group.columns) == access.PEER_COLUMNS
    assert group["peer_code"].tolist() == published["peer_code"].tolist()
    assert group["rank"].tolist() == list(range(1, 11))
    assert group["distance"].tolist() == pytest.approx(published["distance"].tolist())
    assert group["list_size"].tolist() == published["list_size"].tolist()
    names = access.org_units(WHOLE, "practice").set_index("org_code")["org_name"]
    assert group["peer_name"].tolist() == names[group["peer_code"]].tolist()
    assert group["in_scope"].all()


def test_peers_outside_the_scope_keep_only_their_rank(sample):
    network = network_of(sample, "X10001")
    scope = Scope("network", network)
    group = access.peers(scope, "X10001")
    whole = access.peers(WHOLE, "X10001")
    inside = set(access.org_units(scope, "practice")["org_code"])
    outside = group[~whole["peer_code"].isin(inside)]
    assert len(group) == 10 and 0 < len(outside) < 10
    assert group["rank"].tolist() == list(range(1, 11))
    assert not outside["in_scope"].any()
    measured = ["peer_code", "peer_name", "distance", *(c for c, _ in access.PEER_VARIABLES)]
    assert outside[measured].isna().all().all()
    assert group[group["in_scope"]][measured].notna().all().all()


def test_an_org_outside_the_scope_or_without_a_group_gives_nothing(sample):
    network = network_of(sample, "X10001")
    other = sample.execute(
        "SELECT min(org_code) FROM org_units WHERE level = 'practice' AND parent_code <> ?",
        [network],
    ).fetchone()[0]
    scope = Scope("network", network)
    assert access.peers(scope, other).empty
    assert access.peer_variables(scope, other) is None
    benchmarks = access.peer_benchmarks(scope, ["dm_hba1c_control"], [other, "X10001"])
    assert set(benchmarks["org_code"]) == {"X10001"}
    ungrouped = sample.execute(
        "SELECT min(org_code) FROM org_units WHERE level = 'practice' "
        "AND org_code NOT IN (SELECT org_code FROM peer_groups)"
    ).fetchone()[0]
    assert access.peers(WHOLE, ungrouped).empty
    assert access.peers(WHOLE, "E38000991").empty  # an area: no peer groups at that level
    assert access.peer_variables(WHOLE, "X10001")["orgs_at_level"] == 53


def test_benchmarks_are_the_published_ones_and_masked_like_values(sample, monkeypatch):
    row = sample.execute(
        "SELECT p.metric_id, p.org_code, p.period_start, p.peer_value FROM peer_values p "
        "JOIN indicator_values v USING (metric_id, period_type, period_start, level, "
        "org_code, segment) WHERE v.suppressed AND p.peer_value IS NOT NULL "
        "AND p.period_type = 'month' AND p.level = 'practice' ORDER BY ALL LIMIT 1"
    ).df().iloc[0]  # fmt: skip
    keys = ([row["metric_id"]], [row["org_code"]], "month", [row["period_start"]])
    masked = access.peer_benchmarks(WHOLE, *keys).iloc[0]
    assert bool(masked["suppressed"]) and pd.isna(masked["peer_value"])
    assert pd.isna(masked["peers_used"])
    assert masked["comparison_peer"] == masked["comparison_peer_998"] == "suppressed"
    monkeypatch.setattr(access, "masks", lambda: False)  # an analyst allowed small numbers
    unmasked = access.peer_benchmarks(WHOLE, *keys).iloc[0]
    assert not unmasked["suppressed"] and unmasked["peer_value"] == row["peer_value"]
    assert unmasked["comparison_peer"] != "suppressed"


def test_benchmarks_match_peer_values_for_a_practice(sample):
    frame = access.peer_benchmarks(WHOLE, None, ["X10001"], "rolling12")
    published = sample.execute(
        "SELECT * FROM peer_values WHERE org_code = 'X10001' AND period_type = 'rolling12' "
        "AND segment = 'all' ORDER BY metric_id, period_start"
    ).df()
    assert tuple(frame.columns) == access.PEER_BENCHMARK_COLUMNS
    assert len(frame) == len(published) > 0
    visible = frame[~frame["suppressed"]]
    expected = published.set_index(["metric_id", "period_start"]).loc[
        list(zip(visible["metric_id"], visible["period_start"], strict=True))
    ]
    assert visible["comparison_peer"].tolist() == expected["comparison_peer"].tolist()
    assert pd.Series(visible["peer_value"].to_numpy()).equals(
        pd.Series(expected["peer_value"].to_numpy())
    )
