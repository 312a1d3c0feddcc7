"""Peer groups: hand-worked distances and ranks, ties, a short level, and a benchmark that
never uses or reveals a suppressed value (on a hand-built snapshot and on the whole
published sample)."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from metrics import peers, stats
from metrics.serving import open_current

# Twelve practices whose four variables each take two values, six of each, so every
# z-score (population SD) is -1 or +1 and the distance between two practices is
# 2 * sqrt(number of variables on which they differ). Signs: list size, age, deprivation,
# prevalence. The four sign patterns ++++, ----, ++--, --++ are left out to keep six/six.
SIGNS = {
    "P01": "+++-", "P02": "++-+", "P03": "+-++", "P04": "-+++", "P05": "---+",
    "P06": "--+-", "P07": "-+--", "P08": "+---", "P09": "+-+-", "P10": "+--+",
    "P11": "-++-", "P12": "-+-+",
}  # fmt: skip
LOW_HIGH = {
    "list_size": (1000.0, 10000.0),
    "pct_aged_65plus": (10.0, 30.0),
    "deprivation": (5.0, 25.0),
    "prevalence": (4.0, 8.0),
}


def twelve() -> pd.DataFrame:
    rows = []
    for code, signs in SIGNS.items():
        row = {"level": "practice", "org_code": code}
        for sign, (column, (low, high)) in zip(signs, LOW_HIGH.items(), strict=True):
            row[column] = high if sign == "+" else low
        rows.append(row)
    return pd.DataFrame(rows)


def group_of(groups: pd.DataFrame, code: str) -> pd.DataFrame:
    return groups[groups["org_code"] == code].reset_index(drop=True)


def test_hand_worked_distances_and_ranks():
    groups = peers.nearest(twelve())
    p01 = group_of(groups, "P01")  # +++-
    # Differ on one variable: P09 (+-+-), P11 (-++-); on two: P02 P03 P04 P06 P07 P08;
    # on three: P10 (+--+), P12 (-+-+); on all four: P05 (---+), the 11th, left out.
    assert p01["peer_code"].tolist() == [
        "P09", "P11", "P02", "P03", "P04", "P06", "P07", "P08", "P10", "P12",
    ]  # fmt: skip
    assert p01["rank"].tolist() == list(range(1, 11))
    expected = [2.0] * 2 + [2 * math.sqrt(2)] * 6 + [2 * math.sqrt(3)] * 2
    assert p01["distance"].tolist() == pytest.approx(expected)
    assert len(groups) == 12 * 10
    assert set(group_of(groups, "P05")["peer_code"]) == set(SIGNS) - {"P05", "P01"}


def test_ties_break_by_code_and_list_size_is_logged():
    # Three practices alike but for list size 1,000 / 10,000 / 100,000: on the log scale
    # the middle one is equally far from both, z = (-1, 0, 1) / sqrt(2/3).
    frame = pd.DataFrame({
        "level": "practice", "org_code": ["B", "C", "A"],
        "list_size": [1000.0, 10000.0, 100000.0],
        "pct_aged_65plus": 20.0, "deprivation": 10.0, "prevalence": 6.0,
    })  # fmt: skip
    groups = peers.nearest(frame)
    middle = group_of(groups, "C")
    assert middle["peer_code"].tolist() == ["A", "B"]  # a tie: A before B
    assert middle["distance"].tolist() == pytest.approx([math.sqrt(1.5)] * 2)
    assert group_of(groups, "B")["distance"].tolist() == pytest.approx(
        [math.sqrt(1.5), 2 * math.sqrt(1.5)]
    )


def test_a_level_with_fewer_than_eleven_orgs_gives_all_the_others():
    frame = twelve().iloc[:4].assign(level="network")
    groups = peers.nearest(pd.concat([frame, twelve()]))
    networks = groups[groups["level"] == "network"]
    assert networks.groupby("org_code").size().tolist() == [3, 3, 3, 3]
    assert len(groups[groups["level"] == "practice"]) == 120
    assert peers.nearest(frame.iloc[:1]).empty  # one org: nobody to compare with


# A hand-built snapshot: the twelve practices' variables, and one indicator in one month.
def snapshot(values: dict[str, tuple[float, bool]], suppressed_variable: str | None = None):
    connection = duckdb.connect()
    connection.execute("ATTACH ':memory:' AS snap")
    rows = []
    for code, signs in SIGNS.items():
        for sign, (column, metric) in zip(signs, peers.VARIABLES, strict=True):
            low, high = LOW_HIGH[column]
            hidden = code == suppressed_variable and column == "deprivation"
            rows.append((metric, code, high if sign == "+" else low, hidden, None, None))
        value, hidden = values.get(code, (math.nan, False))
        rows.append(("m1", code, value, hidden, value - 1.0, value + 1.0))
    frame = pd.DataFrame(
        rows, columns=["metric_id", "org_code", "value", "suppressed", "lower_95", "upper_95"]
    ).assign(
        period_type="month", period_start=pd.Timestamp("2026-10-01"), level="practice",
        segment="all", lower_998=lambda f: f["lower_95"] - 1, upper_998=lambda f: f["upper_95"] + 1,
    )  # fmt: skip
    connection.register("frame", frame)
    connection.execute("CREATE TABLE snap.indicator_values AS SELECT * FROM frame")
    connection.execute(
        "CREATE TABLE snap.indicators AS SELECT * FROM (VALUES "
        "('m1', 'higher'), ('registered_population', 'none'), ('pct_aged_65plus', 'none'), "
        "('pct_imd_q1', 'none'), ('prevalence_dm', 'none')) t(id, polarity)"
    )
    peers.write_peers(connection)
    return connection


def peer_row(connection, code: str) -> dict:
    return connection.execute(
        "SELECT * FROM snap.peer_values WHERE metric_id = 'm1' AND org_code = ?", [code]
    ).df().iloc[0].to_dict()  # fmt: skip


def test_the_benchmark_is_the_median_of_the_unsuppressed_peers():
    # P01's peers: P09 P11 P02 P03 P04 P06 P07 P08 P10 P12. P09 and P02 are suppressed;
    # the other eight: 10, 11, 12, 13, 14, 15, 16, 100 -> median 13.5.
    values = {"P01": (20.0, False), "P09": (1.0, True), "P02": (2.0, True), "P05": (999.0, False)}
    for value, code in enumerate(("P11", "P03", "P04", "P06", "P07", "P08", "P10"), start=10):
        values[code] = (float(value), False)
    values["P12"] = (100.0, False)
    row = peer_row(snapshot(values), "P01")
    assert (row["peer_value"], row["peers_used"]) == (13.5, 8)
    # 20 +- 1 lies above 13.5 and polarity is 'higher': better; the 99.8% pair is 18 to 22.
    assert (row["comparison_peer"], row["comparison_peer_998"]) == ("better", "better")


def test_an_odd_number_of_usable_peers_gives_the_middle_value():
    # P01's peers as above: P09 and P02 suppressed, P12 without a value (NaN, shown), the
    # other seven given out of order: 10, 20, 30, 40, 50, 60, 70 -> median 40 from 7.
    values = {"P01": (20.0, False), "P09": (1.0, True), "P02": (2.0, True)}
    for code, value in zip(("P11", "P03", "P04", "P06", "P07", "P08", "P10"),
                           (30.0, 10.0, 50.0, 20.0, 70.0, 40.0, 60.0), strict=True):  # fmt: skip
        values[code] = (value, False)
    row = peer_row(snapshot(values), "P01")
    assert (row["peer_value"], row["peers_used"]) == (40.0, 7)
    assert (row["comparison_peer"], row["comparison_peer_998"]) == ("worse", "worse")


def test_no_benchmark_from_fewer_than_five_unsuppressed_peers():
    hidden = {code: (5.0, True) for code in ("P09", "P11", "P02", "P03", "P04", "P06")}
    values = {"P01": (20.0, False), **hidden, "P07": (1.0, False), "P08": (2.0, False),
              "P10": (3.0, False), "P12": (4.0, False)}  # fmt: skip
    row = peer_row(snapshot(values), "P01")
    assert row["peers_used"] == 4 and pd.isna(row["peer_value"])
    assert row["comparison_peer"] == "not compared"


def test_an_org_with_a_suppressed_variable_has_no_peers_and_is_nobodys_peer():
    connection = snapshot({"P01": (20.0, False)}, suppressed_variable="P09")
    groups = connection.execute("SELECT * FROM snap.peer_groups").df()
    assert "P09" not in set(groups["org_code"]) | set(groups["peer_code"])
    variables = connection.execute("SELECT org_code FROM snap.peer_variables").df()
    assert len(variables) == 11 and "P09" not in set(variables["org_code"])
    assert pd.isna(peer_row(connection, "P09")["peer_value"])


def usable_rows(values: dict[tuple[str, str], float]) -> pd.DataFrame:
    """Usable rows (USABLE_SQL's columns) of indicator m1, monthly in 2024, segment 'all'."""
    (codes, months), value = zip(*values, strict=True), list(values.values())
    return pd.DataFrame({
        "metric_id": "m1", "period_type": "month", "period_start": pd.to_datetime(months),
        "level": "practice", "org_code": codes, "segment": "all", "value": value,
    })  # fmt: skip


@pytest.mark.parametrize("cells", [peers.BENCHMARK_CELLS, 1])  # 1: one org at a time
def test_peer_benchmarks_are_the_medians_of_the_peers_usable_values(monkeypatch, cells):
    monkeypatch.setattr(peers, "BENCHMARK_CELLS", cells)
    groups = pd.DataFrame({
        "level": "practice", "org_code": ["A", "A", "A", "A", "B", "B"],
        "peer_code": ["B", "C", "D", "E", "A", "C"], "rank": [1, 2, 3, 4, 1, 2],
        "distance": 1.0,
    })  # fmt: skip
    # January: A's peers B C D E have 4, 1, 3 and 10 (median 3.5); B's peers A and C have
    # 2 and 1 (median 1.5). February: only C and E have a value: A's median is 6.5, and
    # B's is C's 5 alone. March: only A has a value: B's benchmark is A's 7, and A has
    # none. F is nobody's peer: its 99 counts nowhere.
    usable = usable_rows({
        ("A", "2024-01-01"): 2.0, ("B", "2024-01-01"): 4.0, ("C", "2024-01-01"): 1.0,
        ("D", "2024-01-01"): 3.0, ("E", "2024-01-01"): 10.0, ("C", "2024-02-01"): 5.0,
        ("E", "2024-02-01"): 8.0, ("A", "2024-03-01"): 7.0, ("F", "2024-01-01"): 99.0,
    })  # fmt: skip
    benchmarks = peers.peer_benchmarks(usable, groups)
    found = {
        (row.org_code, row.period_start.month): (row.median_value, row.peers_used)
        for row in benchmarks.itertuples()
    }
    assert found == {
        ("A", 1): (3.5, 4), ("B", 1): (1.5, 2), ("A", 2): (6.5, 2), ("B", 2): (5.0, 1),
        ("B", 3): (7.0, 1),
    }  # fmt: skip
    assert set(benchmarks["level"]) == {"practice"}


def test_no_peer_groups_give_no_benchmarks():
    empty = peers.nearest(pd.DataFrame(columns=["level", "org_code", *peers.COLUMNS]))
    benchmarks = peers.peer_benchmarks(usable_rows({("A", "2024-01-01"): 1.0}), empty)
    assert benchmarks.empty
    assert list(benchmarks.columns) == [
        *peers.BENCHMARK_KEYS, "level", "org_code", "median_value", "peers_used",
    ]  # fmt: skip


# The whole published sample: every benchmark is the median of its row's unsuppressed
# peers, and every verdict follows from the value's interval and that benchmark.
SAMPLE_SQL = """
SELECT o.metric_id, o.period_type, o.period_start, o.level, o.org_code, o.segment,
       list(p.value ORDER BY p.value) FILTER (NOT p.suppressed AND NOT isnan(p.value))
           AS usable
FROM indicator_values o
JOIN peer_groups g USING (level, org_code)
JOIN indicator_values p
  ON p.metric_id = o.metric_id AND p.period_type = o.period_type
 AND p.period_start = o.period_start AND p.level = o.level AND p.org_code = g.peer_code
 AND p.segment = o.segment
GROUP BY ALL
"""


@pytest.fixture(scope="module")
def sample(published_sample):
    connection, _ = open_current(published_sample)
    keys = ["metric_id", "period_type", "period_start", "level", "org_code", "segment"]
    usable = connection.execute(SAMPLE_SQL).df()
    published = connection.execute(
        "SELECT p.*, v.lower_95, v.upper_95, v.lower_998, v.upper_998, i.polarity "
        "FROM peer_values p JOIN indicator_values v USING (metric_id, period_type, "
        "period_start, level, org_code, segment) JOIN indicators i ON i.id = p.metric_id"
    ).df()
    yield published.merge(usable, on=keys, how="left")
    connection.close()


def test_every_peer_value_is_the_median_of_the_unsuppressed_peers(sample):
    usable = sample["usable"].map(lambda v: [] if not isinstance(v, list | np.ndarray) else v)
    counts = usable.map(len)
    medians = usable.map(lambda v: float(np.median(v)) if len(v) >= 5 else np.nan)
    assert len(sample) > 100_000
    assert (sample["peers_used"] == counts).all()
    assert np.allclose(sample["peer_value"], medians, equal_nan=True, rtol=1e-12)
    assert sample["peer_value"].notna().sum() > 100_000


@pytest.mark.parametrize("level", ["95", "998"])
def test_every_peer_verdict_follows_from_interval_and_benchmark(sample, level):
    column = "comparison_peer" if level == "95" else "comparison_peer_998"
    for polarity, rows in sample.groupby("polarity"):
        expected = stats.compare(
            rows[f"lower_{level}"], rows[f"upper_{level}"], rows["peer_value"], polarity
        )
        assert (rows[column].to_numpy() == expected).all(), polarity
    assert set(sample[column]) >= {"better", "similar", "worse", "not compared"}


def test_sample_peer_groups(published_sample):
    connection, _ = open_current(published_sample)
    groups = connection.execute("SELECT * FROM peer_groups").df()
    connection.close()
    sizes = groups.groupby(["level", "org_code"]).size()
    assert set(sizes) == {10}  # 53 practices and 11 networks: a full 10 each
    assert (groups.groupby(["level", "org_code"])["distance"].is_monotonic_increasing).all()
    assert not (groups["org_code"] == groups["peer_code"]).any()
