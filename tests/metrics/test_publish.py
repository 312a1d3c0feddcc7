"""`wholesystem publish`: a new snapshot file, an atomic pointer, the last three kept, and a
failed publish that changes nothing."""

from __future__ import annotations

import hashlib
import re
from datetime import date

import duckdb
import pytest

from metrics.building import LAST_PUBLISH
from metrics.serving import POINTER, current_version, open_current, publish_lock
from tests.metrics.markers import PUBLISH_STAGES, fail
from tests.metrics.published_system import add_deaths
from wholesystem.annotations import add_annotation, list_annotations
from wholesystem.cli import main

VERSION = r"snapshot-\d{8}T\d{12}Z"


def serving_files(system) -> list[str]:
    """Every file in data/serving/ but the publish and pointer locks and the record of the
    last publish, hidden ones (a partial snapshot) and the building marker included."""
    locks = (".publish.lock", ".pointer.lock", LAST_PUBLISH)
    return sorted(
        path.name for path in system.settings.serving_dir.iterdir() if path.name not in locks
    )


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_publish_writes_a_snapshot_and_points_to_it(system):
    add_deaths(system)
    result = system.publish()
    assert re.fullmatch(VERSION, result.version)
    assert result.path == system.settings.serving_dir / f"{result.version}.duckdb"
    assert serving_files(system) == [POINTER, result.path.name]
    pointer = system.settings.serving_dir / POINTER
    assert pointer.read_text(encoding="utf-8") == result.version + "\n"
    with duckdb.connect(str(result.path), read_only=True) as snapshot:
        assert snapshot.execute("SELECT version FROM snapshot_info").fetchall() == [
            (result.version,)
        ]
        assert snapshot.execute("SELECT count(*) FROM indicator_values").fetchone() == (
            result.rows,
        )
        assert snapshot.execute("SELECT count(*) FROM spc_summary").fetchone() == (result.series,)
    assert list(system.settings.temp_dir.iterdir()) == []  # the workspace is gone
    connection, version = open_current(system.settings)
    connection.close()
    assert version == result.version


def test_publish_four_times_keeps_the_newest_three(system):
    results = [system.publish() for _ in range(4)]
    versions = [result.version for result in results]
    assert versions == sorted(versions) and len(set(versions)) == 4
    assert serving_files(system) == [POINTER] + [f"{version}.duckdb" for version in versions[1:]]
    assert current_version(system.settings) == versions[-1]
    assert [result.removed for result in results] == [[], [], [], [versions[0]]]


def test_the_command_publishes_and_reports_what_it_removed(system, monkeypatch, capsys):
    system.load()
    monkeypatch.chdir(system.root)
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(system.settings.data_dir))
    monkeypatch.setenv("WHOLESYSTEM_SNAPSHOTS_KEPT", "1")
    capsys.readouterr()  # the load's progress
    assert main(["publish"]) == 0
    first = current_version(system.settings)
    assert re.fullmatch(
        rf"published {first}: [\d,]+ values \([\d,]+ suppressed\), [\d,]+ SPC series in "
        rf"[\d.]+ s -> {re.escape(str(system.settings.serving_dir / first))}\.duckdb\n",
        capsys.readouterr().out,
    )
    assert main(["publish"]) == 0
    assert capsys.readouterr().out.endswith(f"removed older snapshots: {first}\n")
    assert serving_files(system) == [POINTER, f"{current_version(system.settings)}.duckdb"]


def test_publish_without_a_warehouse_gets_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(tmp_path / "data"))
    assert main(["publish"]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"wholesystem publish: no warehouse at {tmp_path / 'data' / 'warehouse.duckdb'}; "
        "load some files first\n"
    )
    assert not (tmp_path / "data" / "serving" / POINTER).exists()


# compute: before anything is written; segments_frame: with the new snapshot half-written.
@pytest.mark.parametrize("failing", ["compute_on_engine", "segments_frame"])
def test_a_failed_publish_changes_nothing(system, monkeypatch, failing):
    add_deaths(system)
    before = system.publish()
    files, contents = serving_files(system), digest(before.path)
    monkeypatch.setattr(f"metrics.publish.{failing}", fail)
    with pytest.raises(RuntimeError, match="simulated failure"):
        system.publish()
    assert serving_files(system) == files  # no partial file left behind
    assert current_version(system.settings) == before.version
    assert digest(before.path) == contents
    assert list(system.settings.temp_dir.iterdir()) == []


def test_a_failed_first_publish_leaves_no_pointer(system, monkeypatch):
    monkeypatch.setattr("metrics.publish.segments_frame", fail)
    with pytest.raises(RuntimeError):
        system.publish()
    assert serving_files(system) == []
    assert current_version(system.settings) is None


def test_a_second_publish_while_one_runs_is_refused(system, capsys, monkeypatch):
    monkeypatch.chdir(system.root)
    system.load()
    with publish_lock(system.settings):
        assert main(["publish"]) == 2
    assert capsys.readouterr().err == (
        "wholesystem publish: another publish is running; try again when it has finished\n"
    )


def test_an_incremental_publish_on_spark_is_refused_before_anything_is_written(
    system, capsys, monkeypatch
):
    monkeypatch.chdir(system.root)
    system.load()
    monkeypatch.setenv("WHOLESYSTEM_ENGINE", "spark")
    monkeypatch.setenv("WHOLESYSTEM_SPARK_WAREHOUSE", "lake")
    assert main(["publish", "--incremental"]) == 2
    assert capsys.readouterr().err == (
        "wholesystem publish: an incremental publish runs on the DuckDB engine only: publish "
        "without --incremental, or with WHOLESYSTEM_ENGINE=duckdb\n"
    )
    serving = system.settings.serving_dir
    assert not serving.exists() or list(serving.iterdir()) == []  # no marker, no LAST_PUBLISH


