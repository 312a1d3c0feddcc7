"""Benchmark: what a Windows-1252 or CR CR LF file costs to load, against the same file in UTF-8.

The three files hold the same spells and an extra (ignored) ward name with `’` and `é`, so
the Windows-1252 copy is not plain ASCII. UTF-8 is read as it is; the other two are first
converted, streamed, to a UTF-8 copy (etl.encoding). Each load runs in a fresh process and
a fresh data directory. Run `python -m bench.encodings --spells 1000000`; results go to
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import shutil
from datetime import date
from pathlib import Path

from bench.etl_load import WORK, make_apc_file, product_load  # noqa: F401 - measured by name
from bench.measure import measure
from bench.results import write_section


def make_variants(clean: Path) -> dict[str, Path]:
    """The UTF-8 file with a ward name, and its Windows-1252 and CR CR LF copies."""
    import duckdb

    utf8 = clean.with_name("apc_spells_ward_utf8.csv")
    if not utf8.exists():
        duckdb.execute(
            f"""COPY (SELECT *, 'St Mary’s Café ward' AS ward_name
                      FROM read_csv('{clean}', all_varchar = true))
                TO '{utf8}' (HEADER)"""
        )
    variants = {"UTF-8, LF": utf8}
    for label, name, encoding, newline in (
        ("Windows-1252, CRLF", "apc_spells_ward_cp1252.csv", "cp1252", "\r\n"),
        ("UTF-8, CR CR LF", "apc_spells_ward_crcrlf.csv", "utf-8", "\r\r\n"),
    ):
        path = clean.with_name(name)
        if not path.exists():
            _recode(utf8, path, encoding, newline)
        variants[label] = path
    return variants


def _recode(source: Path, target: Path, encoding: str, newline: str) -> None:
    with (
        source.open(encoding="utf-8", newline="") as lines,
        target.open("w", encoding=encoding, newline="") as out,
    ):
        for line in lines:
            out.write(line.rstrip("\n") + newline)


def main(argv: list[str] | None = None) -> None:
    """Loads each variant once and writes the section of bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spells", type=int, default=1_000_000)
    arguments = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    variants = make_variants(make_apc_file(arguments.spells, WORK))
    rows, baseline = [], None
    for label, path in variants.items():
        data_dir = WORK / "data_encodings"
        shutil.rmtree(data_dir, ignore_errors=True)
        result = measure("bench.etl_load.product_load", path=str(path), data_dir=str(data_dir))
        shutil.rmtree(data_dir, ignore_errors=True)
        baseline = baseline or result.seconds
        rows.append(
            f"| {label} | {path.stat().st_size / 1e6:,.0f} | {result.detail['rows']:,} | "
            f"{result.seconds:.2f} | {result.peak_mb:,.0f} | {result.seconds / baseline:.2f}× |"
        )
    section = "\n".join(
        [
            f"Command: `python -m bench.encodings --spells {arguments.spells}` "
            f"(run {date.today().isoformat()}; one load each, in a fresh process).",
            "",
            "| file | MB | spells loaded | seconds | peak memory (MB) | vs UTF-8 |",
            "|---|---|---|---|---|---|",
            *rows,
        ]
    )
    print(section)
    write_section(Path("bench/RESULTS.md"), "Loading Windows-1252 and CR CR LF files", section)


if __name__ == "__main__":
    main()
