"""Benchmark: loading a 10-million-episode HES APC file, spell derivation included.

The file is written in the layout NHS Digital publishes (sample_data.hes_episodes, fed with
synthetic spells made by one DuckDB query, never a Python loop over rows). The baseline is
`CREATE TABLE … AS SELECT * FROM read_csv(file)` into a fresh DuckDB file; the product's
load (validation, insert, and the derivation of every spell into apc_spells) must take at
most 2.5 times as long, measured in the same run, with peak memory under 2 GB. Each step
runs in its own process (bench.measure). Run with `python -m bench.hes_episodes`
(`--episodes N`, `--rounds N`); the file is kept under /tmp/wholesystem-bench-hes for
reruns, and the result goes to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
from datetime import date
from pathlib import Path

from bench.measure import Measurement, measure
from bench.results import write_section

WORK = Path("/tmp/wholesystem-bench-hes")
HEADING = "HES APC episodes: load with spell derivation"
# Episodes per synthetic spell, measured on the generator (splits and unfinished episodes).
EPISODES_PER_SPELL = 1.288

# Synthetic spells as apc_spells text columns: people with about three spells each over
# three years, 500 practices (one spell in 200 at a pseudo practice), five providers. Half
# the stays are day cases and a quarter two nights or more, so that, split as
# sample_data.hes_episodes splits them, about one spell in six has several episodes (about
# 14% do in HES: Aylin et al., BMJ 2004;329:1207).
SPELLS_SQL = """
SELECT 'S' || i AS spell_id, 'TEST' || md5((i // 3)::VARCHAR)[:28] AS person_id,
       CASE WHEN h % 200 = 0 THEN 'V81999' ELSE 'A8' || lpad((h % 500)::VARCHAR, 4, '0') END
           AS gpprac,
       ['RR8', 'RAE', 'RXF', 'RCF', 'RWY'][h % 5 + 1] AS procode3,
       (DATE '2023-04-01' + (h % 1000)::INTEGER)::VARCHAR AS admidate,
       CASE WHEN h % 97 = 0 THEN NULL
            ELSE (DATE '2023-04-01' + (h % 1000)::INTEGER + stay)::VARCHAR END AS disdate,
       ['21', '11', '22', '12', '2A', '13', '81', '28'][h // 11 % 8 + 1] AS admimeth,
       CASE WHEN h % 31 = 0 THEN '54' ELSE '19' END AS admisorc,
       CASE WHEN h % 97 = 0 THEN NULL WHEN h % 29 = 0 THEN '54' WHEN h % 53 = 0 THEN '79'
            ELSE '19' END AS disdest,
       CASE WHEN stay = 0 AND h % 2 = 0 THEN '2' ELSE '1' END AS classpat,
       (h // 13 % 101)::VARCHAR AS startage, ['1', '2', '2', '1', '0'][h // 17 % 5 + 1] AS sex,
       ['J440', 'I500', 'N390', 'J181', 'I219', 'K590', 'R074', 'S720'][h // 19 % 8 + 1]
           AS diag_4_01,
       diag_4_01 || ',' || ['I10X', 'E119', 'Z864,I10X', 'F03X,N179,Z921', 'J449'][h // 23 % 5 + 1]
           AS diag_4_concat,
       CASE WHEN h % 3 = 0 THEN ['X401', 'U051,Y981', 'M459'][h // 29 % 3 + 1] END
           AS opertn_4_concat,
       ['300', '320', '100', '430'][h // 37 % 4 + 1] AS tretspef, i AS n
FROM (SELECT *, [0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 5, 12][h // 7 % 12 + 1] AS stay
      FROM (SELECT i, (hash(i) % 1000000007)::BIGINT AS h FROM range(1, {spells} + 1) t(i)))
"""


# A HES APC extract as NHS Digital supplies it carries about 200 fields, of which the feed
# reads 25 (the issue: "ignore the other ~170 columns"). These are the rest of a typical
# extract: the other diagnosis and procedure positions (blank where unused, as HES leaves
# them), their dates, and the administrative fields. Values are short codes, so the file
# is no heavier per field than a real one.
_POSITIONS = [f"DIAG_3_{i:02d}" for i in range(2, 21)] + [f"DIAG_4_{i:02d}" for i in range(2, 21)]
_OPERATIONS = [f"OPERTN_3_{i:02d}" for i in range(1, 25)] + [
    f"OPERTN_4_{i:02d}" for i in range(1, 25)
]
_OPDATES = [f"OPDATE_{i:02d}" for i in range(1, 25)]
_ADMINISTRATIVE = (
    "ADMISTAT", "ADMIAGE_CALC", "ADMINCATST", "CARERSI", "CAUSE_3", "CAUSE_4", "CDSEXTDATE",
    "CDSVERSION", "CENWARD", "CR_GPPRACTICE", "CURRWARD", "DOB_CFL", "ELECDUR", "ELECDUR_CALC",
    "EPIDUR_CALC", "EPIKEY_CFL", "ETHRAW", "FDE", "HRGNHS", "HRGNHSVN", "INTMANIG", "MAINSPEF_CFL",
    "MYDOB", "NEOCARE", "OPERSTAT", "POSOPDUR", "PREOPDUR", "PROVSPNOPS", "PURCODE", "RESGOR",
    "RESLADST", "RESPCT", "RESSTHA", "ROTREAT", "SITETRET", "SPELDUR", "SPELDUR_CALC",
    "STARTAGE_CALC", "SUBDATE", "TRETSPEF_CFL", "WARDSTRT",
)  # fmt: skip


def _published_width_columns() -> str:
    """SQL for the extract's other fields, from the episode's own columns where HES would."""
    diagnoses = [
        f"coalesce(string_split(DIAG_4_CONCAT, ',')[{i}], '') AS {name}"
        for i, name in enumerate(_POSITIONS[19:], start=2)
    ] + [f"left({name.replace('_3_', '_4_')}, 3) AS {name}" for name in _POSITIONS[:19]]
    operations = [
        f"CASE WHEN OPERTN_4_CONCAT = '-' THEN '' ELSE coalesce(string_split(OPERTN_4_CONCAT, "
        f"',')[{i}], '') END AS {name}"
        for i, name in enumerate(_OPERATIONS[24:], start=1)
    ] + [f"left({name.replace('_3_', '_4_')}, 3) AS {name}" for name in _OPERATIONS[:24]]
    dates = [
        f"CASE WHEN OPERTN_4_{n[-2:]} <> '' THEN EPISTART ELSE '' END AS {n}" for n in _OPDATES
    ]
    administrative = [f"'{i % 10}' AS {name}" for i, name in enumerate(_ADMINISTRATIVE)]
    return ", ".join(diagnoses + operations + dates + administrative)


def make_file(episodes: int, work: Path, width: str) -> Path:
    """Writes (once) a HES APC CSV of about `episodes` episodes; returns its path."""
    import duckdb

    from sample_data.hes_episodes import episodes_sql

    path = work / f"hes_apc_{episodes}_{width}.csv"
    if not path.exists():
        spells = SPELLS_SQL.format(spells=round(episodes / EPISODES_PER_SPELL))
        query = episodes_sql(spells, shuffled=False)
        if width == "published":
            query = f"SELECT *, {_published_width_columns()} FROM ({query})"
        with duckdb.connect() as connection:
            connection.execute(f"SET temp_directory = '{work / 'tmp'}'")
            connection.execute(f"COPY ({query}) TO '{path}' (HEADER, DELIMITER ',')")
    return path


def bare_read_csv(path: str, database: str) -> dict:
    """The baseline: DuckDB's bare read_csv of the file into a table."""
    import duckdb

    with duckdb.connect(database) as connection:
        connection.execute(f"CREATE TABLE episodes AS SELECT * FROM read_csv('{path}')")
        return {"rows": connection.execute("SELECT count(*) FROM episodes").fetchone()[0]}


def product_load(path: str, data_dir: str) -> dict:
    """The product: `wholesystem load FILE` with the default settings, in-process."""
    import duckdb

    from etl.load import load_files
    from wholesystem.settings import Settings

    settings = Settings(data_dir=Path(data_dir))
    [result] = load_files([Path(path)], settings, report=lambda m: None)
    if result.outcome != "loaded":
        raise SystemExit(f"the benchmark file did not load: {result.message}")
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        spells = connection.execute("SELECT count(*) FROM apc_spells").fetchone()[0]
    return {
        "rows": result.counts.rows_accepted, "quarantined": result.counts.rows_quarantined,
        "spells": spells, "notes": result.notes[:-1],
    }  # fmt: skip


def run_pair(path: Path, work: Path, number: int) -> tuple[Measurement, Measurement]:
    """One baseline run and one product run, each into a fresh database."""
    database, data_dir = work / f"bare_{number}.duckdb", work / f"data_{number}"
    database.unlink(missing_ok=True)
    shutil.rmtree(data_dir, ignore_errors=True)
    try:
        bare = measure("bench.hes_episodes.bare_read_csv", path=str(path), database=str(database))
        ours = measure("bench.hes_episodes.product_load", path=str(path), data_dir=str(data_dir))
    finally:
        database.unlink(missing_ok=True)
        shutil.rmtree(data_dir, ignore_errors=True)
    return bare, ours


# What profiling found and changed (2.2 million episodes, one run each, machine shared).
HISTORY = (
    "Profile history: the first version took 40.5 s on 2,191,298 episodes against 6.7 s for "
    "a bare read_csv into an in-memory table (about 6×): 20 s to validate and insert, 19 s "
    "to derive spells. Changes: (1) typing: the HES conventions nested each column's "
    "expression (placeholders, `5.0`, infant-age recodes) and DuckDB evaluated a repeated "
    "subexpression again at every mention (STARTAGE's typed expression was 2,000 "
    "characters); `etl.validate.typed_select` now types in successive projections, each "
    "naming its input once, and digit-only HES codes skip upper-casing; (2) spells: the "
    "spell id is computed as each episode is inserted, one-episode spells (most) are copied "
    "as they stand, only multi-episode spells are aggregated (first and last episode by "
    "`arg_min`/`arg_max`, codes as one sorted list), and a first load skips the search for "
    "spells touched by revisions: derivation went from 19 s to about 2 s on 2 million "
    "episodes."
)


def report(path: Path, pairs: list[tuple[Measurement, Measurement]], command: str) -> str:
    """The result as a Markdown section."""
    bare = statistics.median(pair[0].seconds for pair in pairs)
    ours = statistics.median(pair[1].seconds for pair in pairs)
    detail = pairs[0][1].detail
    name = f"{detail['rows']:,} episodes, {path.stat().st_size / 1e9:.2f} GB"
    return "\n".join([
        f"Command: `{command}` (run {date.today().isoformat()}; medians over "
        f"{len(pairs)} round(s); each step in a fresh process and a fresh database; "
        "2 cores shared with other work).",
        "",
        "| file | step | seconds | peak memory (MB) | ratio |",
        "|---|---|---|---|---|",
        f"| {name} | DuckDB bare `read_csv` into a table | {bare:.2f} | "
        f"{max(p[0].peak_mb for p in pairs):,.0f} | 1.00 |",
        f"| {name} | `wholesystem load`, {detail['spells']:,} spells derived | {ours:.2f} | "
        f"{max(p[1].peak_mb for p in pairs):,.0f} | **{ours / bare:.2f}×** |",
        "",
        "Load notes: " + "; ".join(detail["notes"]) + ".",
        "",
        HISTORY,
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Runs the benchmark and writes its section of bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--width", choices=("published", "contract"), default="published",
        help="published: the ~200 fields of an NHS Digital extract; contract: only the 39 "
        "fields the feed names and a few more (a narrower, harder case for the ratio)",
    )  # fmt: skip
    arguments = parser.parse_args(argv)
    (WORK / "tmp").mkdir(parents=True, exist_ok=True)
    path = make_file(arguments.episodes, WORK, arguments.width)
    pairs = [run_pair(path, WORK, number) for number in range(arguments.rounds)]
    command = (
        f"python -m bench.hes_episodes --episodes {arguments.episodes} --rounds {arguments.rounds}"
        f" --width {arguments.width}"
    )
    section = report(path, pairs, command)
    print(section)
    write_section(Path("bench/RESULTS.md"), f"{HEADING} ({arguments.width} width)", section)


if __name__ == "__main__":
    main()
