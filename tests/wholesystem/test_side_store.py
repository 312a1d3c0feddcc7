"""Reads of the side store: read-only, never making the file or a table, and empty where
nothing has been written yet."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from wholesystem import release_store, side_store
from wholesystem.settings import Settings

SCHEMA = "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def tables(settings: Settings) -> set[str]:
    with closing(sqlite3.connect(settings.users_path)) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}


def test_reading_before_the_file_exists_is_empty_and_makes_no_file(settings):
    assert side_store.read(settings, "SELECT * FROM notes") == []
    assert not settings.users_path.exists()
    assert not settings.users_path.parent.exists()


def test_reading_a_table_not_made_yet_is_empty_and_runs_no_ddl(settings):
    with closing(side_store.connect(settings, "CREATE TABLE other (id INTEGER);")):
        pass
    assert side_store.read(settings, "SELECT * FROM notes WHERE id = ?", (1,)) == []
    assert release_store.latest_releases(settings) == {}
    assert tables(settings) == {"other"}  # neither notes nor snapshot_releases was made


def test_reading_returns_rows_by_name(settings):
    with closing(side_store.connect(settings, SCHEMA)) as connection, connection:
        connection.executemany("INSERT INTO notes (text) VALUES (?)", [("one",), ("two",)])
    rows = side_store.read(settings, "SELECT id, text FROM notes WHERE id > ?", (1,))
    assert [(row["id"], row["text"]) for row in rows] == [(2, "two")]


def test_a_read_connection_cannot_write(settings):
    with closing(side_store.connect(settings, SCHEMA)):
        pass
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        side_store.read(settings, "INSERT INTO notes (text) VALUES ('x') RETURNING id")
    assert side_store.read(settings, "SELECT * FROM notes") == []


def test_other_errors_are_not_hidden(settings):
    with closing(side_store.connect(settings, SCHEMA)):
        pass
    with pytest.raises(sqlite3.OperationalError, match="no such column"):
        side_store.read(settings, "SELECT missing FROM notes")


def test_the_file_is_in_wal_mode_and_still_read_only_to_readers(settings):
    with closing(side_store.connect(settings, SCHEMA)) as connection, connection:
        connection.execute("INSERT INTO notes (text) VALUES ('one')")
    with closing(sqlite3.connect(settings.users_path)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [row["text"] for row in side_store.read(settings, "SELECT text FROM notes")] == ["one"]
