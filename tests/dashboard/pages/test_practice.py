"""The practice profile: spine rows equal the snapshot's values, the range covers only the
practices in scope, suppressed values show "*", and a bad practice gets one sentence."""

from __future__ import annotations

import dash
import pandas as pd

from dashboard import access, session
from dashboard.pages import practice
from dashboard.pages.drilldown_data import ancestor_at, latest_period
from dashboard.pages.practice_data import practice_profile, profile_rows
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
    """Each row holds what its verdict compares: the standardised ratio (system 1) for an
    ISR indicator, the value for every other; the crude values stay as context."""
    rows = practice_profile(Scope.whole_system(), PRACTICE).rows
    values = latest(Scope.whole_system(), org_codes=[PRACTICE, NETWORK, LOCALITY, "SYSTEM"])
    values = values.set_index(["org_code", "metric_id"])
    definitions = access.indicators().set_index("id")
    assert len(rows) > 40 and "registered_population" not in rows.index
    assert set(rows.index[rows["basis"] == "ratio"]) == set(
        definitions.index[definitions["isr"]]
    ) & set(rows.index)
    for metric, row in rows.iterrows():
        column = "isr" if definitions.loc[metric, "isr"] else "value"
        assert same(row["practice"], values[column].get((PRACTICE, metric)))
        assert same(row["network"], values.loc[(NETWORK, metric), column])
        assert same(row["locality"], values.loc[(LOCALITY, metric), column])
        system = 1.0 if column == "isr" else values.loc[("SYSTEM", metric), "value"]
        assert row["system"] == system
        assert same(row["practice_crude"], values["value"].get((PRACTICE, metric)))
        assert row["flip"] == (definitions.loc[metric, "polarity"] == "lower")


def test_range_spans_every_unsuppressed_practice_in_scope():
    rows = practice_profile(Scope.whole_system(), PRACTICE).rows
    values = latest(Scope.whole_system(), levels=["practice"])
    isr = values["metric_id"].map(access.indicators().set_index("id")["isr"])
    values = values.assign(value=values["value"].where(~isr, values["isr"]))
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
    assert first[6] == f"{rows['system'].iloc[0]:.1f}%"


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


def holds(verdict: str, lower: float, upper: float, benchmark: float, flip: bool) -> bool:
    """Whether a verdict follows from the interval drawn against the benchmark drawn."""
    above, below = lower > benchmark, upper < benchmark
    if verdict == "similar":
        return not above and not below
    better = below if flip else above
    worse = above if flip else below
    return {"better": better, "worse": worse, "higher": above, "lower": below}.get(verdict, True)


def test_no_verdict_contradicts_the_interval_and_benchmark_drawn():
    """Over every practice of the sample: a practice's comparison with the system follows
    from the value (or standardised ratio) and 95% interval its row draws, against the
    system value (or 1) its row draws. So "better" never sits beside a worse value."""
    scope = Scope.whole_system()
    values, indicators, orgs = latest(scope), access.indicators(), access.org_units(scope)
    checked = 0
    for org in orgs[orgs["level"] == "practice"].to_dict("records"):
        code = org["org_code"]
        network, locality = (ancestor_at(orgs, code, level) for level in ("network", "locality"))
        rows = profile_rows(values, indicators, org, network, locality)
        rows = rows[~rows["practice_suppressed"] & rows["practice_lower"].notna()]
        for metric, row in rows.iterrows():
            verdict = row["practice_comparison"]
            assert holds(verdict, row["practice_lower"], row["practice_upper"], row["system"],
                         row["flip"]), (code, metric, verdict, row["practice_lower"],
                                        row["practice_upper"], row["system"])  # fmt: skip
            checked += 1
    assert checked > 1000


def test_the_reported_bed_days_case_shows_the_ratio_beside_its_verdict():
    """Finding 1: X20015's crude bed-day rate is above the system's, yet it is "better":
    the verdict is on its standardised ratio, which the table and chart now show."""
    rows = practice_profile(Scope.whole_system(), "X20015").rows
    row = rows.loc["bed_days"]
    assert row["basis"] == "ratio" and row["system"] == 1.0
    if row["practice_comparison"] == "better":
        assert row["practice_upper"] < 1.0
    body = practice.render_profile("X20015")
    table = next(n for n in components(body) if isinstance(n, dash.html.Tbody))
    line = next(r for r in table.children if text(r.children[0]).startswith(row["title"]))
    cells = [text(cell) for cell in line.children]
    assert "Standardised ratio. Crude rate: practice" in cells[0]
    assert cells[1] == f"{row['practice']:.2f}"
    assert cells[2] == f"{row['practice_lower']:.2f} to {row['practice_upper']:.2f}"
    assert cells[6] == "1.00"
    figure = next(n for n in components(body) if getattr(n, "id", "") == "practice-spine").figure
    assert "X20015" in figure.layout.title.text


def test_a_practice_with_nothing_to_draw_says_why_instead_of_empty_axes(monkeypatch):
    profile = practice_profile(Scope.whole_system(), PRACTICE)
    profile.rows = profile.rows.iloc[0:0]
    monkeypatch.setattr(practice.data, "practice_profile", lambda *args: profile)
    body = practice.render_profile(PRACTICE)
    assert not [node for node in components(body) if isinstance(node, dash.dcc.Graph)]
    assert text(body).endswith("so there is no profile to draw.")


def test_a_suppressed_benchmark_shows_a_star_not_a_dash():
    rows = practice_profile(Scope.whole_system(), "X20015").rows
    hidden = rows[rows["network_suppressed"] == True]  # noqa: E712 (NaN where not published)
    assert len(hidden)
    table = next(
        n for n in components(practice.render_profile("X20015")) if isinstance(n, dash.html.Tbody)
    )
    network_cells = {text(row.children[0]): text(row.children[4]) for row in table.children}
    for title in hidden["title"]:
        shown = next(cell for heading, cell in network_cells.items() if heading.startswith(title))
        assert shown == "*"


def test_a_closed_practice_is_listed_with_the_day_ods_closed_it():
    assert practice.practice_label("Abbey Medical Centre", "X10017", None) == (
        "Abbey Medical Centre (X10017)"
    )
    assert practice.practice_label("Abbey Medical Centre", "X10017", pd.NaT) == (
        "Abbey Medical Centre (X10017)"
    )
    closed = pd.Timestamp("2026-01-05")
    assert practice.practice_label("Abbey Medical Centre", "X10017", closed) == (
        "Abbey Medical Centre (X10017), closed 05 Jan 2026"
    )