def test_leftovers_of_a_killed_publish_are_removed_by_the_next(system):
    system.load()
    system.settings.serving_dir.mkdir(parents=True)
    partial = system.settings.serving_dir / ".snapshot-20260101T000000000000Z.partial"
    partial.write_text("half a snapshot")
    system.publish()
    assert not partial.exists()


def test_supplied_values_without_a_definition_are_named(system):
    system.add("aggregate_indicators", indicator="gpps_overall_experience", org_code="A00001")
    system.add("aggregate_indicators", indicator="local_made_up_measure", org_code="A00001")
    result = system.publish()
    assert result.notes == [
        "aggregate_indicators: 1 row(s) of local_made_up_measure not published, as no "
        "definition in metrics/definitions/ has that id"
    ]


def test_each_row_says_whether_its_parent_and_system_rows_are_suppressed(system):
    # The dashboard hides parent_value and system_value by these flags.
    add_deaths(system)
    result = system.publish()
    with duckdb.connect(str(result.path), read_only=True) as snapshot:
        wrong = snapshot.execute(
            """SELECT count(*) FILTER (v.parent_suppressed IS DISTINCT FROM
                                       coalesce(p.suppressed, false)),
                      count(*) FILTER (v.system_suppressed IS DISTINCT FROM s.suppressed),
                      count(*) FILTER (p.suppressed), count(*) FILTER (s.suppressed)
               FROM indicator_values v
               LEFT JOIN indicator_values p
                 ON (p.metric_id, p.period_type, p.period_start, p.segment, p.org_code)
                  = (v.metric_id, v.period_type, v.period_start, v.segment, v.parent_code)
               JOIN indicator_values s
                 ON (s.metric_id, s.period_type, s.period_start, s.segment, s.level)
                  = (v.metric_id, v.period_type, v.period_start, v.segment, 'system')"""
        ).fetchone()
    assert wrong[:2] == (0, 0)
    assert wrong[2] > 0 and wrong[3] > 0  # the fixture has suppressed parents to check


def test_the_command_prints_each_stage_with_its_time_and_a_summary(system, monkeypatch, capsys):
    add_deaths(system)
    system.load()
    monkeypatch.chdir(system.root)
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(system.settings.data_dir))
    capsys.readouterr()
    assert main(["publish"]) == 0
    captured = capsys.readouterr()
    stages = re.findall(r"^publish: (.+?) +(\d+\.\d) s$", captured.err, re.MULTILINE)
    names = [name for name, _ in stages]
    assert [name for name in PUBLISH_STAGES if name not in names] == []
    assert names.index("disclosure control") < names.index("SPC charts")  # no SPC leak
    assert names.index("disclosure control") < names.index("peer groups")  # peers see *
    # The first line names the snapshot being built; then only stage lines.
    version = current_version(system.settings)
    first, *rest = captured.err.splitlines()
    assert first == f"publish: building {version} (released when done)"
    assert names[-1] == "peer groups" and len(names) == len(rest)
    with duckdb.connect(str(open_current_path(system)), read_only=True) as snapshot:
        rows, suppressed = snapshot.execute(
            "SELECT count(*), count(*) FILTER (suppressed) FROM indicator_values"
        ).fetchone()
        series = snapshot.execute("SELECT count(*) FROM spc_summary").fetchone()[0]
    assert suppressed > 0
    assert captured.out.startswith(
        f"published {current_version(system.settings)}: {rows:,} values ({suppressed:,} "
        f"suppressed), {series:,} SPC series in "
    )


def test_the_library_publish_prints_nothing(system, capsys):
    add_deaths(system)
    system.load()
    capsys.readouterr()
    system.publish()
    assert capsys.readouterr() == ("", "")


def open_current_path(system):
    version = current_version(system.settings)
    return system.settings.serving_dir / f"{version}.duckdb"


def test_change_points_survive_publishes_and_rebase_the_charts(system):
    add_deaths(system)
    system.load()
    add_annotation(system.settings, "nel_last_100_days", date(2026, 2, 1), "New hospice team")
    add_annotation(
        system.settings, "nel_last_100_days", date(2026, 3, 1), "Marker only",
        recalculate=False, org_code="A00001",
    )  # fmt: skip
    for _ in range(2):
        result = system.publish()
    assert len(list_annotations(system.settings)) == 2
    with duckdb.connect(str(result.path), read_only=True) as snapshot:
        written = snapshot.execute(
            "SELECT metric_id, org_code, month, label, recalculate FROM spc_annotations "
            "ORDER BY month"
        ).fetchall()
        # Phase 1 from February in every series that began before it (phase 0 is a
        # series' first phase, so one that begins in February has only phase 0).
        phases = snapshot.execute(
            """SELECT count(*) FILTER (phase = 1), count(*) FILTER (phase <> expected)
               FROM (SELECT phase, (period_start >= DATE '2026-02-01' AND min(period_start)
                       OVER (PARTITION BY level, org_code, segment) < DATE '2026-02-01')::INT
                       AS expected
                     FROM spc_points WHERE metric_id = 'nel_last_100_days')"""
        ).fetchone()
        others = snapshot.execute(
            "SELECT max(phase) FROM spc_points WHERE metric_id <> 'nel_last_100_days'"
        ).fetchone()[0]
    assert written == [
        ("nel_last_100_days", None, date(2026, 2, 1), "New hospice team", True),
        ("nel_last_100_days", "A00001", date(2026, 3, 1), "Marker only", False),
    ]
    assert phases[0] > 0 and phases[1] == 0
    assert others == 0
