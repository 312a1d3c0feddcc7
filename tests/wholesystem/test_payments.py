"""Payments worked by hand on a tiny snapshot (tests/wholesystem/payment_snapshot.py: its
docstring gives the lists, counts and moves), for every scheme option, plus one check on
the published sample that the money adds up.

The base scheme pays £12 per patient per year, 70/30, on HbA1c control (30 points,
thresholds 40–80) and BP control (10 points, 50–90). In 2025-Q1 (April to June 2025):
money N1 = A 1,200 × 3 months + B 600 × 2 months = £4,800 (12/12 a patient-month);
N2 = B 600 × 1 + C 2,400 × 3 = £7,800. At June 2025 N1 is A alone: HbA1c 60/100 = 60%,
half way from 40 to 80, so it earns half of its HbA1c money (30/40 × 30% × 4,800 =
£1,080 → £540); BP 45% is short of 50: nothing of £360. N2 is B and C (B moved in June):
HbA1c 170/300 = 56.67%, (56.67 − 40)/40 = 0.41667 of £1,755 = £731.25; BP 150/300 = 50%,
exactly the lower threshold: nothing.
"""

from __future__ import annotations

import math
from datetime import date

import duckdb
import pandas as pd
import pytest

from metrics import serving
from metrics.registry import load_registry
from tests.wholesystem import payment_snapshot
from wholesystem import payments, schemes
from wholesystem.errors import UserError

Q1 = "2025-Q1"


def scheme(upfront=0.7, per="registered", method="linear", gain=None, **extra):
    table = {
        "title": "Test", "upfront_share": upfront, "period": "quarter",
        "packages": [{"name": "Diabetes", "rate": 12.0, "per": per, "kpis": [
            {"metric_id": "dm_hba1c_control", "weight": 30, "method": method},
            {"metric_id": "dm_bp_control", "weight": 10, "method": "linear"},
        ], **extra}],
    }  # fmt: skip
    if gain is not None:
        table["gain_share"] = gain
    return schemes.parse_scheme("test", table)


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return payment_snapshot.build(tmp_path_factory.mktemp("pay") / "data")


@pytest.fixture(scope="module")
def suppressed(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pay_suppressed") / "data"
    return payment_snapshot.build(directory, suppressed=(("N2", "dm_bp_control"),))


def row(frame, **keys) -> pd.Series:
    chosen = frame
    for key, value in keys.items():
        chosen = chosen[chosen[key] == value]
    assert len(chosen) == 1, keys
    return chosen.iloc[0]


def test_linear_70_30_per_registered_patient_for_a_quarter(settings):
    result = payments.compute(settings, scheme(), Q1)
    assert result.months == (date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1))
    assert result.label == "2025/26 Q1 (April to June 2025)"
    n1, n2 = row(result.networks, network_code="N1"), row(result.networks, network_code="N2")
    assert (n1["money"], n1["upfront"], n1["at_risk"]) == pytest.approx((4800, 3360, 1440))
    assert (n1["earned"], n1["missed"], n1["total"]) == pytest.approx((540, 900, 3900))
    assert n1["points_earned"] == pytest.approx(15) and n1["points_available"] == 40
    assert n1["patients"] == pytest.approx((1200 * 3 + 600 * 2) / 3)
    assert (n2["money"], n2["upfront"], n2["earned"]) == pytest.approx((7800, 5460, 731.25))
    assert n2["total"] == pytest.approx(5460 + 731.25)
    hba1c = row(result.kpis, network_code="N2", metric_id="dm_hba1c_control")
    assert (hba1c["numerator"], hba1c["denominator"]) == (170, 300)
    assert hba1c["attainment"] == pytest.approx(170 / 3)
    assert (hba1c["lower"], hba1c["upper"], hba1c["threshold_source"]) == (40, 80, "default")
    assert hba1c["at_risk"] == pytest.approx(1755)
    assert hba1c["earned"] == pytest.approx(731.25) and hba1c["missed"] == pytest.approx(1023.75)
    bp = row(result.kpis, network_code="N2", metric_id="dm_bp_control")
    assert bp["attainment"] == 50 and bp["earned"] == 0 and bp["missed"] == pytest.approx(585)


