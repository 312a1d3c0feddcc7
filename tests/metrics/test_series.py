"""SPC on every monthly series (metrics.series): one icon pair per series, one point per month.

The hand-built series: twenty months alternating 10 and 12 (ending 10), then 30. The jump's
moving range (20) is screened out (≥ 3.267 × mR̄), so mR̄ = 2, the mean is 238 / 20 = 11.9
and the limits 11.9 ± 2.66 × 2 = 6.58 and 17.22: the last point is beyond the upper limit.
"""

from __future__ import annotations

import dataclasses
import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from metrics.registry import Target, load_registry
from metrics.series import ANNOTATION_COLUMNS, SERIES_KEYS, STATUSES, chart_series
from metrics.spc import (
    ASSURANCE_NAMES,
    MINIMUM_POINTS,
    POINT_TYPE_NAMES,
    RULE_NAMES,
    VARIATION_NAMES,
    spc_batch,
)
from tests.metrics.conftest import FixtureSystem
from tests.metrics.published_system import MONTHS, add_deaths

STARTS = pd.date_range("2024-01-01", periods=24, freq="MS").date
JUMP = [10.0, 12.0] * 9 + [10.0, 30.0]
FLAT = [10.0, 12.0] * 10


def monthly(metric: str, values: list[float], org: str = "AR1", suppressed=()) -> pd.DataFrame:
    """Month rows of one series, in the shape publish gives chart_series."""
    return pd.DataFrame({
        "metric_id": metric, "level": "area", "org_code": org, "segment": "all",
        "period_type": "month", "period_start": STARTS[: len(values)], "value": values,
        "suppressed": [i in suppressed for i in range(len(values))],
    })  # fmt: skip


def registry_with_target(metric: str, target: float | None):
    registry = load_registry()
    registry[metric] = dataclasses.replace(registry[metric], target=Target(value=target))
    return registry


def change_points(*rows) -> pd.DataFrame:
    """(metric, org or None, month index, recalculate) -> an annotations frame."""
    return pd.DataFrame(
        [(metric, org, STARTS[month], "a change", recalculate)
         for metric, org, month, recalculate in rows],
        columns=ANNOTATION_COLUMNS,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("metric", "variation"),
    [
        ("bed_days", "special_cause_concern"),  # lower is better
        ("dm_hba1c_control", "special_cause_improvement"),  # higher is better
        ("registered_population", "special_cause_neutral_high"),  # no polarity
    ],
)
def test_the_variation_icon_follows_the_polarity(metric, variation):
    points, summary = chart_series(monthly(metric, JUMP), registry_with_target(metric, None))
    assert summary.to_dict("records") == [
        {"metric_id": metric, "level": "area", "org_code": "AR1", "segment": "all",
         "variation": variation, "assurance": None, "status": "charted", "points": 20},
    ]  # fmt: skip
    last = points.iloc[-1]
    assert (last["rule"], last["mean"]) == ("outside_limits", pytest.approx(11.9))
    assert last["lower_limit"] == pytest.approx(6.58)
    assert last["upper_limit"] == pytest.approx(17.22)
    assert points["in_limits"].all() and points["excluded_reason"].isna().all()


@pytest.mark.parametrize(
    ("target", "assurance"),
    [(50.0, "consistent_pass"), (5.0, "consistent_fail"), (12.0, "inconsistent")],
)
def test_the_assurance_icon_sets_the_target_against_the_limits(target, assurance):
    registry = registry_with_target("bed_days", target)
    _, summary = chart_series(monthly("bed_days", JUMP), registry)
    assert summary["assurance"].tolist() == [assurance]


def test_only_month_rows_are_charted_each_series_on_its_own():
    quarter = monthly("bed_days", [99.0]).assign(period_type="quarter")
    empty = monthly("bed_days", [math.nan] * 3, org="AR2")
    shuffled = monthly("bed_days", JUMP).sample(frac=1, random_state=1)
    points, summary = chart_series(pd.concat([shuffled, quarter, empty]), load_registry())
    assert len(points) == 20 + 3
    assert summary.set_index("org_code")[["variation", "status"]].to_dict("index") == {
        "AR1": {"variation": "special_cause_concern", "status": "charted"},
        "AR2": {"variation": None, "status": "too_few_points"},  # nothing observed
    }
    ar1 = points[points["org_code"] == "AR1"]
    assert ar1["value"].tolist() == JUMP  # back in month order


