"""SPC on every monthly series (metrics.series): one icon pair per series, one point per month.

The hand-built series: eleven months alternating 10 and 12, then 30. The jump's moving
range (20) is screened out (≥ 3.267 × mR̄), so mR̄ = 2, the mean is 150 / 12 = 12.5 and the
limits 12.5 ± 2.66 × 2 = 7.18 and 17.82: the last point is beyond the upper limit.
"""

from __future__ import annotations

import dataclasses
import math

import duckdb
import pandas as pd
import pytest

from metrics.registry import Target, load_registry
from metrics.series import SERIES_KEYS, chart_series
from metrics.spc import ASSURANCE_NAMES, POINT_TYPE_NAMES, RULE_NAMES, VARIATION_NAMES
from tests.metrics.conftest import FixtureSystem
from tests.metrics.published_system import MONTHS, add_deaths

STARTS = pd.date_range("2025-04-01", periods=12, freq="MS").date
JUMP = [10.0, 12.0] * 5 + [10.0, 30.0]


def monthly(metric: str, values: list[float], org: str = "AR1") -> pd.DataFrame:
    """Month rows of one series, in the shape compute() returns."""
    return pd.DataFrame({
        "metric_id": metric, "level": "area", "org_code": org, "segment": "all",
        "period_type": "month", "period_start": STARTS[: len(values)], "value": values,
    })  # fmt: skip


def registry_with_target(metric: str, target: float | None):
    registry = load_registry()
    registry[metric] = dataclasses.replace(registry[metric], target=Target(value=target))
    return registry


@pytest.mark.parametrize(
    ("metric", "variation"),
    [
        ("nel_last_100_days", "special_cause_concern"),  # lower is better
        ("dm_hba1c_control", "special_cause_improvement"),  # higher is better
        ("registered_population", "special_cause_neutral_high"),  # no polarity
    ],
)
def test_the_variation_icon_follows_the_polarity(metric, variation):
    points, summary = chart_series(monthly(metric, JUMP), registry_with_target(metric, None))
    assert summary.to_dict("records") == [
        {"metric_id": metric, "level": "area", "org_code": "AR1", "segment": "all",
         "variation": variation, "assurance": None},
    ]  # fmt: skip
    last = points.iloc[-1]
    assert (last["rule"], last["mean"]) == ("outside_limits", 12.5)
    assert last["lower_limit"] == pytest.approx(7.18)
    assert last["upper_limit"] == pytest.approx(17.82)


@pytest.mark.parametrize(
    ("target", "assurance"),
    [(50.0, "consistent_pass"), (5.0, "consistent_fail"), (12.0, "inconsistent")],
)
def test_the_assurance_icon_sets_the_target_against_the_limits(target, assurance):
    registry = registry_with_target("nel_last_100_days", target)
    _, summary = chart_series(monthly("nel_last_100_days", JUMP), registry)
    assert summary["assurance"].tolist() == [assurance]


def test_only_month_rows_are_charted_each_series_on_its_own():
    quarter = monthly("nel_last_100_days", [99.0]).assign(period_type="quarter")
    empty = monthly("nel_last_100_days", [math.nan] * 3, org="AR2")
    shuffled = monthly("nel_last_100_days", JUMP).sample(frac=1, random_state=1)
    points, summary = chart_series(pd.concat([shuffled, quarter, empty]), load_registry())
    assert len(points) == 12 + 3
    assert summary.set_index("org_code")["variation"].to_dict() == {
        "AR1": "special_cause_concern",
        "AR2": None,  # nothing observed: no icons
    }
    ar1 = points[points["org_code"] == "AR1"]
    assert ar1["value"].tolist() == JUMP  # back in month order


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
