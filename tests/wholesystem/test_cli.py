"""The command line: sample arguments, and the demo's sample → load → status → publish
(without serving: `--no-serve`), then an export of what it published."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter

import pandas as pd
import pytest

from wholesystem.cli import main

EXPORT_HEADER = [
    "metric_id", "period_type", "period_start", "period_end", "level", "org_code", "segment",
    "numerator", "denominator", "value", "lower_95", "upper_95", "lower_998", "upper_998",
    "comparison_parent", "comparison_system",
]  # fmt: skip


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
        (["--scale", "-1"], "argument --scale: '-1' is not a positive number"),
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
    output = capsys.readouterr().out
    assert "total: 46 loaded, 0 skipped, 0 rejected" in output
    assert re.search(r"^Sign in at http://127\.0\.0\.1:8050 as demo-admin with password \S{20}$",
                     output, re.MULTILINE)  # fmt: skip
    assert re.search(
        r"^published snapshot-\d{8}T\d{12}Z: [\d,]+ values, [\d,]+ SPC series in [\d.]+ s -> "
        rf"{re.escape(str(tmp_path / 'data' / 'serving'))}/snapshot-\d{{8}}T\d{{12}}Z\.duckdb$",
        output,
        re.MULTILINE,
    )
    assert main(["status", "--json"]) == 0
    feeds = json.loads(capsys.readouterr().out)["feeds"]
    assert {name for name, item in feeds.items() if item["rows"] == 0} == {"epcn_memberships"}
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
        numerator, denominator = int(row["numerator"]), int(row["denominator"])
        assert denominator > 0
        assert float(row["value"]) == pytest.approx(numerator / denominator * 100, abs=1e-6)
    for row, full in zip(shown, everything, strict=True):
        masked = row["numerator"] == "*"
        assert row == ({**full, **dict.fromkeys(EXPORT_HEADER[7:], "*")} if masked else full)
    # At this scale (5%) an area has a few deaths a month, so masking reaches every month
    # through the month and area siblings; at scale 1 none of these rows is masked.
    assert sum(row["numerator"] == "*" for row in shown) > 0


def _export_area_values(capsys, *flags: str) -> list[dict[str, str]]:
    """The rows `wholesystem export --metric nel_last_100_days --level area` prints."""
    assert main(["export", "--metric", "nel_last_100_days", "--level", "area", *flags]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ",".join(EXPORT_HEADER)
    return list(csv.DictReader(lines))
