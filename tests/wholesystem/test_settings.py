"""Settings come from defaults, an optional TOML file and WHOLESYSTEM_* variables."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from wholesystem.errors import UserError
from wholesystem.settings import Settings, load_settings


def test_defaults_put_the_warehouse_under_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})
    assert settings == Settings()
    assert settings.warehouse_path == Path("data/warehouse.duckdb")
    assert settings.quarantine_threshold == 0.05


def test_environment_overrides_the_toml_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wholesystem.toml").write_text(
        'data_dir = "from_toml"\nquarantine_threshold = 0.1\n'
    )
    settings = load_settings({"WHOLESYSTEM_DATA_DIR": "/srv/ws"})
    assert settings.data_dir == Path("/srv/ws")
    assert settings.quarantine_threshold == 0.1


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        (
            {"WHOLESYSTEM_QUARANTINE_THRESHOLD": "five"},
            "setting quarantine_threshold has an invalid value 'five'",
        ),
        ({"WHOLESYSTEM_CONFIG": "missing.toml"}, "configuration file missing.toml does not exist"),
    ],
)
def test_bad_settings_get_one_clear_sentence(tmp_path, monkeypatch, environment, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=message):
        load_settings(environment)


def test_an_unknown_toml_setting_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wholesystem.toml").write_text("quarantine_treshold = 0.1\n")
    with pytest.raises(UserError, match="unknown setting\\(s\\): quarantine_treshold"):
        load_settings({})


def test_indicator_overrides_come_from_toml_tables(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wholesystem.toml").write_text(
        "[indicators.dm_cholesterol_control]\ncholesterol_threshold = 5.0\ntarget = 80\n"
    )
    settings = load_settings({"WHOLESYSTEM_SUPPRESSION_THRESHOLD": "5"})
    assert settings.indicators == {
        "dm_cholesterol_control": {"cholesterol_threshold": 5.0, "target": 80}
    }
    assert settings.suppression_threshold == 5
    assert settings.serving_dir == Path("data/serving")


def test_an_unknown_eq5d_value_set_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match="eq5d_5l_value_set is 'us'; use 'england' or 'crosswalk'"):
        load_settings({"WHOLESYSTEM_EQ5D_5L_VALUE_SET": "us"})


def test_every_setting_is_documented_in_the_readme():
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for setting in fields(Settings):
        documented = f"`WHOLESYSTEM_{setting.name.upper()}`" in readme
        if setting.type == "dict":  # tables, set in the TOML file only
            documented = f"`[{setting.name}" in readme
        assert documented, f"setting {setting.name} is not documented in README.md"
