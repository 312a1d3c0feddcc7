"""The command line: sample arguments, and the demo's sample → load → status → publish
(without serving: `--no-serve`), then an export of what it published."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter

import pandas as pd
import pytest

from metrics import serving
from wholesystem.cli import main
from wholesystem.settings import load_settings

EXPORT_HEADER = [
    "metric_id", "period_type", "period_start", "period_end", "level", "org_code", "segment",
    "numerator", "denominator", "value", "lower_95", "upper_95", "lower_998", "upper_998",
    "comparison_parent", "comparison_system", "parent_value", "system_value", "isr",
    "isr_lower_95", "isr_upper_95", "isr_lower_998", "isr_upper_998", "comparison_parent_998",
    "comparison_system_998",
]  # fmt: skip
# The row's own numbers; the verdicts and benchmark values also hang on the benchmark rows,
# and are `*` where those are suppressed.
OWN_COLUMNS = EXPORT_HEADER[:14]


def test_sample_writes_only_the_feeds_asked_for(tmp_path, capsys):
    out = tmp_path / "sample"
    status = main(["sample", "--out", str(out), "--end-month", "2026-10", "--feeds", "deaths"])
    assert status == 0
    assert sorted(path.name for path in out.iterdir()) == ["deaths.csv"]
    assert capsys.readouterr().out == f"wrote 1 files for 1 feeds under {out}\n"


def test_an_unknown_sample_feed_gets_one_line_and_exit_2(tmp_path, capsys):
    assert main(["sample", "--out", str(tmp_path / "s"), "--feeds", "apc"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("wholesystem sample: unknown feed(s) apc; choose from organisations")
    assert error.count("\n") == 1
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--end-month", "2026-13"], "argument --end-month: '2026-13' is not a month like 2026-10"),
        (["--scale", "-1"], "argument --scale: '-1' is not a scale from above 0 to 500"),
        (["--scale", "inf"], "argument --scale: 'inf' is not a scale from above 0 to 500"),
        (["--scale", "nan"], "argument --scale: 'nan' is not a scale from above 0 to 500"),
        (["--months", "0"], "argument --months: '0' is not a number of months from 1 to 240"),
        (["--seed", "-1"], "argument --seed: '-1' is not a seed (a whole number, 0 or more)"),
    ],
)
def test_bad_sample_arguments_are_refused_by_argparse(tmp_path, capsys, arguments, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["sample", "--out", str(tmp_path / "s"), *arguments])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert message in error
    assert "Traceback" not in error


def test_demo_loads_every_feed_and_reports_status(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("wholesystem.cli.DEMO_END_MONTH", __import__("datetime").date(2026, 10, 1))
    monkeypatch.setattr("wholesystem.cli.DEMO_SCALE", 0.05)
    assert main(["demo", "--no-serve"]) == 0
    captured = capsys.readouterr()
    output = captured.out
    assert "total: 47 loaded, 0 skipped, 0 rejected" in output
    assert re.search(r"^Sign in at http://127\.0\.0\.1:8050 as demo-admin with password \S{20}$",
                     output, re.MULTILINE)  # fmt: skip
    assert re.search(
        r"^published snapshot-\d{8}T\d{12}Z: [\d,]+ values \([\d,]+ suppressed\), [\d,]+ SPC "
        r"series in [\d.]+ s -> "
        rf"{re.escape(str(tmp_path / 'data' / 'serving'))}/snapshot-\d{{8}}T\d{{12}}Z\.duckdb$",
        output,
        re.MULTILINE,
    )
    # The publish's progress: the snapshot being built, a line per stage with its time
    # (stderr), and how long it took.
    version = re.search(r"^published (snapshot-\S+):", output, re.MULTILINE)[1]
    assert f"publish: building {version} (released when done)\n" in captured.err
    assert re.search(r"^publish: SPC charts +\d+\.\d s$", captured.err, re.MULTILINE)
    assert "Publishing the sample's first snapshot (a line per stage follows):\n" in output
    seconds = re.search(rf"^published {version}: .* in ([\d.]+) s -> ", output, re.MULTILINE)[1]
    assert f"\nThe publish of {version} took {seconds} s.\n" in output
    assert serving.last_publish(load_settings())["version"] == version
    _check_demo_change_points(capsys)
    assert main(["status", "--json"]) == 0
    feeds = json.loads(capsys.readouterr().out)["feeds"]
    # The sample is spell-level and its hierarchy complete, so the feeds that take the
    # published national files instead (episodes, ODS, ePCN, list sizes) stay empty.
    empty = {"epcn_memberships", "hes_apc_episodes", "ods_practices", "list_sizes"}
    assert {name for name, item in feeds.items() if item["rows"] == 0} == empty
    assert (feeds["apc_spells"]["date_from"], feeds["apc_spells"]["date_to"]) == (
        "2023-11-01",
        "2026-10-31",
    )
    assert feeds["apc_spells"]["quarantined_rows"] == 0
    # The demo's deaths are few, so many area-months are masked; --no-suppress shows all.
    shown = _export_area_values(capsys)
    everything = _export_area_values(capsys, "--no-suppress")
    assert len(everything) == 72
    assert Counter(row["org_code"] for row in everything) == {"E38000991": 36, "E38000992": 36}
    assert {row["period_start"] for row in everything} == {
        f"{month:%Y-%m-%d}" for month in pd.date_range("2023-11-01", "2026-10-01", freq="MS")
    }
    for row in everything:
        # A board indicator: its counts are rounded to 5 (HES rule), so a month of 1 or 2
        # deaths shows 0 of them, with no value.
        numerator, denominator = int(row["numerator"]), int(row["denominator"])
        assert numerator % 5 == denominator % 5 == 0
        if denominator == 0:
            assert row["value"] == ""
            continue
        assert float(row["value"]) == pytest.approx(numerator / denominator * 100, abs=1e-6)
    for row, full in zip(shown, everything, strict=True):
        masked = row["numerator"] == "*"
        if masked:
            assert row == {**full, **dict.fromkeys(EXPORT_HEADER[7:], "*")}
        else:
            assert [row[column] for column in OWN_COLUMNS] == [full[c] for c in OWN_COLUMNS]
    # At this scale (5%) an area has a few deaths a month, so masking reaches every month
    # through the month and area siblings; at scale 1 none of these rows is masked.
    assert sum(row["numerator"] == "*" for row in shown) > 0


def _check_demo_change_points(capsys) -> None:
    """The demo records the sample's known changes (its stories) before publishing: the
    step in Tynebridge Central's emergency admissions from the window's middle month (May
    2025 for a window ending October 2026) for every org that contains it, and a marker
    where Hollinsdale's gains start to reverse."""
    assert main(["annotations", "list", "--metric", "bed_days"]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    step = [line for line in lines if line[4] == "recalculate"]
    assert {line[2] for line in step} == {"2025-05"}
    assert {line[3] for line in step} >= {"TBC", "U91003", "U91004", "E38000991", "SYSTEM"}
    assert "E38000992" not in {line[3] for line in step}
    assert [line[2:5] for line in lines if line[4] == "same limits"] == [
        ["2025-11", "E38000992", "same limits"]
    ]


def _export_area_values(capsys, *flags: str) -> list[dict[str, str]]:
    """The rows `wholesystem export --metric nel_last_100_days --level area` prints."""
    assert main(["export", "--metric", "nel_last_100_days", "--level", "area", *flags]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ",".join(EXPORT_HEADER)
    return list(csv.DictReader(lines))
