"""`wholesystem pack`: a board pack from the command line, on a copy of the published
sample; bad input is one sentence, a non-zero exit, and nothing written."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.dashboard.pack.conftest import HOLLINSDALE, numbers_in, pack_numbers
from wholesystem import pack_store
from wholesystem.cli import main
from wholesystem.settings import Settings


@pytest.fixture(scope="module")
def data_dir(published_sample, tmp_path_factory):
    data = tmp_path_factory.mktemp("cli-pack") / "data"
    shutil.copytree(published_sample.serving_dir, data / "serving")
    return data


@pytest.fixture
def settings(data_dir, monkeypatch) -> Settings:
    for variable in [name for name in os.environ if name.startswith("WHOLESYSTEM_")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(data_dir))
    return Settings(data_dir=data_dir)


def test_pack_writes_the_pack_and_registers_it(settings, tmp_path, capsys):
    out = tmp_path / "october.html"
    arguments = ["pack", "--area", HOLLINSDALE, "--date", "2026-10-01", "--format", "html"]
    assert main([*arguments, "--out", str(out)]) == 0
    record = pack_store.list_packs(settings)[0]
    assert (record.area, record.format, str(record.board_date)) == (
        HOLLINSDALE,
        "html",
        "2026-10-01",
    )
    assert numbers_in(out.read_text()) == pack_numbers(settings, record)
    printed = capsys.readouterr().out
    assert printed == (
        f"board pack {record.id}: {HOLLINSDALE}, October 2026, from {record.version} -> {out}\n"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--area", "NOWHERE", "--date", "2026-10-01"], "there is no area 'NOWHERE' in snapshot"),
        (["--area", HOLLINSDALE, "--date", "2030-01-01"], "holds no month January 2030"),
        (["--area", HOLLINSDALE, "--date", "2026-10-01", "--version", "snapshot-x"],
         "there is no kept snapshot 'snapshot-x'"),
        (["--area", HOLLINSDALE, "--date", "2026-10-01", "--out", "/no/such/folder/p.pdf"],
         "the folder /no/such/folder does not exist"),
    ],
)  # fmt: skip
def test_bad_input_is_one_sentence_and_writes_nothing(settings, extra, message, capsys):
    before = pack_store.list_packs(settings)
    assert main(["pack", *extra]) == 2
    error = capsys.readouterr().err
    assert error.startswith("wholesystem pack: ") and message in error
    assert error.count("\n") == 1 and "Traceback" not in error
    assert pack_store.list_packs(settings) == before


def test_a_date_that_is_not_a_date_is_refused_by_the_parser(settings, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["pack", "--area", HOLLINSDALE, "--date", "October"])
    assert stopped.value.code == 2
    assert "'October' is not a date like 2026-10-01" in capsys.readouterr().err