def test_60_40_split_moves_money_from_up_front_to_at_risk(settings):
    n1 = row(payments.compute(settings, scheme(upfront=0.6), Q1).networks, network_code="N1")
    # at risk 0.4 × 4,800 = 1,920; HbA1c 30/40 of it = 1,440, half earned = 720.
    assert (n1["upfront"], n1["at_risk"], n1["earned"]) == pytest.approx((2880, 1920, 720))
    assert n1["total"] == pytest.approx(3600)


def test_30_70_split(settings):
    n1 = row(payments.compute(settings, scheme(upfront=0.3), Q1).networks, network_code="N1")
    assert (n1["upfront"], n1["earned"], n1["total"]) == pytest.approx((1440, 1260, 2700))


def test_per_register_patient_uses_the_register_kpis_denominator(settings):
    result = payments.compute(settings, scheme(per="register"), Q1)
    # Registers 100 (A), 100 (B), 200 (C) a month: N1 = 100 × 3 + 100 × 2; N2 = 100 + 600.
    assert row(result.networks, network_code="N1")["money"] == pytest.approx(500)
    assert row(result.networks, network_code="N2")["money"] == pytest.approx(700)
    assert row(result.packages, network_code="N2")["patients"] == pytest.approx(700 / 3)
    # the list-based patients of the network are still its registered list
    assert row(result.networks, network_code="N2")["patients"] == pytest.approx(7800 / 3)


def test_per_register_patient_with_a_named_register(settings):
    named = scheme(per="register", register="dm_bp_control")
    assert named.packages[0].register_metric == "dm_bp_control"
    result = payments.compute(settings, named, Q1)
    assert row(result.networks, network_code="N1")["money"] == pytest.approx(500)


def test_all_or_nothing_pays_nothing_short_of_the_target_and_all_at_it(settings):
    result = payments.compute(settings, scheme(method="all_or_nothing"), Q1)
    kpi = row(result.kpis, network_code="N1", metric_id="dm_hba1c_control")
    assert (kpi["fraction"], kpi["earned"], kpi["missed"]) == (0, 0, pytest.approx(1080))
    at_target = {"kpis": {"dm_hba1c_control": {"upper": 60}}}
    result = payments.compute(settings, scheme(method="all_or_nothing"), Q1, what_if=at_target)
    kpi = row(result.kpis, network_code="N1", metric_id="dm_hba1c_control")
    assert (kpi["fraction"], kpi["earned"], kpi["upper"]) == (1, pytest.approx(1080), 60)
    beyond = {"kpis": {"dm_hba1c_control": {"upper": 59.99}}}
    result = payments.compute(settings, scheme(method="all_or_nothing"), Q1, what_if=beyond)
    assert row(result.kpis, network_code="N1", metric_id="dm_hba1c_control")["fraction"] == 1
    short = {"kpis": {"dm_hba1c_control": {"upper": 60.01}}}
    result = payments.compute(settings, scheme(method="all_or_nothing"), Q1, what_if=short)
    assert row(result.kpis, network_code="N1", metric_id="dm_hba1c_control")["fraction"] == 0


@pytest.mark.parametrize(
    ("lower", "upper", "fraction"),
    [
        (60, 80, 0.0),  # exactly at the lower threshold: nothing
        (40, 60, 1.0),  # exactly at the upper threshold: all
        (59.5, 80, 0.5 / 20.5),  # just beyond the lower
        (40, 60.5, 20 / 20.5),  # just short of the upper
        (61, 80, 0.0),  # short of the lower
        (30, 59, 1.0),  # beyond the upper
    ],
)
def test_linear_at_and_near_each_threshold(settings, lower, upper, fraction):
    what_if = {"kpis": {"dm_hba1c_control": {"lower": lower, "upper": upper}}}
    result = payments.compute(settings, scheme(), Q1, what_if=what_if)
    kpi = row(result.kpis, network_code="N1", metric_id="dm_hba1c_control")
    assert kpi["fraction"] == pytest.approx(fraction, abs=1e-12)
    assert kpi["earned"] == pytest.approx(1080 * fraction, abs=1e-9)
    assert kpi["threshold_source"] == "scheme"


def test_earned_fraction_for_a_lower_is_better_kpi():
    # Lower is better: lower threshold 20 (the easier), upper 10.
    assert payments.earned_fraction(20, 20, 10, "linear", "decrease") == 0
    assert payments.earned_fraction(10, 20, 10, "linear", "decrease") == 1
    assert payments.earned_fraction(15, 20, 10, "linear", "decrease") == 0.5
    assert payments.earned_fraction(25, 20, 10, "linear", "decrease") == 0
    assert payments.earned_fraction(9, 20, 10, "all_or_nothing", "decrease") == 1
    assert payments.earned_fraction(math.nan, 20, 10, "linear", "decrease") == 0


