"""The targets read live: one read of the side store per request (kept on flask.g), a
fresh read outside a request, and assurance, on-track and thresholds all through
`metrics.assurance` against the target in force for the org and month."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dashboard import access, targets_live
from dashboard.app import create_app
from dashboard.pages import indicator_targets
from wholesystem import targets
from wholesystem.settings import Settings
from wholesystem.targets import EffectiveTarget, TargetSpec

METRIC, AREA = "dm_hba1c_control", "E38000991"
INDICATOR = {"id": METRIC, "improvement": "increase"}


@pytest.fixture
def settings(published_sample, tmp_path) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(published_sample.serving_dir)
    settings = Settings(data_dir=data_dir, secret_key="test-secret")
    access.configure(settings)
    yield settings
    access.configure(published_sample)  # as the other tests expect it


def test_outside_a_request_each_call_reads_afresh(settings):
    assert targets_live.target_for(INDICATOR, AREA, date(2026, 10, 1)).source == "default"
    targets.add_target(settings, TargetSpec(METRIC, org_code=AREA, value=57, reason="Plan"), "ann")
    assert targets_live.target_for(INDICATOR, AREA, date(2026, 10, 1)).judged_against == 57.0


def test_inside_a_request_the_book_is_read_once(settings, monkeypatch):
    app = create_app(settings)
    reads = []
    load = targets_live.TargetBook.load
    monkeypatch.setattr(targets_live.TargetBook, "load", lambda *a: reads.append(1) or load(*a))
    with app.server.test_request_context("/"):
        for _ in range(3):
            targets_live.assurance_for(INDICATOR, AREA, date(2026, 10, 1), 57.7, 58.6)
        assert len(reads) == 1
    with app.server.test_request_context("/"):
        targets_live.book()
        assert len(reads) == 2  # the next request (page load) reads again


@pytest.mark.parametrize(
    ("value", "lower", "upper", "expected"),
    [(57, 57.7, 58.6, "consistent_pass"), (58, 57.7, 58.6, "inconsistent"),
     (59, 57.7, 58.6, "consistent_fail"), (58, None, None, None)],
)  # fmt: skip
def test_assurance_for_judges_the_target_in_force(settings, value, lower, upper, expected):
    targets.add_target(
        settings, TargetSpec(METRIC, org_code=AREA, value=value, reason="Plan"), "ann"
    )
    assert targets_live.assurance_for(INDICATOR, AREA, date(2026, 10, 1), lower, upper) == expected
    # Another area keeps the default, 75%, which the limits never reach.
    other = targets_live.assurance_for(INDICATOR, "E38000992", date(2026, 10, 1), 57.7, 58.6)
    assert other == "consistent_fail"


def test_on_track_for_reads_the_planned_value_of_the_month(settings):
    plan = {date(2026, 9, 1): 58.0, date(2026, 10, 1): 58.6}
    targets.add_target(
        settings, TargetSpec(METRIC, value=60, trajectory=plan, reason="Plan"), "ann"
    )
    assert targets_live.on_track_for(INDICATOR, AREA, date(2026, 9, 1), 58.3) is True
    assert targets_live.on_track_for(INDICATOR, AREA, date(2026, 10, 1), 58.3) is False
    assert targets_live.on_track_for(INDICATOR, AREA, date(2026, 11, 1), 58.3) is None
    assert targets_live.on_track_for(INDICATOR, AREA, date(2026, 10, 1), None) is None


def test_series_assurance_uses_the_latest_month_shown(settings):
    points = pd.DataFrame({
        "period_start": pd.to_datetime(["2026-09-01", "2026-10-01"]),
        "value": [58.3, None], "suppressed": [False, True],
        "lower_limit": [57.7, 57.7], "upper_limit": [58.6, 58.6],
    })  # fmt: skip
    spec = TargetSpec(METRIC, org_code=AREA, value=57, valid_to=date(2026, 9, 1), reason="Plan")
    targets.add_target(settings, spec, "ann")
    # September is the latest month shown, and the target is in force then.
    assert targets_live.series_assurance(INDICATOR, AREA, points) == "consistent_pass"
    assert targets_live.series_assurance(INDICATOR, AREA, points.iloc[:0]) is None


@pytest.mark.parametrize(
    ("target", "improvement", "expected"),
    [
        (EffectiveTarget(2.0, None, None, 2.0, "set"), "increase", (2.0, 2.0)),
        (EffectiveTarget(80.0, 45.0, 80.0, 80.0, "default"), "increase", (45.0, 80.0)),
        (EffectiveTarget(None, 40.0, 70.0, 70.0, "set"), "increase", (40.0, 70.0)),
        (EffectiveTarget(None, 900.0, 1100.0, 900.0, "set"), "decrease", (1100.0, 900.0)),
        (None, "increase", (None, None)),
    ],
)
def test_thresholds_put_the_judged_against_number_as_the_upper(target, improvement, expected):
    assert targets_live.thresholds(target, improvement) == expected


def test_inside_a_reading_block_the_book_is_read_once(settings, monkeypatch):
    reads = []
    load = targets_live.TargetBook.load
    monkeypatch.setattr(targets_live.TargetBook, "load", lambda *a: reads.append(1) or load(*a))
    with access.reading(access.version()):
        for _ in range(3):  # the pack asks per metric and area
            targets_live.trajectory_for(INDICATOR, AREA)
            targets_live.assurance_for(INDICATOR, AREA, date(2026, 10, 1), 57.7, 58.6)
        assert len(reads) == 1
    given = targets_live.book()
    assert len(reads) == 2  # outside the block, a fresh read again
    assert targets_live.target_for(INDICATOR, AREA, date(2026, 10, 1), book=given).value == 75
    assert len(reads) == 2  # a book passed in is used as it is


def test_an_expired_target_is_not_shown_for_a_series_with_no_points(settings):
    # Set for months long past; a series with no points is judged at the latest month.
    spec = TargetSpec(METRIC, org_code=AREA, value=57, valid_to=date(2025, 1, 1), reason="Old")
    targets.add_target(settings, spec, "ann")
    empty = pd.DataFrame(columns=["period_start", "value", "suppressed"])
    assert indicator_targets.judged_month(empty) == access.months()[-1]
    judged, _ = indicator_targets.chart_target(INDICATOR, AREA, empty)
    assert judged == 75.0  # the default, not the expired 57
    with pytest.raises(ValueError, match="needs the month"):
        targets_live.book().record(METRIC, AREA, None)


def test_describe_says_where_the_target_comes_from(settings):
    record = targets.add_target(
        settings, TargetSpec(METRIC, org_code=AREA, value=57, reason="Plan"), "ann"
    )
    found = targets_live.target_for(INDICATOR, AREA, date(2026, 10, 1))
    day = f"{pd.Timestamp(record.set_at):%-d %b %Y}"
    assert targets_live.describe(found) == f"set by ann on {day}: Plan"
    assert targets_live.describe(found, whom=True).startswith("set for this organisation by ann")
    default = targets_live.target_for(INDICATOR, "E38000992", date(2026, 10, 1))
    assert targets_live.describe(default) == f"the default: {default.note}"
    assert targets_live.describe(None) == "no target set"
