"""SPC (Making Data Count XmR charts): limits, screening, rules, point types and icons.

Most rule tests fix the limits with a six-point baseline, so the points under test do not
move the mean:

    BASELINE = 12, 10, 12, 10, 12, 10
    mean = 66 / 6 = 11
    moving ranges = 2, 2, 2, 2, 2  ->  mR̄ = 10 / 5 = 2  (none >= 3.267 × 2 = 6.534)
    limits = 11 ± 2.66 × 2 = 11 ± 5.32  ->  5.68 .. 16.32
    2σ line = 11 ± (2 / 3) × 5.32 = 11 ± 3.5467  ->  7.4533 .. 14.5467
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metrics.spc import sigma, spc, spc_batch, spc_summary

BASELINE = [12, 10, 12, 10, 12, 10]


def charted(tail, improvement="increase", **options):
    """The baseline followed by ``tail``, with the limits fixed by the baseline."""
    return spc(BASELINE + list(tail), improvement, baseline_points=6, **options)


def rules(frame):
    return frame["rule"].tolist()


def flagged_rows(frame, rule):
    return [row for row, name in enumerate(frame["rule"]) if name == rule]


# --- limits and screening --------------------------------------------------------------


def test_limits_of_a_small_series():
    frame = spc([10, 12, 11, 15, 12])
    # mean = 60 / 5 = 12; moving ranges 2, 1, 4, 3 -> mR̄ = 10 / 4 = 2.5
    # (none screened: 3.267 × 2.5 = 8.17); limits = 12 ± 2.66 × 2.5 = 12 ± 6.65
    assert frame["mean"].tolist() == pytest.approx([12] * 5)
    assert frame["lower_limit"].tolist() == pytest.approx([5.35] * 5)
    assert frame["upper_limit"].tolist() == pytest.approx([18.65] * 5)
    assert frame["moving_range"].tolist()[1:] == [2, 1, 4, 3]
    assert np.isnan(frame["moving_range"][0])
    assert rules(frame) == [None] * 5
    assert frame["point_type"].tolist() == ["common_cause"] * 5


def test_sigma_is_the_mean_moving_range_over_d2():
    # mR̄ = 2.5 as above; σ = 2.5 / 1.128
    assert sigma([10, 12, 11, 15, 12]) == pytest.approx(2.5 / 1.128)


def test_a_huge_moving_range_is_screened_out_before_the_limits():
    values = [10, 11, 10, 11, 10, 11, 10, 30]
    # mean = 103 / 8 = 12.875; moving ranges 1 × 6 and 20 -> mR̄ = 26 / 7 = 3.714
    unscreened = spc(values, screen_outliers=False)
    assert unscreened["lower_limit"][0] == pytest.approx(12.875 - 2.66 * 26 / 7)
    assert unscreened["upper_limit"][0] == pytest.approx(12.875 + 2.66 * 26 / 7)
    # 20 >= 3.267 × 3.714 = 12.13, so it goes: mR̄ = 6 / 6 = 1; limits = 12.875 ± 2.66
    screened = spc(values)
    assert screened["lower_limit"][0] == pytest.approx(10.215)
    assert screened["upper_limit"][0] == pytest.approx(15.535)
    assert sigma(values) == pytest.approx(1 / 1.128)
    assert sigma(values, screen_outliers=False) == pytest.approx(26 / 7 / 1.128)


def test_a_flat_series_has_zero_width_limits_and_no_special_cause():
    frame = spc([5.0] * 10)
    # mR̄ = 0: nothing is screened (every range would otherwise be ">= 3.267 × 0")
    assert frame["lower_limit"].tolist() == frame["upper_limit"].tolist() == [5.0] * 10
    assert rules(frame) == [None] * 10


# --- the four rules --------------------------------------------------------------------


def test_a_point_beyond_the_limits():
    frame = charted([17, 11, 5])  # 17 > 16.32 and 5 < 5.68
    assert rules(frame)[6:] == ["outside_limits", None, "outside_limits"]
    assert frame["point_type"].tolist()[6:] == ["improvement", "common_cause", "concern"]


def test_a_point_on_the_limit_is_not_beyond_it():
    frame = charted([16.32 - 1e-9, 11])
    assert rules(frame)[6] is None


def test_seven_points_above_the_mean_are_a_shift_six_are_not():
    assert flagged_rows(charted([12] * 7 + [10]), "shift") == list(range(6, 13))
    assert flagged_rows(charted([12] * 6 + [10]), "shift") == []


def test_a_point_exactly_on_the_mean_breaks_a_shift():
    assert flagged_rows(charted([12, 12, 12, 11, 12, 12, 12]), "shift") == []
    assert flagged_rows(charted([12, 12, 12, 12, 12, 12, 12]), "shift") == list(range(6, 13))


def test_the_six_point_shift_option():
    assert flagged_rows(charted([12] * 6 + [10], shift_points=6), "shift") == list(range(6, 12))


def test_six_rises_are_a_seven_point_trend_all_seven_flagged():
    # the last baseline point, 10, ties with the first: the trend starts at row 6
    frame = charted([10, 10.5, 11, 11.5, 12, 12.5, 13])
    assert flagged_rows(frame, "trend") == list(range(6, 13))
    # the trend's direction gives the type, even for the points below the mean
    assert frame["point_type"].tolist()[6:] == ["improvement"] * 7
    assert frame["direction"].tolist()[6:] == [1] * 7


def test_a_tie_breaks_a_trend():
    frame = charted([10, 10.5, 11, 11, 11.5, 12, 12.5, 13])
    assert flagged_rows(frame, "trend") == []


def test_the_six_point_trend_option():
    five_rises = [10.5, 11, 11.5, 12, 12.5, 13]  # from the baseline's last 10: six rises
    assert flagged_rows(charted([10] + five_rises[:-1]), "trend") == []
    six_point = charted([10] + five_rises[:-1], trend_points=6)
    assert flagged_rows(six_point, "trend") == list(range(6, 12))


def test_a_falling_trend_is_improvement_when_lower_is_better():
    frame = charted([12, 11.5, 11, 10.5, 10, 9.5, 9], "decrease")
    assert flagged_rows(frame, "trend") == list(range(6, 13))
    assert frame["point_type"].tolist()[6:] == ["improvement"] * 7
    assert frame["direction"].tolist()[6:] == [-1] * 7


def test_a_peak_shared_by_a_rise_and_a_fall_takes_the_later_trends_direction():
    rise = [10.5, 11, 11.5, 12, 12.5, 13]  # rows 6-11, after the baseline's 10 at row 5
    fall = [12.5, 12, 11.5, 11, 10.5, 10]  # rows 12-17
    frame = charted(rise + fall)
    assert flagged_rows(frame, "trend") == list(range(5, 18))
    assert frame["direction"].tolist()[5:] == [1] * 6 + [-1] * 7


def test_two_in_three_beyond_two_sigma_on_one_side_flags_only_those_points():
    # 15 is beyond the 2σ line (14.5467) but inside the limit (16.32); 12 is above the mean
    frame = charted([15, 12, 15, 11])
    assert rules(frame)[6:] == ["two_in_three", None, "two_in_three", None]
    assert frame["point_type"].tolist()[6:9] == ["improvement", "common_cause", "improvement"]


def test_two_in_three_needs_all_three_points_on_one_side_of_the_mean():
    assert rules(charted([15, 10, 15]))[6:] == [None, None, None]
    # 7.2 is below the lower 2σ line (7.4533): two beyond 2σ, but on opposite sides
    assert rules(charted([15, 7.2, 12]))[6:] == [None, None, None]


def test_a_point_beyond_the_limits_counts_towards_two_in_three():
    # "Beyond 2σ" is read as including beyond the limits (NHSRplotthedots would not count
    # the 17): 17 and 15 are two of three beyond 2σ, all above the mean.
    assert rules(charted([17, 12, 15]))[6:] == ["outside_limits", None, "two_in_three"]


def test_precedence_outside_limits_then_trend_then_two_in_three_then_shift():
    in_a_shift = charted([12, 12, 12, 17, 12, 12, 12])  # 7 above the mean, one beyond
    assert rules(in_a_shift)[6:] == ["shift"] * 3 + ["outside_limits"] + ["shift"] * 3
    # rows 5-13 rise from 10 to 17; 14.6 (row 12) is also two in three beyond 2σ with 17
    trend_to_outside = charted([10.5, 11, 11.5, 12, 12.5, 13, 14.6, 17])
    assert rules(trend_to_outside)[5:] == ["trend"] * 8 + ["outside_limits"]
    shift_with_two_in_three = charted([12, 15, 12, 15, 12, 12, 12])
    shift_rows = ["shift", "two_in_three", "shift", "two_in_three", "shift", "shift", "shift"]
    assert rules(shift_with_two_in_three)[6:] == shift_rows


# --- point types -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("improvement", "above", "below"),
    [
        ("increase", "improvement", "concern"),
        ("decrease", "concern", "improvement"),
        ("neutral", "neutral", "neutral"),
    ],
)
def test_point_type_is_side_of_the_mean_against_the_improvement_direction(
    improvement, above, below
):
    assert set(charted([12] * 7, improvement)["point_type"][6:]) == {above}
    # the baseline's last point (10) joins a run of 8 below the mean
    assert set(charted([10] * 7, improvement)["point_type"][5:]) == {below}


# --- baseline, rebasing and missing values ---------------------------------------------


def test_baseline_points_fix_the_mean_and_limits_from_the_first_points():
    values = BASELINE + [20, 20]
    fixed = spc(values, baseline_points=6)
    assert fixed["mean"].tolist() == pytest.approx([11] * 8)
    assert fixed["upper_limit"].tolist() == pytest.approx([16.32] * 8)
    assert rules(fixed)[6:] == ["outside_limits"] * 2
    # all 8 points: mean = 106 / 8 = 13.25; moving ranges 2 × 5, 10, 0 -> mR̄ = 20 / 7;
    # 10 >= 3.267 × 20 / 7 = 9.33 is screened -> mR̄ = 10 / 6; limits = 13.25 ± 4.4333
    floating = spc(values)
    assert floating["mean"][0] == pytest.approx(13.25)
    assert floating["upper_limit"][0] == pytest.approx(13.25 + 2.66 * 10 / 6)


REBASE_VALUES = BASELINE + [12, 12, 12, 12] + [12, 12, 12, 8, 10, 14]


def test_rebase_gives_each_segment_its_own_limits():
    frame = spc(REBASE_VALUES, baseline_points=6, rebase_at=[10])
    # segment 1 (rows 0-9): the baseline, mean 11, limits 5.68 .. 16.32
    assert frame["mean"][:10].tolist() == pytest.approx([11] * 10)
    assert frame["lower_limit"][:10].tolist() == pytest.approx([5.68] * 10)
    # segment 2 (rows 10-15): mean = 68 / 6; moving ranges 0, 0, 4, 2, 4 -> mR̄ = 2
    assert frame["mean"][10:].tolist() == pytest.approx([68 / 6] * 6)
    assert frame["upper_limit"][10:].tolist() == pytest.approx([68 / 6 + 5.32] * 6)
    assert np.isnan(frame["moving_range"][10])  # no moving range across a rebase


def test_a_shift_does_not_run_across_a_rebase():
    # one segment: 12 at rows 6-12 is a run of 7 above the mean 11
    assert flagged_rows(spc(REBASE_VALUES, baseline_points=6), "shift") == list(range(6, 13))
    # rebased at row 10: 4 above in the first segment, 3 above in the second
    rebased = spc(REBASE_VALUES, baseline_points=6, rebase_at=[10])
    assert rules(rebased) == [None] * 16


def test_rebase_by_date():
    dates = pd.date_range("2023-01-01", periods=16, freq="MS")
    frame = spc(REBASE_VALUES, baseline_points=6, rebase_at=["2023-11-01"], dates=dates)
    assert frame["date"].tolist() == list(dates)
    by_index = spc(REBASE_VALUES, baseline_points=6, rebase_at=[10])
    pd.testing.assert_frame_equal(frame.drop(columns="date"), by_index)


def test_missing_values_are_absent():
    frame = spc([10, np.nan, 12, 10, 12])
    # as for 10, 12, 10, 12: mean 11, moving ranges 2, 2, 2, limits 11 ± 5.32
    assert frame["mean"].tolist() == pytest.approx([11] * 5)
    assert frame["upper_limit"].tolist() == pytest.approx([16.32] * 5)
    assert frame["moving_range"].tolist()[2:] == [2, 2, 2]
    missing = frame.iloc[1]
    assert np.isnan(missing["value"]) and np.isnan(missing["moving_range"])
    assert missing["rule"] is None and missing["point_type"] is None


def test_a_missing_month_does_not_break_a_run():
    frame = charted([12, 12, 12, np.nan, 12, 12, 12, 12])
    assert flagged_rows(frame, "shift") == [6, 7, 8, 10, 11, 12, 13]
    assert rules(frame)[9] is None


# --- summary icons ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tail", "improvement", "variation"),
    [
        ([11], "increase", "common_cause"),
        ([12] * 7, "increase", "special_cause_improvement"),
        ([12] * 7, "decrease", "special_cause_concern"),
        ([12] * 7, "neutral", "special_cause_neutral_high"),
        ([10] * 7, "neutral", "special_cause_neutral_low"),
    ],
)
def test_variation_is_the_last_points_type(tail, improvement, variation):
    frame = charted(tail, improvement)
    assert spc_summary(frame, improvement) == {"variation": variation, "assurance": None}


def test_variation_skips_trailing_missing_months():
    frame = charted([12] * 7 + [np.nan])
    assert spc_summary(frame, "increase")["variation"] == "special_cause_improvement"


@pytest.mark.parametrize(
    ("target", "improvement", "assurance"),
    [
        (11, "increase", "inconsistent"),  # the limits are 5.68 .. 16.32
        (11, "decrease", "inconsistent"),
        (20, "increase", "consistent_fail"),  # above the upper limit
        (20, "decrease", "consistent_pass"),
        (3, "increase", "consistent_pass"),  # below the lower limit
        (3, "decrease", "consistent_fail"),
        (20, "neutral", None),
        (None, "increase", None),
    ],
)
def test_assurance_compares_the_target_with_the_limits(target, improvement, assurance):
    assert spc_summary(spc(BASELINE), improvement, target)["assurance"] == assurance


def test_assurance_uses_the_latest_segments_limits_and_the_frames_target():
    # the second segment's limits (68 / 6 ± 5.32 = 6.013 .. 16.653) straddle 16.5
    frame = spc(REBASE_VALUES, target=16.5, baseline_points=6, rebase_at=[10])
    assert spc_summary(frame, "decrease")["assurance"] == "inconsistent"
    # one segment: mean = 182 / 16 = 11.375; moving ranges sum to 22 over 15 (none
    # screened) -> upper limit = 11.375 + 2.66 × 22 / 15 = 15.276, below 16.5
    assert spc_summary(REBASE_VALUES, "decrease", 16.5)["assurance"] == "consistent_pass"


def test_an_unknown_improvement_direction_is_refused():
    with pytest.raises(ValueError, match="improvement"):
        spc(BASELINE, "up")


# --- the batch path --------------------------------------------------------------------


def random_long_frame(n_series=300, n_points=36, seed=7):
    """Random walks and noise (so that every rule occurs), with gaps and rebases."""
    rng = np.random.default_rng(seed)
    rows = n_series * n_points
    noise = rng.normal(0, 1, rows).round(1)
    walk = np.cumsum(noise.reshape(n_series, n_points), axis=1).ravel()
    frame = pd.DataFrame(
        {
            "series_id": np.repeat([f"s{n}" for n in range(n_series)], n_points),
            "position": np.tile(np.arange(n_points), n_series),
            "value": np.where(np.repeat(rng.random(n_series) < 0.5, n_points), walk, noise),
            "improvement": np.repeat(rng.choice(["increase", "decrease", "neutral"], n_series),
                                     n_points),
            "target": np.repeat(rng.normal(0, 3, n_series), n_points),
            "rebase": (rng.random(rows) < 0.03) & (np.tile(np.arange(n_points), n_series) > 0),
        }
    )  # fmt: skip
    frame.loc[rng.random(rows) < 0.05, "value"] = np.nan
    return frame


def spc_of_one_series(rows, **options):
    improvement = rows["improvement"].iloc[0]
    rebase_at = np.flatnonzero(rows["rebase"].to_numpy())
    return spc(rows["value"], improvement, rows["target"].iloc[-1], rebase_at=rebase_at,
               **options)  # fmt: skip


@pytest.mark.parametrize("options", [{}, {"baseline_points": 12, "shift_points": 6}])
def test_the_batch_matches_spc_series_by_series(options):
    frame = random_long_frame()
    result = spc_batch(frame, **options)
    assert set(result.points["rule"].dropna()) == {
        "outside_limits", "trend", "two_in_three", "shift",
    }  # fmt: skip
    columns = ["value", "moving_range", "mean", "lower_limit", "upper_limit", "rule",
               "point_type", "direction"]  # fmt: skip
    summaries = result.summary.set_index("series_id")
    for series_id, rows in result.points.groupby("series_id", sort=False):
        one = spc_of_one_series(frame.loc[rows.index], **options)
        pd.testing.assert_frame_equal(rows[columns].reset_index(drop=True), one[columns])
        improvement = rows["improvement"].iloc[0]
        assert summaries.loc[series_id].to_dict() == spc_summary(one, improvement)


def test_the_batch_keeps_the_input_order_and_takes_directions_from_arguments():
    frame = random_long_frame(n_series=20).drop(columns=["improvement", "target"])
    shuffled = frame.sample(frac=1, random_state=3)
    mapping = {f"s{n}": "decrease" for n in range(20)}
    result = spc_batch(shuffled, mapping, target=1.5)
    assert result.points.index.equals(shuffled.index)
    in_order = spc_batch(frame, "decrease", {f"s{n}": 1.5 for n in range(20)})
    pd.testing.assert_frame_equal(result.points.loc[frame.index], in_order.points)
    pd.testing.assert_frame_equal(result.summary.set_index("series_id").loc[
        in_order.summary["series_id"]].reset_index(), in_order.summary)  # fmt: skip
