"""The board's rows (`board_data.metric_rows`), the one source of the board page and the
pack: checked against the published snapshot's own rows, read straight from its file, for
a hand-picked metric, area and month; live assurance and the trajectory after a target is
set through `wholesystem.targets`; the attention order and the summary matrix on
hand-built frames; the period choice against the snapshot's board and rolling-12 rows."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from dashboard import access
from dashboard.pages import board_data
from dashboard.pages.board_data import ATTENTION, attention_reasons, needs_attention_first
from dashboard.scope import Scope
from metrics.serving import current_version, snapshot_path
from wholesystem import commentary, targets
from wholesystem.settings import Settings

METRIC = "bed_days"  # lower is better; charted in every area of the sample
OCT, AUG, JUN = date(2026, 10, 1), date(2026, 8, 1), date(2026, 6, 1)


@pytest.fixture
def settings(published_sample, tmp_path) -> Settings:
    """The published sample's snapshot with a side store of the test's own (targets and
    commentary are written here, never into the shared sample)."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(published_sample.serving_dir)
    settings = Settings(data_dir=data_dir)
    access.configure(settings)
    return settings


@pytest.fixture
def area(settings) -> str:
    return access.org_units(Scope.whole_system(), "area")["org_code"].iloc[0]


def snapshot_rows(settings: Settings, sql: str, *parameters) -> pd.DataFrame:
    """Rows read straight from the published snapshot's file, not through `access`."""
    path = snapshot_path(settings, current_version(settings))
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql, list(parameters)).df()


def published_value(settings, area: str, period_type: str, start: date) -> float:
    frame = snapshot_rows(
        settings,
        """SELECT value FROM indicator_values WHERE metric_id = ? AND level = 'area'
           AND org_code = ? AND period_type = ? AND period_start = ? AND segment = 'all'""",
        METRIC, area, period_type, start,
    )  # fmt: skip
    assert len(frame) == 1
    return float(frame["value"].iloc[0])


def published_point(settings, area: str, month: date) -> dict:
    frame = snapshot_rows(
        settings,
        """SELECT * FROM spc_points WHERE metric_id = ? AND org_code = ? AND segment = 'all'
           AND period_start = ?""",
        METRIC, area, month,
    )  # fmt: skip
    return frame.iloc[0].to_dict()


def row_of(rows: pd.DataFrame, metric_id: str = METRIC) -> dict:
    return rows[rows["metric_id"] == metric_id].iloc[0].to_dict()


def test_a_month_row_is_the_snapshots_value_change_limits_and_icons(settings, area):
    row = row_of(board_data.metric_rows(Scope.whole_system(), area, OCT))
    value = published_value(settings, area, "month", OCT)
    assert row["value"] == pytest.approx(value)
    assert row["change"] == pytest.approx(value - published_value(settings, area, "month", AUG))
    point = published_point(settings, area, OCT)
    assert (row["lower_limit"], row["upper_limit"]) == pytest.approx(
        (point["lower_limit"], point["upper_limit"])
    )
    summary = snapshot_rows(
        settings,
        "SELECT variation, status FROM spc_summary WHERE metric_id = ? AND org_code = ? "
        "AND segment = 'all'",
        METRIC, area,
    ).iloc[0]  # fmt: skip
    assert (row["variation"], row["status"]) == (summary["variation"], "charted")
    # The sample's definitions give bed days no default target: no assurance, no trajectory.
    assert (row["assurance"], row["target"], row["planned"], row["on_track"]) == (
        None, None, None, None,
    )  # fmt: skip
    assert (row["period_start"], row["period_end"]) == (OCT, date(2026, 10, 31))


def test_an_earlier_months_variation_is_its_spc_points_type(settings, area):
    month = access.months()[-5]
    row = row_of(board_data.metric_rows(Scope.whole_system(), area, month))
    kind = published_point(settings, area, month)["point_type"]
    expected = {"common_cause": "common_cause", "concern": "special_cause_concern",
                "improvement": "special_cause_improvement"}  # fmt: skip
    assert row["variation"] == expected[kind]


def test_assurance_follows_a_target_set_now_without_republishing(settings, area):
    """Bed days: lower is better. A target above the upper limit is always met (pass),
    one below the lower limit never (fail), one between the limits sometimes."""
    point = published_point(settings, area, OCT)
    lower, upper = point["lower_limit"], point["upper_limit"]
    cases = [(upper + 1, "consistent_pass"), (lower - 1, "consistent_fail"),
             ((lower + upper) / 2, "inconsistent")]  # fmt: skip
    for value, expected in cases:
        spec = targets.TargetSpec(METRIC, org_code=area, value=value, reason="Plan 2026/27")
        record = targets.add_target(settings, spec, "anna")
        row = row_of(board_data.metric_rows(Scope.whole_system(), area, OCT))
        assert (row["assurance"], row["target"], row["target_source"]) == (expected, value, "set")
        assert ("failing the target" in row["attention_reasons"]) == (expected == "consistent_fail")
        targets.end_target(settings, record.id, "anna")


def test_the_trajectory_says_whether_the_month_is_on_track(settings, area):
    value = published_value(settings, area, "month", OCT)
    for planned, on_track in ((value + 10, True), (value - 10, False)):
        spec = targets.TargetSpec(
            METRIC, org_code=area, value=value, trajectory={OCT: planned}, reason="Trajectory"
        )
        record = targets.add_target(settings, spec, "anna")
        row = row_of(board_data.metric_rows(Scope.whole_system(), area, OCT))
        assert (row["planned"], row["on_track"]) == (pytest.approx(planned), on_track)
        assert ("off trajectory" in row["attention_reasons"]) == (not on_track)
        targets.end_target(settings, record.id, "anna")


