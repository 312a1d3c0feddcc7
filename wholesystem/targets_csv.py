"""Targets in bulk: `wholesystem targets export FILE.csv` and `targets import FILE.csv`.

One row per target, columns `CSV_COLUMNS` (described in docs/targets.md): months as
YYYY-MM, numbers as plain decimals, and the trajectory in one column as
`YYYY-MM=value` pairs separated by `;` (e.g. `2025-04=61;2025-05=62.5`). `set_by` and
`set_at` are written for the record and ignored on import (the importer is recorded).
An export read back by import gives the same targets.

Import is all or nothing: every row is read and checked first, and the first bad one is
refused with one sentence naming the file, the line and the value; nothing is written.
A row for the same indicator, org and months as a target in force replaces it (the old
record is kept in the history); any other row adds a target.
"""

from __future__ import annotations

import csv
from pathlib import Path

from wholesystem import targets
from wholesystem.errors import UserError
from wholesystem.settings import Settings
from wholesystem.targets import Target, TargetError, TargetSpec

CSV_COLUMNS = ("metric_id", "org_code", "valid_from", "valid_to", "value", "lower", "upper",
               "trajectory", "reason", "set_by", "set_at")  # fmt: skip
REQUIRED = ("metric_id", "reason")
MAX_ROWS = 100_000


def export_csv(settings: Settings, path: Path) -> int:
    """Writes the targets in force to `path`; returns how many."""
    records = targets.list_targets(settings)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(_cells(target) for target in records)
    return len(records)


def import_csv(settings: Settings, path: Path, by: str | None) -> list[Target]:
    """Reads, checks and stores every row of `path` (all or nothing)."""
    specs = read_csv(settings, path)
    return targets.put_targets(settings, specs, by)


def read_csv(settings: Settings, path: Path) -> list[TargetSpec]:
    """Every row as a checked TargetSpec; raises UserError naming file, line and value."""
    rows = _rows(path)
    against = targets.checker(settings)
    specs, seen = [], {}
    for line, row in rows:
        try:
            spec = targets.check_spec(_spec(row), against)
        except TargetError as error:
            raise UserError(f"{path} line {line}: {error}") from None
        place = (spec.metric_id, spec.org_code, spec.valid_from, spec.valid_to)
        if place in seen:
            raise UserError(
                f"{path} line {line}: the same indicator, org and months as line {seen[place]}"
            )
        seen[place] = line
        specs.append(spec)
    return specs


def _rows(path: Path) -> list[tuple[int, dict]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text") from None
    reader = csv.DictReader(text.splitlines())
    missing = [column for column in REQUIRED if column not in (reader.fieldnames or ())]
    if missing:
        raise UserError(f"{path} line 1: the header lacks {', '.join(missing)}")
    unknown = [column for column in reader.fieldnames if column not in CSV_COLUMNS]
    if unknown:
        raise UserError(f"{path} line 1: unknown column(s) {', '.join(unknown)}")
    rows = [(reader.line_num, dict(row)) for row in reader]
    if any(None in row for _, row in rows):
        line = next(number for number, row in rows if None in row)
        raise UserError(f"{path} line {line}: more cells than the header has columns")
    if not rows or len(rows) > MAX_ROWS:
        raise UserError(f"{path} has {len(rows)} targets; give from 1 to {MAX_ROWS:,}")
    return rows


def _spec(row: dict) -> TargetSpec:
    cell = {key: (value or "").strip() for key, value in row.items()}
    return TargetSpec(
        metric_id=cell["metric_id"], org_code=cell.get("org_code") or None,
        valid_from=targets.parse_month(cell.get("valid_from", ""), "valid_from"),
        valid_to=targets.parse_month(cell.get("valid_to", ""), "valid_to"),
        value=targets.parse_number(cell.get("value"), "value"),
        lower=targets.parse_number(cell.get("lower"), "lower"),
        upper=targets.parse_number(cell.get("upper"), "upper"),
        trajectory=targets.parse_trajectory(cell.get("trajectory", "")), reason=cell["reason"],
    )  # fmt: skip


number = targets.plain_number


def _cells(target: Target) -> list[str]:
    def month(value) -> str:
        return "" if value is None else f"{value:%Y-%m}"

    return [
        target.metric_id, target.org_code or "", month(target.valid_from), month(target.valid_to),
        number(target.value), number(target.lower), number(target.upper),
        targets.format_trajectory(target.trajectory), target.reason, target.set_by or "",
        target.set_at,
    ]  # fmt: skip
