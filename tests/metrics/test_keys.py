"""Integer keys (metrics.keys): what the counting stages number, and the numbers' meaning."""

from __future__ import annotations

import datetime

import duckdb
import pytest

from metrics.keys import (
    ALL_SEGMENT,
    PROFILE_BITS,
    SEGMENT_NUMBERS,
    SYSTEM_ORG,
    build_keys,
    not_age_band,
    numbered_segments,
)
from metrics.segments import age_band_sql, sex_sql

TABLES = """
CREATE TABLE metric_props AS SELECT * FROM (VALUES
    ('b_rate', 'spells', 'sum', 'registered_population', 0, 120, 'dsr', true,
     ['age_band', 'sex', 'frailty', 'condition']),
    ('a_status', 'registers', 'period_end', 'units', 0, 120, 'proportion', false, [])
) t(metric_id, family, accumulate, denominator_kind, age_lo, age_hi, method, standardise,
   segment_kinds);
CREATE TABLE practice_months AS SELECT * FROM (VALUES
    (DATE '2026-01-01', 'P1', 'N1', 'L1', 'AR1'),
    (DATE '2026-01-01', 'P2', NULL, 'L1', 'AR1')
) t(month, practice_code, network_code, locality_code, area_code);
CREATE TABLE la_areas AS SELECT * FROM (VALUES ('LA9', 'AR2')) t(la_code, area_code);
CREATE TABLE profile_labels AS SELECT * FROM (VALUES
    (1, 'frailty:mild'), (1, 'condition:DM'), (2, 'frailty:unrecorded')
) t(profile_id, segment);
CREATE TABLE period_months AS SELECT * FROM (VALUES
    ('month', DATE '2026-01-01', DATE '2026-01-31', 1, DATE '2026-01-01', true),
    ('quarter', DATE '2026-01-01', DATE '2026-03-31', 3, DATE '2026-01-01', false)
) t(period_type, period_start, period_end, months, month, is_last_month);
"""


@pytest.fixture(scope="module")
def keyed():
    connection = duckdb.connect()
    connection.execute(TABLES)
    build_keys(connection)
    yield connection
    connection.close()


def rows(connection, sql: str) -> list[tuple]:
    return connection.execute(sql).fetchall()


def test_the_system_is_org_0_and_every_other_org_is_numbered_once_by_level(keyed):
    orgs = rows(keyed, "SELECT org_no, level, org_code FROM org_keys ORDER BY org_no")
    assert orgs[0] == (SYSTEM_ORG, "system", "SYSTEM")
    assert [(level, code) for _, level, code in orgs[1:]] == [
        ("area", "AR1"), ("area", "AR2"), ("locality", "L1"), ("network", "N1"),
        ("practice", "P1"), ("practice", "P2"),
    ]  # fmt: skip


def test_a_practice_month_and_a_local_authority_are_placed_by_number(keyed):
    placed = rows(
        keyed,
        """SELECT k.practice_code, n.org_code, l.org_code, a.org_code FROM practice_keys k
           LEFT JOIN org_keys n ON n.org_no = k.network_no
           JOIN org_keys l ON l.org_no = k.locality_no JOIN org_keys a ON a.org_no = k.area_no
           ORDER BY 1""",
    )
    assert placed == [("P1", "N1", "L1", "AR1"), ("P2", None, "L1", "AR1")]
    assert rows(keyed, "SELECT o.org_code FROM la_keys JOIN org_keys o ON o.org_no = area_no") == [
        ("AR2",)
    ]


def test_segments_keep_their_order_and_a_label_of_the_data_alone_comes_after_them(keyed):
    known = dict(rows(keyed, "SELECT segment, segment_no FROM segment_keys"))
    assert known["all"] == ALL_SEGMENT == 0
    assert known["age_band:0-17"] == 1
    assert known["frailty:mild"] == SEGMENT_NUMBERS["frailty:mild"]
    assert known["frailty:unrecorded"] == len(SEGMENT_NUMBERS) + 1
    bits = dict(rows(keyed, "SELECT segment, kind_bit FROM segment_keys"))
    assert bits["frailty:unrecorded"] == PROFILE_BITS["frailty"]
    assert bits["sex:male"] == 0


def test_an_indicator_takes_all_and_the_segments_of_its_types_only(keyed):
    taken = rows(
        keyed,
        """SELECT m.metric_id, s.segment FROM metric_segments g
           JOIN metric_keys m USING (metric_no) JOIN segment_keys s USING (segment_no)""",
    )
    status = sorted(segment for metric, segment in taken if metric == "a_status")
    rate = {segment for metric, segment in taken if metric == "b_rate"}
    assert status == ["all"]
    assert {"all", "age_band:85+", "sex:female", "frailty:unrecorded", "condition:DM"} <= rate
    assert not any(segment.startswith(("care_home", "risk_tier")) for segment in rate)


def test_indicators_are_numbered_by_id_with_their_flags(keyed):
    metrics = rows(
        keyed, "SELECT metric_no, metric_id, dsr, summed, by_age, profile_mask FROM metric_keys"
    )
    mask = PROFILE_BITS["frailty"] + PROFILE_BITS["condition"]
    assert sorted(metrics) == [(1, "a_status", False, False, False, 0),
                               (2, "b_rate", True, True, True, mask)]  # fmt: skip


def test_periods_are_numbered_with_their_months(keyed):
    periods = rows(
        keyed,
        """SELECT k.period_type, m.month, m.is_last_month FROM period_month_keys m
           JOIN period_keys k USING (period_no) ORDER BY 1""",
    )
    january = datetime.date(2026, 1, 1)
    assert periods == [("month", january, True), ("quarter", january, False)]


def test_the_age_band_and_sex_cases_give_segment_numbers():
    with duckdb.connect() as connection:
        band = numbered_segments(age_band_sql("age"))
        bands = connection.execute(
            f"SELECT {band} FROM (VALUES (5), (70), (NULL)) t(age)"
        ).fetchall()
        sexes = connection.execute(
            f"SELECT {numbered_segments(sex_sql('sex'))} FROM (VALUES ('1'), ('2'), ('9')) t(sex)"
        ).fetchall()
        kept = connection.execute(
            f"SELECT n FROM range(0, 8) t(n) WHERE {not_age_band('n')}"
        ).fetchall()
    numbers = SEGMENT_NUMBERS
    assert bands == [(numbers["age_band:0-17"],), (numbers["age_band:65-74"],), (None,)]
    assert sexes == [(numbers["sex:male"],), (numbers["sex:female"],), (None,)]
    assert [n for (n,) in kept] == [0, 6, 7]
