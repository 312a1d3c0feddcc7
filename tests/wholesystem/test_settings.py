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
            "WHOLESYSTEM_QUARANTINE_THRESHOLD is 'five'; use a share from 0 to 1, e.g. 0.05",
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
    with pytest.raises(
        UserError, match="WHOLESYSTEM_EQ5D_5L_VALUE_SET is 'us'; use 'england' or 'crosswalk'"
    ):
        load_settings({"WHOLESYSTEM_EQ5D_5L_VALUE_SET": "us"})


def test_every_setting_is_documented_in_the_readme():
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for setting in fields(Settings):
        documented = f"`WHOLESYSTEM_{setting.name.upper()}`" in readme
        if setting.type == "dict":  # tables, set in the TOML file only
            documented = f"`[{setting.name}" in readme
        assert documented, f"setting {setting.name} is not documented in README.md"


MEMORY = "a size with a unit as DuckDB reads it, at least 64MB, e.g. 1GB, 1.5GB or 512MiB"
SWITCH = "1 or 0 (true/false, yes/no, on/off)"
SUPPRESSION = "a whole number from 1 to 100 (counts from 1 to it are suppressed)"
# (setting, bad value, what the sentence says is allowed): each closes a finding of issue 12,
# where a bad value either reached DuckDB as a traceback or was taken silently.
STORAGE = 'a Flask-Limiter storage URI such as "memory://" or "redis://host:6379"'
BAD_VALUES = [
    ("etl_memory_limit", "lots", MEMORY),
    ("etl_memory_limit", "1024", MEMORY),
    ("etl_memory_limit", "1PB", MEMORY),
    ("etl_memory_limit", "10MB", MEMORY),
    ("etl_memory_limit", "1GB'; SET threads=1; --", MEMORY),
    ("publish_memory_limit", "-1", MEMORY),
    ("etl_threads", "-1", "a whole number of threads from 0 (one per core) to 1024"),
    ("etl_threads", "two", "a whole number of threads from 0 (one per core) to 1024"),
    ("etl_threads", "1.5", "a whole number of threads from 0 (one per core) to 1024"),
    ("quarantine_threshold", "-0.1", "a share from 0 to 1, e.g. 0.05"),
    ("quarantine_threshold", "1.5", "a share from 0 to 1, e.g. 0.05"),
    ("quarantine_threshold", "nan", "a share from 0 to 1, e.g. 0.05"),
    ("quarantine_threshold", "inf", "a share from 0 to 1, e.g. 0.05"),
    ("suppression_threshold", "-1", SUPPRESSION),
    ("suppression_threshold", "0", SUPPRESSION),
    ("snapshots_kept", "0", "a whole number from 1 to 1000"),
    ("snapshots_kept", "-3", "a whole number from 1 to 1000"),
    ("session_idle_minutes", "0", "a whole number of minutes from 1 to 1440"),
    ("session_hours", "-12", "a whole number of hours from 1 to 168"),
    ("password_min_length", "4", "a whole number from 8 to 128"),
    ("analysts_see_small_numbers", "maybe", SWITCH),
    ("https", "2", SWITCH),
    ("max_request_bytes", "0", "a size from 1KiB to 1GiB, in bytes or with a unit, e.g. 1MiB"),
    ("max_request_bytes", "2GiB", "a size from 1KiB to 1GiB, in bytes or with a unit, e.g. 1MiB"),
    ("eq5d_5l_value_set", "England ", "'england' or 'crosswalk'"),
    ("api_rate_limit_storage", "memory", STORAGE),
    ("api_rate_limit_storage", "postgres://db", STORAGE),
    ("api_rate_limit_storage", "async+redis://host", STORAGE),
]


