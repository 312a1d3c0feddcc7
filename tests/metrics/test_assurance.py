"""Assurance and trajectories, hand-worked: process limits of 60 to 80 against targets
inside, above, below and exactly on them, for both directions; a series fixed at 100%;
a neutral indicator; missing limits. The vectorised form publish uses agrees case by case.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from metrics.assurance import IMPROVEMENT_CODES, NAMES, assurance, assurance_codes, on_track

PASS, FAIL, INCONSISTENT = "consistent_pass", "consistent_fail", "inconsistent"
CASES = [
    # (lower, upper, target, improvement, expected): the band 60-80 is what the process does
    (60, 80, 70, "increase", INCONSISTENT),  # inside: some months meet 70, some do not
    (60, 80, 90, "increase", FAIL),  # above: even the upper limit misses it
    (60, 80, 50, "increase", PASS),  # below: even the lower limit meets it
    (60, 80, 60, "increase", PASS),  # on the lower limit: every month is at or above 60
    (60, 80, 80, "increase", INCONSISTENT),  # on the upper: only the best months reach 80
    (60, 80, 70, "decrease", INCONSISTENT),
    (60, 80, 90, "decrease", PASS),  # lower is better: even the upper limit is under 90
    (60, 80, 50, "decrease", FAIL),  # even the lower limit is over 50
    (60, 80, 80, "decrease", PASS),  # on the upper limit: every month is at or below 80
    (60, 80, 60, "decrease", INCONSISTENT),  # on the lower: only the best months reach 60
    (100, 100, 100, "increase", PASS),  # fixed at 100%: every month meets 100
    (100, 100, 95, "increase", PASS),  # and 95
    (60, 80, 70, "neutral", None),  # no better direction: never judged
    (60, 80, 70, None, None),
    (None, 80, 70, "increase", None),  # missing limits (too few months)
    (math.nan, math.nan, 70, "increase", None),
    (60, 80, None, "increase", None),  # no target
]


@pytest.mark.parametrize(("lower", "upper", "target", "improvement", "expected"), CASES)
def test_assurance_against_hand_worked_limits(lower, upper, target, improvement, expected):
    assert assurance(lower, upper, target, improvement) == expected


def test_the_vectorised_codes_publish_uses_agree_case_by_case():
    def number(value):
        return np.nan if value is None else float(value)

    lower, upper, target = (np.array([number(case[i]) for case in CASES]) for i in range(3))
    improvement = np.array([IMPROVEMENT_CODES.get(case[3] or "", 0) for case in CASES])
    codes = assurance_codes(lower, upper, target, improvement)
    assert [NAMES[code] for code in codes] == [case[4] for case in CASES]


@pytest.mark.parametrize(
    ("value", "planned", "improvement", "expected"),
    [
        (62.0, 60.0, "increase", True),  # above plan, higher is better
        (60.0, 60.0, "increase", True),  # exactly on plan counts as on track
        (58.0, 60.0, "increase", False),
        (58.0, 60.0, "decrease", True),  # below plan, lower is better
        (62.0, 60.0, "decrease", False),
        (None, 60.0, "increase", None),  # a suppressed month is never judged
        (62.0, None, "increase", None),  # no planned value for the month
        (62.0, 60.0, "neutral", None),
    ],
)
def test_on_track_against_the_trajectory(value, planned, improvement, expected):
    assert on_track(value, planned, improvement) is expected
