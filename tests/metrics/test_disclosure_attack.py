"""The differencing attack on the whole published sample (metrics.disclosure_attack), the
interval attack on its rounded counts (metrics.disclosure_interval_attack), and the board
values that disclosure control blanks although their own counts are above the threshold.

The sample is published by default: the Northumbria group's indicators (the board's) under
the HES rule, counts rounded to 5, and the others' counts exact under complementary
suppression. The exact attack reads what a non-operator sees (every unsuppressed row at
every level, period type and segment, and which rows are suppressed), writes every
relation of the exact indicators that holds exactly in the published counts, and solves
them together (the null space of the equations over the suppressed rows). The interval
attack bounds the rounded indicators' hidden counts through their relations that hold in
the exact counts (a second publish of the same warehouse with every indicator's counts
exact). No count from 1 to the threshold may come out of either. Rolling 12-month totals
overlap and are left out (docs/metrics.md, "Disclosure control"). It takes a few minutes.
"""

from __future__ import annotations

import shutil

import duckdb
import numpy as np
import pytest
from scipy import sparse

from bench.disclosure import BLANKED_SQL, HEADLINE_IDS, blanked, rule_of
from metrics import disclosure_audit
from metrics.disclosure_attack import attack
from metrics.disclosure_audit import determined
from metrics.disclosure_interval_attack import interval_attack
from metrics.disclosure_relations import KINDS, relation_numbers
from metrics.export import rounding_statement
from metrics.publish import publish
from metrics.registry import load_registry
from wholesystem.settings import Settings

HEADLINE = "metric_id IN ({})".format(", ".join(f"'{i}'" for i in HEADLINE_IDS))
HEADLINE_MONTHS = f"{HEADLINE} AND period_type = 'month'"


def snapshot_of(settings) -> str:
    serving = settings.data_dir / "serving"
    return str(serving / f"{(serving / 'CURRENT').read_text().strip()}.duckdb")


@pytest.fixture(scope="module")
def recovered(published_sample):
    return attack(snapshot_of(published_sample))


@pytest.fixture(scope="module")
def exact_sample(published_sample, tmp_path_factory) -> str:
    """The same warehouse published with every indicator's counts exact (the setting
    `disclosure_rule = "complementary"`); returns the snapshot's path."""
    data_dir = tmp_path_factory.mktemp("exact") / "data"
    data_dir.mkdir()
    shutil.copy(published_sample.warehouse_path, data_dir / "warehouse.duckdb")
    return str(publish(Settings(data_dir=data_dir, disclosure_rule="complementary")).path)


@pytest.fixture(scope="module")
def bounded(published_sample, exact_sample):
    return interval_attack(snapshot_of(published_sample), exact_sample)


def test_the_board_indicators_are_rounded_and_the_others_exact(published_sample):
    board = sorted(i.id for i in load_registry().values() if i.group == "northumbria")
    assert rule_of(snapshot_of(published_sample)) == ("mixed", board)
    assert set(HEADLINE_IDS) <= set(board)
    assert "dm_hba1c_control" not in board  # a KPI networks are paid on: exact


def test_export_states_the_rounding_only_for_a_rounded_indicator(published_sample):
    assert rounding_statement(published_sample, "bed_days") == (
        "counts rounded to the nearest 5; counts from 1 to 7 suppressed (HES rule)"
    )
    assert rounding_statement(published_sample, "dm_hba1c_control") is None


@pytest.mark.parametrize("sample", ["published_sample", "exact_sample"])
def test_each_indicator_states_the_rule_and_threshold_its_snapshot_applied(request, sample):
    """The snapshot's own words (served by /api/v1/indicators) name the threshold it used,
    and the HES rule for exactly the indicators whose counts it rounded."""
    fixture = request.getfixturevalue(sample)
    snapshot = snapshot_of(fixture) if sample == "published_sample" else fixture
    _, rounded = rule_of(snapshot)
    with duckdb.connect(snapshot, read_only=True) as connection:
        threshold = connection.execute("SELECT suppression_threshold FROM snapshot_info").fetchone()
        texts = dict(connection.execute("SELECT id, disclosure FROM indicators").fetchall())
    assert len(texts) == 52 and len(rounded) == (14 if sample == "published_sample" else 0)
    for indicator, text in texts.items():
        assert f"1–{threshold[0]}" in text and "{" not in text
        assert ("Other counts are rounded to the nearest 5" in text) == (indicator in rounded)
        assert ("(HES rule)" in text) == (indicator in rounded)


def test_no_rounded_count_from_one_to_the_threshold_is_pinned(bounded):
    assert bounded.judged.sum() > 100_000  # the rounded indicators' rows are attacked
    assert bounded.small_counts.sum() == 0
    assert bounded.contradictions("numerator") == bounded.contradictions("denominator") == 0
    assert bounded.pinned("numerator").sum() > 1_000  # counts pinned, all of them to 0 or 8+


def test_no_count_from_one_to_the_threshold_can_be_worked_out(recovered):
    rows = recovered.rows[recovered.small_counts]
    assert rows.empty, rows[["metric_id", "period_type", "period_start", "level", "org_code"]]


def test_the_attacker_sees_the_whole_sample(recovered):
    rows = recovered.rows
    assert set(rows["period_type"]) == {"month", "quarter", "board", "fy"}
    assert set(rows["level"]) == {"practice", "network", "locality", "area", "system"}
    assert rows["suppressed"].sum() > 10_000  # there is something to attack


