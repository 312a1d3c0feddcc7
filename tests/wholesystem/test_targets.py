"""Targets kept beside the users: storage, history (edit ends the old record, end records
who and when), one-sentence validation, and the TargetBook's precedence: an org-specific
target beats one for every org, valid months are inclusive, the TOML default is the
fallback, and `judged_against` follows the QOF rule."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from wholesystem import targets
from wholesystem.settings import Settings
from wholesystem.targets import TargetBook, TargetError, TargetSpec

METRIC = "dm_hba1c_control"  # % of the register, higher is better, TOML default 35-75
AREA, OTHER_AREA = "E38000991", "E38000992"


@pytest.fixture
def settings(published_sample, tmp_path) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(published_sample.serving_dir)
    return Settings(data_dir=data_dir)


def indicators(**rows) -> pd.DataFrame:
    """An indicators frame: METRIC with its default, bed_days (lower is better), none."""
    return pd.DataFrame(
        [
            {
                "id": METRIC,
                "improvement": "increase",
                "target_value": 75.0,
                "target_lower": 35.0,
                "target_upper": 75.0,
                "target_source": "QOF DM020",
            },
            {
                "id": "bed_days",
                "improvement": "decrease",
                "target_value": None,
                "target_lower": None,
                "target_upper": None,
                "target_source": "",
            },
        ]  # fmt: skip
    )


def spec(**fields) -> TargetSpec:
    return TargetSpec(**({"metric_id": METRIC, "value": 70, "reason": "ICB plan 2025/26"} | fields))


def test_a_target_is_stored_with_who_when_and_why(settings):
    stored = targets.add_target(
        settings, spec(org_code=AREA, trajectory={date(2025, 4, 1): 61}), "ann"
    )
    again = targets.get_target(settings, stored.id)
    assert again == stored and again.in_force
    assert (again.value, again.org_code, again.set_by, again.reason) == (
        70.0,
        AREA,
        "ann",
        "ICB plan 2025/26",
    )
    assert again.trajectory == {date(2025, 4, 1): 61.0}
    assert again.set_at[:4] == str(date.today().year)


def test_an_edit_ends_the_old_record_and_keeps_it(settings):
    old = targets.add_target(settings, spec(), "ann")
    new = targets.edit_target(settings, old.id, spec(value=72, reason="Revised plan"), "bob")
    assert new.replaces == old.id and new.value == 72.0 and new.set_by == "bob"
    ended = targets.get_target(settings, old.id)
    assert (ended.ended_by, ended.in_force, ended.value) == ("bob", False, 70.0)
    assert [t.id for t in targets.list_targets(settings)] == [new.id]
    assert [t.id for t in targets.list_targets(settings, in_force_only=False)] == [old.id, new.id]


def test_end_records_who_and_when_and_an_ended_target_cannot_be_ended_again(settings):
    target = targets.add_target(settings, spec(), "ann")
    ended = targets.end_target(settings, target.id, "bob")
    assert ended.ended_by == "bob" and ended.ended_at and targets.list_targets(settings) == []
    with pytest.raises(TargetError, match=f"no target in force with id {target.id}"):
        targets.end_target(settings, target.id, "bob")
    with pytest.raises(TargetError, match="no target in force with id 999"):
        targets.edit_target(settings, 999, spec(), "bob")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"metric_id": "nope"}, "there is no indicator 'nope'"),
        ({"metric_id": "prevalence_dm"}, "'prevalence_dm' has no better direction"),
        ({"org_code": "ZZZ99"}, "org code 'ZZZ99' is not in the published snapshot"),
        ({"valid_from": date(2025, 4, 2)}, "is not a month"),
        ({"valid_from": date(2025, 5, 1), "valid_to": date(2025, 4, 1)}, "2025-05 is after"),
        (
            {"value": None, "lower": 80, "upper": 60},
            "lower threshold 80 is above the upper threshold 60",
        ),
        ({"value": None, "lower": 60}, "give both a lower and an upper threshold"),
        ({"value": None}, "needs a value, or lower and upper thresholds"),
        ({"value": "seventy"}, "value 'seventy' is not a number"),
        ({"value": 101}, "value 101 is not a percentage from 0 to 100"),
        ({"value": -1}, "value -1 is not a percentage"),
        ({"reason": "  "}, "needs a reason"),
        (
            {"valid_to": date(2025, 3, 1), "trajectory": {date(2025, 4, 1): 60}},
            "2025-04 is outside",
        ),
        (
            {"trajectory": {date(2025, 4, 1): 160}},
            "planned value for 2025-04 160 is not a percentage",
        ),
    ],
)
def test_bad_targets_get_one_sentence_and_nothing_is_written(settings, fields, message):
    with pytest.raises(TargetError, match=message) as refused:
        targets.add_target(settings, spec(**fields), "ann")
    assert "\n" not in str(refused.value)
    assert targets.list_targets(settings, in_force_only=False) == []


def test_a_rate_is_not_held_to_0_to_100(settings):
    assert targets.add_target(settings, spec(metric_id="bed_days", value=1200), "ann").value == 1200


def test_month_and_number_parsing():
    assert targets.parse_month("2025-06") == date(2025, 6, 1) == targets.parse_month("2025-06-01")
    assert targets.parse_month("") is None and targets.parse_number(" ", "value") is None
    with pytest.raises(TargetError, match="'2025-13' is not a month"):
        targets.parse_month("2025-13", "valid_from")
    with pytest.raises(TargetError, match="value 'inf' is not a number"):
        targets.parse_number("inf", "value")


def book(settings) -> TargetBook:
    return TargetBook.load(settings, indicators())


def test_without_a_set_target_the_default_applies_judged_against_the_upper(settings):
    found = book(settings).target(METRIC, AREA, date(2025, 6, 1))
    assert (found.source, found.value, found.lower, found.upper) == ("default", 75.0, 35.0, 75.0)
    assert found.judged_against == 75.0 and found.note == "QOF DM020" and found.record is None
    assert book(settings).target("bed_days", AREA, date(2025, 6, 1)) is None


def test_an_org_specific_target_beats_one_for_every_org(settings):
    everyone = targets.add_target(settings, spec(value=70), "ann")
    area = targets.add_target(settings, spec(value=65, org_code=AREA), "ann")
    found = book(settings)
    assert found.target(METRIC, AREA, date(2025, 6, 1)).record.id == area.id
    assert found.target(METRIC, OTHER_AREA, date(2025, 6, 1)).record.id == everyone.id
    assert found.target(METRIC, AREA, date(2025, 6, 1)).judged_against == 65.0


def test_valid_months_are_inclusive_and_the_default_fills_the_rest(settings):
    targets.add_target(
        settings, spec(org_code=AREA, valid_from=date(2025, 4, 1), valid_to=date(2026, 3, 1)), "ann"
    )
    found = book(settings)
    assert found.target(METRIC, AREA, date(2025, 4, 1)).source == "set"
    assert found.target(METRIC, AREA, date(2026, 3, 15)).source == "set"  # any day of the month
    assert found.target(METRIC, AREA, date(2025, 3, 1)).source == "default"
    assert found.target(METRIC, AREA, date(2026, 4, 1)).source == "default"


def test_thresholds_only_are_judged_against_the_full_achievement_threshold(settings):
    targets.add_target(settings, spec(value=None, lower=40, upper=70), "ann")
    targets.add_target(
        settings, spec(metric_id="bed_days", value=None, lower=900, upper=1100), "ann"
    )
    found = book(settings)
    assert found.target(METRIC, AREA, date(2025, 6, 1)).judged_against == 70.0  # higher better
    assert found.target("bed_days", AREA, date(2025, 6, 1)).judged_against == 900.0  # lower


def test_the_trajectory_comes_from_the_target_in_force_each_month(settings):
    plan = {date(2025, 4, 1): 60, date(2025, 5, 1): 61, date(2025, 6, 1): 62}
    targets.add_target(settings, spec(trajectory=plan), "ann")
    local = {date(2025, 5, 1): 58}
    targets.add_target(
        settings,
        spec(
            org_code=AREA, valid_from=date(2025, 5, 1), valid_to=date(2025, 5, 1), trajectory=local
        ),
        "ann",
    )
    found = book(settings)
    assert found.trajectory(METRIC, OTHER_AREA) == {month: float(v) for month, v in plan.items()}
    assert found.trajectory(METRIC, AREA) == {
        date(2025, 4, 1): 60.0, date(2025, 5, 1): 58.0, date(2025, 6, 1): 62.0
    }  # fmt: skip
    assert found.planned(METRIC, AREA, date(2025, 5, 1)) == 58.0
    assert found.planned(METRIC, AREA, date(2025, 7, 1)) is None


def test_an_edit_shows_in_the_next_book_read(settings):
    old = targets.add_target(settings, spec(value=70), "ann")
    assert book(settings).target(METRIC, AREA, date(2025, 6, 1)).judged_against == 70.0
    targets.edit_target(settings, old.id, spec(value=74), "bob")
    assert book(settings).target(METRIC, AREA, date(2025, 6, 1)).judged_against == 74.0
    targets.end_target(settings, targets.list_targets(settings)[0].id, "bob")
    assert book(settings).target(METRIC, AREA, date(2025, 6, 1)).source == "default"
