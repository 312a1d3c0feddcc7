"""Benchmark: what loading a published workbook (.xlsx) costs, against the same rows as CSV.

Two national-size workbooks are built in the published layouts (tests/etl/workbooks.py): an
ePCN workbook (`--partners` core partner rows; England has about 6,300 practices) and IMD
File 1 (`--lsoas` rows; 32,844 LSOAs in the 2019 edition, 33,755 in 2025). Each is loaded
as published and as the same sheet saved as CSV, each load in a fresh process and data
directory. Run `python -m bench.workbooks`; results go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import csv
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.etl_load import WORK, product_load  # noqa: F401 - measured by name
from bench.measure import measure
from bench.results import write_section
from tests.etl.workbooks import EPCN_HEADERS, epcn_partner, epcn_workbook, imd_workbook

IMD_HEADER = [
    "LSOA code (2011)", "LSOA name (2011)", "Local Authority District code (2019)",
    "Local Authority District name (2019)", "Index of Multiple Deprivation (IMD) Rank",
    "Index of Multiple Deprivation (IMD) Decile",
]  # fmt: skip


def epcn_rows(count: int) -> list[tuple]:
    start = datetime(2019, 7, 1)
    return [
        epcn_partner(f"B{80000 + n:05d}", f"U{10000 + n // 8:05d}", start + timedelta(n % 900))
        for n in range(count)
    ]


def imd_rows(count: int) -> list[list]:
    return [
        [f"E01{n:06d}", f"Somewhere {n:04d}A", "E08000035", "Leeds", n, 1 + (n - 1) * 10 // count]
        for n in range(1, count + 1)
    ]


def as_csv(path: Path, header, rows) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([" ".join(name.split()) for name in header])
        for row in rows:
            writer.writerow(
                [
                    value.date().isoformat() if isinstance(value, datetime) else value
                    for value in row
                ]
            )
    return path


def make_files(partners: int, lsoas: int) -> dict[str, tuple[Path, Path]]:
    """(workbook, CSV) for each published file, built once."""
    WORK.mkdir(parents=True, exist_ok=True)
    epcn, imd = epcn_rows(partners), imd_rows(lsoas)
    return {
        f"ePCN, {partners:,} core partners": (
            epcn_workbook(WORK / "ePCN.xlsx", epcn),
            as_csv(WORK / "ePCN.csv", EPCN_HEADERS["2024"], epcn),
        ),
        f"IMD File 1, {lsoas:,} LSOAs": (
            imd_workbook(WORK / "File_1_IoD2019.xlsx", IMD_HEADER, imd, "2019"),
            as_csv(WORK / "File_1_IoD2019.csv", IMD_HEADER, imd),
        ),
    }


def load_once(path: Path):
    data_dir = WORK / "data_workbooks"
    shutil.rmtree(data_dir, ignore_errors=True)
    result = measure("bench.etl_load.product_load", path=str(path), data_dir=str(data_dir))
    shutil.rmtree(data_dir, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> None:
    """Loads each file both ways once and writes the section of bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=7_000)
    parser.add_argument("--lsoas", type=int, default=32_844)
    arguments = parser.parse_args(argv)
    rows = []
    for label, (workbook, text) in make_files(arguments.partners, arguments.lsoas).items():
        csv_load, xlsx_load = load_once(text), load_once(workbook)
        for kind, path, result in (("CSV", text, csv_load), ("xlsx", workbook, xlsx_load)):
            rows.append(
                f"| {label} | {kind} | {path.stat().st_size / 1e6:,.2f} | "
                f"{result.detail['rows']:,} | {result.seconds:.2f} | {result.peak_mb:,.0f} |"
            )
    section = "\n".join(
        [
            f"Command: `python -m bench.workbooks --partners {arguments.partners} --lsoas "
            f"{arguments.lsoas}` (run {date.today().isoformat()}; one load each, in a fresh "
            "process and data directory).",
            "",
            "| file | as | MB | rows loaded | seconds | peak memory (MB) |",
            "|---|---|---|---|---|---|",
            *rows,
        ]
    )
    write_section(Path("bench/RESULTS.md"), "Published workbooks (.xlsx) against CSV", section)
    print(section)


if __name__ == "__main__":
    main()