# The headline values blanked although their own counts are above the threshold, each with
# its area sibling's count: with two areas, system = one area + the other, so a small count
# in one area forces exactly one more board value (the other area or the system) out.
BLANKED_ROWS_SQL = """
SELECT v.metric_id, v.period_start, v.org_code, max(o.numerator) AS sibling_numerator,
       count(o.org_code) AS siblings
FROM snap.indicator_values v
JOIN snap.indicator_values o
  ON o.metric_id = v.metric_id AND o.period_type = v.period_type
 AND o.period_start = v.period_start AND o.segment = v.segment AND o.level = 'area'
 AND o.org_code <> v.org_code
WHERE v.level = 'area' AND v.segment = 'all' AND v.period_type = 'month' AND v.suppressed
  AND v.numerator > 7 AND v.denominator > 7 AND {headline}
GROUP BY ALL
"""


def test_no_headline_value_is_blanked_by_another_cell(published_sample, exact_sample):
    # Area- and system-level monthly values of the headline ids whose own counts are above
    # the threshold, judged on the published (rounded) counts and on the exact ones: 15 of
    # 971 were suppressed before complementary suppression chose the cells that lose least;
    # 1 with every count exact (below); none with the board's counts rounded.
    snapshot = snapshot_of(published_sample)
    hidden, shown = blanked(snapshot, HEADLINE_MONTHS)
    assert (hidden, shown > 900) == (0, True)
    assert blanked(snapshot, HEADLINE_MONTHS, exact_sample) == (0, shown)


def test_with_every_count_exact_the_one_headline_value_blanked_is_forced(exact_sample):
    # Why the board's counts are rounded: under complementary suppression alone, a small
    # count in one of the two areas forces the other area or the system out.
    hidden, shown = blanked(exact_sample, HEADLINE_MONTHS)
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH '{exact_sample}' AS snap (READ_ONLY)")
        rows = connection.execute(BLANKED_ROWS_SQL.format(headline=f"v.{HEADLINE}")).fetchall()
    assert shown > 900
    assert hidden == len(rows) == 1
    assert [(metric, siblings) for metric, _, _, number, siblings in rows if 1 <= number <= 7] == [
        ("care_home_admissions_65plus", 1)
    ]


def test_the_blanked_count_reads_the_snapshot_columns(published_sample):
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH '{snapshot_of(published_sample)}' AS snap (READ_ONLY)")
        sql = BLANKED_SQL.format(above="true", where="true")
        hidden, shown = connection.execute(sql).fetchone()
    assert 0 < hidden < shown


# --- the audit's linear algebra on hand-worked systems ---------------------------------


def hidden_determined(rows: list[list[int]], hidden: list[bool]) -> list[bool]:
    matrix = sparse.csr_matrix(np.array(rows, dtype=float))
    return determined(matrix, np.array(hidden)).tolist()


def test_a_single_unknown_in_a_relation_is_determined():
    # total − a − b = 0 with only b hidden.
    assert hidden_determined([[1, -1, -1]], [False, False, True]) == [False, False, True]


def test_a_quarter_less_an_overlapping_board_period_is_solved_by_rank():
    # Columns: April, May, June, the quarter, the board period April-May. April and May
    # are hidden as well as June, so no relation has one unknown, but Q − B = June.
    quarter = [-1, -1, -1, 1, 0]
    board = [-1, -1, 0, 0, 1]
    assert hidden_determined([quarter, board], [True, True, True, False, False]) == [
        False, False, True, False, False
    ]  # fmt: skip


def test_two_unknowns_in_every_relation_with_no_combination_stay_hidden():
    quarter = [-1, -1, -1, 1, 0]
    board = [-1, -1, 0, 0, 1]
    assert hidden_determined([quarter, board], [True, True, True, True, False]) == [False] * 5


# Two copies of the quarter and board period side by side (columns 0-4 and 5-9): two
# connected sets of equations that share no unknown.
TWO_QUARTERS = sparse.csr_matrix(
    np.array(
        [
            [-1, -1, -1, 1, 0, 0, 0, 0, 0, 0],
            [-1, -1, 0, 0, 1, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, -1, -1, -1, 1, 0],
            [0, 0, 0, 0, 0, -1, -1, 0, 0, 1],
        ],
        dtype=float,
    )
)


def test_a_later_round_solves_only_the_sets_that_gained_a_hidden_row():
    first = np.array([True, True, True, False, False, True, False, False, False, False])
    found = determined(TWO_QUARTERS, first)
    assert np.flatnonzero(found).tolist() == [2, 5]  # June; the second set's April alone
    later = first.copy()
    later[6] = True  # the second set's May: now April and May are only known together
    assert np.flatnonzero(determined(TWO_QUARTERS, later, (first, found))).tolist() == [2]
    assert np.flatnonzero(determined(TWO_QUARTERS, later)).tolist() == [2]
    # The first set gained nothing, so its earlier answer stands (here a made-up one).
    made_up = found.copy()
    made_up[2] = False
    assert not determined(TWO_QUARTERS, later, (first, made_up))[2]


def test_sets_solved_in_batches_give_the_same_answer(monkeypatch):
    hidden = np.array([True, True, True, False, False, True, True, True, False, False])
    whole = determined(TWO_QUARTERS, hidden)
    monkeypatch.setattr(disclosure_audit, "BATCH_UNKNOWNS", 1)
    assert determined(TWO_QUARTERS, hidden).tolist() == whole.tolist()
    assert np.flatnonzero(whole).tolist() == [2, 7]


def test_relations_are_numbered_by_their_ids_in_order():
    # Ids are total × len(KINDS) + kind; each relation's total is the member marked.
    kinds = len(KINDS)
    relation = np.array([5 * kinds + 2, 3 * kinds, 5 * kinds + 2, 5 * kinds, 3 * kinds, 5 * kinds])
    is_total = np.array([True, True, False, True, False, False])
    numbers, count = relation_numbers(relation, is_total)
    assert numbers.tolist() == [2, 0, 2, 1, 0, 1]
    assert count == 3
