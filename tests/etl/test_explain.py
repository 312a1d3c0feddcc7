"""`wholesystem load --explain FILE`: how a header matched, exactly as printed; nothing loaded."""

from __future__ import annotations

from datetime import datetime

import pytest

from etl.feeds import FEEDS
from tests.etl.test_column_map import SUS_HEADER, SUS_MAP, sus_file
from tests.etl.workbooks import epcn_partner, epcn_workbook
from wholesystem.cli import main

ALL_PERSONS = (
    "PUBLICATION,EXTRACT_DATE,TYPE,SUB_ICB_LOCATION_CODE,ONS_SUB_ICB_LOCATION_CODE,CODE,"
    "POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS\r\n"
    "GP_PRAC_PAT_LIST,01Jan2023,GP,15F,E38000225,A84005,LS6 2AA,ALL,ALL,9123\r\n"
)


def explain(capsys, *arguments) -> tuple[int, list[str]]:
    capsys.readouterr()
    status = main(["load", "--explain", *map(str, arguments)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return status, captured.out.splitlines()


def test_a_published_totals_file_is_explained_column_by_column(tmp_path, environment, capsys):
    path = tmp_path / "gp-reg-pat-prac-all.csv"
    path.write_text(ALL_PERSONS, encoding="utf-8", newline="")
    status, out = explain(capsys, path)
    assert status == 0
    assert out == [
        f"{path}",
        "  feed: list_sizes (all 6 mandatory columns found; its rows are totals only "
        "(SEX and AGE = ALL), not ages)",
        "  read as: CSV, UTF-8",
        "  columns (file -> contract):",
        "    PUBLICATION -> publication",
        "    EXTRACT_DATE -> extract_date",
        "    TYPE -> type",
        "    CODE -> practice_code",
        "    POSTCODE -> postcode",
        "    SEX -> sex",
        "    AGE -> age",
        "    NUMBER_OF_PATIENTS -> patients",
        "  ignored: SUB_ICB_LOCATION_CODE, ONS_SUB_ICB_LOCATION_CODE",
        "  missing mandatory: none",
        "  missing optional: none",
        "nothing was loaded (--explain)",
    ]
    assert not environment.warehouse_path.exists()


def test_the_toml_map_encoding_and_conversion_are_shown(tmp_path, environment, capsys):
    lines = ["[feeds.apc_spells.columns]"] + [f'"{k}" = "{v}"' for k, v in SUS_MAP.items()]
    (tmp_path / "wholesystem.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = sus_file(tmp_path / "sus.csv")
    path.write_bytes(path.read_text(encoding="utf-8").replace("Ward 9", "Café").encode("cp1252"))
    status, out = explain(capsys, path)
    assert status == 0
    mapped = [f"    {local} -> {column}  (wholesystem.toml)" for local, column in SUS_MAP.items()]
    pairs = ", ".join(f"{local} -> {column}" for local, column in SUS_MAP.items())
    assert out == [
        f"{path}",
        "  feed: apc_spells (all 12 mandatory columns found)",
        "  read as: CSV, Windows-1252, converted to a UTF-8 copy for loading",
        "  columns (file -> contract):",
        *mapped,
        "  ignored: Ward",
        "  missing mandatory: none",
        "  missing optional: none",
        f"  note: columns mapped by wholesystem.toml: {pairs}",
        "  note: read as Windows-1252 text (not UTF-8) and converted to UTF-8",
        "nothing was loaded (--explain)",
    ]
    assert list(environment.temp_dir.glob("*")) == []  # the copy is removed
    assert not environment.warehouse_path.exists()


def test_a_file_matching_no_feed_is_shown_against_the_closest(tmp_path, environment, capsys):
    path = sus_file(tmp_path / "sus.csv")
    status, out = explain(capsys, "--feed", "apc_spells", path)
    assert status == 1
    header = SUS_HEADER.split(",")
    assert out == [
        f"{path}",
        f"  not loadable: {path}: looks like an apc_spells file but lacks the mandatory columns "
        "spell_id, person_id, gpprac, admidate, disdate, admimeth, classpat, startage, sex, "
        "diag_4_01, diag_4_concat, opertn_4_concat",
        "  against apc_spells (named with --feed):",
        "  columns (file -> contract):",
        f"  ignored: {', '.join(header)}",
        "  missing mandatory: spell_id, person_id, gpprac, admidate, disdate, admimeth, "
        "classpat, startage, sex, diag_4_01, diag_4_concat, opertn_4_concat",
        "  missing optional: procode3, admisorc, disdest, tretspef",
        "  map local names to its columns in wholesystem.toml under [feeds.apc_spells.columns]",
        "nothing was loaded (--explain)",
    ]


def test_a_named_feed_and_an_unreadable_file_in_one_run(tmp_path, environment, capsys):
    path = tmp_path / "gp-reg-pat-prac-all.csv"
    path.write_text(ALL_PERSONS, encoding="utf-8", newline="")
    binary = tmp_path / "noise.csv"
    binary.write_bytes(b"\x00\x01\x02\xff" * 100)
    status, out = explain(capsys, "--feed", "list_sizes", path, binary)
    assert status == 1
    assert out[1] == "  feed: list_sizes (named with --feed)"
    assert out[-3:] == [
        f"{binary}",
        f"  not loadable: {binary}: the file is binary, not a CSV or Parquet file",
        "nothing was loaded (--explain)",
    ]


def test_a_published_workbook_is_explained_from_its_sheet(tmp_path, environment, capsys):
    path = epcn_workbook(
        tmp_path / "ePCN.xlsx", [epcn_partner("A84005", "U11111", datetime(2019, 7, 1))]
    )
    status, out = explain(capsys, path)
    assert status == 0
    assert out[1].startswith("  feed: epcn (")
    assert out[2] == "  read as: workbook sheet 'PCN Core Partner Details', converted to a CSV " \
        "for loading"  # fmt: skip
    assert "    Partner Organisation Code -> practice_code" in out
    assert list(environment.temp_dir.glob("*")) == []


@pytest.mark.parametrize("feed", FEEDS, ids=lambda feed: feed.name)
def test_every_feed_is_explained_from_its_own_header(tmp_path, environment, capsys, feed):
    """Explain reads the Source, so every feed (HES, A&E, ODS, … as they are added) works."""
    header = [column.header_names[0] for column in feed.columns]
    totals = "P,01JAN2026,GP,A84005,,ALL,ALL,10\n" if feed.name == "list_sizes" else ""
    path = tmp_path / f"{feed.name}.csv"
    path.write_text(",".join(header) + "\n" + totals, encoding="utf-8")
    status, out = explain(capsys, path)
    assert (status, out[1].split(" (")[0]) == (0, f"  feed: {feed.name}")
    assert out[out.index("  columns (file -> contract):") + 1 :][: len(header)] == [
        f"    {name} -> {column.name}" for name, column in zip(header, feed.columns, strict=True)
    ]


def test_a_bad_column_map_is_one_line_and_exit_2(tmp_path, environment, capsys):
    (tmp_path / "wholesystem.toml").write_text(
        '[feeds.apc_spells.columns]\n"Adm Date" = "admission_date"\n', encoding="utf-8"
    )
    path = sus_file(tmp_path / "sus.csv")
    capsys.readouterr()
    assert main(["load", "--explain", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "wholesystem load: configuration file wholesystem.toml: "
        'feeds.apc_spells.columns."Adm Date" maps to '
        "'admission_date', which is not a column of "
        "apc_spells (its columns are spell_id, person_id, gpprac, procode3, admidate, disdate, "
        "admimeth, admisorc, disdest, classpat, startage, sex, diag_4_01, diag_4_concat, "
        "opertn_4_concat, tretspef)"
    ]
