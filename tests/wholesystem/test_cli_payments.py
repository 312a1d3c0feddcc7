"""`wholesystem payments`: the figures of the payments page per network, as text or CSV,
masked by default as a viewer sees them, in full with --no-suppress; a bad scheme or
period is one sentence listing the valid ones. On the hand-made snapshot of
test_payments.py (its docstring works the numbers), with N2's BP control row suppressed.
"""

from __future__ import annotations

import csv
import io

import pytest

from tests.wholesystem import payment_snapshot
from wholesystem.cli import main

SCHEME = """
[payment_schemes.test]
title = "Test 70/30"
upfront_share = 0.7

[[payment_schemes.test.packages]]
name = "Diabetes"
rate = 12.0

[[payment_schemes.test.packages.kpis]]
metric_id = "dm_hba1c_control"
weight = 30

[[payment_schemes.test.packages.kpis]]
metric_id = "dm_bp_control"
weight = 10

[payment_schemes.test.gain_share]
share = 0.5
cost_per_admission = 1000
"""


@pytest.fixture
def settings(tmp_path, monkeypatch):
    settings = payment_snapshot.build(tmp_path / "data", suppressed=(("N2", "dm_bp_control"),))
    config = tmp_path / "wholesystem.toml"
    config.write_text(SCHEME, encoding="utf-8")
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WHOLESYSTEM_CONFIG", str(config))
    return settings


def test_masked_by_default(settings, capsys):
    assert main(["payments", "--scheme", "test", "--period", "2025-Q1"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[1] == (
        "Period 2025/26 Q1 (April to June 2025); snapshot snapshot-20260501T000000000000Z"
    )
    assert "up front £3,360.00, at risk £1,440.00, earned £540.00, missed £900.00, " \
        "gain share £3,000.00, total £6,900.00" in out  # fmt: skip
    # N2: BP is suppressed, so its attainment, points and money, and N2's earned, missed and
    # total are withheld; its HbA1c and up-front money are shown.
    bp_n2 = [line for line in lines if "dm_bp_control" in line][1].split()
    assert bp_n2 == ["dm_bp_control", "*", "50–90", "linear", "*/10", "*", "*"]
    assert "up front £5,460.00, at risk £2,340.00, earned *, missed *, gain share £0.00, " \
        "total *" in out  # fmt: skip
    assert "£731.25" in out and "150/300" not in out
    assert lines[-1] == (
        "All networks: up front £8,820.00, earned *, missed *, gain share £3,000.00, total *"
    )
    assert "Practice" not in out and " B:" not in out


def test_no_suppress_shows_everything_and_the_practices(settings, capsys):
    assert main(["payments", "--scheme", "test", "--period", "2025-Q1", "--no-suppress"]) == 0
    out = capsys.readouterr().out
    assert "50.0 (150/300)" in out and "earned £731.25, missed £1,608.75" in out
    assert "      B: 30 of 100, 50 short of the 80 needed for the upper threshold" in out
    assert "  Part of the period: B (Diabetes) in this network for 2025-04 2025-05: " \
        "£1,200.00 pro rata" in out  # fmt: skip
    assert out.splitlines()[-1] == (
        "All networks: up front £8,820.00, earned £1,271.25, missed £2,508.75, "
        "gain share £3,000.00, total £13,091.25"
    )


def test_csv(settings, capsys):
    assert main(["payments", "--scheme", "test", "--period", "2025-Q1", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 4 + 2
    bp = next(r for r in rows if r["network_code"] == "N2" and r["metric_id"] == "dm_bp_control")
    assert (bp["attainment"], bp["earned"], bp["at_risk"]) == ("*", "*", "585")  # as export
    n1 = next(r for r in rows if r["network_code"] == "N1" and r["metric_id"] == "(all)")
    assert (float(n1["upfront"]), float(n1["gain_share"]), float(n1["total"])) == (
        pytest.approx(3360), pytest.approx(3000), pytest.approx(6900),
    )  # fmt: skip
    assert n1["months"] == "2025-04 2025-05 2025-06"
    n2 = next(r for r in rows if r["network_code"] == "N2" and r["metric_id"] == "(all)")
    assert (n2["earned"], n2["total"], n2["upfront"]) == ("*", "*", "5460")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--scheme", "nope", "--period", "2025-Q1"],
         "wholesystem payments: there is no payment scheme 'nope'; the schemes are test\n"),
        (["--scheme", "test", "--period", "2026-Q1"],
         "wholesystem payments: period '2026-Q1' is not a complete quarter or financial year "
         "of the snapshot; it has 2025-Q4, 2025-Q3, 2025-Q2, 2025-Q1, 2024-Q4, 2024-Q3, "
         "2024-Q2, 2024-Q1, 2025/26, 2024/25\n"),
        (["--scheme", "test", "--period", "last quarter"],
         "wholesystem payments: period 'last quarter' is not a quarter 'YYYY-Qn' (financial "
         "year starting in YYYY, Q1 = April to June) or a financial year 'YYYY/YY'; this "
         "snapshot has 2025-Q4, 2025-Q3, 2025-Q2, 2025-Q1, 2024-Q4, 2024-Q3, 2024-Q2, "
         "2024-Q1, 2025/26, 2024/25\n"),
        (["--scheme", "test", "--period", "2025-Q1", "--version", "snapshot-x"],
         "wholesystem payments: there is no kept snapshot 'snapshot-x' in "),
    ],
)  # fmt: skip
def test_bad_arguments_are_one_sentence(settings, capsys, arguments, message):
    assert main(["payments", *arguments]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(message) and captured.err.count("\n") == 1
    assert captured.out == ""