def test_the_what_if_split_and_a_bad_what_if(settings):
    result = payments.compute(settings, scheme(), Q1, what_if={"upfront_share": 0.6})
    assert row(result.networks, network_code="N1")["upfront"] == pytest.approx(2880)
    assert result.scheme.upfront_share == 0.6
    with pytest.raises(UserError, match="upfront_share 1.5 must be a number from 0 to 1"):
        payments.compute(settings, scheme(), Q1, what_if={"upfront_share": 1.5})
    with pytest.raises(UserError, match="what-if KPI 'imm_dtap_8m' is not in the scheme"):
        payments.compute(settings, scheme(), Q1, what_if={"kpis": {"imm_dtap_8m": {}}})


def test_a_practice_that_moves_network_mid_quarter(settings):
    result = payments.compute(settings, scheme(), Q1)
    money = result.practice_money
    b_in_n1 = row(money, network_code="N1", practice_code="B")
    b_in_n2 = row(money, network_code="N2", practice_code="B")
    assert (b_in_n1["months_in_network"], b_in_n1["money"]) == (2, pytest.approx(1200))
    assert b_in_n1["months_text"] == "2025-04 2025-05"
    assert (b_in_n2["months_in_network"], b_in_n2["money"]) == (1, pytest.approx(600))
    assert b_in_n1["upfront"] == pytest.approx(840) and b_in_n2["at_risk"] == pytest.approx(180)
    # Its counts at June go to N2, where it is at the period end (N2's HbA1c is 170/300).
    left = row(result.practices, network_code="N1", practice_code="B",
               metric_id="dm_hba1c_control")  # fmt: skip
    assert not left["in_network_at_end"] and math.isnan(left["numerator"])
    assert row(result.kpis, network_code="N1", metric_id="dm_hba1c_control")["numerator"] == 60


def test_the_practices_that_drove_a_miss_largest_shortfall_first(settings):
    practices = payments.compute(settings, scheme(), Q1).practices
    n2 = practices[(practices["network_code"] == "N2")
                   & (practices["metric_id"] == "dm_hba1c_control")]  # fmt: skip
    # B needs 80 of 100 (has 30): 50 short; C needs 160 of 200 (has 140): 20 short.
    assert list(n2["practice_code"]) == ["B", "C"]
    assert list(n2["needed"]) == [80, 160] and list(n2["shortfall"]) == [50, 20]
    assert list(n2["rank"]) == [1, 2]
    assert row(practices, network_code="N1", practice_code="A",
               metric_id="dm_bp_control")["shortfall"] == 45  # fmt: skip


def test_a_financial_year(settings):
    result = payments.compute(settings, scheme(upfront=0.6), "2025/26")
    assert len(result.months) == 12 and result.label == "2025/26 (April 2025 to March 2026)"
    # N1: A 1,200 × 12 + B 600 × 2 = 15,600; at risk 6,240; HbA1c 4,680, half earned.
    n1 = row(result.networks, network_code="N1")
    assert (n1["money"], n1["upfront"], n1["earned"]) == pytest.approx((15600, 9360, 2340))
    n2 = row(result.networks, network_code="N2")  # B 600 × 10 + C 2,400 × 12
    assert n2["money"] == pytest.approx(34800)


def test_gain_share_against_the_same_months_a_year_earlier(settings):
    gain = {"share": 0.5, "cost_per_admission": 1000}
    result = payments.compute(settings, scheme(gain=gain), Q1)
    # N1: expected A 10 × 3 + B 5 × 2 = 40, actual 8 × 3 + 5 × 2 = 34: 6 avoided.
    n1 = row(result.gain, network_code="N1")
    assert (n1["expected"], n1["admissions"], n1["avoided"]) == pytest.approx((40, 34, 6))
    assert (n1["savings"], n1["gain_share"]) == pytest.approx((6000, 3000))
    # N2: expected B 5 + C 60 = 65, actual 5 + 66 = 71: savings −6,000, so nothing.
    n2 = row(result.gain, network_code="N2")
    assert (n2["avoided"], n2["savings"], n2["gain_share"]) == pytest.approx((-6, -6000, 0))
    assert row(result.networks, network_code="N1")["total"] == pytest.approx(3900 + 3000)
    assert row(result.networks, network_code="N2")["gain_share"] == 0
    assert result.notes == () and result.gain["assessed"].all()


