"""A hand-built system for indicator tests, loaded through the real ETL and then computed.

The hierarchy (valid from 2020):

    AR1 (la E06000001) ─ L1 ─ U00001: A00001, A00002
                             └ U00002: A00003
    AR2 (la E06000002) ─ L2 ─ U00003: A00004

Every practice has a population extract on the first of every month in `months`, of
`DEFAULT_PER_YEAR_OF_AGE` men and women at each single year of age 0–94 and 95+ (so
1,920 people), unless a test sets its own with `set_population`. Tests add rows to any
feed with `add(feed, **row)` (the row builders of tests/etl/rows.py supply the other
fields), then call `compute()` for every published value as a DataFrame and `value()` to
pick one row.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from etl.load import load_files
from metrics.compute import compute
from metrics.publish import PublishResult, publish
from metrics.workspace import open_workspace
from tests.etl.conftest import APC_HEADER, apc_row, write_csv
from tests.etl.rows import (
    POPULATION_HEADER,
    care_home_row,
    condition_row,
    death_row,
    gp_event_row,
    indicator_row,
    org_row,
    patient_row,
    survey_row,
)  # fmt: skip
from wholesystem.settings import Settings

DEFAULT_PER_YEAR_OF_AGE = 10
ORGANISATIONS = (
    ("A00001", "U00001", "L1", "AR1", "E06000001"),
    ("A00002", "U00001", "L1", "AR1", "E06000001"),
    ("A00003", "U00002", "L1", "AR1", "E06000001"),
    ("A00004", "U00003", "L2", "AR2", "E06000002"),
)
BUILDERS = {
    "apc_spells": apc_row, "patients": patient_row, "conditions": condition_row,
    "gp_events": gp_event_row, "deaths": death_row, "care_home_admissions": care_home_row,
    "survey_responses": survey_row, "aggregate_indicators": indicator_row,
    "organisations": org_row,
}  # fmt: skip
LOAD_ORDER = (
    "organisations", "population", "patients", "conditions", "gp_events", "apc_spells",
    "deaths", "care_home_admissions", "survey_responses", "aggregate_indicators",
)  # fmt: skip


class FixtureSystem:
    """Rows for each feed, written and loaded by `compute()`."""

    def __init__(self, root: Path, months: tuple[str, ...]):
        self.root = root
        # Every count exact: the hand-worked values are the definitions' arithmetic, not the
        # board indicators' rounding (HES rule), which tests/metrics/test_disclosure_hes.py
        # and the published sample's tests check.
        self.settings = Settings(data_dir=root / "data", disclosure_rule="complementary")
        self.months = months
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.populations: dict[str, dict[tuple[str, str], int]] = {}
        for practice, network, locality, area, la in ORGANISATIONS:
            self.add(
                "organisations", practice=practice, network=network, locality_code=locality,
                locality_name=locality, area_code=area, area_name=area, la_code=la,
            )  # fmt: skip

    def add(self, feed: str, key: str | None = None, **fields) -> dict:
        """Adds one row to a feed; `key` is the builder's first argument (spell id, person…)."""
        builder = BUILDERS[feed]
        row = builder(key, **fields) if key is not None else builder(**fields)
        self.rows[feed].append(row)
        return row

    def set_population(self, practice: str, counts: dict[tuple[str, str], int]) -> None:
        """Replaces a practice's population with {(sex 'MALE'/'FEMALE', age '0'…'95+'): n}."""
        self.populations[practice] = counts

    def compute(self, today: date = date(2026, 11, 22)) -> pd.DataFrame:
        """Loads every feed through the ETL and returns compute()'s published values."""
        self.load()
        with open_workspace(self.settings) as connection:
            return compute(connection, self.settings, today)

    def publish(self, today: date = date(2026, 11, 22)) -> PublishResult:
        """Loads every feed through the ETL and publishes a serving snapshot; returns what
        `metrics.publish.publish` wrote (a file loaded before is skipped, so this repeats)."""
        self.load()
        return publish(self.settings, today=today)

    def load(self) -> None:
        """Writes the population and every feed with rows, and loads them through the ETL."""
        feeds = [feed for feed in LOAD_ORDER if feed == "population" or self.rows[feed]]
        files = [self._write(feed) for feed in feeds]
        results = load_files(files, self.settings)
        rejected = [result for result in results if result.outcome == "rejected"]
        assert not rejected, [result.message for result in rejected]

    def _write(self, feed: str) -> Path:
        path = self.root / f"{feed}.csv"
        if feed == "population":
            return write_csv(path, self._population_rows(), POPULATION_HEADER.split(","))
        header = APC_HEADER if feed == "apc_spells" else list(self.rows[feed][0])
        return write_csv(path, self.rows[feed], header)

    def _population_rows(self) -> list[dict]:
        rows = []
        for practice, *_ in ORGANISATIONS:
            counts = self.populations.get(practice) or default_population()
            for month in self.months:
                extract = pd.Timestamp(f"{month}-01").strftime("%d%b%Y").upper()
                for (sex, age), patients in counts.items():
                    values = ["GP_PRAC_PAT_LIST", extract, "GP", practice, "AA1 1AA", sex, age,
                              patients]  # fmt: skip
                    header = POPULATION_HEADER.split(",")
                    rows.append(dict(zip(header, map(str, values), strict=True)))
        return rows


def default_population() -> dict[tuple[str, str], int]:
    """10 men and 10 women at each single year of age 0–94 and at 95+."""
    ages = [str(age) for age in range(95)] + ["95+"]
    return {(sex, age): DEFAULT_PER_YEAR_OF_AGE for sex in ("MALE", "FEMALE") for age in ages}


def value(frame: pd.DataFrame, metric: str, level: str, org: str, period_start: str,
          period_type: str = "month", segment: str = "all") -> dict:  # fmt: skip
    """Returns the one published row for these keys as a dict (fails if there is not one)."""
    start = pd.Timestamp(period_start)
    rows = frame[
        (frame["metric_id"] == metric) & (frame["level"] == level)
        & (frame["org_code"] == org) & (pd.to_datetime(frame["period_start"]) == start)
        & (frame["period_type"] == period_type) & (frame["segment"] == segment)
    ]  # fmt: skip
    assert len(rows) == 1, f"{len(rows)} rows for {metric} {level} {org} {period_start}"
    return rows.iloc[0].to_dict()


@pytest.fixture
def system(tmp_path: Path) -> FixtureSystem:
    """A fixture system covering January to March 2026."""
    return FixtureSystem(tmp_path, months=("2026-01", "2026-02", "2026-03"))


@pytest.fixture
def year_system(tmp_path: Path) -> FixtureSystem:
    """A fixture system covering the financial year April 2025 to March 2026."""
    months = tuple(str(month)[:7] for month in pd.period_range("2025-04", "2026-03", freq="M"))
    return FixtureSystem(tmp_path, months=months)
