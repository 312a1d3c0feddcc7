"""`wholesystem release VERSION` and `wholesystem snapshots`: the kept snapshots as a table,
a release that moves the pointer and records who made it, and bad arguments refused with
one sentence, exit 2 and nothing changed."""

from __future__ import annotations

import re

import pytest

from metrics import serving
from tests.dashboard.drafts import add_draft
from tests.dashboard.snapshots import build_snapshot
from wholesystem import release_store
from wholesystem.cli import main

RELEASED, DRAFT = "snapshot-20261101T000000000000Z", "snapshot-20261201T120000000000Z"


@pytest.fixture
def settings(tmp_path, monkeypatch):
    settings = build_snapshot(tmp_path / "data", RELEASED)
    add_draft(settings, RELEASED, DRAFT)
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(settings.data_dir))
    monkeypatch.setattr("wholesystem.cli._login_name", lambda: "rel-eng")
    return settings


def test_snapshots_lists_each_kept_snapshot_newest_first(settings, capsys):
    assert main(["snapshots"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["version", DRAFT, RELEASED]
    cells = re.split(r"\s{2,}", lines[1])
    assert cells == [DRAFT, "2026-12-01 12:00", "unknown", "DRAFT (not released)", "0"]
    # The hand-built snapshot predates drafts: released, with no time or months recorded.
    assert "released unknown (current)" in lines[2]


def test_release_moves_the_pointer_and_records_the_user(settings, capsys):
    assert main(["release", DRAFT]) == 0
    assert capsys.readouterr().out == (
        f"released {DRAFT} (published 2026-12-01 12:00 UTC); viewers see it from their next page\n"
    )
    assert serving.current_version(settings) == DRAFT
    assert release_store.latest_releases(settings)[DRAFT].released_by == "rel-eng"
    assert main(["snapshots"]) == 0
    table = capsys.readouterr().out
    assert "by rel-eng (current)" in table and "DRAFT" not in table


def test_releasing_a_snapshot_without_a_recorded_time_says_unknown(settings, capsys):
    main(["release", DRAFT])
    capsys.readouterr()
    assert main(["release", RELEASED]) == 0  # rolling back to one published before times
    assert capsys.readouterr().out == (
        f"released {RELEASED} (published unknown); viewers see it from their next page\n"
    )
    assert serving.current_version(settings) == RELEASED


@pytest.mark.parametrize(
    "version", ["snapshot-20200101T000000000000Z", "latest", "../serving/CURRENT", ""]
)
def test_releasing_what_is_not_kept_is_one_sentence_and_changes_nothing(settings, capsys, version):
    assert main(["release", version]) == 2
    error = capsys.readouterr().err
    assert error == (
        f"wholesystem release: there is no kept snapshot {version!r} in {settings.serving_dir}; "
        "`wholesystem snapshots` lists them\n"
    )
    assert serving.current_version(settings) == RELEASED
    assert release_store.latest_releases(settings) == {}


def test_release_without_a_version_is_refused_by_argparse(settings, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["release"])
    assert exit_info.value.code == 2
    assert "the following arguments are required: version" in capsys.readouterr().err
    assert serving.current_version(settings) == RELEASED


def test_snapshots_with_nothing_published_is_one_sentence(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(tmp_path / "data"))
    assert main(["snapshots"]) == 2
    assert capsys.readouterr().err == (
        f"wholesystem snapshots: no snapshots in {tmp_path / 'data' / 'serving'}; "
        "run `wholesystem publish`\n"
    )
