"""`wholesystem export`: fixed columns, ISO dates, `*` for suppressed rows, one-line errors.

The numbers are those of the end-of-life fixture (published_system.py): February's
emergency admissions per 100 deaths, with PHE's count limits divided by the deaths (exact
Poisson under 10 admissions, Byar's from 10), e.g. for U00001's 20 admissions and 13 deaths
lower_95 = 20 (1 − 1/180 − 1.959964/(3√20))³ / 13 × 100 = 93.934068, and for A00002's 0
of 3 upper_95 = χ²(0.975; 2)/2 / 3 × 100 = 122.962648. January and March have no deaths.
"""

from __future__ import annotations

import pytest

from metrics.export import EXPORT_COLUMNS, _format_row, format_cell
from tests.metrics.conftest import FixtureSystem
from tests.metrics.published_system import MONTHS, add_deaths
from wholesystem.cli import main

HEADER = (
    "metric_id,period_type,period_start,period_end,level,org_code,segment,numerator,"
    "denominator,value,lower_95,upper_95,lower_998,upper_998,comparison_parent,comparison_system,"
    "parent_value,system_value,isr,isr_lower_95,isr_upper_95,isr_lower_998,isr_upper_998,"
    "comparison_parent_998,comparison_system_998"
)
JANUARY = "nel_last_100_days,month,2026-01-01,2026-01-31"
FEBRUARY = "nel_last_100_days,month,2026-02-01,2026-02-28"
MARCH = "nel_last_100_days,month,2026-03-01,2026-03-31"
NO_DEATHS = "all,0,0,,,,,,not compared,not compared,,,,,,,,not compared,not compared"
MASKED = ",".join(["*"] * 18)
# February's benchmarks: the system has 41 admissions per 34 deaths (120.58823529411765 per 100);
# nel_last_100_days has no ISR, so its ratio columns are empty.
SYSTEM = "120.58823529411765,,,,,"
# February's counts, value and limits, printed in full: admissions, deaths, value, lower_95,
# upper_95, lower_998, upper_998.
TWENTY_OF_13 = (
    "20,13,153.84615384615384,93.93406796058412,237.61446437843892,68.63694127033995,"
    "292.9618125003224"
)
TWELVE_OF_12 = (
    "12,12,100,51.612582025658575,174.69048378013917,33.33646658687499,225.67466126700333"
)
NINE_OF_9 = "9,9,100,45.72636774864815,189.83114946021294,27.249160048486388,251.74859232292144"
TWENTY_OF_10 = "20,10,200,122.11428834875935,308.89880369197056,89.22802365144193,380.8503562504191"
NONE_OF_3 = "0,3,0,0,122.96264847046452,0,230.25850929940458"
TWELVE_OF_13 = (
    "12,13,92.3076923076923,47.64238340830022,161.25275425859,30.772123003269222,208.3150719387723"
)
SIMILAR = "similar,similar"


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> FixtureSystem:
    """The end-of-life fixture, published once for the module."""
    system = FixtureSystem(tmp_path_factory.mktemp("export"), MONTHS)
    add_deaths(system)
    system.publish()
    return system


@pytest.fixture
def export(published, monkeypatch, capsys, tmp_path):
    """Runs `wholesystem export ARGS` on the published fixture; returns (status, out, err)."""
    monkeypatch.chdir(tmp_path)  # no wholesystem.toml from the working directory
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(published.settings.data_dir))
    capsys.readouterr()

    def run(*arguments: str) -> tuple[int, str, str]:
        status = main(["export", "--metric", "nel_last_100_days", *arguments])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def test_network_values_by_month(export):
    assert export("--level", "network") == (0, "\n".join([
        HEADER,
        f"{JANUARY},network,U00001,{NO_DEATHS}",
        f"{FEBRUARY},network,U00001,all,{TWENTY_OF_13},{SIMILAR},128,{SYSTEM},{SIMILAR}",
        f"{MARCH},network,U00001,{NO_DEATHS}",
        f"{JANUARY},network,U00002,{NO_DEATHS}",
        f"{FEBRUARY},network,U00002,all,{TWELVE_OF_12},{SIMILAR},128,{SYSTEM},{SIMILAR}",
        f"{MARCH},network,U00002,{NO_DEATHS}",
        f"{JANUARY},network,U00003,{NO_DEATHS}",
        f"{FEBRUARY},network,U00003,all,{NINE_OF_9},{SIMILAR},100,{SYSTEM},{SIMILAR}",
        f"{MARCH},network,U00003,{NO_DEATHS}",
    ]) + "\n", "")  # fmt: skip


