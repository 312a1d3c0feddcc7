"""Scopes: parsing `LEVEL:CODE`, and which org codes each scope may see."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.scope import Scope, own_codes, visible_codes

ORGS = pd.DataFrame(
    [
        ("system", "SYSTEM", None),
        ("area", "AR1", "SYSTEM"),
        ("area", "AR2", "SYSTEM"),
        ("locality", "L1", "AR1"),
        ("locality", "L2", "AR1"),
        ("locality", "L3", "AR2"),
        ("network", "N1", "L1"),
        ("network", "N2", "L2"),
        ("practice", "P1", "N1"),
        ("practice", "P2", "N1"),
        ("practice", "P3", "N2"),
    ],
    columns=["level", "org_code", "parent_code"],
)


def test_whole_system_sees_every_org():
    assert visible_codes(ORGS, Scope.whole_system()) == set(ORGS["org_code"])


def test_locality_sees_its_subtree_and_its_benchmarks_but_no_sibling():
    assert visible_codes(ORGS, Scope("locality", "L1")) == {"L1", "N1", "P1", "P2", "AR1", "SYSTEM"}


def test_practice_sees_itself_and_the_levels_above():
    assert visible_codes(ORGS, Scope("practice", "P3")) == {"P3", "N2", "L2", "AR1", "SYSTEM"}


def test_unknown_org_sees_only_the_system():
    assert visible_codes(ORGS, Scope("locality", "L9")) == {"SYSTEM"}


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        (None, Scope("system", "SYSTEM")),
        ("", Scope("system", "SYSTEM")),
        ("locality:L1", Scope("locality", "L1")),
        ("practice: P3", Scope("practice", "P3")),
    ],
)
def test_parse(text, scope):
    assert Scope.parse(text) == scope


@pytest.mark.parametrize("text", ["ward:W1", "locality:", "L1"])
def test_parse_refuses_a_bad_scope_naming_it(text):
    with pytest.raises(ValueError, match=repr(text).replace("(", r"\(")):
        Scope.parse(text)


def test_own_codes_are_the_scopes_org_and_beneath_never_the_benchmarks_above():
    assert own_codes(ORGS, Scope("locality", "L1")) == {"L1", "N1", "P1", "P2"}
    assert own_codes(ORGS, Scope("practice", "P3")) == {"P3"}
    assert own_codes(ORGS, Scope("area", "NOPE")) == set()
    assert own_codes(ORGS, Scope.whole_system()) == set(ORGS["org_code"])
