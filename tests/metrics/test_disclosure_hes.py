"""The HES rule (`disclosure_rule = "hes"`): small counts suppressed, every other count
rounded to the nearest 5, values computed from the rounded counts, no complementary
suppression; and the interval attack on what it publishes.

The system is the end-of-life fixture's (published_system.py) with other deaths, so that
February's emergency admissions per 100 deaths (nel_last_100_days, a ratio) are:

    practice  network  deaths  admissions  published (HES)
    A00001    U00001   10      20          20 of 10
    A00002    U00001    3       0          * (3 deaths)
    A00003    U00002    8       8          10 of 10
    A00004    U00003   13      13          15 of 15

so U00001 has 20 admissions of 13 deaths, published as 20 of 15: the 3 is no longer the
network less its shown practice, and A00001 stays shown (complementary suppression would
hide it).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from metrics.disclosure import Rows
from metrics.disclosure_attack import read_published
from metrics.disclosure_interval_attack import attack_rows, interval_attack, member_bounds
from metrics.disclosure_interval_audit import hide_until_unpinned
from metrics.disclosure_rounding import shown_decimals
from metrics.serving import open_current
from tests.metrics.conftest import FixtureSystem
from tests.metrics.published_system import DEATH_DAY, MONTHS
from wholesystem.cli import main
from wholesystem.errors import UserError
from wholesystem.settings import load_settings

# (practice, deaths, admissions of each)
DEATHS = (("A00001", 10, 2), ("A00002", 3, 0), ("A00003", 8, 1), ("A00004", 13, 1))
ADMISSION_DAYS = ("2026-01-10", "2026-02-01")
FEBRUARY = "2026-02-01"

ROWS_SQL = """
SELECT v.*, i.method AS indicator_method, i.multiplier, i.unit
FROM indicator_values v JOIN indicators i ON i.id = v.metric_id
"""


def add_deaths(system: FixtureSystem) -> None:
    for practice, count, admissions in DEATHS:
        for number in range(count):
            person = f"EOL{practice}P{number:02d}"
            system.add("deaths", person, gpprac=practice, dod=DEATH_DAY, age="80")
            for day in ADMISSION_DAYS[:admissions]:
                system.add(
                    "apc_spells", f"EOL{practice}S{number:02d}{day[5:7]}", person_id=person,
                    gpprac=practice, admidate=day, disdate=day, startage="80", sex="2",
                )  # fmt: skip


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> FixtureSystem:
    """The fixture, published once under the HES rule."""
    system = FixtureSystem(tmp_path_factory.mktemp("hes"), MONTHS)
    system.settings = dataclasses.replace(system.settings, disclosure_rule="hes")
    add_deaths(system)
    system.publish()
    return system


@pytest.fixture(scope="module")
def rows(published):
    connection, _ = open_current(published.settings)
    try:
        return connection.execute(ROWS_SQL).df()
    finally:
        connection.close()


def february(rows, level: str, org: str) -> dict:
    found = rows[
        (rows["metric_id"] == "nel_last_100_days") & (rows["period_type"] == "month")
        & (rows["period_start"].astype(str).str[:10] == FEBRUARY) & (rows["level"] == level)
        & (rows["org_code"] == org) & (rows["segment"] == "all")
    ]  # fmt: skip
    assert len(found) == 1
    return found.iloc[0].to_dict()


def multiples_of_five(values) -> bool:
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return bool(np.allclose(values, np.round(values / 5) * 5, rtol=0, atol=1e-6))


def test_every_count_in_the_snapshot_is_a_multiple_of_five(rows):
    counted = rows["indicator_method"] != "mean"  # a mean's numerator is a sum of scores
    assert multiples_of_five(rows.loc[counted, "numerator"])
    assert multiples_of_five(rows.loc[rows["indicator_method"] != "count", "denominator"])
    assert rows["numerator"].notna().sum() > 1000  # every indicator of the fixture


def test_a_small_count_is_suppressed_and_eight_shows_as_ten(rows):
    assert february(rows, "practice", "A00002")["suppressed"]
    eight = february(rows, "practice", "A00003")
    assert (eight["numerator"], eight["denominator"], eight["value"]) == (10, 10, 100)
    assert not eight["suppressed"]
    thirteen = february(rows, "practice", "A00004")
    assert (thirteen["numerator"], thirteen["denominator"]) == (15, 15)


def test_values_are_computed_from_the_rounded_counts(rows):
    network = february(rows, "network", "U00001")  # 20 admissions of 13 deaths
    assert (network["numerator"], network["denominator"]) == (20, 15)
    assert network["value"] == pytest.approx(20 / 15 * 100)
    system = february(rows, "system", "SYSTEM")  # 41 of 34
    assert (system["numerator"], system["denominator"]) == (40, 35)
    assert network["system_value"] == pytest.approx(40 / 35 * 100)
    # No proportion or ratio gives back anything but a rounded count: value × denominator.
    simple = rows[
        rows["indicator_method"].isin(["proportion", "ratio"]) & (rows["denominator"] > 0)
    ]
    recovered = simple["value"] * simple["denominator"] / simple["multiplier"]
    assert len(simple) > 100 and multiples_of_five(recovered)


def test_expected_counts_are_scaled_to_the_rounded_system(rows):
    system = rows[(rows["level"] == "system") & rows["expected"].notna()]
    assert len(system) > 0 and multiples_of_five(system["expected"])


def test_there_is_no_complementary_suppression(rows):
    # A00001 and U00001 stay shown beside A00002's 3 deaths.
    assert not february(rows, "practice", "A00001")["suppressed"]
    assert not february(rows, "network", "U00001")["suppressed"]
    # Every row hidden has a count of its own from 1 to 7: rounded, 0 or 5 (a mean's sum
    # of scores is scaled by at most 10/8 when its 8 or more responses round to 10), or a
    # proportion's complement of 7 or less, which its rounded counts put at 10 or less.
    method = rows["indicator_method"]
    numerator = rows["numerator"] <= np.where(method == "mean", 9, 5)
    denominator = (method != "count") & (rows["denominator"] <= 5)
    complement = (method == "proportion") & (rows["denominator"] - rows["numerator"] <= 10)
    own = numerator | denominator | complement
    assert rows["suppressed"].sum() > 0
    assert not (rows["suppressed"] & ~own).any()


def test_the_snapshot_records_the_rule(published):
    connection, _ = open_current(published.settings)
    try:
        assert connection.execute("SELECT disclosure_rule FROM snapshot_info").fetchone() == (
            "hes",
        )
    finally:
        connection.close()


def test_export_states_the_rule(published, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WHOLESYSTEM_DATA_DIR", str(published.settings.data_dir))
    capsys.readouterr()
    assert main(["export", "--metric", "nel_last_100_days", "--level", "network"]) == 0
    captured = capsys.readouterr()
    assert captured.err == (
        "export: counts rounded to the nearest 5; counts from 1 to 7 suppressed (HES rule)\n"
    )
    assert "nel_last_100_days,month,2026-02-01,2026-02-28,network,U00001,all,20,15," in (
        captured.out
    )


def test_a_bad_rule_is_one_sentence(monkeypatch, capsys, tmp_path):
    with pytest.raises(UserError) as refused:
        load_settings({"WHOLESYSTEM_DISCLOSURE_RULE": "round5"})
    assert str(refused.value) == (
        "WHOLESYSTEM_DISCLOSURE_RULE is 'round5'; use 'complementary' (small counts "
        "suppressed, with the cells that would give them away) or 'hes' (small counts "
        "suppressed, every other count rounded to the nearest 5)"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WHOLESYSTEM_DISCLOSURE_RULE", "round5")
    assert main(["publish"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "WHOLESYSTEM_DISCLOSURE_RULE is 'round5'" in error


# --- the interval attack -------------------------------------------------------------


def test_no_small_count_is_pinned_by_the_rounded_relations(published):
    serving = published.settings.serving_dir
    found = interval_attack(str(serving / f"{(serving / 'CURRENT').read_text().strip()}.duckdb"))
    assert not found.small_counts.any()
    assert found.contradictions("numerator") == found.contradictions("denominator") == 0
    # What is pinned is a 0: A00002's admissions, inside a network that shows 0 (published
    # under either rule: 0 is not suppressed).
    pinned = found.pinned("numerator") | found.pinned("denominator")
    assert set(found.rows.loc[pinned, "org_code"]) == {"A00002"}
    assert (found.numerator.upper[pinned] == 0).all()
    # A00002's 3 deaths: U00001's 15 less A00001's 10 leaves 1 to 7 (1 to 6 with the other
    # relations), not one value.
    rows = found.rows
    at = np.flatnonzero(
        (rows["metric_id"] == "nel_last_100_days") & (rows["period_type"] == "month")
        & (rows["org_code"] == "A00002") & (rows["segment"] == "all")
        & (rows["period_start"].astype(str).str[:10] == FEBRUARY)
    )  # fmt: skip
    assert (found.denominator.lower[at], found.denominator.upper[at]) == ([1], [6])


def test_an_attack_resumed_after_hiding_rows_equals_a_new_one(published):
    # The audit narrows again only the connected sets that gained a hidden row.
    serving = published.settings.serving_dir
    rows, matrix = read_published(
        str(serving / f"{(serving / 'CURRENT').read_text().strip()}.duckdb")
    )
    earlier = attack_rows(rows, matrix)
    shown = np.flatnonzero(~rows["suppressed"].to_numpy(dtype=bool))
    hidden_since = shown[:: len(shown) // 5][:5]
    rows["suppressed"] = rows["suppressed"].to_numpy(dtype=bool) | np.isin(
        np.arange(len(rows)), hidden_since
    )
    resumed = attack_rows(rows, matrix, earlier, hidden_since)
    new = attack_rows(rows, matrix)
    for quantity in ("numerator", "denominator"):
        sets = getattr(earlier, quantity).sets
        again = np.isin(sets, sets[hidden_since])
        assert 0 < again.sum() < len(rows)  # some sets are narrowed again, not all
        for field in ("lower", "upper", "lower_by", "upper_by", "sets"):
            before, after = (getattr(getattr(a, quantity), field) for a in (resumed, new))
            assert np.array_equal(before, after), (quantity, field)
    # The rows hidden were bounded by their own shown counts, and are now by a relation
    # (so the earlier attack's bounds would not do for them).
    assert (earlier.numerator.upper_by[hidden_since] == -1).all()
    assert (new.numerator.upper_by[hidden_since] >= 0).all()


def bounds(relations, lower, upper):
    matrix = sparse.coo_matrix(np.array(relations, dtype=float))
    lower, upper = np.array(lower, dtype=float), np.array(upper, dtype=float)
    member_low, member_high = member_bounds(matrix, lower, upper)
    np.maximum.at(lower, matrix.col, member_low)
    np.minimum.at(upper, matrix.col, member_high)
    return lower, upper


def test_a_total_bounds_a_hidden_part():
    # total − shown − hidden = 0: total 13..17, shown 8..12, hidden 0..7 → hidden 1..7.
    lower, upper = bounds([[1, -1, -1]], [13, 8, 0], [17, 12, 7])
    assert (lower.tolist(), upper.tolist()) == ([13, 8, 1], [17, 12, 7])


def test_a_shown_zero_total_pins_its_parts():
    lower, upper = bounds([[1, -1, -1]], [0, 0, 0], [0, np.inf, np.inf])
    assert (lower.tolist(), upper.tolist()) == ([0, 0, 0], [0, 0, 0])


def test_an_unbounded_part_leaves_the_others_unbounded_above():
    lower, upper = bounds([[1, -1, -1]], [0, 8, 0], [np.inf, 12, np.inf])
    assert (lower.tolist(), upper.tolist()) == ([8, 8, 0], [np.inf, 12, np.inf])


# --- the interval audit --------------------------------------------------------------
#
# A two-way partition and its total cannot pin a count alone: a shown count c is c − 2 to
# c + 2, so a part is bounded below by (total − 2) − (other + 2), 1 more than a multiple of
# 5 (total and other being multiples of 5), and above by (total + 2) − (other − 2), 4 more
# than one: the two never meet. A relation with two shown parts beside it bounds it below
# by 6 less than a multiple of 5 (4 more than one), which an org relation's upper bound can
# meet. So: locality L's care home residents, a hidden 4, in
#
#     row  what                                  exact  shown  class
#     0    L, segment A (hidden: 4)                  4      *     13
#     1    L, segment B                             12     10     13
#     2    L, segment C                             12     10     13
#     3    L, all (A + B + C)                       28     30     15
#     4    locality M, segment A                     8     10     13
#     5    the area (L + M), segment A              12     10     17
#
# The partition gives A ≥ 28 − 12 − 12 = 4 (its lower side), the area A ≤ 12 − 8 = 4 (its
# upper side). Each side is held by one relation, whose cheapest shown rows are B (row 1)
# and M (row 4), of the same class: the lower side is broken, by hiding B.

AUDIT_EXACT = [4, 12, 12, 28, 8, 12]
AUDIT_SHOWN = [5, 10, 10, 30, 10, 10]  # row 0's rounded count is suppressed, never shown
AUDIT_CLASSES = [13, 13, 13, 15, 13, 17]
# total +1, parts −1: L's partition, then the area's localities
AUDIT_RELATIONS = [[-1, -1, -1, 1, 0, 0], [-1, 0, 0, 0, -1, 1]]


def audit_rows(classes=AUDIT_CLASSES) -> tuple[pd.DataFrame, Rows]:
    size = len(AUDIT_EXACT)
    frame = pd.DataFrame({
        "method": ["count"] * size, "numerator": np.array(AUDIT_SHOWN, dtype=float),
        "denominator": np.nan, "exact_numerator": np.array(AUDIT_EXACT, dtype=float),
        "exact_denominator": np.nan,
    })  # fmt: skip
    frame.attrs["threshold"] = 7
    matrix = sparse.csr_matrix(np.array(AUDIT_RELATIONS, dtype=float))
    primary = np.arange(size) == 0
    changed_in = np.where(primary, 0, -1)
    classes = np.array(classes, dtype=np.int32)  # as metrics.disclosure reads them
    rows = Rows(abs(matrix), matrix, primary, primary.copy(), changed_in, classes)
    return frame, rows


def test_rounding_alone_pins_the_hidden_four():
    frame, rows = audit_rows()
    frame["suppressed"] = rows.hidden
    found = attack_rows(frame, rows.matrix)
    assert (found.numerator.lower[0], found.numerator.upper[0]) == (4, 4)
    assert found.small_counts.tolist() == [True, False, False, False, False, False]


def test_the_audit_hides_the_cheapest_row_of_the_side_it_breaks():
    frame, rows = audit_rows()
    assert hide_until_unpinned(frame, rows) == 1
    assert np.flatnonzero(rows.hidden).tolist() == [0, 1]
    assert rows.changed_in.tolist() == [0, 1, -1, -1, -1, -1]
    found = attack_rows(frame, rows.matrix)
    assert not found.small_counts.any()
    # B hidden, the partition says nothing below: A is 0 to 4, its upper side the area's.
    assert (found.numerator.lower[0], found.numerator.upper[0]) == (0, 4)


def test_the_audit_breaks_the_side_that_loses_least():
    # B and C are now localities' whole populations (dearer than M): the upper side goes.
    frame, rows = audit_rows([13, 15, 15, 15, 13, 17])
    hide_until_unpinned(frame, rows)
    assert np.flatnonzero(rows.hidden).tolist() == [0, 4]


def test_the_audit_goes_around_a_board_value():
    # M is an area's whole population (a board value); B the system's: the audit would
    # hide B, but goes around neither, as both are on the board: it hides the cheaper, M.
    frame, rows = audit_rows([13, 23, 23, 23, 19, 23])
    hide_until_unpinned(frame, rows)
    assert np.flatnonzero(rows.hidden).tolist() == [0, 4]


def decimals_of(values, places: int) -> bool:
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return bool(np.allclose(values, np.round(values, places), rtol=0, atol=1e-9))


def test_means_and_dsrs_are_published_to_the_decimals_shown(rows):
    # At full precision a mean times each candidate count (the rounded count ± 2) lands on
    # the scores' grid for one candidate only, and a DSR's limits give back its variance.
    for method in ("mean", "dsr"):
        found = rows[(rows["indicator_method"] == method) & rows["value"].notna()]
        assert len(found) > 0
        for is_index, places in ((True, 3), (False, 1)):
            part = found[found["unit"].str.contains("index") == is_index]
            for column in ("value", "lower_95", "upper_95", "lower_998", "upper_998"):
                assert decimals_of(part[column], places), (method, column)
    means = rows[(rows["indicator_method"] == "mean") & rows["value"].notna()]
    assert np.allclose(means["numerator"], means["value"] * means["denominator"])


def test_a_mean_half_way_is_shown_the_same_whatever_the_order_of_adding_up():
    # 58.205 / 70 = 0.8315: summed in another order, a last bit above or below the half.
    half = 58.205 / 70
    noisy = np.array([np.nextafter(half, 0), half, np.nextafter(half, 1)])
    assert shown_decimals(noisy, 3).tolist() == [shown_decimals(np.array([half]), 3)[0]] * 3
    assert shown_decimals(np.array([0.83149, 0.83151]), 3).tolist() == [0.831, 0.832]