# --- suppressed months are gaps --------------------------------------------------------


def test_a_suppressed_month_is_in_no_mean_limit_rule_or_icon():
    points, summary = chart_series(monthly("bed_days", JUMP, suppressed={4}), load_registry())
    hidden = points.iloc[4]
    assert (hidden["in_limits"], hidden["excluded_reason"]) == (False, "suppressed")
    assert hidden["rule"] is None and hidden["point_type"] is None
    # 19 points: the mean of the others; mR̄ still 2 (10 -> 12 neighbours either side).
    assert points["mean"].iloc[0] == pytest.approx((238 - 10) / 19)
    assert summary.iloc[0][["status", "points"]].tolist() == ["charted", 19]


@pytest.mark.parametrize("hidden", [2.0, 11.0, 500.0])
def test_a_series_with_one_hidden_month_does_not_give_it_back(hidden):
    # Whatever the hidden month's value, every published number but its own is the same.
    values = JUMP.copy()
    values[7] = hidden
    points, summary = chart_series(monthly("bed_days", values, suppressed={7}), load_registry())
    reference, reference_summary = chart_series(
        monthly("bed_days", JUMP, suppressed={7}), load_registry()
    )
    pd.testing.assert_frame_equal(points.drop(columns="value"), reference.drop(columns="value"))
    pd.testing.assert_frame_equal(summary, reference_summary)


@pytest.mark.parametrize(
    ("suppressed", "status", "points"),
    [
        (set(range(20)), "all_suppressed", 0),
        ({19}, "last_point_suppressed", 19),
        (set(range(6)), "too_few_points", 14),
        (set(range(5)), "charted", 15),
    ],
)
def test_a_series_gets_icons_only_when_charted(suppressed, status, points):
    _, summary = chart_series(monthly("bed_days", JUMP, suppressed=suppressed), load_registry())
    row = summary.iloc[0]
    assert (row["status"], row["points"]) == (status, points)
    assert (row["variation"] is None) == (status != "charted")
    assert (row["assurance"] is None) or status == "charted"


def test_a_phase_with_too_few_points_has_no_mean_limits_or_rules():
    values = [10.0, 12.0] * 7  # 14 points, one short of MINIMUM_POINTS
    points, _ = chart_series(monthly("bed_days", values), load_registry())
    assert MINIMUM_POINTS == 15
    assert points[["mean", "lower_limit", "upper_limit"]].isna().all().all()
    assert points["rule"].isna().all() and points["point_type"].isna().all()


# --- months the definition leaves out ---------------------------------------------------


def test_the_lead_in_months_are_drawn_but_left_out_of_the_limits():
    # nel_last_100_days: the first 4 months are too low (deaths' last 100 days cut short).
    values = [1.0, 2.0, 3.0, 4.0, *FLAT]
    points, summary = chart_series(monthly("nel_last_100_days", values), load_registry())
    assert points["excluded_reason"].tolist()[:5] == ["lead_in"] * 4 + [None]
    assert not points["in_limits"].iloc[:4].any() and points["in_limits"].iloc[4:].all()
    assert points["mean"].iloc[0] == pytest.approx(11.0)  # the mean of FLAT, lead-in drawn
    assert points["value"].iloc[0] == 1.0 and points["rule"].iloc[:4].isna().all()
    assert summary.iloc[0][["status", "points"]].tolist() == ["charted", 20]


def test_the_provisional_months_are_left_out_and_the_icon_is_the_last_judged_point():
    # readmission_30d_75plus: the latest month has incomplete follow-up.
    points, summary = chart_series(monthly("readmission_30d_75plus", [*JUMP, 0.0]), load_registry())
    assert points["excluded_reason"].iloc[-1] == "provisional"
    assert points["rule"].iloc[-1] is None and points["mean"].iloc[-1] == pytest.approx(11.9)
    # lower is better: the last judged point (30, not the provisional 0) is a concern
    assert summary.iloc[0]["variation"] == "special_cause_concern"


# --- change points ----------------------------------------------------------------------


