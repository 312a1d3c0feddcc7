"""Reads a published workbook (.xlsx) as the UTF-8 CSV the loader's readers open.

National files such as the ePCN workbook and the Indices of Deprivation File 1 are published
as Excel workbooks. openpyxl (read-only, streaming) reads the one sheet that carries the data,
and it is written once, as values, to a CSV with a one-line header under the data directory's
tmp dir; `etl.source` then treats it like any CSV, while every message names the workbook,
the sheet and the sheet row. Header cells are written with their line breaks and runs of
spaces collapsed, dates as ISO dates, and text (text dates included) as it stands, so the
feed's own rules judge each value.
"""

from __future__ import annotations

import csv
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import openpyxl

from wholesystem.errors import UserError

ZIP_MAGIC = b"PK\x03\x04"
WORKBOOK_PART = "xl/workbook.xml"
# The data sheets of the published workbooks, as `sheet_key` writes them: ePCN (every
# layout since 2019) and the Indices of Deprivation File 1 (2019 and 2025 editions). They
# are tried first, so a sheet such as ePCN's non-core partners is never taken in their place.
PUBLISHED_SHEETS = ("pcncorepartnerdetails", "imd2019", "imd2025", "imd25")
HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class SheetCsv:
    """A workbook sheet written as a CSV: the sheet, its header, and the header's sheet row."""

    sheet: str
    header: tuple[str, ...]
    header_rows: int
    csv_path: Path


def sheet_key(name: str) -> str:
    """Sheet names compare case-insensitively, ignoring spaces, dashes and underscores."""
    return re.sub(r"[\s\-_]+", "", name).lower()


def is_workbook(path: Path) -> bool:
    """Whether the file is an Excel workbook: a zip archive holding a workbook part."""
    try:
        with zipfile.ZipFile(path) as archive:
            return WORKBOOK_PART in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def refuse_other_zip(path: Path) -> None:
    """Names what a zip archive that is not a workbook holds, so the analyst can unpack it."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [name for name in archive.namelist() if not name.endswith("/")]
    except (zipfile.BadZipFile, OSError):
        raise UserError(
            f"{path}: the file is binary, not a CSV or Parquet file (it starts as a zip "
            "archive or workbook does, but cannot be opened as one: damaged or cut short)"
        ) from None
    shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
    raise UserError(f"{path}: is a zip archive, not a data file; unpack it and load {shown}")


def workbook_as_csv(
    path: Path,
    directory: Path,
    recognises: Callable[[tuple[str, ...]], bool],
    feed_name: str | None = None,
) -> SheetCsv:
    """Writes the workbook's data sheet to a CSV in `directory`; raises UserError if none.

    The data sheet is the first sheet (published names first) whose header, in its first
    rows, `recognises` accepts; failing that, a published sheet, or with `--feed` (a local
    layout the column map may name) the first sheet, headed by its first row.
    """
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise UserError(f"{path}: the workbook cannot be read ({_reason(error)})") from None
    target = directory / f"{path.stem}-{uuid.uuid4().hex[:8]}.csv"
    try:
        sheet, header, header_rows = _data_sheet(path, book, recognises, feed_name)
        directory.mkdir(parents=True, exist_ok=True)
        rows = _sheet(book, sheet).iter_rows(min_row=header_rows + 1, values_only=True)
        _write_csv(target, header, rows)
        return SheetCsv(sheet, header, header_rows, target)
    except UserError:
        raise
    except Exception as error:  # a sheet damaged past its first rows
        target.unlink(missing_ok=True)
        raise UserError(f"{path}: the workbook cannot be read ({_reason(error)})") from None
    finally:
        book.close()


def _reason(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return text or type(error).__name__


def _data_sheet(path: Path, book, recognises, feed_name) -> tuple[str, tuple[str, ...], int]:
    by_key = {sheet_key(name): name for name in book.sheetnames}
    published = [by_key[key] for key in PUBLISHED_SHEETS if key in by_key]
    others = [name for name in book.sheetnames if name not in published]
    for name in published + others:
        found = _find_header(_sheet(book, name), recognises)
        if found is not None:
            return name, *found
    fallback = published[0] if published else book.sheetnames[0] if feed_name else None
    if fallback is not None:  # the feed check then says which columns it lacks
        first = next(_sheet(book, fallback).iter_rows(max_row=1, values_only=True), ())
        return fallback, _header_cells(first), 1
    sheets = ", ".join(f"'{name}'" for name in book.sheetnames)
    raise UserError(
        f"{path}: no sheet of the workbook has a header the data contract knows "
        f"(its sheets are {sheets}); save the data sheet as CSV or name it with --feed"
    )


def _sheet(book, name: str):
    """The sheet, its stored dimensions dropped: some exporters write a wrong one (`A1`),
    which would cut the rows and columns a read-only sheet yields."""
    sheet = book[name]
    sheet.reset_dimensions()
    return sheet


def _find_header(sheet, recognises) -> tuple[tuple[str, ...], int] | None:
    rows = sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
    for number, cells in enumerate(rows, start=1):
        header = _header_cells(cells)
        if any(header) and recognises(header):
            return header, number
    return None


def _header_cells(cells: Iterable) -> tuple[str, ...]:
    """Header text with line breaks and runs of spaces made single spaces, ends trimmed."""
    names = [" ".join(str(cell).split()) if cell is not None else "" for cell in cells]
    while names and not names[-1]:
        names.pop()
    return tuple(names)


def _write_csv(target: Path, header: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """Writes the rows under the header; blank rows inside the data are kept (so each CSV
    line stays one sheet row), blank rows after the last data row are dropped."""
    width = len(header)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        blank_run = 0
        for cells in rows:
            values = [cell_text(cell) for cell in cells[:width]]
            if not any(values):
                blank_run += 1
                continue
            writer.writerows([[""] * width] * blank_run)
            blank_run = 0
            writer.writerow(values + [""] * (width - len(values)))


def cell_text(value) -> str:
    """A cell's value as CSV text: dates as ISO, whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
