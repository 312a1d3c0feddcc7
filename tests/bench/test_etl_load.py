"""The ETL benchmark's baselines: the bare read infers its types, the typed read writes the
warehouse's own (the baseline RESULTS weighed in place of the bare one)."""

from __future__ import annotations

import duckdb

from bench.etl_load import bare_read_csv, typed_read_csv
from etl.schema import feed_tables

HEADER = (
    "spell_id,person_id,gpprac,procode3,admidate,disdate,admimeth,admisorc,disdest,classpat,"
    "startage,sex,diag_4_01,diag_4_concat,opertn_4_concat,tretspef"
)
ROWS = (
    "S1,P1,A00001,RTD,2026-01-03,2026-01-05,21,19,19,1,80,2,J440,J440,,300",
    "S2,P2,A00002,RTD,2026-02-01,,11,19,,2,45,1,K409,K409,T201,100",
)


def column_types(database: str) -> dict[str, str]:
    with duckdb.connect(database, read_only=True) as connection:
        return dict(connection.execute("SELECT column_name, data_type FROM "
                                       "information_schema.columns").fetchall())  # fmt: skip


def test_the_typed_read_writes_the_warehouse_columns_and_the_bare_read_infers(tmp_path):
    path = tmp_path / "apc_spells.csv"
    path.write_text("\n".join((HEADER, *ROWS)) + "\n")
    typed, bare = str(tmp_path / "typed.duckdb"), str(tmp_path / "bare.duckdb")
    assert typed_read_csv(str(path), typed) == bare_read_csv(str(path), bare) == {"rows": 2}
    warehouse = dict(feed_tables()["apc_spells"])
    del warehouse["load_id"]
    assert column_types(typed) == warehouse
    # Codes the warehouse keeps as text, as the contract types them, are integers here.
    assert column_types(bare)["admisorc"] == "BIGINT" and warehouse["admisorc"] == "VARCHAR"