def test_small_counts_and_their_complement_are_masked(export):
    # A00002 has 3 deaths; A00001, its only sibling, would give them away (U00001 − A00001).
    status, out, _ = export("--level", "practice")
    february = [line for line in out.splitlines() if line.startswith(FEBRUARY)]
    assert status == 0
    assert february == [
        f"{FEBRUARY},practice,A00001,all,{MASKED}",
        f"{FEBRUARY},practice,A00002,all,{MASKED}",
        f"{FEBRUARY},practice,A00003,all,{TWELVE_OF_12},{SIMILAR},100,{SYSTEM},{SIMILAR}",
        f"{FEBRUARY},practice,A00004,all,{NINE_OF_9},{SIMILAR},100,{SYSTEM},{SIMILAR}",
    ]  # fmt: skip
    # A00002's February would also be its quarter less January and March, so one of those
    # three is masked too (which one is disclosure control's choice, metrics.disclosure).
    _, quarter, _ = export("--level", "practice", "--org", "A00002", "--period-type", "quarter")
    others = [*out.splitlines(), *quarter.splitlines()]
    assert any(
        line.endswith(f",practice,A00002,all,{MASKED}") and not line.startswith(FEBRUARY)
        for line in others
    )


def test_no_suppress_shows_every_count(export):
    status, out, _ = export("--level", "practice", "--org", "A00001", "--no-suppress")
    assert status == 0
    assert out.splitlines()[2] == (
        f"{FEBRUARY},practice,A00001,all,{TWENTY_OF_10},similar,worse,153.84615384615384,"
        f"{SYSTEM},{SIMILAR}"
    )  # fmt: skip
    _, out, _ = export("--level", "practice", "--org", "A00002", "--no-suppress")
    assert out.splitlines() == [
        HEADER,
        f"{JANUARY},practice,A00002,{NO_DEATHS}",
        f"{FEBRUARY},practice,A00002,all,{NONE_OF_3},better,similar,153.84615384615384,"
        f"{SYSTEM},{SIMILAR}",
        f"{MARCH},practice,A00002,{NO_DEATHS}",
    ]


def test_one_org_and_a_longer_period(export):
    assert export("--level", "area", "--org", "AR2", "--period-type", "quarter") == (
        0,
        f"{HEADER}\nnel_last_100_days,quarter,2026-01-01,2026-03-31,area,AR2,all,{NINE_OF_9},"
        f"{SIMILAR},120.58823529411765,{SYSTEM},{SIMILAR}\n",
        "",
    )  # fmt: skip


def test_a_period_type_with_no_complete_period_gives_the_header_only(export):
    assert export("--level", "system", "--period-type", "fy") == (0, HEADER + "\n", "")