def test_gain_share_against_a_fixed_rate_per_1000(settings):
    gain = {"share": 0.5, "cost_per_admission": 1000, "baseline_per_1000": 100}
    result = payments.compute(settings, scheme(gain=gain), Q1)
    # N1: 4,800 patient-months × 100 / 1,000 / 12 = 40 expected.
    n1 = row(result.gain, network_code="N1")
    assert (n1["expected"], n1["gain_share"], n1["baseline"]) == (
        pytest.approx(40), pytest.approx(3000), "per_1000",
    )  # fmt: skip
    assert row(result.gain, network_code="N2")["gain_share"] == 0


def test_gain_share_off_pays_none(settings):
    result = payments.compute(settings, scheme(), Q1)
    assert result.gain.empty and list(result.networks["gain_share"]) == [0, 0]


def test_gain_share_without_a_baseline_year_is_noted(settings):
    gain = {"share": 0.5, "cost_per_admission": 1000}
    result = payments.compute(settings, scheme(gain=gain), "2024-Q1")
    assert list(result.networks["gain_share"]) == [0, 0]
    assert not result.gain["assessed"].any() and result.gain["expected"].isna().all()
    assert "have no figures for the same month a year earlier" in result.notes[0]


def test_a_practice_opening_mid_year_counts_in_full_against_its_networks_rate(tmp_path):
    settings = payment_snapshot.build(tmp_path / "data", new_practice=True)
    gain = {"share": 0.5, "cost_per_admission": 1000}
    result = payments.compute(settings, scheme(gain=gain), Q1)
    n1 = row(result.gain, network_code="N1")
    # Actual: every practice-month of N1 in April to June 2025, as its published quarter
    # row pools them: A 8 × 3 + B 5 × 2 (April, May) + D 3 × 2 (May, June) = 40.
    assert n1["admissions"] == 40
    # Expected: A 10 × 3 and B 5 × 2 from a year earlier (lists unchanged) = 40 on
    # 1,200 × 3 + 600 × 2 = 4,800 patient-months; D has no year earlier, so its 300 × 2
    # patient-months expect 600 × 40 / 4,800 = 5: 45 in all, 5 avoided.
    assert (n1["expected"], n1["avoided"]) == pytest.approx((45, 5))
    assert (n1["savings"], n1["gain_share"]) == pytest.approx((5000, 2500)) and n1["assessed"]
    n2 = row(result.gain, network_code="N2")  # B in June + C: 5 + 22 × 3 against 5 + 20 × 3
    assert (n2["admissions"], n2["expected"]) == pytest.approx((71, 65))
    assert (
        "2 practice-months have no figures for the same month a year earlier" in (result.notes[0])
    )


def test_shortfalls_follow_the_snapshots_definitions_not_the_registry(tmp_path):
    settings = payment_snapshot.build(tmp_path / "data")
    path = serving.snapshot_path(settings, payment_snapshot.VERSION)
    with duckdb.connect(str(path)) as connection:  # a per-1,000 HbA1c in this snapshot
        connection.execute("UPDATE indicators SET multiplier = 1000 WHERE id = 'dm_hba1c_control'")
    assert load_registry()["dm_hba1c_control"].multiplier == 100
    result = payments.compute(settings, scheme(), Q1)
    practice = row(result.practices, practice_code="A", metric_id="dm_hba1c_control")
    # A: 60 of 100 = 600 per 1,000, beyond the upper 80: needs ceil(80 / 1,000 × 100) = 8,
    # no shortfall (the registry's per-100 would say 60%, needing 80: 20 short).
    assert (practice["attainment"], practice["needed"], practice["shortfall"]) == (600, 8, 0)
    assert row(result.kpis, network_code="N1", metric_id="dm_hba1c_control")["attainment"] == 600


def rounding(settings, rule: str, rounded: list[str] | None) -> None:
    """Records a disclosure rule in the payment snapshot, as metrics.publish writes it."""
    path = serving.snapshot_path(settings, payment_snapshot.VERSION)
    with duckdb.connect(str(path)) as connection:
        connection.execute("ALTER TABLE snapshot_info ADD COLUMN disclosure_rule VARCHAR")
        connection.execute("UPDATE snapshot_info SET disclosure_rule = $rule", {"rule": rule})
        if rounded is not None:
            connection.execute("ALTER TABLE snapshot_info ADD COLUMN rounded_indicators VARCHAR[]")
            connection.execute("UPDATE snapshot_info SET rounded_indicators = $r", {"r": rounded})