@pytest.mark.parametrize(
    ("period_type", "start", "previous"),
    [("board", AUG, JUN), ("rolling12", date(2025, 11, 1), date(2025, 9, 1))],
)
def test_board_period_and_rolling_12_values_are_the_snapshots_rows(
    settings, area, period_type, start, previous
):
    """For October 2026 the board shows the latest complete board period (August to
    September: October and November are not yet published) and the 12 months to October."""
    rows = board_data.metric_rows(Scope.whole_system(), area, OCT, period_type)
    row = row_of(rows)
    value = published_value(settings, area, period_type, start)
    assert row["period_start"] == start
    assert row["value"] == pytest.approx(value)
    before = published_value(settings, area, period_type, previous)
    assert row["change"] == pytest.approx(value - before)
    # SPC icons stay monthly.
    monthly = row_of(board_data.metric_rows(Scope.whole_system(), area, OCT))
    assert (row["variation"], row["lower_limit"]) == (monthly["variation"], monthly["lower_limit"])


def test_periods_in_words_and_the_board_period_holding_a_month(settings):
    assert board_data.board_period_of(date(2026, 9, 1)) == AUG
    assert board_data.board_period_of(OCT) == OCT  # continues Aug–Sep in two-month steps
    assert board_data.board_period_of(date(2026, 11, 1)) == OCT
    assert board_data.shown_period("board", AUG) == (AUG, date(2026, 9, 30))
    assert board_data.period_label("board", (AUG, date(2026, 9, 30))) == "August to September 2026"
    assert board_data.period_label("rolling12", (date(2025, 11, 1), date(2026, 10, 31))) == (
        "12 months to October 2026"
    )


def test_rows_carry_the_current_commentary_of_the_board_period(settings, area):
    written = commentary.write(settings, METRIC, area, OCT, "Up with winter.", "anna")
    rows = board_data.metric_rows(Scope.whole_system(), area, OCT)
    assert row_of(rows)["comment"] == written
    assert row_of(rows, "acsc_all")["comment"] is None
    earlier = board_data.metric_rows(Scope.whole_system(), area, AUG)
    assert row_of(earlier)["comment"] is None


def test_northumbrias_eight_come_first_and_an_unseen_area_has_no_rows(settings, area):
    rows = board_data.metric_rows(Scope.whole_system(), area, OCT)
    groups = rows["group"].tolist()
    assert groups == sorted(groups, key=board_data.BOARD_GROUPS.index)
    assert groups[0] == "northumbria" and rows["order"].tolist() == list(range(len(rows)))
    other = access.org_units(Scope.whole_system(), "area")["org_code"].iloc[1]
    assert board_data.metric_rows(Scope("area", other), area, OCT).empty


def hand_built(specs) -> pd.DataFrame:
    """Rows as metric_rows gives them: (metric_id, variation, assurance, on_track)."""
    records = []
    for order, (metric_id, variation, assurance, on_track) in enumerate(specs):
        reasons = attention_reasons(variation, assurance, on_track)
        records.append({
            "order": order, "metric_id": metric_id, "variation": variation,
            "assurance": assurance, "on_track": on_track, "attention_reasons": reasons,
            "attention": sum(ATTENTION[reason] for reason in reasons),
        })  # fmt: skip
    return pd.DataFrame(records)


def test_needs_attention_first_orders_concern_then_failing_then_off_trajectory():
    rows = hand_built([
        ("calm", "common_cause", "consistent_pass", True),
        ("off_plan", "common_cause", "inconsistent", False),
        ("failing", "common_cause", "consistent_fail", None),
        ("concern", "special_cause_concern", None, None),
        ("everything", "special_cause_concern", "consistent_fail", False),
        ("failing_and_off", "special_cause_improvement", "consistent_fail", False),
        ("no_icons", None, None, None),
    ])  # fmt: skip
    ordered = needs_attention_first(rows)
    assert ordered["metric_id"].tolist() == [
        "everything", "concern", "failing_and_off", "failing", "off_plan", "calm", "no_icons",
    ]  # fmt: skip
    assert ordered["attention"].tolist() == [7, 4, 3, 2, 1, 0, 0]


def test_the_summary_matrix_puts_each_metric_in_its_variation_and_assurance_cell():
    rows = hand_built([
        ("a", "common_cause", "consistent_pass", None),
        ("b", "special_cause_concern", "consistent_fail", None),
        ("c", "special_cause_neutral_high", None, None),
        ("d", "common_cause", "consistent_pass", None),
        ("e", None, None, None),
        ("f", "special_cause_improvement", "inconsistent", None),
    ])  # fmt: skip
    matrix = board_data.summary_matrix(rows)
    assert list(matrix.index) == list(board_data.MATRIX_VARIATION)
    assert list(matrix.columns) == list(board_data.MATRIX_ASSURANCE)
    filled = {
        (variation, assurance): matrix.at[variation, assurance]
        for variation in matrix.index
        for assurance in matrix.columns
        if matrix.at[variation, assurance]
    }
    assert filled == {
        ("common_cause", "consistent_pass"): ["a", "d"],
        ("special_cause_concern", "consistent_fail"): ["b"],
        ("special_cause_neutral", "no_assurance"): ["c"],
        ("no_variation", "no_assurance"): ["e"],
        ("special_cause_improvement", "inconsistent"): ["f"],
    }
