"""Computes every indicator × level × period × segment from the warehouse.

The order is the flow of DESIGN.md: calendar and hierarchy, person profiles, each family's
units, counts by level, population denominators, periods and standardisation, then values,
limits and comparisons. Everything up to the values is SQL in the workspace database; the
statistics are vectorised calls on the finished totals. A caller that wants progress passes
`report`, which hears each stage's name and seconds as it ends (see `stage`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import pandas as pd

from metrics.base_tables import build_base_tables
from metrics.calendar import build_calendar, coverage
from metrics.cells import build_level_numerators
from metrics.compare import build_comparisons
from metrics.denominators import build_level_denominators
from metrics.families import (
    UNITS_COLUMNS,
    ae_attendances,
    care_homes,
    context,
    deaths,
    registers,
    spells,
    supplied,
    survey,
)
from metrics.hierarchy import build_hierarchy
from metrics.people import build_profiles
from metrics.periods import build_period_totals
from metrics.registry import Indicator, load_registry
from metrics.values import STATISTIC_COLUMNS, add_values
from wholesystem.settings import Settings

FAMILIES = {
    "spells": spells, "deaths": deaths, "care_homes": care_homes, "survey": survey,
    "registers": registers, "context": context, "ae_attendances": ae_attendances,
}  # fmt: skip
OUTPUT_ORDER = ["metric_id", "period_type", "period_start", "level", "org_code", "segment"]
Report = Callable[[str, float], None]


@contextmanager
def stage(report: Report | None, name: str) -> Iterator[None]:
    """Times the block and tells `report` (name, seconds) when it ends; silent without one."""
    started = time.perf_counter()
    yield
    if report is not None:
        report(name, time.perf_counter() - started)


@dataclass(frozen=True)
class Context:
    """What the families need to know: settings, indicators and the months covered."""

    settings: Settings
    registry: dict[str, Indicator]
    first_month: date
    last_month: date

    @property
    def last_day(self) -> date:
        """The last day covered: the end of the last month."""
        return (pd.Timestamp(self.last_month) + pd.offsets.MonthEnd(0)).date()


def compute_tables(
    connection, settings: Settings, today: date | None = None, report: Report | None = None
) -> Context:
    """Creates `indicator_values` in the workspace: one row per indicator, period, level, org
    and segment; returns the Context. `today` bounds the last complete month; `report`
    hears each stage's name and seconds.
    """
    with stage(report, "calendar, hierarchy and profiles"):
        context = prepare(connection, settings, today)
        connection.execute(f"CREATE OR REPLACE TABLE units ({UNITS_COLUMNS})")
    for name in sorted({indicator.family for indicator in context.registry.values()}):
        if name in FAMILIES:
            with stage(report, f"units: {name}"):
                FAMILIES[name].insert_units(connection, context)
    with stage(report, "counts by level"):
        build_level_numerators(connection)
    with stage(report, "denominators"):
        build_level_denominators(connection)
    with stage(report, "periods and standardisation"):
        build_period_totals(connection)
        supplied.insert_totals(connection)
    with stage(report, "values and limits"):
        build_values(connection, context.registry)
    with stage(report, "comparisons"):
        build_comparisons(connection)
    return context


def compute(connection, settings: Settings, today: date | None = None) -> pd.DataFrame:
    """Returns every published value (one row per indicator, period, level, org, segment).

    `connection` is a workspace (metrics.workspace); `today` bounds the last complete month.
    """
    compute_tables(connection, settings, today)
    order = ", ".join(OUTPUT_ORDER)
    return connection.execute(f"SELECT * FROM indicator_values ORDER BY {order}").df()


# The counts and pieces the statistics need, keyed by row; the statistics come back by key.
STATISTICS_INPUT_SQL = """
CREATE OR REPLACE TABLE keyed_totals AS
SELECT row_number() OVER () AS row_key, * FROM period_totals
"""
VALUED_SQL = """
CREATE OR REPLACE TABLE valued AS
SELECT t.*, s.* EXCLUDE (row_key) FROM keyed_totals t JOIN statistics s USING (row_key)
"""


def build_values(connection, registry) -> None:
    """Creates `valued`: period_totals with value, limits and ISR columns (metrics.values)."""
    connection.execute(STATISTICS_INPUT_SQL)
    inputs = connection.execute(
        "SELECT row_key, metric_id, segment, num, den, sumsq, person_months, months, dsr_rate, "
        "dsr_variance, expected FROM keyed_totals"
    ).df()
    statistics = add_values(inputs, registry)[["row_key", *STATISTIC_COLUMNS]]
    connection.register("statistics_frame", statistics)
    connection.execute("CREATE OR REPLACE TABLE statistics AS SELECT * FROM statistics_frame")
    connection.unregister("statistics_frame")
    connection.execute(VALUED_SQL)


def prepare(connection, settings: Settings, today: date | None = None) -> Context:
    """Builds the calendar, hierarchy, shared tables and profiles; returns the Context."""
    registry = load_registry(settings.indicators)
    first, last = coverage(connection, today)
    build_calendar(connection, first, last)
    build_hierarchy(connection)
    build_base_tables(connection, registry)
    context = Context(settings, registry, first, last)
    build_profiles(connection, context.last_day)
    return context
