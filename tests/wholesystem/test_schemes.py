"""Payment schemes: parsing every key (a bad one refused in one sentence naming the scheme,
key and value), the TOML tables (the documented 70/30 example included), and admins'
edits kept with their history and audit, overriding the TOML scheme of that name."""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path

import pytest

from dashboard import users
from wholesystem import schemes
from wholesystem.schemes import SchemeError
from wholesystem.settings import Settings, load_settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "dashboard.md"
TABLE = {
    "title": "Care packages 70/30", "upfront_share": 0.7, "period": "quarter",
    "packages": [
        {"name": "Diabetes", "rate": 4.0, "per": "registered", "kpis": [
            {"metric_id": "dm_hba1c_control", "weight": 10, "method": "linear"},
            {"metric_id": "dm_bp_control", "weight": 5, "method": "all_or_nothing",
             "lower": 40, "upper": 90},
        ]},
        {"name": "Immunisation", "rate": 1.5, "per": "register", "register": "imm_mmr1_18m",
         "kpis": [{"metric_id": "imm_dtap_8m", "weight": 10},
                  {"metric_id": "imm_mmr1_18m", "weight": 10}]},
    ],
    "gain_share": {"share": 0.5, "cost_per_admission": 1800, "baseline_per_1000": 95},
}  # fmt: skip


def changed(path: str, value):
    """TABLE with the value at `path` ("packages.0.kpis.1.weight") replaced (None: removed)."""
    table = copy.deepcopy(TABLE)
    *parents, last = path.split(".")
    holder = table
    for key in parents:
        holder = holder[int(key)] if key.isdigit() else holder[key]
    if value is None:
        del holder[int(last) if last.isdigit() else last]
    else:
        holder[int(last) if last.isdigit() else last] = value
    return table


def test_a_full_scheme_parses_and_round_trips():
    scheme = schemes.parse_scheme("cp_70_30", TABLE, "test")
    assert scheme.split == "70/30" and scheme.period == "quarter"
    assert [p.name for p in scheme.packages] == ["Diabetes", "Immunisation"]
    bp = scheme.packages[0].kpis[1]
    assert (bp.metric_id, bp.weight, bp.method, bp.lower, bp.upper) == (
        "dm_bp_control", 5, "all_or_nothing", 40, 90,
    )  # fmt: skip
    assert scheme.packages[1].register_metric == "imm_mmr1_18m"
    assert scheme.packages[0].register_metric == "dm_hba1c_control"
    assert scheme.gain_share == schemes.GainShare(0.5, 1800, "emergency_admissions", 95)
    again = schemes.parse_scheme("cp_70_30", schemes.scheme_table(scheme), "test")
    assert again == scheme


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("packages.0.kpis.0.metric_id", "emergency_admissions",
         "payment scheme 'cp': package 'Diabetes': kpis[0]: metric_id 'emergency_admissions' "
         "is not a care-package KPI; they are "),
        ("packages.0.kpis.0.metric_id", "nonsense", "metric_id 'nonsense' is not a care-package"),
        ("packages.0.kpis.0.weight", 0,
         "payment scheme 'cp': package 'Diabetes': KPI 'dm_hba1c_control': weight 0 must be "
         "more than 0 (points)"),
        ("packages.0.kpis.0.weight", -2, "weight -2 must be a number 0 or more"),
        ("packages.0.kpis.0.weight", "ten", "weight 'ten' is not a number"),
        ("packages.0.kpis.0.weight", None, "KPI 'dm_hba1c_control': weight is missing"),
        ("upfront_share", 1.2,
         "payment scheme 'cp': upfront_share 1.2 must be a number from 0 to 1"),
        ("upfront_share", -0.1, "upfront_share -0.1 must be a number from 0 to 1"),
        ("packages.0.rate", -1, "package 'Diabetes': rate -1 must be a number 0 or more"),
        ("packages.0.kpis.1.lower", 95,
         "KPI 'dm_bp_control': lower 95 is beyond upper 90 in the direction of improvement"),
        ("period", "month", "payment scheme 'cp': period 'month' must be 'quarter' or 'fy'"),
        ("packages.0.kpis.0.method", "stepwise",
         "method 'stepwise' must be 'linear' or 'all_or_nothing'"),
        ("packages.0.per", "list", "per 'list' must be 'registered' or 'register'"),
        ("packages.1.register", "dm_bp_control",
         "package 'Immunisation': register 'dm_bp_control' is not one of the package's KPIs"),
        ("colour", "blue", "payment scheme 'cp' has unknown key 'colour'; the keys are"),
        ("packages", [], "payment scheme 'cp': packages must be one [[packages]] table or more"),
        ("packages.0.kpis", "dm_bp_control", "kpis must be one [[packages.kpis]] table or more"),
        ("packages.1.kpis.0.metric_id", "dm_hba1c_control",
         "payment scheme 'cp': KPI 'dm_hba1c_control' is given more than once"),
        ("packages.1.name", "Diabetes", "package name 'Diabetes' is given more than once"),
        ("packages.0.name", None, "packages[0]: name is missing"),
        ("gain_share.share", 2, "gain_share: share 2 must be a number from 0 to 1"),
        ("gain_share.metric_id", "dm_bp_control",
         "gain_share: metric_id 'dm_bp_control' is not an indicator counting events among "
         "the registered population"),
        ("gain_share.cost_per_admission", "lots", "cost_per_admission 'lots' is not a number"),
        ("gain_share", "yes", "payment scheme 'cp': gain_share must be a table, not 'yes'"),
    ],
)  # fmt: skip
def test_a_bad_value_is_one_sentence_naming_scheme_key_and_value(path, value, message):
    with pytest.raises(SchemeError) as raised:
        schemes.parse_scheme("cp", changed(path, value), "test")
    text = str(raised.value)
    assert message in text
    assert "\n" not in text and text.replace("e.g. ", "").count(". ") == 0


