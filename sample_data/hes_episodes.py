"""Writes spells as HES admitted patient care episodes, in the layout NHS Digital publishes.

The same hospital activity can reach the warehouse as spells (`apc_spells.csv`) or as HES
episodes; this module turns the first into the second, so that a test can load a system both
ways and compare what the indicators read, and the benchmark can write large HES files.
Everything is one DuckDB query: no random numbers are drawn (each spell's shape follows a
hash of its id), so the sample's own files and random streams are untouched.

How a spell becomes episodes (each rule mirrors what HES extracts hold):
- a spell of two nights or more is split into 1-3 consultant episodes, which divide the
  stay; every episode repeats the admission fields, only the last carries the discharge
  (earlier ones: DISDATE 1800-01-01, DISDEST 98, DISMETH 8);
- the first episode has the spell's primary diagnosis and all its codes; a later episode
  has a primary diagnosis from the spell's list and a subset of its codes, so the union
  of the episodes' codes is the spell's list;
- spells that share person, provider and admission date, and one in four others, carry a
  SUSSPELLID; the rest have `-`;
- one spell in 25 gains an extra unfinished episode (EPISTAT 1), which HES keeps and the
  derivation leaves out; an open spell (no discharge yet) is one finished episode with no
  discharge, so that both files hold the same spells;
- HES conventions: ages written `80.0`, ages under one year as 7001-7007, missing dates as
  1800-01-01, placeholders `-`, keys of 12 digits, FYEAR with its leading zero.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

HEADER = (
    "FYEAR", "PARTYEAR", "EPIKEY", "PSEUDO_HESID", "ADMIAGE", "ADMIDATE", "ADMIMETH",
    "ADMINCAT", "ADMISORC", "CLASSPAT", "DIAG_3_01", "DIAG_4_01", "DIAG_4_CONCAT", "DISDATE",
    "DISDEST", "DISMETH", "ELECDATE", "EPIDUR", "EPIEND", "EPIORDER", "EPISTART", "EPISTAT",
    "EPITYPE", "ETHNOS", "FAE", "FCE", "GPPRAC", "LSOA11", "MAINSPEF", "OPERTN_4_CONCAT",
    "PROCODE3", "PROCODE5", "SEX", "SPELBGIN", "SPELEND", "STARTAGE", "SUSRECID", "SUSSPELLID",
    "TRETSPEF",
)  # fmt: skip

# `spells` must yield the apc_spells columns as text; `n` numbers them from 1.
SHAPED_SQL = """
SELECT *,
       CASE WHEN disdate IS NULL OR disdate::DATE - admidate::DATE < 2 THEN 1
            ELSE 1 + h % 3 END AS episodes,
       same_day > 1 OR h % 4 = 0 AS with_spell_id,
       disdate IS NOT NULL AND h % 25 = 7 AS with_unfinished,
       string_split(coalesce(diag_4_concat, ''), ',') AS diags,
       string_split(coalesce(opertn_4_concat, ''), ',') AS opers
FROM (SELECT *, (hash(spell_id) % 1000003)::INTEGER AS h,
             count(*) OVER (PARTITION BY person_id, procode3, admidate) AS same_day
      FROM spells)
