"""A load killed with SIGKILL in the middle leaves the warehouse exactly as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import duckdb

from tests.etl.conftest import apc_rows, data_snapshot, log_outcomes, write_csv

BIG_ROWS = 3_000_000


def write_big_apc(path) -> None:
    """A valid APC file of BIG_ROWS spells, written by DuckDB in a second or two."""
    duckdb.execute(
        f"""COPY (SELECT 'B' || i AS spell_id, 'P' || (i % 400000) AS person_id,
                         'A84005' AS gpprac, 'RTD' AS procode3,
                         DATE '2025-01-01' + (i % 300)::INTEGER AS admidate,
                         DATE '2025-01-01' + (i % 300)::INTEGER + (i % 5)::INTEGER AS disdate,
                         '21' AS admimeth, '19' AS admisorc, '19' AS disdest, '1' AS classpat,
                         (i % 90)::INTEGER AS startage, '2' AS sex, 'I500' AS diag_4_01,
                         'I500,I10X' AS diag_4_concat, '' AS opertn_4_concat, '300' AS tretspef
                  FROM range({BIG_ROWS}) AS t(i)) TO '{path}' (HEADER)"""
    )


def start_load(path, settings):
    environment = dict(os.environ, WHOLESYSTEM_DATA_DIR=str(settings.data_dir))
    return subprocess.Popen(
        [sys.executable, "-m", "wholesystem.cli", "load", str(path)],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def kill_once_writing(process) -> None:
    """Waits for the loader to say it is writing, lets the insert begin, then SIGKILLs it."""
    for line in process.stderr:
        if ": writing " in line:
            time.sleep(2.0)
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)


def test_a_load_killed_mid_write_leaves_the_previous_contents(tmp_path, settings, load):
    load(write_csv(tmp_path / "earlier.csv", apc_rows(50)))
    before = data_snapshot(settings)
    big = tmp_path / "big.csv"
    write_big_apc(big)
    process = start_load(big, settings)
    kill_once_writing(process)
    assert process.returncode == -signal.SIGKILL
    assert data_snapshot(settings) == before
    assert log_outcomes(settings) == [("loaded", "apc_spells")]
    [after] = load(write_csv(tmp_path / "later.csv", apc_rows(5, start=51)))
    assert after.outcome == "loaded"
