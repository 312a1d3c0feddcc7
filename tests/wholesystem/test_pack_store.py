"""The pack register: its columns added to a users file made before them, one read for
every snapshot's packs, and a pack found by its id or by what it is."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date

from wholesystem import pack_store
from wholesystem.settings import Settings

OCTOBER = date(2026, 10, 1)
# The packs table as the first release of the register made it: no scope, no inputs.
OLD_SCHEMA = """
CREATE TABLE packs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, version TEXT NOT NULL, area TEXT NOT NULL,
    board_date TEXT NOT NULL, format TEXT NOT NULL, file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL, created_by TEXT, created_at TEXT NOT NULL);
INSERT INTO packs (version, area, board_date, format, file_name, sha256, created_by, created_at)
VALUES ('snapshot-a', 'E38000992', '2026-10-01', 'pdf', 'old.pdf', 'x', 'jo', '2026-11-01');
"""


def _settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret_key="pack-store-test")


def _record(settings: Settings, version: str, area: str, scope: str, inputs: str = "i"):
    name = f"{version}-{area}-{scope}.html"
    pack_store.packs_dir(settings).mkdir(parents=True, exist_ok=True)
    (pack_store.packs_dir(settings) / name).write_text("pack")
    return pack_store.record_pack(
        settings, version=version, area=area, board_date=OCTOBER, format="html",
        file_name=name, sha256="s", created_by="jo", scope=scope, inputs=inputs,
    )  # fmt: skip


def test_an_old_users_file_gains_the_new_columns_and_keeps_its_packs(tmp_path):
    settings = _settings(tmp_path)
    settings.users_path.parent.mkdir(parents=True)
    with closing(sqlite3.connect(settings.users_path)) as connection:
        connection.executescript(OLD_SCHEMA)
    old = pack_store.list_packs(settings)  # read-only: the file is not changed by a read
    assert [(p.file_name, p.scope, p.inputs) for p in old] == [("old.pdf", None, None)]
    made = _record(settings, "snapshot-a", "E38000992", "area:E38000992")
    with closing(sqlite3.connect(settings.users_path)) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(packs)")]
    assert columns[-2:] == ["scope", "inputs"]
    assert [(p.id, p.scope) for p in pack_store.list_packs(settings)] == [
        (made.id, "area:E38000992"),
        (old[0].id, None),
    ]


def test_packs_are_read_once_grouped_by_version_and_found_by_id(tmp_path):
    settings = _settings(tmp_path)
    assert pack_store.packs_by_version(settings) == {}
    assert pack_store.get_pack(settings, 1) is None
    first = _record(settings, "snapshot-a", "E38000992", "whole system")
    second = _record(settings, "snapshot-b", "E38000991", "whole system")
    third = _record(settings, "snapshot-a", "ALL", "whole system")
    grouped = pack_store.packs_by_version(settings)
    assert {v: [p.id for p in packs] for v, packs in grouped.items()} == {
        "snapshot-a": [third.id, first.id],
        "snapshot-b": [second.id],
    }
    assert pack_store.get_pack(settings, second.id) == second
    assert pack_store.get_pack(settings, 999) is None


def test_a_pack_is_found_again_only_when_everything_is_the_same(tmp_path):
    settings = _settings(tmp_path)
    made = _record(settings, "snapshot-a", "E38000992", "area:E38000992", inputs="abc")
    same = {
        "version": "snapshot-a", "area": "E38000992", "board_date": OCTOBER, "format": "html",
        "scope": "area:E38000992", "inputs": "abc",
    }  # fmt: skip
    assert pack_store.find_pack(settings, **same) == made
    for name, other in [
        ("version", "snapshot-b"), ("area", "E38000991"), ("board_date", date(2026, 8, 1)),
        ("format", "pdf"), ("scope", "whole system"), ("inputs", "abd"),
    ]:  # fmt: skip
        assert pack_store.find_pack(settings, **(same | {name: other})) is None, name
    (pack_store.packs_dir(settings) / made.file_name).unlink()  # its file is gone
    assert pack_store.find_pack(settings, **same) is None
