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

import numpy as np
import pandas as pd
import pyarrow as pa

from metrics.base_tables import build_base_tables
from metrics.calendar import build_calendar, coverage
from metrics.cells import build_level_numerators
from metrics.compare import build_comparisons
from metrics.denominators import build_level_denominators
from metrics.disclosure_rounding import (
    round_period_totals,
    round_shown_values,
    rounded_metrics,
)
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
from metrics.incremental import CACHED_FAMILIES, UnitsCache, delete_cache
from metrics.people import build_profiles
from metrics.periods import build_period_totals
from metrics.registry import Indicator, load_registry
from metrics.values import add_values
from wholesystem.settings import Settings

FAMILIES = {
    "spells": spells, "deaths": deaths, "care_homes": care_homes, "survey": survey,
    "registers": registers, "context": context, "ae_attendances": ae_attendances,
}  # fmt: skip
OUTPUT_ORDER = ["metric_id", "period_type", "period_start", "level", "org_code", "segment"]
Report = Callable[[str, float], None]


@contextmanager
def stage(report: Report | None, name: str) -> Iterator[None]:
    """Times the block and tells `report` (name, seconds) when it ends; silent without one.
    A report with a `starting` method (metrics.building.Listener) hears the name as the
    block starts too (the building marker shows the stage running)."""
    if hasattr(report, "starting"):
        report.starting(name)
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


# The engine split (docs/metrics.md): the workspace tables the aggregate part (from
# `build_values` on: statistics, comparisons, disclosure, SPC, snapshot, peers) reads from
# the person-level part. Only these cross the boundary; the Spark engine hands exactly these
# back to DuckDB as Arrow (metrics.spark), so a new read in the aggregate part of any other
# person-level table must be added here. (The aggregate part also reads the load log,
# quarantine and supplied aggregates from the local warehouse file: docs/deploy.md.)
HANDOFF_TABLES = (
    "period_totals",  # one row per metric, period, level, org, segment: the counts
    "metric_props",  # each indicator's method, accumulate, polarity, isr...
    "months",  # the months covered (month, month_end)
    "period_months",  # which months make up each published period
    "practice_months",  # practice → network → locality → area at each month
    "org_units",  # every org with its name and latest parent
    "org_parents",  # each org's parent at each month
)

# What the aggregate part reads only within itself: the counts, once valued, and the values,
# once compared (indicator_values holds both).
AGGREGATE_WORKING_TABLES = ("period_totals", "valued")


def compute_tables(
    connection, settings: Settings, today: date | None = None, report: Report | None = None,
    incremental: bool = False,
) -> Context:  # fmt: skip
    """Creates `indicator_values` in the workspace: one row per indicator, period, level, org
    and segment; returns the Context. `today` bounds the last complete month; `report`
    hears each stage's name and seconds; `incremental` keeps the costly families' units in
    a cache beside the warehouse and recomputes only what changed (metrics.incremental).
    """
    context = compute_person_level(connection, settings, today, report, incremental)
    compute_aggregate(connection, context, report)
    return context


def compute_person_level(
    connection, settings: Settings, today: date | None = None, report: Report | None = None,
    incremental: bool = False,
) -> Context:  # fmt: skip
    """The person-level part, up to the period totals: leaves HANDOFF_TABLES (and working
    tables) in the workspace and returns the Context. Its SQL is the portable subset, except
    the units cache (`incremental`), which is DuckDB only. A plain publish deletes the cache:
    it would keep people the warehouse no longer holds (docs/warehouse.md)."""
    if not incremental:
        delete_cache(settings.units_cache_path)
    with stage(report, "calendar, hierarchy and profiles"):
        context = prepare(connection, settings, today)
        connection.execute(f"CREATE OR REPLACE TABLE units ({UNITS_COLUMNS})")
    cache = _units_cache(connection, settings, context, report) if incremental else None
    for name in sorted({indicator.family for indicator in context.registry.values()}):
        if name not in FAMILIES:
            continue  # supplied: counted already (metrics.families.supplied)
        with stage(report, f"units: {name}"):
            if cache is not None and name in CACHED_FAMILIES:
                cache.insert_units(name)
            else:
                FAMILIES[name].insert_units(connection, context)
    if cache is not None:
        with stage(report, "saving the units cache"):
            cache.save()
    with stage(report, "counts by level"):
        build_level_numerators(connection)
    with stage(report, "denominators"):
        build_level_denominators(connection)
    with stage(report, "periods and standardisation"):
        build_period_totals(connection)
        supplied.insert_totals(connection)
    return context