def test_a_segment_and_its_masked_partner(export):
    # L1's age bands: 18-64 has 2 deaths, so the smallest other band (85+: 12 admissions)
    # is masked too; 75-84 (20 admissions) stays.
    _, out, _ = export("--level", "locality", "--segment", "age_band:75-84")
    assert out.splitlines()[1:] == [
        f"{FEBRUARY},locality,L1,age_band:75-84,{TWENTY_OF_10},{SIMILAR},200,"
        f"152.63157894736844,,,,,,{SIMILAR}",
        f"{FEBRUARY},locality,L2,age_band:75-84,{NINE_OF_9},{SIMILAR},100,"
        f"152.63157894736844,,,,,,{SIMILAR}",
    ]  # fmt: skip
    _, out, _ = export("--level", "locality", "--segment", "age_band:85+")
    assert out.splitlines()[1:] == [f"{FEBRUARY},locality,L1,age_band:85+,{MASKED}"]
    _, out, _ = export("--level", "locality", "--segment", "age_band:85+", "--no-suppress")
    assert out.splitlines()[1:] == [
        f"{FEBRUARY},locality,L1,age_band:85+,{TWELVE_OF_13},{SIMILAR},92.3076923076923,"
        f"92.3076923076923,,,,,,{SIMILAR}",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["--metric", "nel_last_99_days", "--level", "area"], "'nel_last_99_days'"),
        (["--level", "practice", "--org", "A99999"], "'A99999'"),
        (["--level", "area", "--org", "A00001"], "'A00001'"),  # a practice, not an area
        (["--level", "area", "--segment", "age_band:100+"], "'age_band:100+'"),
        (["--level", "ward"], "'ward'"),
        (["--level", "area", "--period-type", "week"], "'week'"),
        (["--level", "practice", "--segment", "sex:male"], "'sex:male'"),
        (
            ["--metric", "registered_population", "--level", "area", "--segment", "sex:male"],
            "'sex:male'",
        ),
    ],
)
def test_a_bad_argument_gets_one_line_and_exit_2(export, arguments, named):
    status, out, err = export(*arguments)
    assert (status, out) == (2, "")
    assert err.startswith("wholesystem export: ") and err.count("\n") == 1
    assert named in err
    assert "Traceback" not in err


def test_export_before_any_publish(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(tmp_path / "data"))
    status = main(["export", "--metric", "nel_last_100_days", "--level", "area"])
    captured = capsys.readouterr()
    assert (status, captured.out) == (2, "")
    assert captured.err == (
        f"wholesystem export: no published snapshot in {tmp_path / 'data' / 'serving'}; "
        "run `wholesystem publish` first\n"
    )


PRACTICE_ROW = {
    "metric_id": "bed_days", "period_type": "month", "level": "practice", "org_code": "A1",
    "segment": "all", "numerator": 12.0, "denominator": 1000.0, "value": 144.0,
    "lower_95": 74.4, "upper_95": 251.5, "lower_998": 55.0, "upper_998": 300.0,
    "comparison_parent": "similar", "comparison_system": "better", "parent_value": 150.0,
    "system_value": 120.0, "isr": 0.5, "isr_lower_95": 0.26, "isr_upper_95": 0.87,
    "isr_lower_998": 0.2, "isr_upper_998": 1.1, "comparison_parent_998": "similar",
    "comparison_system_998": "similar",
}  # fmt: skip


@pytest.mark.parametrize(
    ("suppressed", "masked"),
    [
        ((False, True, False), {"parent_value", "comparison_parent", "comparison_parent_998"}),
        ((False, False, True), {"system_value", "comparison_system", "comparison_system_998"}),
        ((True, False, False), set(EXPORT_COLUMNS[7:])),
        ((False, False, False), set()),
    ],
)
def test_a_suppressed_benchmark_is_masked_with_the_verdicts_against_it(suppressed, masked):
    # (row, parent, system) suppressed: a verdict would tell on which side of the interval
    # a hidden benchmark lies, so it goes with the benchmark.
    row = tuple(PRACTICE_ROW.get(column) for column in EXPORT_COLUMNS) + suppressed
    cells = dict(zip(EXPORT_COLUMNS, _format_row(row, suppress=True), strict=True))
    assert {column for column, cell in cells.items() if cell == "*"} == masked
    assert _format_row(row, suppress=False) == [format_cell(value) for value in row[:-3]]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (20.0, "20"),
        (-0.0, "0"),  # no "-0"
        (153.84615384615384, "153.84615384615384"),  # in full: no rounding
        (0.1, "0.1"),  # the shortest decimal that reads back as the same number
        (6.105288958347208, "6.105288958347208"),
        (1e-9, "0.000000001"),  # never in exponent form
        (1e20, "100000000000000000000"),
        (float("nan"), ""),
        (None, ""),
    ],
)
def test_numbers_are_written_plainly(value, text):
    assert format_cell(value) == text
