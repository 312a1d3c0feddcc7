"""The org hierarchy of a scaled sample: England's shape (practices, networks, localities and
areas) grows with the scale, and the feeds that name organisations agree with it."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np

from sample_data.aggregates import area_rows
from sample_data.generate import generate
from sample_data.organisations import build_lsoas, build_practices
from sample_data.timeline import Window


def test_scaled_organisations_feed_has_the_expected_hierarchy(tmp_path):
    # Scale 12: 12 copies of the 11 networks (60 practices), a new copy of the two areas and
    # their six localities every 5.5 network copies (3 copies).
    written = generate(
        tmp_path, scale=12, end_month=date(2026, 10, 1),
        feeds=["organisations", "lsoa_deprivation"],
    )  # fmt: skip
    with duckdb.connect() as db:
        orgs = f"read_csv('{written['organisations'][0]}')"
        counts = db.execute(
            f"SELECT count(DISTINCT practice_code), count(DISTINCT network_code), "
            f"count(DISTINCT locality_code), count(DISTINCT area_code), count(DISTINCT la_code), "
            f"max(length(practice_code)), max(length(network_code)) FROM {orgs}"
        ).fetchone()
        assert counts == (720, 132, 18, 6, 6, 6, 6)
        # Each network lies in one locality (the mover aside), each locality in one area.
        split = db.execute(
            f"SELECT (SELECT count(*) FROM (SELECT network_code FROM {orgs} GROUP BY 1 "
            f"HAVING count(DISTINCT locality_code) > 1)), (SELECT count(*) FROM (SELECT "
            f"locality_code FROM {orgs} GROUP BY 1 HAVING count(DISTINCT area_code) > 1))"
        ).fetchone()
        assert split == (0, 0)
        areas = db.execute(f"SELECT DISTINCT area_code, la_code FROM {orgs} ORDER BY 1").fetchall()
        assert areas[:3] == [
            ("E38000991", "E08000099"), ("E38000992", "E06000099"), ("E38001991", "E08001099"),
        ]  # fmt: skip
        lsoa = f"read_csv('{written['lsoa_deprivation'][0]}', all_varchar=true)"
        councils = db.execute(
            f'SELECT count(DISTINCT "Local Authority District code (2024)") FROM {lsoa}'
        ).fetchone()
        assert councils == (6,)
    # The council-level supplied rows: one set per council of the scaled system.
    window = Window(date(2026, 10, 1), 36)
    rows = area_rows(np.random.default_rng(1), build_practices(12), window)
    assert {row["org_code"] for row in rows} == {area[1] for area in areas}


def test_england_scale_has_englands_shape():
    practices = build_practices(114)
    assert len(practices) == 6840 and len({p.code for p in practices}) == 6840
    assert len({p.network_code for p in practices}) == 1254
    assert len({p.locality.code for p in practices}) == 126
    assert len({p.area.code for p in practices}) == 42
    assert 56_000_000 < sum(p.list_size for p in practices) < 58_000_000
    codes = build_lsoas(practices).codes.to_pylist()
    assert len(set(codes)) == len(codes) > 35_000
