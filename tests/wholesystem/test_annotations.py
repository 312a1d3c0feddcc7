"""Change points on SPC charts (wholesystem.annotations) and `wholesystem annotations`.

They live in data/users.sqlite beside the users, are created on first use, and refuse bad
input with one sentence, writing nothing.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime

import pytest

from tests.dashboard.snapshots import build_snapshot
from wholesystem.annotations import (
    AnnotationError,
    add_annotation,
    annotations_frame,
    list_annotations,
    remove_annotation,
)
from wholesystem.cli import demo_change_points, main, record_demo_change_points
from wholesystem.settings import Settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def stored_rows(settings: Settings) -> int:
    if not settings.users_path.exists():
        return 0
    with sqlite3.connect(settings.users_path) as connection:
        return connection.execute("SELECT count(*) FROM annotations").fetchone()[0]


def test_an_annotation_is_stored_listed_and_removed(settings):
    assert list_annotations(settings) == [] and not settings.users_path.exists()
    added = add_annotation(
        settings, "bed_days", date(2025, 6, 1), "  New discharge   pathway ", author="ana"
    )
    other = add_annotation(
        settings, "emergency_admissions", date(2025, 1, 1), "Ward closed",
        recalculate=False, org_code="TBC",
    )  # fmt: skip
    assert (added.metric_id, added.org_code, added.month, added.label, added.recalculate) == (
        "bed_days", None, date(2025, 6, 1), "New discharge pathway", True,
    )  # fmt: skip
    assert added.author == "ana" and datetime.fromisoformat(added.created_at)
    assert list_annotations(settings) == [added, other]
    assert list_annotations(settings, "emergency_admissions") == [other]
    assert remove_annotation(settings, added.id) is True
    assert remove_annotation(settings, added.id) is False
    assert list_annotations(settings) == [other]


def test_publish_reads_the_annotations_of_defined_indicators_only(settings):
    add_annotation(settings, "bed_days", date(2025, 6, 1), "Step", org_code="TBC")
    add_annotation(settings, "emergency_admissions", date(2025, 1, 1), "Other")
    frame = annotations_frame(settings, ["bed_days"])
    assert frame.to_dict("records") == [
        {"metric_id": "bed_days", "org_code": "TBC", "month": date(2025, 6, 1),
         "label": "Step", "recalculate": True},
    ]  # fmt: skip
    assert list(annotations_frame(Settings(data_dir=settings.data_dir / "none"), ["x"])) == [
        "metric_id", "org_code", "month", "label", "recalculate",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("metric", "month", "label", "message"),
    [
        ("bed_dayz", date(2025, 6, 1), "A", "there is no indicator 'bed_dayz' in metrics/"),
        ("bed_days", date(2025, 6, 2), "A", "datetime.date(2025, 6, 2) is not a month"),
        ("bed_days", "2025-06", "A", "'2025-06' is not a month"),
        ("bed_days", date(2025, 6, 1), "   ", "an annotation needs a label saying what changed"),
        ("bed_days", date(2025, 6, 1), "x" * 201, "the label has 201 characters; at most 200"),
    ],
)
def test_bad_input_is_refused_in_one_sentence_and_nothing_is_written(
    settings, metric, month, label, message
):
    with pytest.raises(AnnotationError) as error:
        add_annotation(settings, metric, month, label)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)
    assert stored_rows(settings) == 0


def test_an_org_must_be_in_the_published_snapshot_once_there_is_one(tmp_path):
    settings = build_snapshot(tmp_path / "data")  # orgs SYSTEM, AR1, L1, L2, N1, N2, P1, P2
    with pytest.raises(AnnotationError, match="org code 'TBC' is not in the published snapshot"):
        add_annotation(settings, "bed_days", date(2025, 6, 1), "Step", org_code="TBC")
    assert add_annotation(settings, "bed_days", date(2025, 6, 1), "Step", org_code="L2").id == 1
    assert stored_rows(settings) == 1


# --- the command line -------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path, monkeypatch) -> Settings:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(tmp_path / "data"))
    return Settings(data_dir=tmp_path / "data")


def test_the_command_adds_lists_and_removes(cli, capsys):
    assert main(["annotations", "add", "bed_days", "--month", "2025-06",
                 "--label", "New pathway"]) == 0  # fmt: skip
    assert main(["annotations", "add", "emergency_admissions", "--month", "2025-01",
                 "--label", "Ward closed", "--org", "TBC", "--no-recalculate"]) == 0  # fmt: skip
    assert capsys.readouterr().out == (
        "added 1\tbed_days\t2025-06\tevery org\trecalculate\tNew pathway\n"
        "it takes effect at the next `wholesystem publish`\n"
        "added 2\temergency_admissions\t2025-01\tTBC\tsame limits\tWard closed\n"
        "it takes effect at the next `wholesystem publish`\n"
    )
    assert main(["annotations", "list", "--metric", "bed_days"]) == 0
    assert capsys.readouterr().out == "1\tbed_days\t2025-06\tevery org\trecalculate\tNew pathway\n"
    assert main(["annotations", "remove", "1"]) == 0
    assert capsys.readouterr().out == (
        "removed annotation 1; it takes effect at the next publish\n"
    )
    assert [a.id for a in list_annotations(cli)] == [2]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["add", "nope", "--month", "2025-06", "--label", "A"],
         "wholesystem annotations: there is no indicator 'nope' in metrics/definitions/\n"),
        (["add", "bed_days", "--month", "2025-06", "--label", " "],
         "wholesystem annotations: an annotation needs a label saying what changed\n"),
        (["remove", "7"],
         "wholesystem annotations: there is no annotation with id 7 (see `annotations list`)\n"),
    ],
)  # fmt: skip
def test_bad_command_input_gets_one_line_exit_2_and_writes_nothing(cli, capsys, arguments, message):
    assert main(["annotations", *arguments]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", message)
    assert stored_rows(cli) == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["add", "bed_days", "--month", "2025-13", "--label", "A"],
         "argument --month: '2025-13' is not a month like 2026-10"),
        (["remove", "first"], "argument id: 'first' is not an annotation id (see `list`)"),
    ],
)  # fmt: skip
def test_bad_command_arguments_are_refused_by_argparse(cli, capsys, arguments, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["annotations", *arguments])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error
    assert stored_rows(cli) == 0


def test_the_demo_replaces_its_own_change_points_and_keeps_the_analysts(settings):
    analysts = add_annotation(settings, "bed_days", date(2024, 3, 1), "New ward")
    record_demo_change_points(settings, date(2026, 10, 1))
    record_demo_change_points(settings, date(2026, 11, 1))  # a month later: window moves on
    demo = [a for a in list_annotations(settings) if a.author == "wholesystem demo"]
    assert len(demo) == len(demo_change_points(date(2026, 11, 1))) == 7 * 18
    # the step (window month 18 of 36) and the turn (month 24), each a month on
    assert {(a.month, a.recalculate) for a in demo} == {
        (date(2025, 6, 1), True), (date(2025, 12, 1), False),
    }  # fmt: skip
    assert analysts in list_annotations(settings)