def test_a_snapshot_with_counts_rounded_under_the_hes_rule_is_refused(tmp_path):
    settings = payment_snapshot.build(tmp_path / "data")
    rounding(settings, "hes", None)  # every indicator's, as before `rounded_indicators`
    with pytest.raises(UserError) as refused:
        payments.compute(settings, scheme(), Q1)
    assert str(refused.value) == (
        f"payments need exact counts, but snapshot {payment_snapshot.VERSION} has the counts "
        "of dm_hba1c_control, dm_bp_control rounded to the nearest 5 (HES rule); set "
        '[indicators.<id>] disclosure_rule = "complementary" for them and publish again to '
        "work out payments"
    )


def test_a_scheme_is_refused_only_for_the_rounded_indicators_it_pays_on(tmp_path):
    settings = payment_snapshot.build(tmp_path / "data")
    rounding(settings, "mixed", ["bed_days", "emergency_admissions"])
    assert payments.compute(settings, scheme(), Q1).kpis["attainment"].notna().any()
    gain = {"share": 0.5, "cost_per_admission": 1800.0}  # on emergency_admissions
    with pytest.raises(UserError, match="has the counts of emergency_admissions rounded"):
        payments.compute(settings, scheme(gain=gain), Q1)


def test_masked_withholds_a_suppressed_kpi_and_every_figure_that_would_reveal_it(suppressed):
    result = payments.masked(payments.compute(suppressed, scheme(), Q1))
    bp = row(result.kpis, network_code="N2", metric_id="dm_bp_control")
    for column in payments.KPI_WITHHELD:
        assert math.isnan(bp[column]), column
    assert bp["at_risk"] == pytest.approx(585)  # money available is list-based: shown
    n2 = row(result.networks, network_code="N2")
    for column in ("points_earned", "earned", "missed", "total"):
        assert math.isnan(n2[column]), column
    assert n2["upfront"] == pytest.approx(5460) and n2["at_risk"] == pytest.approx(2340)
    assert math.isnan(row(result.packages, network_code="N2")["earned"])
    hba1c = row(result.kpis, network_code="N2", metric_id="dm_hba1c_control")
    assert hba1c["earned"] == pytest.approx(731.25)  # another KPI stays
    assert row(result.networks, network_code="N1")["total"] == pytest.approx(3900)
    totals = payments.totals(result.networks)
    assert math.isnan(totals["earned"]) and math.isnan(totals["total"])
    assert totals["upfront"] == pytest.approx(3360 + 5460)
    assert result.practices.empty and result.practice_money.empty and result.masked


def test_masked_withholds_the_money_of_a_suppressed_list(tmp_path):
    # N2's registered-list rows suppressed: its money (per registered patient) could give
    # its list away, so its money, up front, at risk, earned, missed, total, gain share and
    # patients are withheld, and so are the totals across networks; N1 is untouched.
    settings = payment_snapshot.build(tmp_path / "data", (("N2", "registered_population"),))
    gain = {"share": 0.5, "cost_per_admission": 1000}
    result = payments.masked(payments.compute(settings, scheme(gain=gain), Q1))
    n2 = row(result.networks, network_code="N2")
    for column in ("patients", "money", "upfront", "at_risk", "earned", "missed", "total",
                   "gain_share"):  # fmt: skip
        assert math.isnan(n2[column]), column
    assert n2["withheld"] and n2["points_earned"] == pytest.approx(12.5)
    assert (
        row(result.kpis, network_code="N2", metric_id="dm_hba1c_control")[
            ["at_risk", "earned", "missed"]
        ]
        .isna()
        .all()
    )
    assert math.isnan(row(result.gain, network_code="N2")["expected"])
    n1 = row(result.networks, network_code="N1")
    assert (n1["money"], n1["total"], n1["withheld"]) == (pytest.approx(4800), 6900, False)
    assert payments.totals(result.networks)[["money", "upfront", "total"]].isna().all()