"""

EPISODES_SQL = f"""
shaped AS ({SHAPED_SQL}),
expanded AS (
    SELECT *, unnest(range(1, episodes + 1 + with_unfinished::INTEGER)) AS k,
           coalesce(disdate::DATE - admidate::DATE, 0) AS stay
    FROM shaped
),
rows AS (
    -- Episode k of K covers nights [stay * (k - 1) / K, stay * k / K); an unfinished
    -- episode K + 1 starts on the discharge date.
    SELECT *, k AS epiorder, k > episodes AS unfinished,
           admidate::DATE + (stay * (k - 1) // episodes)::INTEGER AS epistart,
           CASE WHEN k >= episodes THEN disdate::DATE
                ELSE admidate::DATE + (stay * k // episodes)::INTEGER END AS epiend
    FROM expanded
)
SELECT
    CASE WHEN month(epistart) >= 4
         THEN right(year(epistart)::VARCHAR, 2) || right((year(epistart) + 1)::VARCHAR, 2)
         ELSE right((year(epistart) - 1)::VARCHAR, 2) || right(year(epistart)::VARCHAR, 2)
    END AS FYEAR,
    strftime(epistart, '%Y%m') AS PARTYEAR,
    (300000000000 + n * 10 + epiorder)::VARCHAR AS EPIKEY,
    person_id AS PSEUDO_HESID,
    {{age}} AS ADMIAGE,
    admidate AS ADMIDATE, admimeth AS ADMIMETH, '01' AS ADMINCAT, admisorc AS ADMISORC,
    classpat AS CLASSPAT,
    left({{primary}}, 3) AS DIAG_3_01, {{primary}} AS DIAG_4_01,
    CASE WHEN epiorder = 1 THEN coalesce(diag_4_concat, '-') || CASE WHEN h % 5 = 0
                                THEN ',-' ELSE '' END
         WHEN diag_4_concat IS NULL THEN '-'
         ELSE array_to_string(list_distinct([{{primary}}, diags[1]]), ',') END AS DIAG_4_CONCAT,
    CASE WHEN last THEN coalesce(disdate, '1800-01-01') ELSE '1800-01-01' END AS DISDATE,
    CASE WHEN last THEN coalesce(disdest, '98') ELSE '98' END AS DISDEST,
    CASE WHEN NOT last THEN '8' WHEN disdest = '79' THEN '4' ELSE '1' END AS DISMETH,
    '1800-01-01' AS ELECDATE,
    CASE WHEN epiend IS NULL OR unfinished THEN '-'
         ELSE (epiend - epistart)::VARCHAR || '.0' END AS EPIDUR,
    CASE WHEN unfinished THEN '1800-01-01' ELSE coalesce(epiend::VARCHAR, '1800-01-01') END
        AS EPIEND,
    lpad(epiorder::VARCHAR, 2, '0') AS EPIORDER, epistart::VARCHAR AS EPISTART,
    CASE WHEN unfinished THEN '1' ELSE '3' END AS EPISTAT, '1' AS EPITYPE, '99' AS ETHNOS,
    (epiorder = 1)::INTEGER::VARCHAR AS FAE, (NOT unfinished)::INTEGER::VARCHAR AS FCE,
    gpprac AS GPPRAC, '-' AS LSOA11, tretspef AS MAINSPEF,
    CASE WHEN epiorder = 1 THEN coalesce(opertn_4_concat, '-')
         WHEN len(opers) > 1 AND opers[2] <> '' THEN opers[2] ELSE '-' END AS OPERTN_4_CONCAT,
    procode3 AS PROCODE3, procode3 || '01' AS PROCODE5, sex AS SEX,
    CASE WHEN epiorder = 1 THEN '2' ELSE '0' END AS SPELBGIN,
    CASE WHEN last THEN 'Y' ELSE 'N' END AS SPELEND,
    {{age}} AS STARTAGE,
    (700000000000 + n * 10 + epiorder)::VARCHAR AS SUSRECID,
    CASE WHEN with_spell_id THEN (5000000000 + n)::VARCHAR
         WHEN h % 2 = 0 THEN '-' ELSE '-   ' END AS SUSSPELLID,
    tretspef AS TRETSPEF
FROM (SELECT *, epiorder = episodes AND NOT unfinished AS last FROM rows)
"""
# A later episode's primary diagnosis: the spell's k-th code where there is one.
PRIMARY = (
    "CASE WHEN epiorder = 1 OR len(diags) < epiorder OR diags[epiorder] = '' THEN diag_4_01 "
    "ELSE diags[epiorder] END"
)
# Ages as HES exports write them: whole numbers as `80.0`, under one year as 7001-7007.
AGE = (
    "CASE WHEN startage = '0' THEN (7001 + h % 7)::VARCHAR "
    "WHEN h % 2 = 0 THEN startage || '.0' ELSE startage END"
)


def episodes_sql(spells: str, shuffled: bool = True) -> str:
    """SQL yielding HES APC episode rows (HEADER's columns, text) for the spells that the
    SQL `spells` yields (the apc_spells columns as text, numbered from 1 in column `n`).

    `shuffled` puts the episodes in an order unrelated to their spells (a stable one), so
    that a spell's episodes are rarely adjacent in the file.
    """
    body = EPISODES_SQL.format(age=AGE, primary=PRIMARY)
    order = " ORDER BY hash(EPIKEY)" if shuffled else ""
    return f"WITH spells AS ({spells}), {body}{order}"


def write_episodes(spells_csv: Path, out: Path) -> int:
    """Writes the spells of an apc_spells CSV as a HES APC episode CSV; returns episodes."""
    spells = (
        "SELECT *, row_number() OVER (ORDER BY spell_id) AS n FROM "
        f"read_csv('{spells_csv}', all_varchar = true, header = true)"
    )
    with duckdb.connect() as connection:
        connection.execute(f"COPY ({episodes_sql(spells)}) TO '{out}' (HEADER, DELIMITER ',')")
        return connection.execute(f"SELECT count(*) FROM read_csv('{out}')").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spells_csv", type=Path, help="an apc_spells CSV")
    parser.add_argument("out", type=Path, help="the HES APC episode CSV to write")
    arguments = parser.parse_args()
    episodes = write_episodes(arguments.spells_csv, arguments.out)
    print(f"{arguments.out}: {episodes:,} episodes")


if __name__ == "__main__":
    main()