def test_a_recalculating_change_point_starts_a_new_phase_for_its_org_only():
    step = [10.0, 12.0] * 8 + [20.0, 22.0] * 8  # 16 points, then 16 points 10 higher
    frame = pd.concat([monthly("bed_days", step[:24]), monthly("bed_days", step[:24], "AR2")])
    points, summary = chart_series(
        frame, load_registry(), change_points(("bed_days", "AR1", 16, True))
    )
    ar1, ar2 = (points[points["org_code"] == org] for org in ("AR1", "AR2"))
    assert ar1["phase"].tolist() == [0] * 16 + [1] * 8
    assert ar1["mean"].iloc[0] == pytest.approx(11.0)
    assert ar1["mean"].iloc[-1] != ar1["mean"].iloc[-1]  # 8 points: too few, no mean
    assert (ar2["phase"] == 0).all()
    assert summary.set_index("org_code")["status"].to_dict() == {
        "AR1": "too_few_points", "AR2": "charted",
    }  # fmt: skip


def test_a_change_point_for_every_org_rebases_every_series_and_a_marker_rebases_none():
    step = [10.0, 12.0] * 8 + [20.0, 22.0] * 8
    frame = pd.concat([monthly("bed_days", step[:24]), monthly("bed_days", step[:24], "AR2")])
    annotations = change_points(
        ("bed_days", None, 8, True),
        ("bed_days", "AR2", 4, False),
        ("emergency_admissions", None, 2, True),
    )
    points, _ = chart_series(frame, load_registry(), annotations)
    assert points.groupby("org_code")["phase"].apply(list).to_dict() == {
        "AR1": [0] * 8 + [1] * 16, "AR2": [0] * 8 + [1] * 16,
    }  # fmt: skip
    phase_one = points[points["phase"] == 1]
    assert phase_one["mean"].iloc[0] == pytest.approx(np.mean(step[8:24]))


# --- every series of a real publish ---------------------------------------------------


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    system = FixtureSystem(tmp_path_factory.mktemp("series"), MONTHS)
    add_deaths(system)
    result = system.publish()
    with duckdb.connect(str(result.path), read_only=True) as connection:
        yield connection


def test_every_monthly_series_has_one_summary_row(snapshot):
    keys = ", ".join(SERIES_KEYS)
    missing_or_extra = snapshot.execute(f"""
        SELECT {keys}, count(s.metric_id) AS summaries
        FROM (SELECT DISTINCT {keys} FROM indicator_values WHERE period_type = 'month') v
        FULL JOIN spc_summary s USING ({keys})
        GROUP BY ALL HAVING summaries <> 1 OR any_value(v.metric_id) IS NULL
    """).fetchall()  # fmt: skip
    assert missing_or_extra == []
    series = snapshot.execute(
        f"SELECT count(DISTINCT ({keys})) FROM indicator_values WHERE period_type = 'month'"
    ).fetchone()[0]
    assert snapshot.execute("SELECT count(*) FROM spc_summary").fetchone()[0] == series > 900


def test_the_points_are_the_monthly_rows(snapshot):
    monthly_rows = snapshot.execute(
        "SELECT count(*) FROM indicator_values WHERE period_type = 'month'"
    ).fetchone()[0]
    matched = snapshot.execute(f"""
        SELECT count(*) FROM spc_points p
        JOIN indicator_values v USING ({", ".join(SERIES_KEYS)}, period_start)
        WHERE v.period_type = 'month' AND p.value IS NOT DISTINCT FROM v.value
    """).fetchone()[0]  # fmt: skip
    points = snapshot.execute("SELECT count(*) FROM spc_points").fetchone()[0]
    assert points == matched == monthly_rows


@pytest.mark.parametrize(
    ("table", "column", "names"),
    [
        ("spc_summary", "variation", VARIATION_NAMES),
        ("spc_summary", "assurance", ASSURANCE_NAMES),
        ("spc_points", "point_type", POINT_TYPE_NAMES),
        ("spc_points", "rule", RULE_NAMES),
    ],
)
def test_the_icons_are_valid_names(snapshot, table, column, names):
    found = snapshot.execute(f"SELECT DISTINCT {column} FROM {table}").fetchall()
    assert {name for (name,) in found} <= set(names)


