"""Loading good files: counts, revisions, the load log, and skipping repeats."""

from __future__ import annotations

from tests.etl.conftest import apc_row, apc_rows, log_outcomes, table_rows, write_csv


def test_a_valid_file_loads_every_row_with_its_types(tmp_path, settings, load):
    rows = [apc_row("S1"), apc_row("S2", diag_4_concat="k573; i10x|E119", disdate="")]
    [result] = load(write_csv(tmp_path / "apc.csv", rows))
    assert result.outcome == "loaded"
    assert (result.counts.rows_read, result.counts.rows_accepted) == (2, 2)
    stored = table_rows(settings, "apc_spells", "spell_id")
    assert [(r[0], str(r[4]), r[5], r[10], r[13]) for r in stored] == [
        ("S1", "2026-01-03", __import__("datetime").date(2026, 1, 6), 80, "J44X,I10X"),
        ("S2", "2026-01-03", None, 80, "K573,I10X,E119"),
    ]


def test_the_same_file_twice_is_skipped_the_second_time(tmp_path, settings, load):
    path = write_csv(tmp_path / "apc.csv", apc_rows(3))
    load(path)
    [again] = load(path)
    assert again.outcome == "skipped"
    assert "already loaded (load 1" in again.message
    assert len(table_rows(settings, "apc_spells")) == 3
    assert log_outcomes(settings) == [("loaded", "apc_spells"), ("skipped", "apc_spells")]


def test_a_revised_spell_replaces_the_earlier_version(tmp_path, settings, load):
    load(write_csv(tmp_path / "m1.csv", apc_rows(3)))
    revision = [apc_row("S2", disdate="2026-01-20", diag_4_01="I500"), apc_row("S4")]
    [result] = load(write_csv(tmp_path / "m2.csv", revision))
    assert (result.rows_replaced, result.counts.rows_accepted) == (1, 2)
    stored = {
        row[0]: (row[5].isoformat(), row[12], row[-1]) for row in table_rows(settings, "apc_spells")
    }
    assert stored == {
        "S1": ("2026-01-06", "J44X", 1),
        "S2": ("2026-01-20", "I500", 2),
        "S3": ("2026-01-06", "J44X", 1),
        "S4": ("2026-01-06", "J44X", 2),
    }


def test_a_gzipped_file_loads_like_a_plain_one(tmp_path, settings, load):
    [result] = load(write_csv(tmp_path / "apc.csv.gz", apc_rows(4)))
    assert result.outcome == "loaded"
    assert len(table_rows(settings, "apc_spells")) == 4


def test_headers_match_ignoring_case_spaces_and_extra_columns(tmp_path, settings, load):
    path = tmp_path / "apc.csv"
    header = [f" {name.upper()} " for name in apc_row()] + ["LOCAL_FIELD"]
    lines = [",".join(header), ",".join(apc_row(diag_4_concat="J44X;I10X").values()) + ",x"]
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    [result] = load(path)
    assert result.outcome == "loaded"
    assert result.notes == ["columns not in the contract, ignored: LOCAL_FIELD"]


def test_a_parquet_file_loads(tmp_path, settings, load):
    import duckdb

    csv_path = write_csv(tmp_path / "apc.csv", apc_rows(5))
    parquet_path = tmp_path / "apc.parquet"
    duckdb.execute(f"COPY (FROM read_csv('{csv_path}', all_varchar=true)) TO '{parquet_path}'")
    [result] = load(parquet_path)
    assert (result.outcome, result.counts.rows_accepted) == ("loaded", 5)
