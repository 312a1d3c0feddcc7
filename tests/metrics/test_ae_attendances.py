"""Airedale's measure, ae_attendances_care_home_residents, on a hand-built system: A&E
attendances of registered care home residents per 1,000 care home residents per year.

The attendances are loaded as a HES A&E extract (tests/etl/test_ae_feeds.py's layout), so
the quirks of the published file reach the measure as they would in use. Every expected
value is worked by hand: the limits are exact Poisson under 10 attendances (for 3, the
chi-squared limits 0.61867 and 8.76727; for 1, 0.02532 and 5.57164).
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from etl.load import load_files
from tests.etl.conftest import write_csv
from tests.etl.test_ae_feeds import HES_AE_HEADER, ae_row
from tests.metrics.conftest import value

METRIC = "ae_attendances_care_home_residents"
ATTENDANCES = [
    ae_row("300000000001", PSEUDO_HESID="R0", ARRIVALDATE="2026-01-04"),  # first
    ae_row("300000000002", PSEUDO_HESID="R0", ARRIVALDATE="2026-01-20", AEATTENDCAT="3"),
    ae_row(
        "300000000003", PSEUDO_HESID="R0", ARRIVALDATE="2026-01-27", AEATTENDCAT="2"
    ),  # a planned follow-up: not counted  # fmt: skip
    ae_row("300000000004", PSEUDO_HESID="R1", ARRIVALDATE="2026-01-09", GPPRAC="&"),
    ae_row("300000000005", PSEUDO_HESID="N0", ARRIVALDATE="2026-01-09"),  # not a resident
    ae_row("300000000006", PSEUDO_HESID="R2", ARRIVALDATE="1800-01-01"),  # no date
    ae_row("300000000007", PSEUDO_HESID="U1", ARRIVALDATE="2026-01-09"),  # not registered
    ae_row("300000000008", PSEUDO_HESID="R9", ARRIVALDATE="2026-02-14", GPPRAC="V81999"),
]


@pytest.fixture
def frame(system):
    """Residents R0-R3 at A00001 and R9 at A00002, two others at A00001; the attendances."""
    for number in range(4):
        system.add("patients", f"R{number}", gpprac="A00001", care_home_resident="true")
    system.add("patients", "R9", gpprac="A00002", care_home_resident="true")
    for number in range(2):
        system.add("patients", f"N{number}", gpprac="A00001", care_home_resident="false")
    system.load()
    path = write_csv(system.root / "hes_ae.csv", ATTENDANCES, HES_AE_HEADER)
    [result] = load_files([path], system.settings, report=lambda message: None)
    assert (result.outcome, result.counts.rows_accepted) == ("loaded", 8)
    return system.compute()


def test_attendances_of_residents_per_1000_residents_per_year(frame):
    january = value(frame, METRIC, "practice", "A00001", "2026-01-01")
    # R0's first and unplanned follow-up and R1's attendance (GPPRAC `&`: placed by the
    # registration); 4 residents in January are 4/12 of a person-year.
    assert (january["numerator"], january["denominator"]) == (3, 4)
    assert january["value"] == pytest.approx(3 / (4 / 12) * 1000, rel=1e-9)
    assert january["lower_95"] == pytest.approx(0.6186721 / (4 / 12) * 1000, rel=1e-6)
    assert january["upper_95"] == pytest.approx(8.7672731 / (4 / 12) * 1000, rel=1e-6)


def test_a_pseudo_practice_code_is_placed_by_the_registration(frame):
    february = value(frame, METRIC, "practice", "A00002", "2026-02-01")
    assert (february["numerator"], february["denominator"]) == (1, 1)
    assert february["value"] == pytest.approx(1 / (1 / 12) * 1000, rel=1e-9)
    assert february["lower_95"] == pytest.approx(0.0253178 * 12 * 1000, rel=1e-6)
    assert february["upper_95"] == pytest.approx(5.5716434 * 12 * 1000, rel=1e-6)


def test_the_system_and_a_quarter_add_up_the_same_attendances(frame):
    system = value(frame, METRIC, "system", "SYSTEM", "2026-01-01")
    assert (system["numerator"], system["denominator"]) == (3, 5)
    assert system["value"] == pytest.approx(3 / (5 / 12) * 1000, rel=1e-9)
    quarter = value(frame, METRIC, "practice", "A00001", "2026-01-01", "quarter")
    # 4 residents for 3 months: one person-year.
    assert (quarter["numerator"], quarter["denominator"]) == (3, 4)
    assert quarter["value"] == pytest.approx(3 * 1000, rel=1e-9)
    march = value(frame, METRIC, "practice", "A00001", "2026-03-01")
    assert (march["numerator"], march["value"]) == (0, 0)


# --- the published sample: every published row is its numerator over its residents -------

MONTHS = {"month": 1, "board": 2, "quarter": 3, "rolling12": 12, "fy": 12}
PUBLISHED_SQL = """
SELECT period_type, period_start, period_end, level, org_code, segment, numerator,
       denominator, value
FROM indicator_values
WHERE metric_id = 'ae_attendances_care_home_residents' AND NOT suppressed
"""
# Attendances of flagged residents registered on the day, not planned follow-ups, by month.
RESIDENT_ATTENDANCES_SQL = """
SELECT date_trunc('month', a.arrivaldate)::DATE, count(*)
FROM ae_attendances a
JOIN patients p ON p.person_id = a.person_id AND p.care_home_resident
 AND a.arrivaldate BETWEEN p.registered_from AND coalesce(p.registered_to, a.arrivaldate)
WHERE a.aeattendcat IS DISTINCT FROM '2'
GROUP BY ALL
"""


def snapshot_of(settings) -> str:
    serving = settings.data_dir / "serving"
    return str(serving / f"{(serving / 'CURRENT').read_text().strip()}.duckdb")


def test_every_published_value_is_attendances_per_1000_resident_years(published_sample):
    with duckdb.connect(snapshot_of(published_sample), read_only=True) as snapshot:
        rows = snapshot.execute(PUBLISHED_SQL).df()
    with duckdb.connect(str(published_sample.warehouse_path), read_only=True) as warehouse:
        attendances = dict(warehouse.execute(RESIDENT_ATTENDANCES_SQL).fetchall())
        every = warehouse.execute("SELECT count(*) FROM ae_attendances").fetchone()[0]
    assert len(rows) > 10_000 and set(rows["level"]) == {
        "practice", "network", "locality", "area", "system",
    }  # fmt: skip
    months = rows["period_type"].map(MONTHS)
    resident_years = rows["denominator"] * months / 12
    assert (rows["value"] - rows["numerator"] / resident_years * 1000).abs().max() < 1e-6
    assert (rows["numerator"] <= every).all()
    system = rows[(rows["level"] == "system") & (rows["segment"] == "all")]
    for row in system.itertuples():
        in_period = [
            count for month, count in attendances.items()
            if row.period_start <= pd.Timestamp(month) <= row.period_end
        ]  # fmt: skip
        assert row.numerator == sum(in_period), (row.period_type, row.period_start)
