"""The portable-subset lint (metrics.portable): each banned construct is named, portable
SQL passes, and the person-level part of a DuckDB publish is checked statement by statement."""

from __future__ import annotations

from datetime import date

import pytest

from metrics.portable import Catalog, problems
from metrics.portable_record import record_person_level, report
from tests.metrics.every_feed import add_every_feed

BANNED = {
    "ASOF join": "SELECT * FROM c ASOF LEFT JOIN e ON e.person_id = c.person_id "
    "AND c.month_end >= e.event_date",
    "temporary macro": "CREATE OR REPLACE TEMP MACRO age_at(b, m) AS year(m) - year(b)",
    "no ORDER BY": "SELECT row_number() OVER () AS row_key, metric_id FROM period_totals",
    "QUALIFY in a SELECT *": "SELECT * FROM care_home_admissions "
    "QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY admission_date) = 1",
    "list_has_any": "SELECT list_has_any(labels, ['a', 'b']) FROM profiles",
    "len() of a list": "SELECT len(segment_kinds) FROM metric_props",
    "length() of a list": "SELECT length(list_filter([1, NULL], x -> x IS NOT NULL))",
    "list_position": "SELECT list_position(['practice', 'area'], level) FROM org_units",
    "to_months": "SELECT month - to_months(3) FROM months",
    "a date minus a date": "SELECT (disdate - admidate)::DOUBLE FROM apc_spells",
    "unnest(...)::DATE": "SELECT unnest(generate_series(admidate, disdate, "
    "INTERVAL 1 MONTH))::DATE FROM apc_spells",
    "range()/generate_series() as a table": "SELECT month FROM range(DATE '2025-01-01', "
    "DATE '2026-01-01', INTERVAL 1 MONTH) r(month)",
    "duckdb_tables()": "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
    "every patient in one Spark task": "SELECT person_id, percent_rank() OVER "
    "(ORDER BY risk_score DESC) AS risk_rank FROM patients",
}
PORTABLE = (
    "SELECT datediff('day', admidate, disdate)::DOUBLE, array_length(l) FROM apc_spells",
    "SELECT month + INTERVAL 1 MONTH, dod - 100 FROM months JOIN deaths ON true",
    "SELECT month, practice_code FROM practice_months QUALIFY row_number() OVER "
    "(PARTITION BY practice_code ORDER BY month) = 1",
    "SELECT person_id, row_number() OVER (PARTITION BY person_id ORDER BY event_date) FROM e",
    "SELECT labels, dense_rank() OVER (ORDER BY labels) FROM (SELECT DISTINCT labels FROM p)",
    "SELECT unnest(generate_series(1, 3)) AS n, list_contains(labels, 'x') FROM profiles",
    "CREATE OR REPLACE TABLE a AS SELECT 1 AS x; CREATE TABLE b AS SELECT * FROM a",
)


@pytest.mark.parametrize("name", BANNED)
def test_each_banned_construct_is_named(name):
    found = problems(BANNED[name])
    assert len(found) == 1 and name in found[0], found


@pytest.mark.parametrize("sql", PORTABLE)
def test_portable_statements_pass(sql):
    assert problems(sql) == []


def test_the_second_global_window_is_caught_only_over_person_level_rows():
    catalog = Catalog({"labelled": {"person_id": "VARCHAR", "labels": "VARCHAR[]"}})
    over_people = "SELECT dense_rank() OVER (ORDER BY labels) AS profile_id FROM labelled"
    assert "every patient in one Spark task" in problems(over_people, catalog)[0]
    assert problems(over_people, Catalog({"labelled": {"labels": "VARCHAR[]"}})) == []


def test_a_catalog_finds_python_locals_dates_and_lists_by_type():
    catalog = Catalog({"stays": {"a": "DATE", "b": "DATE", "l": "VARCHAR[]"}})
    assert problems("SELECT * FROM frame", catalog)[0].startswith("FROM frame names no table")
    assert "a date minus a date" in problems("SELECT b - a FROM stays", catalog)[0]
    assert "length() of a list" in problems("SELECT length(l) FROM stays", catalog)[0]
    assert problems("SELECT b - INTERVAL 1 DAY, length('x') FROM stays", catalog) == []


def test_the_person_level_part_of_a_duckdb_publish_is_portable(system):
    add_every_feed(system)
    system.load()
    statements = record_person_level(system.settings, date(2026, 11, 22))
    assert len(statements) > 40
    found = report(statements)
    assert not found, f"{len(found)} non-portable construct(s):\n" + "\n".join(found)
