"""generate() is deterministic by seed, writes only the feeds asked for, and chunks safely."""

from __future__ import annotations

from datetime import date

import pytest

from sample_data import writer
from sample_data.generate import generate
from sample_data.timeline import Window, default_end_month, to_date

SMALL = dict(scale=0.05, end_month=date(2026, 10, 1), months=24)


def file_bytes(out) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.csv"))}


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("small_a")
    generate(out, seed=7, **SMALL)
    return out


def test_same_seed_gives_identical_bytes(small_run, tmp_path):
    generate(tmp_path, seed=7, **SMALL)
    assert file_bytes(tmp_path) == file_bytes(small_run)
    assert len(file_bytes(small_run)) == 11 + 24  # one file per feed, population monthly


def test_different_seed_gives_different_people(small_run, tmp_path):
    generate(tmp_path, seed=8, **SMALL)
    other, base = file_bytes(tmp_path), file_bytes(small_run)
    for name in ("patients.csv", "apc_spells.csv", "gp_events.csv", "deaths.csv"):
        assert other[name] != base[name], name
    assert other["organisations.csv"] == base["organisations.csv"]  # the structure is fixed


def test_chunk_size_does_not_change_the_output(small_run, tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "FLUSH_ROWS", 1000)
    generate(tmp_path, seed=7, **SMALL)
    assert file_bytes(tmp_path) == file_bytes(small_run)


def test_only_the_requested_feeds_are_written_and_they_match_a_full_run(small_run, tmp_path):
    written = generate(tmp_path, seed=7, feeds={"deaths", "apc_spells"}, **SMALL)
    assert list(written) == ["apc_spells", "deaths"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apc_spells.csv", "deaths.csv"]
    base = file_bytes(small_run)
    for name in ("apc_spells.csv", "deaths.csv"):
        assert (tmp_path / name).read_bytes() == base[name]


def test_the_deprivation_reference_file_alone_matches_a_full_run(small_run, tmp_path):
    written = generate(tmp_path, seed=7, feeds=["lsoa_deprivation"], **SMALL)
    assert written == {"lsoa_deprivation": [tmp_path / "lsoa_deprivation.csv"]}
    assert file_bytes(tmp_path) == {
        "lsoa_deprivation.csv": file_bytes(small_run)["lsoa_deprivation.csv"]
    }


def test_progress_messages_and_unknown_feeds(tmp_path):
    messages = []
    generate(tmp_path, seed=1, feeds=["deaths"], progress=messages.append, **SMALL)
    assert messages[-1].startswith("deaths: ") and messages[-1].endswith(" rows")
    with pytest.raises(ValueError, match="unknown feed"):
        generate(tmp_path, feeds={"spells"}, **SMALL)
    with pytest.raises(ValueError, match="first day"):
        generate(tmp_path, end_month=date(2026, 10, 5))


def test_default_end_month_is_the_last_complete_month():
    assert default_end_month(date(2026, 11, 22)) == date(2026, 10, 1)
    assert default_end_month(date(2026, 1, 1)) == date(2025, 12, 1)
    window = Window(date(2026, 10, 1), 36)
    assert to_date(window.start) == date(2023, 11, 1) and to_date(window.extract) == date(
        2026, 10, 31
    )


def test_larger_scales_replicate_networks(tmp_path):
    from sample_data.organisations import build_practices

    practices = build_practices(6.0)
    assert len(practices) == 360 and len({p.code for p in practices}) == 360
    assert len({p.network_code for p in practices}) == 66
    assert sum(p.story_network for p in practices) == 5
    total = sum(p.list_size for p in practices)
    assert abs(total / sum(p.list_size for p in build_practices(1.0)) - 6) < 0.1
