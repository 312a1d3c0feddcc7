"""Every generated row passes the ETL's validation: the sample system is a clean extract."""

from __future__ import annotations

from etl.load import load_files
from wholesystem.settings import Settings


def test_every_generated_file_loads_with_nothing_quarantined(sample, tmp_path):
    out, written = sample
    files = [path for paths in written.values() for path in sorted(paths)]
    results = load_files(files, Settings(data_dir=tmp_path / "data"), report=lambda m: None)
    assert [(r.file.name, r.outcome) for r in results if r.outcome != "loaded"] == []
    assert sum(r.counts.rows_quarantined for r in results) == 0
    assert len(results) == 47  # 11 feed files and 36 monthly population files
    accepted = {r.feed: r.counts.rows_accepted for r in results if r.feed != "population"}
    assert accepted["deaths"] == written["deaths"][0].read_text().count("\n") - 1
    lsoas = written["lsoa_deprivation"][0].read_text().count("\n") - 1
    assert accepted["lsoa_deprivation"] == lsoas
    assert accepted["apc_spells"] == written["apc_spells"][0].read_text().count("\n") - 1
