"""The network comparison follows the targets in force, read live: a network's own target
decides its cell's colour, one for every org decides the rest, and the practices' league
table uses each practice's; without one, the definition's QOF thresholds apply."""

from __future__ import annotations

import pytest

from dashboard import access
from dashboard.pages import networks_data as data
from dashboard.scope import Scope
from wholesystem import targets
from wholesystem.settings import Settings
from wholesystem.targets import TargetSpec

KPI = "dm_hba1c_control"  # default thresholds 35% and 75%; networks' values about 55-78%


@pytest.fixture
def settings(published_sample, tmp_path) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(published_sample.serving_dir)
    settings = Settings(data_dir=data_dir)
    access.configure(settings)
    yield settings
    access.configure(published_sample)


def statuses(month) -> dict[str, tuple[float, str]]:
    cells, _, _ = data.heatmap_cells(Scope.whole_system(), month)
    cells = cells[cells["metric_id"] == KPI]
    return {row.org_code: (row.value, row.status) for row in cells.itertuples()}


def test_the_heat_map_follows_a_network_target_and_one_for_every_org(settings):
    month = access.months()[-1]
    before = statuses(month)
    assert {status for value, status in before.values() if 35 <= value < 75} == {"between"}
    network = min((code for code in before if code != "SYSTEM"), key=lambda c: before[c][0])
    value = before[network][0]
    targets.add_target(
        settings, TargetSpec(KPI, org_code=network, value=value - 1, reason="Local"), "ann"
    )
    targets.add_target(settings, TargetSpec(KPI, lower=value + 1, upper=90, reason="ICB"), "ann")
    after = statuses(month)
    assert after[network][1] == "met"  # its own target, 1 point under its value
    for code, (other, status) in after.items():
        if code != network:  # every other org: short of the ICB's lower threshold, or between
            assert status == ("not_met" if other < value + 1 else "between"), code
    kpi = data.care_package_kpis(month).loc[KPI]
    assert (kpi["lower"], kpi["upper"]) == (value + 1, 90.0)
    assert data.threshold_text(kpi) == f"thresholds {value + 1:g}% and 90%"


def test_the_league_table_uses_each_practices_own_target(settings):
    month = access.months()[-1]
    network = access.org_units(Scope.whole_system(), "network")["org_code"].iloc[0]
    view = data.network_view(Scope.whole_system(), network, KPI, month.isoformat())
    rows = view.rows[view.rows["metric_id"] == KPI].set_index("org_code")
    practice = rows["value"].dropna().index[0]
    value = rows.loc[practice, "value"]
    spec = TargetSpec(KPI, org_code=practice, value=min(value + 5, 100), reason="Stretch")
    targets.add_target(settings, spec, "ann")
    view = data.network_view(Scope.whole_system(), network, KPI, month.isoformat())
    rows = view.rows[view.rows["metric_id"] == KPI].set_index("org_code")
    assert rows.loc[practice, "upper"] == min(value + 5, 100)
    assert rows.loc[practice, "status"] == "not_met"  # short of its own target, and lower = it
    others = rows.drop(index=practice)
    assert set(others["upper"]) == {75.0} and set(others["lower"]) == {35.0}
