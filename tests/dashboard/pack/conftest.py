"""Board pack fixtures: a private copy of the published sample's snapshot (packs and new
snapshots are written beside it, never into the shared sample), and readers of a pack's
file and numbers."""

from __future__ import annotations

import json
import re
import shutil

import duckdb
import pytest

from dashboard import access
from metrics.serving import snapshot_path
from wholesystem import pack_store
from wholesystem.pack_store import PackRecord
from wholesystem.settings import Settings

HOLLINSDALE, TYNEBRIDGE = "E38000992", "E38000991"
NUMBERS = re.compile(r'<script type="application/json" id="pack-numbers">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def pack_settings(published_sample, tmp_path_factory) -> Settings:
    """A data directory of its own holding a copy of the sample's snapshot."""
    data_dir = tmp_path_factory.mktemp("pack") / "data"
    shutil.copytree(published_sample.serving_dir, data_dir / "serving")
    settings = Settings(data_dir=data_dir, secret_key="pack-test-secret")
    access.configure(settings)
    return settings


@pytest.fixture(autouse=True)
def configured(request):
    """Points `dashboard.access` at the module's data (other tests point it elsewhere)."""
    if "pack_settings" in request.fixturenames:
        access.configure(request.getfixturevalue("pack_settings"))


def pack_bytes(settings: Settings, record: PackRecord) -> bytes:
    return (pack_store.packs_dir(settings) / record.file_name).read_bytes()


def numbers_in(html_text: str) -> dict:
    """The pack's machine-readable numbers block."""
    return json.loads(NUMBERS.search(html_text).group(1))


def pack_numbers(settings: Settings, record: PackRecord) -> dict:
    return numbers_in(pack_bytes(settings, record).decode("utf-8"))


def copy_snapshot(settings: Settings, source: str, version: str, sql: str = "") -> str:
    """Writes a new kept snapshot `version`: a copy of `source` with `sql` run on it (its
    own version name recorded inside, as publish writes it)."""
    target = snapshot_path(settings, version)
    shutil.copyfile(snapshot_path(settings, source), target)
    with duckdb.connect(str(target)) as connection:
        connection.execute("UPDATE snapshot_info SET version = ?", [version])
        if sql:
            connection.execute(sql)
    return version
