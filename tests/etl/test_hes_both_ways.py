"""One system loaded both ways: its spells as a spell-level file, and the same spells as HES
episodes (sample_data.hes_episodes). The indicators must read the same spells and publish
the same values either way."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from etl.load import load_files
from metrics.compute import compute
from metrics.workspace import open_workspace
from sample_data.generate import generate
from sample_data.hes_episodes import write_episodes
from wholesystem.settings import Settings

END_MONTH = date(2026, 10, 1)
TODAY = date(2026, 11, 22)
FEEDS = {"organisations", "population", "patients", "apc_spells", "deaths"}
SPELL = (
    "person_id, gpprac, procode3, admidate, disdate, admimeth, admisorc, disdest, classpat, "
    "startage, sex, diag_4_01, diag_4_concat, opertn_4_concat, tretspef"
)


@pytest.fixture(scope="module")
def both_ways(tmp_path_factory) -> tuple[Settings, Settings, int]:
    """Two warehouses of one small sample: (spells loaded as spells, as episodes, episodes)."""
    root = tmp_path_factory.mktemp("both_ways")
    files = generate(root / "sample", scale=0.05, end_month=END_MONTH, months=12, feeds=FEEDS)
    episodes_csv = root / "sample" / "hes_apc_2526.csv"
    episodes = write_episodes(files["apc_spells"][0], episodes_csv)
    others = [*files["organisations"], *files["population"], *files["patients"]]
    warehouses = []
    for name, hospital in (("spells", files["apc_spells"]), ("episodes", [episodes_csv])):
        settings = Settings(data_dir=root / name)
        results = load_files([*others, *hospital, *files["deaths"]], settings, report=print)
        assert [r.message for r in results if r.outcome != "loaded"] == []
        assert sum(r.counts.rows_quarantined for r in results) == 0
        warehouses.append(settings)
    return warehouses[0], warehouses[1], episodes


def spells(settings: Settings) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(f"SELECT {SPELL} FROM apc_spells ORDER BY ALL").fetchall()


def test_the_episodes_file_splits_spells_and_adds_unfinished_episodes(both_ways):
    by_spells, by_episodes, episodes = both_ways
    assert episodes > len(spells(by_spells)) * 1.2
    with duckdb.connect(str(by_episodes.warehouse_path), read_only=True) as connection:
        unfinished = connection.execute(
            "SELECT count(*) FROM hes_apc_episodes WHERE epistat = '1'"
        ).fetchone()[0]
    assert unfinished > 100


def test_both_ways_give_the_same_spells(both_ways):
    by_spells, by_episodes, _ = both_ways
    assert len(spells(by_spells)) > 5000
    assert spells(by_episodes) == spells(by_spells)


def test_both_ways_publish_the_same_values(both_ways):
    frames = []
    for settings in both_ways[:2]:
        with open_workspace(settings) as connection:
            frames.append(compute(connection, settings, TODAY))
    by_spells, by_episodes = (
        frame.sort_values(list(frame.columns[:6])).reset_index(drop=True) for frame in frames
    )
    assert len(by_spells) > 1000
    assert by_spells["metric_id"].isin(["emergency_admissions", "bed_days"]).any()
    pd.testing.assert_frame_equal(by_episodes, by_spells)