@pytest.mark.parametrize(("name", "value", "allowed"), BAD_VALUES)
def test_a_bad_value_names_the_variable_and_the_values_allowed(name, value, allowed):
    variable = f"WHOLESYSTEM_{name.upper()}"
    with pytest.raises(UserError) as refused:
        load_settings({variable: value})
    assert str(refused.value) == f"{variable} is {value!r}; use {allowed}"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("etl_memory_limit", "512MiB", "512MiB"),
        ("etl_memory_limit", "1.5 GB", "1.5GB"),
        ("publish_memory_limit", "4gb", "4gb"),
        ("etl_threads", "0", 0),
        ("etl_threads", " 8 ", 8),
        ("quarantine_threshold", "0", 0.0),
        ("suppression_threshold", "10", 10),
        ("snapshots_kept", "1", 1),
        ("https", "yes", True),
        ("https", "OFF", False),
        ("max_request_bytes", "2MiB", 2 * 1024 * 1024),
        ("max_request_bytes", "2000", 2000),
        ("api_rate_limit_storage", " redis://cache:6379 ", "redis://cache:6379"),
    ],
)
def test_good_values_in_every_allowed_form_are_read(name, value, expected):
    assert getattr(load_settings({f"WHOLESYSTEM_{name.upper()}": value}), name) == expected


def test_every_memory_form_allowed_is_one_duckdb_reads():
    import duckdb

    connection = duckdb.connect()
    for value in ("1GB", "1.5 GB", "512MiB", "2gib", "100MB", "1TB", "64000KB"):
        limit = load_settings({"WHOLESYSTEM_ETL_MEMORY_LIMIT": value}).etl_memory_limit
        connection.execute(f"SET memory_limit = '{limit}'")
        connection.execute("SET memory_limit = '1GB'")  # back, before a tiny one starves it


def test_a_bad_secret_key_is_refused_without_repeating_it():
    with pytest.raises(UserError) as refused:
        load_settings({"WHOLESYSTEM_SECRET_KEY": "hunter2"})
    assert str(refused.value).startswith(
        "WHOLESYSTEM_SECRET_KEY is 7 characters long; use at least 16 characters"
    )
    assert "hunter2" not in str(refused.value)


def test_a_bad_toml_value_names_the_key_and_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wholesystem.toml").write_text('snapshots_kept = 0\nhttps = "sometimes"\n')
    with pytest.raises(UserError) as refused:
        load_settings({})
    assert str(refused.value) in (
        "snapshots_kept in wholesystem.toml is 0; use a whole number from 1 to 1000",
        "https in wholesystem.toml is 'sometimes'; use " + SWITCH,
    )
    # The environment's value wins, and is the one judged.
    (tmp_path / "wholesystem.toml").write_text("snapshots_kept = 0\n")
    assert load_settings({"WHOLESYSTEM_SNAPSHOTS_KEPT": "5"}).snapshots_kept == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("etl_threads = 1.5\n", "etl_threads in wholesystem.toml is 1.5; use a whole number"),
        ("https = 1.0\n", "https in wholesystem.toml is 1.0; use 1 or 0"),
        ('[level_labels]\nward = "Ward"\n', "level_labels in wholesystem.toml is {'ward'"),
        ("indicators = 3\n", "indicators in wholesystem.toml is 3; use a table"),
        ("data_dir = 7\n", "data_dir in wholesystem.toml is 7; use the path of a directory"),
    ],
)
def test_a_bad_toml_file_gets_one_sentence(tmp_path, monkeypatch, text, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wholesystem.toml").write_text(text)
    with pytest.raises(UserError) as refused:
        load_settings({})
    assert str(refused.value).startswith(message)
    assert "\n" not in str(refused.value)


def test_a_config_that_is_a_directory_is_one_sentence(tmp_path):
    with pytest.raises(UserError) as refused:
        load_settings({"WHOLESYSTEM_CONFIG": str(tmp_path)})
    assert str(refused.value) == f"configuration file {tmp_path} cannot be read (Is a directory)"


def test_every_setting_has_a_rule():
    from wholesystem.setting_rules import RULES

    assert sorted(RULES) == sorted(setting.name for setting in fields(Settings))