def test_a_bad_name_is_refused():
    with pytest.raises(SchemeError, match="payment scheme name 'Care Packages' must be"):
        schemes.parse_scheme("Care Packages", TABLE)


def documented_example() -> str:
    """The full 70/30 example in docs/dashboard.md ("Payments")."""
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"```toml\n(\[payment_schemes\.care_packages_70_30\].*?)```", text, re.S)
    assert match, "docs/dashboard.md has no [payment_schemes.care_packages_70_30] example"
    return match[1]


def test_the_documented_toml_example_is_a_valid_70_30_scheme(tmp_path):
    config = tmp_path / "wholesystem.toml"
    config.write_text(documented_example(), encoding="utf-8")
    settings = load_settings({"WHOLESYSTEM_CONFIG": str(config),
                              "WHOLESYSTEM_DATA_DIR": str(tmp_path / "data")})  # fmt: skip
    scheme = schemes.load_schemes(settings)["care_packages_70_30"]
    assert scheme.split == "70/30" and scheme.gain_share is not None
    assert tomllib.loads(documented_example())["payment_schemes"]


def test_a_bad_toml_scheme_names_the_file_scheme_key_and_value(tmp_path):
    config = tmp_path / "wholesystem.toml"
    config.write_text(documented_example().replace("upfront_share = 0.7", "upfront_share = 7"))
    settings = load_settings({"WHOLESYSTEM_CONFIG": str(config)})
    with pytest.raises(SchemeError) as raised:
        schemes.load_schemes(settings)
    assert str(raised.value) == (
        "configuration file (wholesystem.toml): payment scheme 'care_packages_70_30': "
        "upfront_share 7 must be a number from 0 to 1"
    )
    config.write_text('payment_schemes = "70/30"\n')
    with pytest.raises(Exception, match=r"payment_schemes .* a table of \[payment_schemes"):
        load_settings({"WHOLESYSTEM_CONFIG": str(config)})


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", payment_schemes={"cp": TABLE})


