"""Fixtures for ETL tests: a fresh data directory, tiny feed files, and warehouse snapshots."""

from __future__ import annotations

import csv
import gzip
import os
from pathlib import Path

import duckdb
import pytest

from etl.load import load_files
from etl.schema import feed_tables
from wholesystem.settings import Settings

APC_HEADER = (  # noqa: SIM905 - one line of the real header, as a string
    "spell_id,person_id,gpprac,procode3,admidate,disdate,admimeth,admisorc,disdest,classpat,"
    "startage,sex,diag_4_01,diag_4_concat,opertn_4_concat,tretspef"
).split(",")


def apc_row(spell_id: str = "S1", **changes) -> dict[str, str]:
    """One valid emergency spell; keyword arguments change single fields."""
    row = dict(
        spell_id=spell_id, person_id=f"P{spell_id}", gpprac="A84005", procode3="RTD",
        admidate="2026-01-03", disdate="2026-01-06", admimeth="21", admisorc="19",
        disdest="19", classpat="1", startage="80", sex="1", diag_4_01="J44X",
        diag_4_concat="J44X,I10X", opertn_4_concat="", tretspef="300",
    )  # fmt: skip
    row.update(changes)
    return row


def apc_rows(count: int, start: int = 1) -> list[dict[str, str]]:
    """`count` valid spells with distinct keys S<start>…"""
    return [apc_row(f"S{number}") for number in range(start, start + count)]


def write_csv(path: Path, rows: list[dict], header: list[str] | None = None) -> Path:
    """Writes rows as a CSV (gzip when the name ends .gz); returns the path."""
    header = header or list(rows[0])
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh, empty data directory."""
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def environment(tmp_path, monkeypatch, settings):
    """For the command line: WHOLESYSTEM_DATA_DIR points at the test's data directory,
    nothing else is set, and no wholesystem.toml from the repository is read."""
    for name in [name for name in os.environ if name.startswith("WHOLESYSTEM_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(settings.data_dir))
    monkeypatch.chdir(tmp_path)
    return settings


@pytest.fixture
def load(settings):
    """Loads files into the test warehouse; returns the list of LoadResults."""

    def run(*paths: Path, feed: str | None = None):
        return load_files(list(paths), settings, feed, report=lambda message: None)

    return run


def table_rows(settings: Settings, table: str, order: str = "1") -> list[tuple]:
    """Every row of a warehouse table, ordered."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()


def data_snapshot(settings: Settings) -> dict[str, list[tuple]]:
    """The contents of every data table and the quarantine (not the load log)."""
    tables = [*feed_tables(), "quarantine"]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in tables
        }


def log_outcomes(settings: Settings) -> list[tuple]:
    """(outcome, feed) of every load attempt, in order."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute("SELECT outcome, feed FROM load_log ORDER BY load_id").fetchall()
