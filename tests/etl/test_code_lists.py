"""Code lists already written as stored skip the normalising, and type exactly as before."""

from __future__ import annotations

import duckdb
import pytest

from etl.feeds import APC_SPELLS
from etl.hes_feeds import HES_APC_EPISODES
from etl.spec import Column
from etl.validate import (
    _KIND_EXPRESSIONS,
    canonical_list,
    column_checks,
    typing_steps,
    with_canonical_flags,
)

DIAGNOSES = APC_SPELLS.column("diag_4_concat")


def test_only_lists_whose_pattern_cannot_match_untidy_text_skip_the_normalising():
    assert canonical_list(DIAGNOSES) is not None
    assert canonical_list(APC_SPELLS.column("opertn_4_concat")) is not None
    # HES lists hold placeholders ('-') that typing drops, so every value is normalised.
    assert canonical_list(HES_APC_EPISODES.column("diag_4_concat")) is None
    lower = Column("codes", "code_list", pattern=r"^[a-z][0-9]$")
    assert canonical_list(lower) is None
    assert canonical_list(APC_SPELLS.column("gpprac")) is None


@pytest.mark.parametrize(
    ("raw", "stored", "broken"),
    [
        ("J44X,I10X", "J44X,I10X", False),
        ("J44X", "J44X", False),
        (" j44x; I10X |k40 ", "J44X,I10X,K40", False),
        ("J44X,,I10X", "J44X,,I10X", False),
        ("J44X;I1.0", "J44X,I1.0", True),
        ("J44X,I10X ", "J44X,I10X", False),
        ("  ", None, False),
        (None, None, None),
    ],
)
def test_a_list_types_and_checks_as_the_full_normalising_does(raw, stored, broken):
    [guarded] = typing_steps(DIAGNOSES)
    full = _KIND_EXPRESSIONS["code_list"].format(t="nullif(trim(raw_diag_4_concat), '')")
    [pattern] = [check for check in column_checks(DIAGNOSES) if check.rule == "invalid_icd10"]
    # The typing step and the check read the flag that typed_select adds.
    value = f"({with_canonical_flags([DIAGNOSES], 'SELECT ?::VARCHAR AS raw_diag_4_concat')})"
    row = duckdb.execute(
        f"SELECT {guarded}, {full}, {pattern.broken_when} FROM {value}", [raw]
    ).fetchone()
    assert row == (stored, stored, broken)
