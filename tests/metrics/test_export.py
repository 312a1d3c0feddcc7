"""`wholesystem export`: fixed columns, ISO dates, `*` for suppressed rows, one-line errors.

The numbers are those of the end-of-life fixture (published_system.py): February's
emergency admissions per 100 deaths, with PHE's count limits divided by the deaths (exact
Poisson under 10 admissions, Byar's from 10), e.g. for U00001's 20 admissions and 13 deaths
lower_95 = 20 (1 − 1/180 − 1.959964/(3√20))³ / 13 × 100 = 93.934068, and for A00002's 0
of 3 upper_95 = χ²(0.975; 2)/2 / 3 × 100 = 122.962648. January and March have no deaths.
"""

from __future__ import annotations

import pytest

from metrics.export import _format_cell
from tests.metrics.conftest import FixtureSystem
from tests.metrics.published_system import MONTHS, add_deaths
from wholesystem.cli import main

HEADER = (
    "metric_id,period_type,period_start,period_end,level,org_code,segment,numerator,"
    "denominator,value,lower_95,upper_95,lower_998,upper_998,comparison_parent,comparison_system"
)
JANUARY = "nel_last_100_days,month,2026-01-01,2026-01-31"
FEBRUARY = "nel_last_100_days,month,2026-02-01,2026-02-28"
MARCH = "nel_last_100_days,month,2026-03-01,2026-03-31"
NO_DEATHS = "all,0,0,,,,,,not compared,not compared"
MASKED = "*,*,*,*,*,*,*,*,*"


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
        f"{FEBRUARY},network,U00001,all,20,13,153.846154,93.934068,237.614464,68.636941,"
        "292.961813,similar,similar",
        f"{MARCH},network,U00001,{NO_DEATHS}",
        f"{JANUARY},network,U00002,{NO_DEATHS}",
        f"{FEBRUARY},network,U00002,all,12,12,100,51.612582,174.690484,33.336467,225.674661,"
        "similar,similar",
        f"{MARCH},network,U00002,{NO_DEATHS}",
        f"{JANUARY},network,U00003,{NO_DEATHS}",
        f"{FEBRUARY},network,U00003,all,9,9,100,45.726368,189.831149,27.24916,251.748592,"
        "similar,similar",
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
        f"{FEBRUARY},practice,A00003,all,12,12,100,51.612582,174.690484,33.336467,225.674661,"
        "similar,similar",
        f"{FEBRUARY},practice,A00004,all,9,9,100,45.726368,189.831149,27.24916,251.748592,"
        "similar,similar",
    ]  # fmt: skip
    # A00002's February would also be its quarter less January and March: January goes too.
    assert f"{JANUARY},practice,A00002,all,{MASKED}" in out.splitlines()


def test_no_suppress_shows_every_count(export):
    status, out, _ = export("--level", "practice", "--org", "A00001", "--no-suppress")
    assert status == 0
    assert out.splitlines()[2] == (
        f"{FEBRUARY},practice,A00001,all,20,10,200,122.114288,308.898804,89.228024,380.850356,"
        "similar,worse"
    )  # fmt: skip
    _, out, _ = export("--level", "practice", "--org", "A00002", "--no-suppress")
    assert out.splitlines() == [
        HEADER,
        f"{JANUARY},practice,A00002,{NO_DEATHS}",
        f"{FEBRUARY},practice,A00002,all,0,3,0,0,122.962648,0,230.258509,better,similar",
        f"{MARCH},practice,A00002,{NO_DEATHS}",
    ]


def test_one_org_and_a_longer_period(export):
    assert export("--level", "area", "--org", "AR2", "--period-type", "quarter") == (
        0,
        f"{HEADER}\nnel_last_100_days,quarter,2026-01-01,2026-03-31,area,AR2,all,9,9,100,"
        "45.726368,189.831149,27.24916,251.748592,similar,similar\n",
        "",
    )  # fmt: skip


def test_a_period_type_with_no_complete_period_gives_the_header_only(export):
    assert export("--level", "system", "--period-type", "fy") == (0, HEADER + "\n", "")


def test_a_segment_and_its_masked_partner(export):
    # L1's age bands: 18-64 has 2 deaths, so the smallest other band (85+: 12 admissions)
    # is masked too; 75-84 (20 admissions) stays.
    _, out, _ = export("--level", "locality", "--segment", "age_band:75-84")
    assert out.splitlines()[1:] == [
        f"{FEBRUARY},locality,L1,age_band:75-84,20,10,200,122.114288,308.898804,89.228024,"
        "380.850356,similar,similar",
        f"{FEBRUARY},locality,L2,age_band:75-84,9,9,100,45.726368,189.831149,27.24916,"
        "251.748592,similar,similar",
    ]  # fmt: skip
    _, out, _ = export("--level", "locality", "--segment", "age_band:85+")
    assert out.splitlines()[1:] == [f"{FEBRUARY},locality,L1,age_band:85+,{MASKED}"]
    _, out, _ = export("--level", "locality", "--segment", "age_band:85+", "--no-suppress")
    assert out.splitlines()[1:] == [
        f"{FEBRUARY},locality,L1,age_band:85+,12,13,92.307692,47.642383,161.252754,30.772123,"
        "208.315072,similar,similar",
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


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (20.0, "20"),
        (153.84615384615, "153.846154"),
        (27.2491600001, "27.24916"),
        (47.99999999, "48"),  # rounds to a whole number: no trailing point
        (1e-9, "0"),
        (-1e-9, "0"),  # no "-0"
        (float("nan"), ""),
        (None, ""),
    ],
)
def test_numbers_are_written_plainly(value, text):
    assert _format_cell(value) == text
