"""`wholesystem export`: one indicator's published values as CSV, disclosure-controlled.

The columns are fixed (EXPORT_COLUMNS): the value with its limits and verdicts, then the
benchmarks and indirectly standardised ratio each verdict compares (docs/metrics.md,
"Comparisons"), so that every verdict can be checked from its own row. Dates are ISO;
numbers print whole when they are whole and otherwise in full, unrounded. By default rows
that disclosure control marks are shown with `*` in place of every count and everything
derived from them, and a parent or system value whose own row is suppressed is `*` too,
with the verdicts against it (METRICS.md, "Disclosure control"); `--no-suppress` is for
operators.

`format_cell` and `masked_cells` are the one way a CSV cell of published figures is
written: the API's CSV (dashboard.api.responses) and `wholesystem payments --csv` call
them too, so a figure reads the same wherever it is downloaded.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from contextlib import closing

import numpy as np

from metrics.calendar import PERIOD_TYPES
from metrics.disclosure_rounding import describe
from metrics.registry import LEVELS
from metrics.segments import ALL, SEGMENT_LEVELS, segment_kind
from metrics.serving import open_current, rounded_indicators
from wholesystem.errors import UserError
from wholesystem.settings import Settings

EXPORT_COLUMNS = [
    "metric_id", "period_type", "period_start", "period_end", "level", "org_code", "segment",
    "numerator", "denominator", "value", "lower_95", "upper_95", "lower_998", "upper_998",
    "comparison_parent", "comparison_system", "parent_value", "system_value", "isr",
    "isr_lower_95", "isr_upper_95", "isr_lower_998", "isr_upper_998", "comparison_parent_998",
    "comparison_system_998",
]  # fmt: skip
SUPPRESSED_COLUMNS = EXPORT_COLUMNS[7:]
# The columns that show or are judged against a benchmark row, masked when it is suppressed.
BENCHMARK_COLUMNS = {
    "parent": ("parent_value", "comparison_parent", "comparison_parent_998"),
    "system": ("system_value", "comparison_system", "comparison_system_998"),
}
MASK = "*"

QUERY = """
SELECT {columns}, suppressed, parent_suppressed, system_suppressed FROM indicator_values
WHERE metric_id = $metric AND level = $level AND period_type = $period_type
  AND segment = $segment AND ($org IS NULL OR org_code = $org)
ORDER BY org_code, period_start
"""


def export_rows(settings: Settings, metric: str, level: str, org: str | None = None,
                period_type: str = "month", segment: str = "all",
                suppress: bool = True) -> list[list[str]]:  # fmt: skip
    """Returns the CSV rows (header first) for one indicator at one level.

    Raises UserError naming the value when an argument is not in the published snapshot.
    """
    _check_choices(level, period_type, segment)
    connection, _ = open_current(settings)
    try:
        _check_published(connection, metric, level, org, segment)
        found = connection.execute(
            QUERY.format(columns=", ".join(EXPORT_COLUMNS)),
            {"metric": metric, "level": level, "period_type": period_type,
             "segment": segment, "org": org},
        ).fetchall()  # fmt: skip
    finally:
        connection.close()
    return [EXPORT_COLUMNS] + [_format_row(row, suppress) for row in found]


def rounding_statement(settings: Settings, metric: str) -> str | None:
    """The HES rule in words when the current snapshot rounds `metric`'s counts under it
    (`export` prints it to stderr, beside the CSV); None under complementary suppression."""
    connection, _ = open_current(settings)
    with closing(connection):
        if metric not in rounded_indicators(connection):
            return None
        threshold = connection.execute(THRESHOLD_SQL).fetchone()[0]
    return describe("hes", threshold)


THRESHOLD_SQL = "SELECT suppression_threshold FROM snapshot_info"


def masked_cells(
    row: dict, columns, mark: str = MASK, suppressed_columns=SUPPRESSED_COLUMNS
) -> list[str]:
    """The cells of `row` (a dict) in `columns`, with `mark` in every one disclosure control
    hides: `suppressed_columns` of a row whose `suppressed` is true, and a benchmark's value
    and the verdicts against it where `parent_suppressed` or `system_suppressed` is."""
    hidden = set(suppressed_columns) if row.get("suppressed") else set()
    for benchmark, benchmark_columns in BENCHMARK_COLUMNS.items():
        if row.get(f"{benchmark}_suppressed"):
            hidden.update(benchmark_columns)
    return [mark if column in hidden else format_cell(row.get(column)) for column in columns]


def write_csv(rows: list[list[str]], stream=None) -> None:
    """Writes rows as CSV to `stream` (stdout by default)."""
    csv.writer(stream or sys.stdout, lineterminator="\n").writerows(rows)


def _format_row(row: tuple, suppress: bool) -> list[str]:
    *values, suppressed, parent_suppressed, system_suppressed = row
    cells = dict(zip(EXPORT_COLUMNS, values, strict=True))
    if suppress:
        cells.update(suppressed=suppressed, parent_suppressed=parent_suppressed,
                     system_suppressed=system_suppressed)  # fmt: skip
    return masked_cells(cells, EXPORT_COLUMNS)


def format_cell(value) -> str:
    """One CSV cell: "" for nothing (None, NaN), numbers by `format_number`, dates ISO,
    lists and tables as JSON, anything else as text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def format_number(value: float) -> str:
    """Whole numbers without a point; others in full, as the shortest decimal that reads
    back as the same number and never in exponent form. Rounding would let an interval
    bound and a benchmark that differ print as equal beside a verdict that tells them apart.
    """
    if value.is_integer():
        return str(int(value))  # -0.0 prints as 0
    return np.format_float_positional(value, unique=True, trim="-")


def _check_choices(level: str, period_type: str, segment: str) -> None:
    if level not in LEVELS:
        raise UserError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    if period_type not in PERIOD_TYPES:
        raise UserError(f"period type {period_type!r} is not one of {', '.join(PERIOD_TYPES)}")
    if segment != ALL and level not in SEGMENT_LEVELS:
        raise UserError(
            f"segment {segment!r} is not published at {level} level "
            f"(segments are published at {SEGMENT_LEVELS[0]} level and above)"
        )  # fmt: skip


def _check_published(connection, metric, level, org, segment) -> None:
    _check_known(connection, "SELECT id FROM indicators", metric, "indicator")
    _check_known(connection, "SELECT segment FROM segments", segment, "segment")
    kinds = json.loads(
        connection.execute("SELECT segments FROM indicators WHERE id = $id", {"id": metric})
        .fetchone()[0]
    )  # fmt: skip
    if segment != ALL and segment_kind(segment) not in kinds:
        raise UserError(f"indicator {metric!r} is not published by segment {segment!r}")
    if org is not None:
        _check_known(
            connection, f"SELECT org_code FROM org_units WHERE level = '{level}'", org,
            f"{level} code",
        )  # fmt: skip


def _check_known(connection, query: str, value: str, what: str) -> None:
    known = [row[0] for row in connection.execute(query).fetchall()]
    if value not in known:
        hint = ", ".join(sorted(known)[:12]) + (", …" if len(known) > 12 else "")
        raise UserError(f"{what} {value!r} is not in the published snapshot (known: {hint})")
