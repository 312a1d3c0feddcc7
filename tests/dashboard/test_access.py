"""The data-access module: disclosure masking, scope, and following the snapshot pointer.

Every expectation comes from the hand-built snapshot in `snapshots.py`.
"""

from __future__ import annotations

import dataclasses
import math
import shutil

import pandas as pd
import pytest

from dashboard import access
from dashboard.scope import Scope
from metrics.serving import point_to
from tests.dashboard.snapshots import build_snapshot
from wholesystem.errors import UserError
from wholesystem.settings import Settings

WHOLE = Scope.whole_system()


@pytest.fixture
def snapshot(tmp_path):
    settings = build_snapshot(tmp_path)
    access.configure(settings)
    return settings


def _row(frame, org_code):
    rows = frame[frame["org_code"] == org_code]
    assert len(rows) == 1, org_code
    return rows.iloc[0]


def test_a_suppressed_row_keeps_its_key_but_loses_every_number(snapshot):
    row = _row(access.values(WHOLE, metric_ids=["m1"]), "L1")
    assert bool(row["suppressed"]) is True
    for column in ("numerator", "denominator", "value", "lower_95", "upper_998", "parent_value"):
        assert math.isnan(row[column]), column
    assert row["comparison_parent"] == row["comparison_system"] == "suppressed"
    assert row["comparison_parent_998"] == row["comparison_system_998"] == "suppressed"


def test_a_parent_value_is_hidden_where_the_parent_is_suppressed(snapshot):
    row = _row(access.values(WHOLE, metric_ids=["m1"]), "N1")
    assert (row["numerator"], row["denominator"], row["value"]) == (50, 200, 25.0)
    assert math.isnan(row["parent_value"])
    assert row["system_value"] == 10.0
    # A verdict against the hidden parent would say on which side of the interval it lies.
    assert row["comparison_parent"] == row["comparison_parent_998"] == "not compared"
    assert row["comparison_system"] == row["comparison_system_998"] == "similar"


def test_unsuppressed_rows_pass_through_with_their_limits(snapshot):
    row = _row(access.values(WHOLE, metric_ids=["m1"]), "N2")
    assert (row["numerator"], row["denominator"]) == (95, 600)
    assert (row["lower_95"], row["upper_95"], row["lower_998"]) == pytest.approx(
        (14.833333, 16.833333, 13.833333)
    )
    assert row["parent_value"] == pytest.approx(15.833333)


def test_a_locality_user_sees_its_subtree_and_benchmarks_only(snapshot):
    frame = access.values(Scope("locality", "L2"), metric_ids=["m1"])
    assert sorted(frame["org_code"]) == ["AR1", "L2", "N2", "P2", "SYSTEM"]


def test_a_crafted_request_for_another_locality_returns_nothing(snapshot):
    frame = access.values(Scope("locality", "L2"), org_codes=["L1", "N1", "P1"])
    assert frame.empty


def test_filters_combine(snapshot):
    frame = access.values(WHOLE, levels=["practice"], org_codes=["P1", "P2", "N2"])
    assert list(frame["org_code"]) == ["P1", "P2"]
    assert access.values(WHOLE, period_type="quarter").empty


def test_spc_points_hide_a_suppressed_month(snapshot):
    points = access.spc_points(WHOLE, ["m1"], ["L1", "L2"])
    l1, l2 = _row(points, "L1"), _row(points, "L2")
    assert pd.isna(l1["value"]) and pd.isna(l1["rule"]) and pd.isna(l1["point_type"])
    assert (l2["value"], l2["mean"], l2["point_type"]) == (15.0, 15.0, "common_cause")
    assert access.spc_points(Scope("locality", "L2"), ["m1"], ["L1"]).empty


def test_spc_summary_is_scoped(snapshot):
    summary = access.spc_summary(Scope("locality", "L2"), ["m1"], ["L1", "L2"])
    assert list(summary["org_code"]) == ["L2"]
    assert summary.iloc[0]["assurance"] == "consistent_pass"


def test_spc_points_carry_phase_and_why_a_month_is_left_out(snapshot):
    points = access.spc_points(WHOLE, ["m1"], ["L1", "L2"])
    l1, l2 = _row(points, "L1"), _row(points, "L2")
    assert (l1["phase"], bool(l1["in_limits"]), l1["excluded_reason"]) == (0, False, "suppressed")
    assert (l2["phase"], bool(l2["in_limits"])) == (1, True) and pd.isna(l2["excluded_reason"])


def test_spc_summary_says_why_a_series_has_no_icon(snapshot):
    summary = access.spc_summary(WHOLE, ["m1"], ["L1", "L2"]).set_index("org_code")
    assert summary.loc["L1", ["status", "points"]].tolist() == ["all_suppressed", 0]
    assert pd.isna(summary.loc["L1", "variation"]) and pd.isna(summary.loc["L1", "assurance"])
    assert summary.loc["L2", ["status", "points"]].tolist() == ["charted", 20]


def test_spc_annotations_are_the_series_own_and_every_orgs(snapshot):
    annotations = access.spc_annotations(WHOLE, "m1", "L2")
    assert list(annotations["label"]) == ["New discharge pathway", "Ward closed for refurbishment"]
    assert annotations["org_code"].isna().tolist() == [True, False]
    assert list(annotations["recalculate"]) == [True, False]
    assert str(annotations.iloc[0]["month"])[:10] == "2026-04-01"


def test_spc_annotations_of_an_org_outside_the_scope_are_not_returned(snapshot):
    assert access.spc_annotations(Scope("locality", "L2"), "m1", "L1").empty
    assert access.spc_annotations(WHOLE, "other", "L2").empty


def test_org_units_are_scoped_and_ordered_from_the_top(snapshot):
    orgs = access.org_units(Scope("network", "N1"))
    assert list(orgs["org_code"]) == ["SYSTEM", "AR1", "L1", "N1", "P1"]
    assert list(access.org_units(WHOLE, "locality")["org_name"]) == ["Locality one", "Locality two"]


def test_indicator_lists_are_decoded(snapshot):
    definition = access.indicator("m1")
    assert definition["caveats"] == ["One caveat."]
    assert definition["ages"] == [65, None]
    assert access.indicator("nope") is None


def test_the_reader_follows_the_pointer_to_a_new_snapshot(snapshot, tmp_path):
    assert access.version() == "snapshot-20261101T000000000000Z"
    newer = "snapshot-20261201T000000000000Z"
    shutil.copy(
        snapshot.serving_dir / "snapshot-20261101T000000000000Z.duckdb",
        snapshot.serving_dir / f"{newer}.duckdb",
    )
    point_to(snapshot, newer)
    assert access._reader.cursor() is not None
    assert access.shown_version() == newer


def test_no_snapshot_is_one_sentence(tmp_path):
    access.configure(Settings(data_dir=tmp_path))
    with pytest.raises(UserError, match="no published snapshot .* run `wholesystem publish`"):
        access.version()


def test_level_labels_come_from_the_settings(tmp_path):
    settings = build_snapshot(tmp_path)
    access.configure(dataclasses.replace(settings, level_labels={"network": "PCN"}))
    assert (access.level_label("network"), access.level_label("locality")) == ("PCN", "Locality")
