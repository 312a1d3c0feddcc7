"""A tiny hand-made serving snapshot for hand-worked payments: two networks, three
practices, 24 months (April 2024 to March 2026), only the tables `wholesystem.payments`
reads.

- Practice A (list 1,200) is in network N1 throughout; C (list 2,400) in N2 throughout;
  B (list 600) is in N1 until May 2025 and in N2 from June 2025 (it moves mid-quarter in
  2025-Q1, April to June 2025).
- Every month: HbA1c control A 60/100, B 30/100, C 140/200; BP control A 45/100,
  B 50/100, C 100/200 (the registers are the denominators: 100, 100, 200).
- Emergency admissions a month: A 10, B 5, C 20 in 2024/25; A 8, B 5, C 22 in 2025/26.
- Default thresholds (the indicators' TOML targets): HbA1c 40–80, BP 50–90.
- With `new_practice`: practice D (list 300, 3 emergency admissions a month, no KPI
  counts) opens in N1 in May 2025, so it has no figures a year earlier.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from metrics import serving
from wholesystem.settings import Settings

VERSION = "snapshot-20260501T000000000000Z"
MONTHS = [date(2024 + (k + 3) // 12, (k + 3) % 12 + 1, 1) for k in range(24)]
LISTS = {"A": 1200, "B": 600, "C": 2400}
COUNTS = {
    "dm_hba1c_control": {"A": (60, 100), "B": (30, 100), "C": (140, 200)},
    "dm_bp_control": {"A": (45, 100), "B": (50, 100), "C": (100, 200)},
}
ADMISSIONS = {2024: {"A": 10, "B": 5, "C": 20}, 2025: {"A": 8, "B": 5, "C": 22}}
INDICATORS = [
    ("dm_hba1c_control", "HbA1c control", "% of the register", 100.0, 80.0, 40.0, 80.0),
    ("dm_bp_control", "BP control", "% of the register", 100.0, 90.0, 50.0, 90.0),
    ("emergency_admissions", "Emergency admissions", "per 1,000", 1000.0, None, None, None),
    ("registered_population", "Registered population", "people", 1.0, None, None, None),
]


NEW_PRACTICE, NEW_LIST, NEW_ADMISSIONS, OPENS = "D", 300, 3, date(2025, 5, 1)


def network_of(practice: str, month: date) -> str:
    if practice == "A" or (practice == "B" and month < date(2025, 6, 1)):
        return "N1"
    return "N2"


def build(data_dir: Path, suppressed: tuple = (), new_practice: bool = False) -> Settings:
    """Writes the snapshot and points at it; `suppressed` holds (network, metric_id) whose
    published network rows are suppressed (every month and period); `new_practice` adds
    practice D (see the module's docstring)."""
    settings = Settings(data_dir=data_dir)
    settings.serving_dir.mkdir(parents=True, exist_ok=True)
    frames = {
        "indicator_values": _values(suppressed, new_practice),
        "practice_months": pd.DataFrame(
            [(m, p, network_of(p, m)) for m in MONTHS for p in LISTS]
            + [(m, NEW_PRACTICE, "N1") for m in MONTHS if new_practice and m >= OPENS],
            columns=["month", "practice_code", "network_code"],
        ),
        "period_months": _period_months(),
        # A default publish's: complementary suppression, no disclosure_rule column.
        "snapshot_info": pd.DataFrame([(VERSION, 7)], columns=["version", "suppression_threshold"]),
        "org_units": pd.DataFrame(
            [("network", "N1", "North PCN"), ("network", "N2", "South PCN")]
            + [("practice", p, f"Practice {p}") for p in [*LISTS, NEW_PRACTICE]],
            columns=["level", "org_code", "org_name"],
        ),
        "indicators": pd.DataFrame(
            [(i, t, u, m, "increase", v, lo, up, "test") for i, t, u, m, v, lo, up in INDICATORS],
            columns=[
                "id",
                "title",
                "unit",
                "multiplier",
                "improvement",
                "target_value",
                "target_lower",
                "target_upper",
                "target_source",
            ],
        ),  # fmt: skip
    }
    with duckdb.connect(str(serving.snapshot_path(settings, VERSION))) as connection:
        for name, frame in frames.items():
            connection.register("frame", frame)
            connection.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
            connection.unregister("frame")
    serving.point_to(settings, VERSION)
    return settings


def _values(suppressed, new_practice: bool = False) -> pd.DataFrame:
    rows = []
    for month in MONTHS:
        if new_practice and month >= OPENS:
            rows.append(("registered_population", month, "practice", NEW_PRACTICE, NEW_LIST, None))
            rows.append(("emergency_admissions", month, "practice", NEW_PRACTICE, NEW_ADMISSIONS,
                         NEW_LIST))  # fmt: skip
        for practice, listed in LISTS.items():
            rows.append(("registered_population", month, "practice", practice, listed, None))
            events = ADMISSIONS[month.year if month.month >= 4 else month.year - 1][practice]
            rows.append(("emergency_admissions", month, "practice", practice, events, listed))
            for metric, counts in COUNTS.items():
                rows.append((metric, month, "practice", practice, *counts[practice]))
        for network in ("N1", "N2"):
            for metric in (*COUNTS, "emergency_admissions", "registered_population"):
                rows.append((metric, month, "network", network, 1, 1))
    frame = pd.DataFrame(
        rows, columns=["metric_id", "period_start", "level", "org_code", "numerator",
                       "denominator"],
    )  # fmt: skip
    frame["period_type"], frame["segment"] = "month", "all"
    pairs = zip(frame["org_code"], frame["metric_id"], strict=True)
    frame["suppressed"] = [pair in suppressed for pair in pairs]
    periods = frame[frame["level"] == "network"].copy()
    periods["period_type"] = "quarter"  # the gain share's suppression is read per period
    fy = periods.assign(period_type="fy")
    return pd.concat([frame, periods, fy], ignore_index=True)


def _period_months() -> pd.DataFrame:
    rows = []
    for month in MONTHS:
        quarter = date(month.year, (month.month - 1) // 3 * 3 + 1, 1)
        fy = date(month.year if month.month >= 4 else month.year - 1, 4, 1)
        rows.append(("month", month, 1, month))
        rows.append(("quarter", quarter, 3, month))
        rows.append(("fy", fy, 12, month))
    return pd.DataFrame(rows, columns=["period_type", "period_start", "months", "month"])
