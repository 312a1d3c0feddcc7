"""org_units names practices from the local hierarchy, falls back to the ODS name where the
hierarchy gives none, and carries each practice's ODS status and closing date."""

from __future__ import annotations

from datetime import date

from etl.load import load_files
from metrics.hierarchy import build_hierarchy
from metrics.workspace import open_workspace
from tests.etl.conftest import write_csv
from tests.etl.rows import org_row
from tests.etl.test_ods import epraccur_row, write_epraccur
from wholesystem.settings import Settings

MONTHS_SQL = (
    "CREATE TABLE months AS SELECT DATE '2026-03-01' AS month, DATE '2026-03-31' AS month_end"
)


def practice_units(settings: Settings) -> list[tuple]:
    with open_workspace(settings) as connection:
        connection.execute(MONTHS_SQL)
        build_hierarchy(connection)
        return connection.execute(
            """SELECT org_code, org_name, ods_status, closed_on FROM org_units
               WHERE level = 'practice' ORDER BY org_code"""
        ).fetchall()


def load(settings: Settings, *paths) -> None:
    results = load_files(list(paths), settings, report=lambda message: None)
    assert [result.outcome for result in results] == ["loaded"] * len(paths)


def test_practices_take_ods_status_and_closing_date_and_ods_names_fill_gaps(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    organisations = [
        org_row("A84005"), org_row("A84006", practice_name=""), org_row("A84007"),
        org_row("A84008", practice_name="Church Lane"),
    ]  # fmt: skip
    epraccur = [
        epraccur_row("A84005", "INACTIVE", closed="20260131"),
        epraccur_row("A84006", "A"),
        epraccur_row("A84008", "D", name="CHURCH LANE SURGERY"),
    ]
    load(
        settings,
        write_csv(tmp_path / "organisations.csv", organisations),
        write_epraccur(tmp_path / "epraccur.csv", epraccur),
    )
    assert practice_units(settings) == [
        ("A84005", "Practice A84005", "CLOSED", date(2026, 1, 31)),
        ("A84006", "THE A84006 SURGERY", "ACTIVE", None),
        ("A84007", "Practice A84007", None, None),
        ("A84008", "Church Lane", "DORMANT", None),
    ]


def test_a_warehouse_without_ods_practices_still_builds(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    load(settings, write_csv(tmp_path / "organisations.csv", [org_row("A84005")]))
    with open_workspace(settings) as connection:  # as a warehouse from before the feed
        connection.execute("DETACH wh")
        connection.execute(f"ATTACH '{settings.warehouse_path}' AS wh")
        connection.execute("DROP TABLE wh.ods_practices")
        connection.execute("DETACH wh")
    assert practice_units(settings) == [("A84005", "Practice A84005", None, None)]
