"""Fixtures: one scale-1 sample system per test session, read with DuckDB; query helpers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from sample_data.generate import generate

END_MONTH = date(2026, 10, 1)
EXTRACT = "DATE '2026-10-31'"
EMERGENCY = "('21','22','23','24','25','28','2A','2B','2C','2D')"
TEXT_COLUMNS = {
    "apc_spells": ("admimeth", "admisorc", "disdest", "tretspef", "classpat", "sex"),
    "patients": ("birth_month", "sex"),
    "gp_events": ("value",),
}


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> tuple[Path, dict[str, list[Path]]]:
    """The sample system at scale 1, 36 months to October 2026, seed 42."""
    out = tmp_path_factory.mktemp("sample")
    return out, generate(out, seed=42, scale=1.0, end_month=END_MONTH)


@pytest.fixture(scope="session")
def db(sample) -> duckdb.DuckDBPyConnection:
    """DuckDB with one view per feed, a `pop` table (population detail rows as numbers)
    and `py`, person-years by age band (0-4, 5-17, 18-44, 45-64, 65-74, 75-84, 85+)."""
    out, written = sample
    con = duckdb.connect()
    for feed, paths in written.items():
        if feed == "population":
            continue
        types = {c: "VARCHAR" for c in TEXT_COLUMNS.get(feed, ())}
        con.execute(
            f"CREATE VIEW {feed} AS SELECT * FROM read_csv('{paths[0]}', header=true, "
            f"types={types!r})"
            if types
            else f"CREATE VIEW {feed} AS SELECT * FROM read_csv('{paths[0]}', header=true)"
        )
    con.execute(f"""CREATE TABLE pop_raw AS SELECT * FROM read_csv('{out}/population/*.csv',
                    header=true, all_varchar=true)""")
    con.execute("""CREATE TABLE pop AS SELECT CODE AS prac, strptime(EXTRACT_DATE, '%d%b%Y')::DATE
                   AS d, SEX AS sex, CASE WHEN AGE = '95+' THEN 95 ELSE AGE::INT END AS age,
                   NUMBER_OF_PATIENTS::INT AS n FROM pop_raw WHERE AGE <> 'ALL' AND SEX <> 'ALL'""")
    con.execute(f"CREATE MACRO band(a) AS {BAND_SQL}")
    con.execute("CREATE TABLE py AS SELECT band(age) AS b, sum(n) / 12.0 AS py FROM pop GROUP BY 1")
    con.execute(f"CREATE TABLE em AS SELECT * FROM apc_spells WHERE admimeth IN {EMERGENCY}")
    con.execute("CREATE TABLE org AS SELECT * FROM organisations WHERE valid_to IS NULL")
    yield con
    con.close()


BAND_SQL = (
    "CASE WHEN a < 5 THEN 0 WHEN a < 18 THEN 1 WHEN a < 45 THEN 2 WHEN a < 65 THEN 3 "
    "WHEN a < 75 THEN 4 WHEN a < 85 THEN 5 ELSE 6 END"
)


def one(con, sql: str):
    """The single value of a query."""
    return con.execute(sql).fetchone()[0]
