"""`wholesystem targets import|export FILE.csv`: a round trip gives the same targets; a
bad file is refused with one sentence naming the file, line and value, and nothing is
written; `--by` records who set them; a row for a target in force replaces it."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from wholesystem import targets
from wholesystem.cli import main
from wholesystem.targets import TargetSpec
from wholesystem.targets_csv import CSV_COLUMNS

HEADER = "metric_id,org_code,valid_from,valid_to,value,lower,upper,trajectory,reason\n"
GOOD = (
    "dm_hba1c_control,E38000991,2025-04,2026-03,72.5,,,2025-04=61;2025-05=62.25,ICB plan\n"
    "cervical_screening_25_49,,,,,45,80,,QOF CS005\n"
    "bed_days,TBC,2025-01,,1100.125,,,,Locality plan\n"
)


@pytest.fixture
def settings(published_sample, tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(published_sample.serving_dir)
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(data_dir))
    from wholesystem.settings import load_settings

    return load_settings()


def write(tmp_path, text: str, name: str = "targets.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_then_export_round_trips(settings, tmp_path, capsys):
    assert main(["targets", "import", str(write(tmp_path, HEADER + GOOD)), "--by", "ann"]) == 0
    assert "imported 3 target(s)" in capsys.readouterr().out
    stored = targets.list_targets(settings)
    hba1c = next(t for t in stored if t.metric_id == "dm_hba1c_control")
    assert (hba1c.org_code, hba1c.value, hba1c.valid_from, hba1c.valid_to) == (
        "E38000991", 72.5, date(2025, 4, 1), date(2026, 3, 1)
    )  # fmt: skip
    assert hba1c.trajectory == {date(2025, 4, 1): 61.0, date(2025, 5, 1): 62.25}
    assert {t.set_by for t in stored} == {"ann"}
    exported = tmp_path / "out.csv"
    assert main(["targets", "export", str(exported)]) == 0
    rows = list(csv.DictReader(exported.open(encoding="utf-8")))
    assert tuple(rows[0]) == CSV_COLUMNS
    given = list(csv.DictReader((HEADER + GOOD).splitlines()))
    shown = [{key: row[key] for key in given[0]} for row in rows]
    assert sorted(shown, key=lambda r: r["metric_id"]) == sorted(
        given, key=lambda r: r["metric_id"]
    )


def test_importing_the_export_again_replaces_each_target_and_keeps_the_history(settings, tmp_path):
    main(["targets", "import", str(write(tmp_path, HEADER + GOOD)), "--by", "ann"])
    exported = tmp_path / "out.csv"
    main(["targets", "export", str(exported)])
    assert main(["targets", "import", str(exported), "--by", "bob"]) == 0
    assert len(targets.list_targets(settings)) == 3
    history = targets.list_targets(settings, in_force_only=False)
    assert len(history) == 6 and {t.ended_by for t in history if not t.in_force} == {"bob"}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("dm_hba1c_control,,,,abc,,,,plan", "line 3: value 'abc' is not a number"),
        ("no_such_metric,,,,5,,,,plan", "line 3: there is no indicator 'no_such_metric'"),
        ("dm_hba1c_control,ZZZ,,,5,,,,plan", "line 3: org code 'ZZZ' is not in the published"),
        ("dm_hba1c_control,,2025-13,,5,,,,plan", "line 3: valid_from '2025-13' is not a month"),
        ("dm_hba1c_control,,,,,80,40,,plan", "line 3: the lower threshold 80 is above"),
        ("dm_hba1c_control,,,,120,,,,plan", "line 3: value 120 is not a percentage"),
        ("dm_hba1c_control,,,,50,,,2025-04:61,plan", "line 3: trajectory entry '2025-04:61'"),
        ("prevalence_dm,,,,5,,,,plan", "line 3: indicator 'prevalence_dm' has no better"),
        ("dm_hba1c_control,,,,50,,,,", "line 3: a target needs a reason"),
        ("dm_hba1c_control,,,,50,,,,plan,x,y,z", "line 3: more cells than the header"),
        (
            "dm_hba1c_control,E38000991,2025-04,2026-03,50,,,,again",
            "line 3: the same indicator, org and months as line 2",
        ),
    ],
)
def test_a_bad_row_names_file_line_and_value_and_nothing_is_written(
    settings, tmp_path, capsys, line, message
):
    path = write(tmp_path, HEADER + GOOD.splitlines()[0] + "\n" + line + "\n")
    assert main(["targets", "import", str(path)]) == 2
    error = capsys.readouterr().err.strip()
    assert error == f"wholesystem targets: {path} {message}" or f"{path} {message}" in error
    assert len(error.splitlines()) == 1 and "Traceback" not in error
    assert targets.list_targets(settings, in_force_only=False) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("org_code,value\nX,5\n", "line 1: the header lacks metric_id, reason"),
        (HEADER.replace("reason", "reason,colour"), "line 1: unknown column(s) colour"),
        (HEADER, "has 0 targets"),
    ],
)
def test_a_bad_file_is_refused_in_one_sentence(settings, tmp_path, capsys, text, message):
    path = write(tmp_path, text)
    assert main(["targets", "import", str(path)]) == 2
    assert message in capsys.readouterr().err
    assert targets.list_targets(settings, in_force_only=False) == []


def test_a_missing_or_binary_file_is_one_sentence(settings, tmp_path, capsys):
    assert main(["targets", "import", str(tmp_path / "none.csv")]) == 2
    assert "none.csv" in capsys.readouterr().err
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\xff\xfe\x00bad")
    assert main(["targets", "import", str(path)]) == 2
    assert "is not UTF-8 text" in capsys.readouterr().err


def test_export_writes_only_the_targets_in_force(settings, tmp_path):
    kept = targets.add_target(settings, TargetSpec("bed_days", value=900, reason="plan"), "ann")
    gone = targets.add_target(
        settings, TargetSpec("bed_days", org_code="TBC", value=1, reason="x"), "ann"
    )
    targets.end_target(settings, gone.id, "ann")
    exported = tmp_path / "out.csv"
    assert main(["targets", "export", str(exported)]) == 0
    rows = list(csv.DictReader(exported.open(encoding="utf-8")))
    assert [(r["metric_id"], r["org_code"], r["value"], r["set_by"]) for r in rows] == [
        ("bed_days", "", "900", "ann")
    ]
    assert kept.in_force