def test_an_edit_overrides_the_toml_scheme_and_keeps_the_history(settings):
    assert schemes.load_schemes(settings)["cp"].upfront_share == 0.7
    edited = schemes.parse_scheme("cp", changed("upfront_share", 0.6))
    first = schemes.save_scheme(settings, edited, "ada", "board agreed 60/40 from April")
    assert schemes.load_schemes(settings)["cp"].upfront_share == 0.6
    again = schemes.parse_scheme("cp", changed("upfront_share", 0.3))
    second = schemes.save_scheme(settings, again, "bob", "proposal for other providers")
    history = schemes.scheme_history(settings, "cp")
    assert [r.id for r in history] == [first.id, second.id]
    assert (history[0].set_by, history[0].reason) == ("ada", "board agreed 60/40 from April")
    assert (history[0].ended_by, history[0].end_reason) == ("bob", "proposal for other providers")
    assert history[1].in_force and history[1].replaces == first.id
    assert history[1].definition["upfront_share"] == 0.3
    assert schemes.load_schemes(settings)["cp"].split == "30/70"
    events = [(e["actor"], e["event"], e["target"], e["detail"])
              for e in users.admin_events(settings)]  # fmt: skip
    assert events == [  # newest first
        ("bob", "scheme_saved", "cp", "proposal for other providers"),
        ("ada", "scheme_saved", "cp", "board agreed 60/40 from April"),
    ]


def test_ending_a_scheme_keeps_it_in_the_history(settings):
    saved = schemes.parse_scheme("extra", changed("title", "Extra"))
    schemes.save_scheme(settings, saved, "ada", "trial scheme")
    ended = schemes.end_scheme(settings, "extra", "bob", "trial over")
    assert not ended.in_force and (ended.ended_by, ended.end_reason) == ("bob", "trial over")
    assert "extra" not in schemes.load_schemes(settings)
    assert [r.id for r in schemes.scheme_history(settings, "extra")] == [ended.id]
    # A TOML scheme ends too: its table is kept as an ended record.
    toml_ended = schemes.end_scheme(settings, "cp", "bob", "replaced by the 60/40 scheme")
    assert toml_ended.definition == schemes.scheme_table(schemes.parse_scheme("cp", TABLE))
    assert schemes.load_schemes(settings) == {}
    events = {(e["actor"], e["event"], e["target"]) for e in users.admin_events(settings)}
    assert {("bob", "scheme_ended", "extra"), ("bob", "scheme_ended", "cp")} <= events


def test_a_bad_edit_saves_nothing(settings):
    bad = schemes.Scheme("cp", "Bad", schemes.parse_scheme("cp", TABLE).packages, 1.5)
    with pytest.raises(SchemeError, match="upfront_share 1.5 must be a number from 0 to 1"):
        schemes.save_scheme(settings, bad, "ada", "typo")
    good = schemes.parse_scheme("cp", TABLE)
    with pytest.raises(SchemeError, match="a scheme needs a reason"):
        schemes.save_scheme(settings, good, "ada", "   ")
    with pytest.raises(SchemeError, match="there is no payment scheme 'nope'; the schemes are cp"):
        schemes.end_scheme(settings, "nope", "ada", "tidy")
    assert schemes.scheme_history(settings, "cp") == []
    assert users.admin_events(settings) == []
    assert schemes.load_schemes(settings)["cp"].upfront_share == 0.7


def test_get_scheme_by_name_or_title(settings):
    assert schemes.get_scheme(settings, "cp").name == "cp"
    assert schemes.get_scheme(settings, "care packages 70/30").name == "cp"


def test_the_demo_seeds_its_two_schemes_once(tmp_path):
    from wholesystem import demo_schemes

    settings = Settings(data_dir=tmp_path / "data")
    assert demo_schemes.seed(settings, "demo-admin") == [
        "care_packages_70_30", "care_packages_60_40",
    ]  # fmt: skip
    loaded = schemes.load_schemes(settings)
    assert [loaded[n].split for n in sorted(loaded)] == ["60/40", "70/30"]
    assert loaded["care_packages_60_40"].gain_share.metric_id == "emergency_admissions"
    assert loaded["care_packages_70_30"].gain_share is None
    assert {rule.metric_id for rule in loaded["care_packages_70_30"].kpis} >= {
        "dm_hba1c_control", "dm_bp_control", "dm_cholesterol_control", "dm_care_plan",
        "imm_dtap_8m", "imm_mmr1_18m", "cervical_screening_25_49",
    }  # fmt: skip
    [record] = schemes.scheme_history(settings, "care_packages_70_30")
    assert (record.set_by, record.reason) == ("demo-admin", demo_schemes.REASON)
    assert demo_schemes.seed(settings, "demo-admin") == []  # a second demo run adds nothing