def test_masked_withholds_money_per_register_patient_of_a_suppressed_register(tmp_path):
    # N1's HbA1c rows (its register) suppressed: a scheme per register patient would give
    # the register away through its money; per registered patient it would not.
    settings = payment_snapshot.build(tmp_path / "data", (("N1", "dm_hba1c_control"),))
    by_register = payments.masked(payments.compute(settings, scheme(per="register"), Q1))
    n1 = row(by_register.networks, network_code="N1")
    assert math.isnan(n1["money"]) and math.isnan(n1["upfront"])
    assert math.isnan(row(by_register.packages, network_code="N1")["patients"])
    by_list = payments.masked(payments.compute(settings, scheme(), Q1))
    n1 = row(by_list.networks, network_code="N1")
    assert (n1["money"], n1["upfront"]) == (pytest.approx(4800), pytest.approx(3360))
    assert math.isnan(n1["earned"]) and math.isnan(n1["total"])


def test_masked_changes_nothing_when_nothing_is_suppressed(settings):
    full = payments.compute(settings, scheme(), Q1)
    shown = payments.masked(full)
    pd.testing.assert_frame_equal(shown.networks, full.networks)
    assert not payments.totals(shown.networks)[["earned", "total"]].isna().any()


def test_periods_and_bad_periods(settings):
    assert payments.periods(settings, kind="fy") == ["2025/26", "2024/25"]
    assert payments.periods(settings, kind="quarter")[:2] == ["2025-Q4", "2025-Q3"]
    assert payments.period_months("2025-Q4") == (date(2026, 1, 1), date(2026, 2, 1),
                                                 date(2026, 3, 1))  # fmt: skip
    with pytest.raises(UserError, match=r"period '2027-Q1' is not a complete .* 2025-Q4"):
        payments.compute(settings, scheme(), "2027-Q1")
    with pytest.raises(UserError, match=r"period 'Q1' is not a quarter .* 2025-Q4"):
        payments.compute(settings, scheme(), "Q1")
    with pytest.raises(UserError, match="is not a quarter"):
        payments.period_months("2025/27")


def test_money_adds_up_on_the_published_sample(published_sample):
    from wholesystem.demo_schemes import DEMO_SCHEMES

    table = DEMO_SCHEMES["care_packages_60_40"]
    result = payments.compute(
        published_sample, schemes.parse_scheme("care_packages_60_40", table),
        payments.periods(published_sample, kind="quarter")[0],
    )  # fmt: skip
    networks = result.networks.set_index("network_code")
    by_kpi = result.kpis.groupby("network_code")[["earned", "missed", "at_risk"]].sum()
    gain = result.gain.set_index("network_code")["gain_share"]
    assert len(networks) >= 5 and (networks["earned"] > 0).all()
    pd.testing.assert_series_equal(
        networks["total"], by_kpi["earned"] + networks["upfront"] + gain, check_names=False
    )
    pd.testing.assert_series_equal(networks["at_risk"], by_kpi["at_risk"], check_names=False)
    per_practice = result.practice_money.groupby("network_code")["money"].sum()
    pd.testing.assert_series_equal(networks["money"], per_practice, check_names=False)
    assert (networks["money"] - networks["upfront"] - networks["at_risk"]).abs().max() < 1e-6


def test_a_what_if_may_blank_a_threshold_or_be_an_edited_scheme(settings):
    own = schemes.parse_scheme("test", {
        "title": "Own thresholds", "upfront_share": 0.7,
        "packages": [{"name": "Diabetes", "rate": 12.0, "kpis": [
            {"metric_id": "dm_hba1c_control", "weight": 30, "lower": 60, "upper": 80},
            {"metric_id": "dm_bp_control", "weight": 10},
        ]}],
    })  # fmt: skip
    kpi = row(payments.compute(settings, own, Q1).kpis, network_code="N1",
              metric_id="dm_hba1c_control")  # fmt: skip
    assert (kpi["lower"], kpi["fraction"], kpi["threshold_source"]) == (60, 0, "scheme")
    blank = {"kpis": {"dm_hba1c_control": {"lower": None, "upper": None, "method": None}}}
    kpi = row(payments.compute(settings, own, Q1, what_if=blank).kpis, network_code="N1",
              metric_id="dm_hba1c_control")  # fmt: skip
    assert (kpi["lower"], kpi["upper"], kpi["threshold_source"]) == (40, 80, "default")
    assert (kpi["method"], kpi["fraction"]) == ("linear", 0.5)
    result = payments.compute(settings, own, Q1, what_if=scheme(upfront=0.6))
    assert result.scheme.upfront_share == 0.6
    assert row(result.networks, network_code="N1")["earned"] == pytest.approx(720)
