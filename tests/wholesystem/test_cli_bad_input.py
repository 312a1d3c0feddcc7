"""Bad input to every subcommand and every setting: one sentence on stderr, a non-zero exit,
never a traceback (issue 12's probe found 9 of 118 such cases ending in one).

Each case runs `main()` in-process on a copy of a small world: a hand-built serving snapshot,
a users database and input files of every kind a load must refuse. A few cases also run as
real processes, where a traceback would reach the terminal.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

from tests.dashboard.snapshots import build_snapshot
from tests.etl.conftest import apc_rows, write_csv
from wholesystem.cli import main

SNAPSHOT = "snapshot-20261101T000000000000Z"
GARBAGE = bytes(range(256)) * 40


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The world each case copies: data/ (published snapshot, users) and in/ (input files)."""
    root = tmp_path_factory.mktemp("world")
    build_snapshot(root / "data", SNAPSHOT)
    with duckdb.connect(str(root / "data" / "serving" / f"{SNAPSHOT}.duckdb")) as snapshot:
        snapshot.execute("CREATE TABLE segments AS SELECT 'all' AS segment")  # for export
    files = root / "in"
    files.mkdir()
    good = write_csv(files / "apc.csv", apc_rows(3))
    (files / "empty.csv").write_bytes(b"")
    (files / "binary.csv").write_bytes(b"\x00\x01" + GARBAGE)
    (files / "named.csv").write_bytes(gzip.compress(good.read_bytes()))
    (files / "plain.csv.gz").write_bytes(good.read_bytes())
    (files / "csv.parquet").write_bytes(good.read_bytes())
    (files / "csv.xlsx").write_bytes(good.read_bytes())
    duckdb.execute(f"COPY (FROM read_csv('{good}')) TO '{files / 'parquet.csv'}' (FORMAT parquet)")
    (files / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with zipfile.ZipFile(files / "archive.zip", "w") as archive:
        archive.writestr("inside.csv", good.read_text())
    (files / "cut.csv.gz").write_bytes(gzip.compress(good.read_bytes() * 50)[:60])
    (files / "header.csv").write_text(good.read_text().splitlines()[0] + "\n")
    (files / "unknown.csv").write_text("colour,shape\nred,round\n")
    (files / "semicolons.csv").write_text("a;b;c\n1;2;3\n")
    (files / "folder").mkdir()
    return root


@pytest.fixture
def world(template, tmp_path, monkeypatch) -> Path:
    """A fresh copy of the world, named by the environment, with no server ever started."""
    root = tmp_path / "w"
    shutil.copytree(template, root)
    monkeypatch.chdir(root)
    for variable in [name for name in os.environ if name.startswith("WHOLESYSTEM_")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(root / "data"))
    monkeypatch.setattr("wholesystem.cli.run_server", _no_server)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    return root


def _no_server(*_):
    raise AssertionError("a bad invocation started the server")


def _write(path: str, content: bytes):
    def change(root: Path) -> None:
        target = root / path
        if target.is_dir():
            shutil.rmtree(target)
        target.write_bytes(content)

    return change


def _directory(path: str):
    def change(root: Path) -> None:
        (root / path).unlink()
        (root / path).mkdir()

    return change


def _remove(path: str):
    return lambda root: shutil.rmtree(root / path)


def _users(root: Path) -> None:
    assert main(["users", "add", "ann", "--role", "admin"]) == 0


SETUPS = {
    "corrupt users": _write("data/users.sqlite", GARBAGE),
    "users is a folder": lambda root: (root / "data" / "users.sqlite").mkdir(),
    "corrupt warehouse": _write("data/warehouse.duckdb", GARBAGE),
    "warehouse is a folder": lambda root: (root / "data" / "warehouse.duckdb").mkdir(),
    "corrupt snapshot": _write(f"data/serving/{SNAPSHOT}.duckdb", GARBAGE),
    "snapshot is a folder": _directory(f"data/serving/{SNAPSHOT}.duckdb"),
    "pointer outside": _write("data/serving/CURRENT", b"../../../../etc/passwd\n"),
    "pointer absolute": _write("data/serving/CURRENT", b"/etc/passwd\n"),
    "pointer binary": _write("data/serving/CURRENT", b"\xff\xfe\x00garbage"),
    "pointer to nothing": _write("data/serving/CURRENT", b"snapshot-20991231T000000000000Z\n"),
    "nothing published": _remove("data/serving"),
    "a user": _users,
    "toml broken": _write("wholesystem.toml", b"snapshots_kept = \n"),
    "toml unknown key": _write("wholesystem.toml", b"snapshot_kept = 3\n"),
    "toml bad value": _write("wholesystem.toml", b"etl_threads = -4\n"),
    "toml bad feed": _write("wholesystem.toml", b"[feeds.nope.columns]\na = 'b'\n"),
    "toml not utf8": _write("wholesystem.toml", b"data_dir = '\xff'\n"),
    "empty warehouse": lambda root: duckdb.connect(str(root / "data" / "warehouse.duckdb")).close(),
}

EXPORT = ["export", "--metric", "m1", "--level", "practice"]
# (argv, setup or None, environment, a fragment the one line must hold)
CASES = [
    # No command, or an unknown one.
    ([], None, {}, "the following arguments are required: command"),
    (["bogus"], None, {}, "invalid choice: 'bogus'"),
    (["--nope"], None, {}, "the following arguments are required: command"),
    (["status", "--nope"], None, {}, "unrecognized arguments: --nope"),
    # sample
    (["sample", "--bogus"], None, {}, "unrecognized arguments: --bogus"),
    *[
        (["sample", "--out", "s", f"--scale={scale}"], None, {}, f"'{scale}' is not a scale")
        for scale in ("-1", "0", "inf", "-inf", "nan", "1e308", "abc", "", "501", "0x10")
    ],
    *[
        (["sample", "--out", "s", f"--months={months}"], None, {}, "is not a number of months")
        for months in ("0", "-3", "1.5", "abc", "100000", "241")
    ],
    *[
        (["sample", "--out", "s", f"--seed={seed}"], None, {}, "is not a seed")
        for seed in ("-1", "abc", "1.5", "")
    ],
    *[
        (["sample", "--out", "s", f"--end-month={month}"], None, {}, "is not a month like 2026-10")
        for month in ("2026-13", "2026", "abc", "2026-00", "0-01", "2026-1-1", "99999-01", "")
    ],
    *[
        (["sample", "--out", "s", "--feeds", feeds], None, {}, "unknown feed(s)")
        for feeds in ("apc", ",", "deaths,nope", "DEATHS")
    ],
    (["sample", "--out", "in/apc.csv"], None, {}, "--out in/apc.csv is a file"),
    (["sample", "--out", "in/apc.csv/sub", "--feeds", "deaths"], None, {}, "cannot write"),
    (["sample", "--out", "/proc/wholesystem-nope", "--feeds", "deaths"], None, {}, "cannot write"),
    (["sample", "--out", "/dev/null"], None, {}, "--out /dev/null is a file"),
    # load: files it must refuse (one "rejected:" line each), and bad arguments
    (["load"], None, {}, "the following arguments are required: files"),
    (["load", "in/apc.csv", "--feed", "nope"], None, {}, "--feed nope is not a feed"),
    (["load", "in/missing.csv"], None, {}, "in/missing.csv: no such file"),
    (["load", "in/folder"], None, {}, "is a directory"),
    (["load", "/dev/null"], None, {}, "/dev/null: not a regular file"),
    (["load", "in/empty.csv"], None, {}, "the file is empty"),
    (["load", "in/binary.csv"], None, {}, "the file is binary"),
    (["load", "in/named.csv"], None, {}, "the content is a gzip-compressed file"),
    (["load", "in/plain.csv.gz"], None, {}, "the name (.gz) says a gzip-compressed file"),
    (["load", "in/csv.parquet"], None, {}, "the name (.parquet) says a Parquet file"),
    (["load", "in/csv.xlsx"], None, {}, "the name (.xlsx) says an Excel workbook"),
    (["load", "in/parquet.csv"], None, {}, "the content is a Parquet file"),
    (["load", "in/old.xls"], None, {}, "is an Excel 97-2003 workbook"),
    (["load", "in/archive.zip"], None, {}, "is a zip archive, not a data file"),
    (["load", "in/cut.csv.gz"], None, {}, "in/cut.csv.gz"),
    (["load", "in/header.csv"], None, {}, "in/header.csv"),
    (["load", "in/unknown.csv"], None, {}, "unknown feed"),
    (["load", "in/semicolons.csv"], None, {}, "separated by semicolons"),
    (["load", "in/apc.csv"], "corrupt warehouse", {}, "is not a valid DuckDB database file"),
    (["load", "in/apc.csv"], "warehouse is a folder", {}, "warehouse"),
    (["load", "--explain"], None, {}, "the following arguments are required: files"),
    # status
    (["status"], "corrupt warehouse", {}, "is not a valid DuckDB database file"),
    (["status", "--json"], None, {}, "no warehouse at"),
    (["status"], "warehouse is a folder", {}, "warehouse"),
    # publish
    (["publish"], None, {}, "no warehouse at"),
    (["publish"], "corrupt warehouse", {}, "is not a valid DuckDB database file"),
    (["publish", "--now"], None, {}, "unrecognized arguments: --now"),
    # export
    (["export"], None, {}, "the following arguments are required: --metric, --level"),
    (["export", "--metric", "m1"], None, {}, "the following arguments are required: --level"),
    (["export", "--metric", "m1", "--level", "ward"], None, {}, "ward"),
    ([*EXPORT, "--period-type", "decade"], None, {}, "decade"),
    ([*EXPORT, "--segment", "age_band:0-200"], None, {}, "age_band:0-200"),
    ([*EXPORT, "--segment", "nonsense"], None, {}, "nonsense"),
    (["export", "--metric", "nope", "--level", "practice"], None, {}, "nope"),
    ([*EXPORT, "--org", "ZZZ"], None, {}, "ZZZ"),
    (EXPORT, "nothing published", {}, "no published snapshot"),
    (EXPORT, "corrupt snapshot", {}, "the serving snapshot"),
    (EXPORT, "snapshot is a folder", {}, "the serving snapshot"),
    (EXPORT, "pointer outside", {}, "does not name a snapshot in"),
    (EXPORT, "pointer absolute", {}, "does not name a snapshot in"),
    (EXPORT, "pointer binary", {}, "the snapshot pointer"),
    (EXPORT, "pointer to nothing", {}, "no published snapshot"),
    # serve
    *[
        (["serve", f"--port={port}"], None, {}, "is not a port number")
        for port in ("0", "70000", "abc", "-1", "")
    ],
    (["serve"], "nothing published", {}, "nothing is published"),
    (["serve", "--host", "0.0.0.0"], None, {}, "WHOLESYSTEM_SECRET_KEY is not set"),
    (["serve"], "pointer outside", {}, "does not name a snapshot in"),
    (["serve"], "corrupt users", {}, "the users database"),
    # users
    (["users"], None, {}, "the following arguments are required: users_command"),
    (["users", "add", "bob"], None, {}, "the following arguments are required: --role"),
    (["users", "add", "bob", "--role", "king"], None, {}, "king"),
    (["users", "add", "", "--role", "admin"], None, {}, "name"),
    (["users", "add", "bob", "--role", "admin", "--scope", "nope"], None, {}, "nope"),
    (["users", "add", "bob", "--role", "admin", "--password-stdin"], None, {}, "password"),
    (["users", "add", "ann", "--role", "admin"], "a user", {}, "ann"),
    (["users", "set-password", "nobody"], None, {}, "there is no user named 'nobody'"),
    (["users", "set-password", "ann", "--password-stdin"], "a user", {}, "password"),
    (["users", "list"], "corrupt users", {}, "the users database"),
    (["users", "add", "bob", "--role", "admin"], "corrupt users", {}, "the users database"),
    (["users", "list"], "users is a folder", {}, "the users database"),
    # annotations
    (["annotations"], None, {}, "the following arguments are required: annotations_command"),
    (["annotations", "add", "bed_days", "--label", "x"], None, {}, "required: --month"),
    (["annotations", "add", "bed_days", "--month", "2025-13", "--label", "x"], None, {}, "month"),
    (["annotations", "add", "nope", "--month", "2025-06", "--label", "x"], None, {}, "nope"),
    (["annotations", "remove", "x"], None, {}, "'x' is not an annotation id"),
    (["annotations", "remove", "999"], None, {}, "there is no annotation with id 999"),
    (["annotations", "list"], "corrupt users", {}, "the users database"),
    (["annotations", "remove", "1"], "corrupt users", {}, "the users database"),
    # release and snapshots (embargo)
    (["release"], None, {}, "the following arguments are required: version"),
    (["release", "snapshot-20200101T000000000000Z"], None, {}, "there is no kept snapshot"),
    (["release", "../serving/CURRENT"], None, {}, "there is no kept snapshot"),
    (["release", SNAPSHOT], "corrupt users", {}, "the users database"),
    (["snapshots", "--all"], None, {}, "unrecognized arguments: --all"),
    (["snapshots"], "corrupt users", {}, "the users database"),
    (["publish", "--draft", "--now"], None, {}, "unrecognized arguments: --now"),
    # demo
    (["demo", "--seed", "-1"], None, {}, "is not a seed"),
    (["demo", "--seed", "abc"], None, {}, "is not a seed"),
    (["demo", "--serve-forever"], None, {}, "unrecognized arguments"),
    # wholesystem.toml, read by every command that reads the settings
    (["status"], "toml broken", {}, "is not valid TOML"),
    (EXPORT, "toml unknown key", {}, "unknown setting(s): snapshot_kept"),
    (["users", "list"], "toml bad value", {}, "etl_threads in wholesystem.toml is -4"),
    (["load", "in/apc.csv"], "toml bad feed", {}, "[feeds.nope] is not a feed"),
    (["publish"], "toml not utf8", {}, "is not valid TOML"),
    (["status"], None, {"WHOLESYSTEM_CONFIG": "missing.toml"}, "missing.toml does not exist"),
    (["status"], None, {"WHOLESYSTEM_CONFIG": "in"}, "cannot be read"),
    # warehouse-export and the Spark engine (refused before any JVM starts)
    (["warehouse-export"], None, {}, "the following arguments are required: --parquet"),
    (["warehouse-export", "--parquet", "out"], None, {}, "no warehouse at"),
    (["warehouse-export", "--parquet", "in/apc.csv"], "empty warehouse", {}, "is a file"),
    (["warehouse-export", "--parquet", "in/apc.csv/x"], "empty warehouse", {}, "cannot make"),
    (["publish"], None, {"WHOLESYSTEM_ENGINE": "foo"}, "WHOLESYSTEM_ENGINE is 'foo'"),
    (
        ["publish"],
        "empty warehouse",
        {"WHOLESYSTEM_ENGINE": "spark"},
        "needs WHOLESYSTEM_SPARK_WAREHOUSE",
    ),
    (
        ["publish"],
        "empty warehouse",
        {"WHOLESYSTEM_ENGINE": "spark", "WHOLESYSTEM_SPARK_WAREHOUSE": "lake/missing"},
        "WHOLESYSTEM_SPARK_WAREHOUSE lake/missing does not exist",
    ),
]
# Bad values of every setting, each under a command that reads the settings.
BAD_SETTINGS = [
    ("DATA_DIR", "in/apc.csv"), ("QUARANTINE_THRESHOLD", "-0.5"), ("QUARANTINE_THRESHOLD", "5%"),
    ("ETL_MEMORY_LIMIT", "lots"), ("ETL_MEMORY_LIMIT", "1024"), ("ETL_MEMORY_LIMIT", "1GB'"),
    ("ETL_THREADS", "-1"), ("ETL_THREADS", "x"), ("ETL_THREADS", "99999"),
    ("SNOMED_MAP", "in/missing.csv"), ("EQ5D_5L_VALUE_SET", "us"), ("SUPPRESSION_THRESHOLD", "-1"),
    ("SUPPRESSION_THRESHOLD", "0"), ("SNAPSHOTS_KEPT", "0"), ("SNAPSHOTS_KEPT", "many"),
    ("PUBLISH_MEMORY_LIMIT", "zz"), ("PUBLISH_MEMORY_LIMIT", "1PB"), ("SECRET_KEY", "short"),
    ("SESSION_IDLE_MINUTES", "0"), ("SESSION_HOURS", "-1"), ("PASSWORD_MIN_LENGTH", "3"),
    ("ANALYSTS_SEE_SMALL_NUMBERS", "maybe"), ("HTTPS", "2"), ("MAX_REQUEST_BYTES", "1e9"),
    ("MAX_REQUEST_BYTES", "0"),
]  # fmt: skip
COMMANDS = (["status"], ["publish"], EXPORT, ["users", "list"], ["annotations", "list"],
            ["load", "in/apc.csv"], ["serve"])  # fmt: skip
CASES += [
    (COMMANDS[index % len(COMMANDS)], None, {f"WHOLESYSTEM_{name}": value},
     f"WHOLESYSTEM_{name} is ")
    for index, (name, value) in enumerate(BAD_SETTINGS)
]  # fmt: skip


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """Runs the command line in-process: (exit status, stdout, stderr)."""
    try:
        status = main(argv)
    except SystemExit as stopped:  # argparse
        status = stopped.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_matrix_covers_every_subcommand_and_more_cases_than_the_probe():
    commands = {argv[0] for argv, *_ in CASES if argv}
    assert commands == {
        "sample", "load", "status", "publish", "export", "serve", "users", "annotations", "demo",
        "release", "snapshots", "bogus", "--nope", "warehouse-export",
    }  # fmt: skip
    assert len(CASES) >= 118


@pytest.mark.parametrize(
    ("argv", "setup", "environment", "fragment"),
    CASES,
    ids=[" ".join(argv + [setup or ""] + list(env.values()))[:60] for argv, setup, env, _ in CASES],
)
def test_bad_input_gets_one_sentence_and_a_non_zero_exit(
    world, capsys, monkeypatch, argv, setup, environment, fragment
):
    if setup is not None:
        SETUPS[setup](world)
        capsys.readouterr()
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    status, out, err = run(argv, capsys)
    assert status not in (0, None)
    lines = err.splitlines()
    assert "Traceback" not in err + out
    # The one sentence, last; before it only a load's progress lines about the same file.
    sentences = [line for line in lines if line.startswith(("wholesystem", "rejected: "))]
    assert len(sentences) == 1 and lines[-1] == sentences[0], err
    assert len(lines) == 1 or argv[0] == "load", err
    assert fragment in sentences[0]


def test_a_mismatched_file_is_rejected_and_the_good_one_still_loads(world, capsys):
    status, out, err = run(["load", "in/plain.csv.gz", "in/apc.csv"], capsys)
    assert status == 1
    [rejected] = [line for line in err.splitlines() if line.startswith("rejected: ")]
    assert rejected == (
        "rejected: in/plain.csv.gz: the name (.gz) says a gzip-compressed file but the content "
        "is plain text (a CSV, or not a data file at all); rename the file to match its "
        "content, or export it again"
    )
    assert "total: 1 loaded, 0 skipped, 1 rejected; 3 rows accepted" in out


def test_an_unreadable_file_is_one_sentence(world, capsys, monkeypatch):
    # Tests run as root in CI, where no permission bit stops a read, so opening is made to fail.
    path = Path("in/apc.csv")
    real_open = Path.open

    def refuse(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    status, _, err = run(["load", str(path)], capsys)
    assert status == 1
    assert err == "rejected: in/apc.csv: the file cannot be opened (Permission denied)\n"


def test_an_unwritable_sample_folder_is_one_sentence_and_writes_nothing(world, capsys):
    (world / "locked").write_text("a file where a folder is needed")
    status, _, err = run(["sample", "--out", "locked/sample", "--feeds", "deaths"], capsys)
    assert status == 2
    assert (
        err == "wholesystem sample: cannot write the sample under locked/sample (Not a directory)\n"
    )
    assert (world / "locked").read_text() == "a file where a folder is needed"


def test_a_pointer_outside_the_serving_folder_is_never_followed(world, capsys):
    secret = world / "outside.duckdb"
    shutil.copy(world / "data" / "serving" / f"{SNAPSHOT}.duckdb", secret)
    (world / "data" / "serving" / "CURRENT").write_text("../../outside\n")
    status, out, err = run(EXPORT, capsys)
    assert (status, out) == (2, "")
    assert err == (
        f"wholesystem export: the snapshot pointer {world}/data/serving/CURRENT does not name a "
        f"snapshot in {world}/data/serving (it holds '../../outside'); run `wholesystem publish` "
        "to write it again\n"
    )


def test_the_good_world_exports(world, capsys):
    """The control: the same world, unbroken, answers (so the refusals above are the breakage)."""
    status, out, err = run(EXPORT, capsys)
    assert (status, err) == (0, "")
    assert out.splitlines()[0].startswith("metric_id,period_type,period_start")


@pytest.mark.parametrize(
    ("argv", "environment", "line"),
    [
        (["sample", "--scale", "inf"], {}, "wholesystem sample: error: argument --scale: 'inf' is "
         "not a scale from above 0 to 500 (England is about 140)"),
        (["status"], {"WHOLESYSTEM_ETL_MEMORY_LIMIT": "lots"}, "wholesystem status: "
         "WHOLESYSTEM_ETL_MEMORY_LIMIT is 'lots'; use a size with a unit as DuckDB reads it, at "
         "least 64MB, e.g. 1GB, 1.5GB or 512MiB"),
        (["users", "list"], {"WHOLESYSTEM_DATA_DIR": "in/binary.csv"}, "wholesystem users: "
         "WHOLESYSTEM_DATA_DIR is 'in/binary.csv'; use the path of a directory (new or "
         "existing), not of a file"),
    ],
)  # fmt: skip
def test_a_real_process_prints_one_line_and_no_traceback(world, argv, environment, line):
    command = [sys.executable, "-m", "wholesystem.cli", *argv]
    env = {**os.environ, **environment}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2
    assert done.stderr == line + "\n"


@pytest.mark.parametrize("scale", [float("inf"), float("nan"), 0.0, -1.0])
def test_the_generator_itself_refuses_a_scale_that_is_not_a_finite_positive_number(tmp_path, scale):
    from sample_data.generate import generate

    with pytest.raises(ValueError, match=r"^scale must be a finite number above 0 and months >= 1"):
        generate(tmp_path / "s", scale=scale, feeds={"deaths"})
    assert not (tmp_path / "s").exists()