def compute_aggregate(connection, context: Context, report: Report | None = None) -> None:
    """The aggregate part's statistics: reads only HANDOFF_TABLES and creates
    `indicator_values` (values, limits, parents, benchmarks and comparisons). Under the HES
    rule the counts are rounded first, so that everything is computed from rounded counts
    (metrics.disclosure_rounding; on either engine, as this part always runs in DuckDB)."""
    rounded = rounded_metrics(context.registry, context.settings.disclosure_rule)
    if rounded:
        with stage(report, "rounding counts (HES rule)"):
            round_period_totals(connection, rounded)
    with stage(report, "values and limits"):
        build_values(connection, context.registry, rounded)
    with stage(report, "comparisons"):
        build_comparisons(connection)


def compute(connection, settings: Settings, today: date | None = None) -> pd.DataFrame:
    """Returns every published value (one row per indicator, period, level, org, segment).

    `connection` is a workspace (metrics.workspace); `today` bounds the last complete month.
    """
    compute_tables(connection, settings, today)
    order = ", ".join(OUTPUT_ORDER)
    return connection.execute(f"SELECT * FROM indicator_values ORDER BY {order}").df()


# The numbers the statistics need, as float columns; an indicator by its index in the
# sorted list of ids (`metric`), so that no string column is carried into Python.
STATISTICS_INPUT_SQL = """
SELECT t.num, t.den, t.sumsq, t.person_months, t.months::DOUBLE AS months, t.dsr_rate,
       t.dsr_variance, t.expected, starts_with(t.segment, 'age_band:') AS age_band,
       (list_position($metrics, t.metric_id) - 1)::INTEGER AS metric
FROM period_totals t
"""
# The same rows in the same order (one table read twice in insertion order) with the
# statistics beside them: the table's own Arrow copy with their columns appended, written
# back in one parallel scan. That relies on the workspace keeping DuckDB's default
# preserve_insertion_order (only the ETL turns it off, on its own connection). A POSITIONAL
# JOIN of the table and the statistics ran on one thread: 1.0 s of the stage's 1.6 at the
# default sample.
VALUED_SQL = "CREATE OR REPLACE TABLE valued AS SELECT * FROM valued_frame"


FLAGS = ("age_band", "metric")  # the input columns that are not floats


def build_values(connection, registry, rounded: list[str] = ()) -> None:
    """Creates `valued`: period_totals with value, limits and ISR columns (metrics.values);
    for the indicators under the HES rule (`rounded`), means and DSRs as shown
    (disclosure_rounding.round_shown_values)."""
    metrics = sorted(registry)
    inputs = connection.execute(STATISTICS_INPUT_SQL, {"metrics": metrics}).fetchnumpy()
    # Each fetched column is let go as soon as it is converted: at 10 million spells the
    # inputs are ~0.7 GB, and holding both copies set the publish's peak memory.
    columns = {name: np.asarray(inputs.pop(name)) for name in FLAGS}
    columns.update({name: _floats(inputs.pop(name)) for name in list(inputs)})
    statistics = add_values(columns, metrics, registry)
    if rounded:
        round_shown_values(statistics, columns["metric"], metrics, registry, rounded)
    del columns
    table = connection.table("period_totals").to_arrow_table()
    for name in list(statistics):
        # NaN (undefined) is published as NULL, as it was when the frame was pandas'.
        table = table.append_column(name, pa.array(statistics.pop(name), from_pandas=True))
    connection.register("valued_frame", table)
    connection.execute(VALUED_SQL)
    connection.unregister("valued_frame")


def _floats(column) -> np.ndarray:
    """A float array from a fetched column, NULL (a masked value) as NaN."""
    return np.ma.filled(np.ma.asarray(column, dtype=float), np.nan)


def _units_cache(connection, settings: Settings, context: Context, report) -> UnitsCache:
    """Opens the units cache and decides what to recompute (metrics.incremental)."""
    cache = UnitsCache(connection, context)
    with stage(report, "units cache: what changed"):
        cache.plan()
    return cache


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
