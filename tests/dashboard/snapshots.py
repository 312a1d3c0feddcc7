"""A hand-built serving snapshot for data-access tests: two localities, one suppressed.

Hierarchy: SYSTEM > AR1 > L1 (N1 > P1) and L2 (N2 > P2). Metric `m1`, October 2026,
segment `all`. L1's count of 5 is suppressed; N1's own row (50 of 200) is not, but its
parent value comes from L1 and so must be hidden; P1 (5 of 20) is suppressed too.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from metrics.serving import point_to
from wholesystem.settings import Settings

ORGS = [
    ("system", "SYSTEM", "Whole system", None),
    ("area", "AR1", "Area one", "SYSTEM"),
    ("locality", "L1", "Locality one", "AR1"),
    ("locality", "L2", "Locality two", "AR1"),
    ("network", "N1", "Network one", "L1"),
    ("network", "N2", "Network two", "L2"),
    ("practice", "P1", "Practice one", "N1"),
    ("practice", "P2", "Practice two", "N2"),
]
# level, org, parent, numerator, denominator, value, parent_value, system_value, suppressed
VALUES = [
    ("system", "SYSTEM", None, 100, 1000, 10.0, None, 10.0, False),
    ("area", "AR1", "SYSTEM", 100, 1000, 10.0, 10.0, 10.0, False),
    ("locality", "L1", "AR1", 5, 400, 1.25, 10.0, 10.0, True),
    ("locality", "L2", "AR1", 95, 600, 15.833333, 10.0, 10.0, False),
    ("network", "N1", "L1", 50, 200, 25.0, 1.25, 10.0, False),
    ("network", "N2", "L2", 95, 600, 15.833333, 15.833333, 10.0, False),
    ("practice", "P1", "N1", 5, 20, 25.0, 25.0, 10.0, True),
    ("practice", "P2", "N2", 95, 600, 15.833333, 15.833333, 10.0, False),
]
SUPPRESSED = {org for _, org, *_, suppressed in VALUES if suppressed}


def build_snapshot(data_dir: Path, version: str = "snapshot-20261101T000000000000Z") -> Settings:
    """Writes the snapshot under data_dir/serving, points CURRENT at it, returns settings."""
    settings = Settings(data_dir=data_dir)
    settings.serving_dir.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(settings.serving_dir / f"{version}.duckdb"))
    connection.execute(
        "CREATE TABLE snapshot_info AS SELECT ? AS version, DATE '2026-10-01' AS last_month",
        [version],
    )
    connection.execute(
        "CREATE TABLE org_units (level VARCHAR, org_code VARCHAR, org_name VARCHAR, "
        "parent_code VARCHAR)"
    )
    connection.executemany("INSERT INTO org_units VALUES (?, ?, ?, ?)", ORGS)
    _values(connection)
    _series(connection)
    _indicators(connection)
    connection.close()
    point_to(settings, version)
    return settings


def _values(connection) -> None:
    connection.execute(
        """CREATE TABLE indicator_values (
             metric_id VARCHAR, period_type VARCHAR, period_start DATE, period_end DATE,
             months INTEGER, level VARCHAR, org_code VARCHAR, parent_code VARCHAR,
             segment VARCHAR, numerator DOUBLE, denominator DOUBLE, value DOUBLE,
             lower_95 DOUBLE, upper_95 DOUBLE, lower_998 DOUBLE, upper_998 DOUBLE,
             comparison_parent VARCHAR, comparison_system VARCHAR, parent_value DOUBLE,
             system_value DOUBLE, expected DOUBLE, isr DOUBLE, isr_lower_95 DOUBLE,
             isr_upper_95 DOUBLE, isr_lower_998 DOUBLE, isr_upper_998 DOUBLE,
             comparison_parent_998 VARCHAR, comparison_system_998 VARCHAR,
             method VARCHAR, suppressed BOOLEAN, parent_suppressed BOOLEAN,
             system_suppressed BOOLEAN)"""
    )
    connection.executemany(
        """INSERT INTO indicator_values VALUES ('m1', 'month', DATE '2026-10-01',
             DATE '2026-10-31', 1, ?, ?, ?, 'all', ?, ?, ?, ? - 1, ? + 1, ? - 2, ? + 2,
             'similar', 'similar', ?, ?, NULL, NULL, NULL, NULL, NULL, NULL, 'similar',
             'similar', 'proportion', ?, ?, false)""",
        [
            (
                level,
                org,
                parent,
                num,
                den,
                value,
                value,
                value,
                value,
                value,
                pv,
                sv,
                sup,
                parent in SUPPRESSED,
            )
            for level, org, parent, num, den, value, pv, sv, sup in VALUES
        ],
    )


def _series(connection) -> None:
    # L1's only month is suppressed, so its series is 'all_suppressed': no mean, limits or
    # icon. L2's last month is charted (the snapshot holds only that month of 20).
    connection.execute(
        """CREATE TABLE spc_points AS SELECT * FROM (VALUES
             ('m1', 'locality', 'L1', 'all', DATE '2026-09-01', 3.0, NULL::DOUBLE,
              NULL::DOUBLE, NULL::DOUBLE, NULL, NULL, true, 0, false, 'suppressed'),
             ('m1', 'locality', 'L2', 'all', DATE '2026-09-01', 15.0, 15.0, 12.0, 18.0,
              NULL, 'common_cause', false, 1, true, NULL))
           t(metric_id, level, org_code, segment, period_start, value, mean, lower_limit,
             upper_limit, rule, point_type, suppressed, phase, in_limits, excluded_reason)"""
    )
    connection.execute(
        """CREATE TABLE spc_summary AS SELECT * FROM (VALUES
             ('m1', 'locality', 'L1', 'all', NULL, NULL, 'all_suppressed', 0),
             ('m1', 'locality', 'L2', 'all', 'special_cause_improvement', 'consistent_pass',
              'charted', 20))
           t(metric_id, level, org_code, segment, variation, assurance, status, points)"""
    )
    # One change point for every org, one for L2 only, one for L1 only.
    connection.execute(
        """CREATE TABLE spc_annotations AS SELECT * FROM (VALUES
             ('m1', NULL, DATE '2026-04-01', 'New discharge pathway', true),
             ('m1', 'L2', DATE '2026-07-01', 'Ward closed for refurbishment', false),
             ('m1', 'L1', DATE '2026-06-01', 'Practice merger', true))
           t(metric_id, org_code, month, label, recalculate)"""
    )


def _indicators(connection) -> None:
    lists = {key: json.dumps(value) for key, value in (
        ("sources", ["apc_spells"]), ("levels", ["practice", "system"]),
        ("segments", ["age_band"]), ("caveats", ["One caveat."]), ("references", []),
        ("ages", [65, None]), ("parameters", {}),
    )}  # fmt: skip
    connection.execute(
        """CREATE TABLE indicators AS SELECT 'm1' AS id, 'Metric one' AS title,
             'northumbria' AS "group", $sources AS sources, $levels AS levels,
             $segments AS segments, $caveats AS caveats, $references AS "references",
             $ages AS ages, $parameters AS parameters""",
        lists,
    )
