"""The API's JSON rows: every cell something JSON can carry, as `json.dumps` strictly writes."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd

from dashboard.api import responses


def test_records_turn_missing_and_non_finite_values_into_null_and_dates_into_iso():
    frame = pd.DataFrame({
        "day": pd.to_datetime(["2026-10-01", None]),
        "when": pd.to_datetime(["2026-12-05 21:24:01", None]),
        "value": [1.5, np.nan], "ratio": [np.inf, 2.0], "count": pd.array([3, None], "Int64"),
        "flag": [True, False], "name": ["a", None], "list": [["x"], []],
        "on": [date(2026, 1, 2), None],
    })  # fmt: skip
    rows = responses.records(frame)
    assert rows == [
        {"day": "2026-10-01", "when": "2026-12-05T21:24:01", "value": 1.5, "ratio": None,
         "count": 3, "flag": True, "name": "a", "list": ["x"], "on": "2026-01-02"},
        {"day": None, "when": None, "value": None, "ratio": 2.0, "count": None,
         "flag": False, "name": None, "list": [], "on": None},
    ]  # fmt: skip
    json.dumps(rows, allow_nan=False)  # strictly valid JSON
    assert responses.to_csv(frame.assign(suppressed=[True, False])).splitlines()[1] == (
        '2026-10-01,2026-12-05T21:24:01,*,,3,True,a,"[""x""]",2026-01-02,True'
    )