# --- every series of the published sample ---------------------------------------------


@pytest.fixture(scope="module")
def sample(published_sample):
    from metrics.serving import current_version, snapshot_path

    path = snapshot_path(published_sample, current_version(published_sample))
    with duckdb.connect(str(path), read_only=True) as connection:
        yield connection


def test_the_sample_statuses_are_known_and_only_charted_series_have_icons(sample):
    statuses = dict(
        sample.execute("SELECT status, count(*) FROM spc_summary GROUP BY 1").fetchall()
    )
    assert set(statuses) <= set(STATUSES) and statuses["charted"] > 1000
    assert statuses["all_suppressed"] > 0 and statuses["last_point_suppressed"] > 0
    iconic = sample.execute(
        "SELECT count(*) FROM spc_summary WHERE status <> 'charted' "
        "AND (variation IS NOT NULL OR assurance IS NOT NULL)"
    ).fetchone()[0]
    assert iconic == 0
    unexplained = sample.execute(
        "SELECT count(*) FROM spc_summary WHERE status = 'charted' AND variation IS NULL"
    ).fetchone()[0]
    assert unexplained == 0


def test_no_suppressed_month_is_in_the_limits_of_the_sample(sample):
    wrong = sample.execute(
        """SELECT count(*) FILTER (suppressed AND (in_limits OR rule IS NOT NULL
                                   OR point_type IS NOT NULL OR excluded_reason <> 'suppressed')),
                  count(*) FILTER (in_limits AND excluded_reason IS NOT NULL),
                  count(*) FILTER (suppressed)
           FROM spc_points"""
    ).fetchone()
    assert wrong[:2] == (0, 0) and wrong[2] > 0


def test_the_sample_limits_are_those_of_the_unsuppressed_in_limits_points_alone(sample):
    # Recharted from the in-limits points only (no suppressed, lead-in or provisional month
    # present at all), every phase's mean and limits are the published ones; a phase with
    # too few points publishes none.
    points = sample.execute(
        f"""SELECT {", ".join(SERIES_KEYS)}, phase, period_start, value, mean, lower_limit,
                   upper_limit, in_limits
            FROM spc_points ORDER BY {", ".join(SERIES_KEYS)}, period_start"""
    ).df()
    phase_keys = [*SERIES_KEYS, "phase"]
    used = points[points["in_limits"]].reset_index(drop=True)
    used["series_id"] = used.groupby(phase_keys, sort=False).ngroup()
    start = pd.to_datetime(used["period_start"])
    recharted = spc_batch(
        used.assign(position=start.dt.year * 12 + start.dt.month), improvement="neutral"
    ).points
    expected = recharted.groupby(phase_keys)[["mean", "lower_limit", "upper_limit"]].first()
    expected["n"] = used.groupby(phase_keys).size()
    published = points.groupby(phase_keys)[["mean", "lower_limit", "upper_limit"]].first()
    compared = published.merge(
        expected, how="left", left_index=True, right_index=True, suffixes=("", "_expected")
    )
    enough = compared["n"] >= MINIMUM_POINTS
    for column in ("mean", "lower_limit", "upper_limit"):
        np.testing.assert_allclose(
            compared.loc[enough, column], compared.loc[enough, f"{column}_expected"], rtol=1e-9
        )
        assert compared.loc[~enough, column].isna().all()
    assert enough.sum() > 1000 and (~enough).sum() > 0


def test_the_demo_change_points_rebase_the_sample(sample):
    # tests/conftest.py records the demo's change points before publishing the sample.
    annotations = sample.execute("SELECT count(*) FROM spc_annotations").fetchone()[0]
    assert annotations > 0
    phases = sample.execute(
        """SELECT max(phase) FROM spc_points WHERE metric_id = 'bed_days' AND segment = 'all'
           AND org_code IN ('TBC', 'SYSTEM')"""
    ).fetchone()[0]
    assert phases == 1
    lead_in = sample.execute(
        """SELECT count(DISTINCT period_start) FROM spc_points
           WHERE metric_id = 'nel_last_100_days' AND excluded_reason = 'lead_in'"""
    ).fetchone()[0]
    assert lead_in == 4
