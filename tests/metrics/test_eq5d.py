"""EQ-5D index values against published examples, and the ESP 2013 reference table.

Published values are given to 3 decimal places, the precision of the value sets.
Sources of the "published" examples:
- [eq5d]: the test suite of the R package eq5d (fragla/eq5d, MIT), tests/testthat
  test-eq5d3l.R (UK TTO), test-eq5d5l.R (England) and test-eq5dcw.R (UK crosswalk).
- [hand]: worked by hand from the coefficients in Dolan 1997 / Devlin et al. 2018,
  shown in the comment.
"""

from __future__ import annotations

from itertools import product

import duckdb
import pytest

from metrics import eq5d
from metrics.eq5d import eq5d_3l_index, eq5d_5l_index, index_table
from metrics.reference_data import esp2013

# Decrements are in the order MO, SC, UA, PD, AD.
UK_TTO_3L = [
    ("11111", 1.000),  # full health
    ("33333", -0.594),  # [eq5d]; 1 - 0.081 - 0.314 - 0.214 - 0.094 - 0.386 - 0.236 - 0.269
    ("11223", 0.255),  # [hand] 1 - 0.081 - 0.036 - 0.123 - 0.236 - 0.269
    ("21111", 0.850),  # [hand] 1 - 0.081 - 0.069
    ("11221", 0.760),  # [eq5d]; 1 - 0.081 - 0.036 - 0.123
    ("33221", -0.037),  # [eq5d]; 1 - 0.081 - 0.314 - 0.214 - 0.036 - 0.123 - 0.269
    ("12321", 0.329),  # [eq5d]; 1 - 0.081 - 0.104 - 0.094 - 0.123 - 0.269
    ("11112", 0.848),  # [hand] 1 - 0.081 - 0.071
    ("22222", 0.516),  # [hand] 1 - 0.081 - 0.069 - 0.104 - 0.036 - 0.123 - 0.071
]

ENGLAND_5L = [
    ("11111", 1.000),  # full health; no constant
    ("55555", -0.285),  # [eq5d]; 1 - 0.274 - 0.203 - 0.184 - 0.335 - 0.289
    ("23245", 0.247),  # [eq5d]; 1 - 0.058 - 0.080 - 0.050 - 0.276 - 0.289
    ("21111", 0.942),  # [eq5d]; 1 - 0.058
    ("12111", 0.950),  # [eq5d]; 1 - 0.050
    ("11211", 0.950),  # [eq5d]; 1 - 0.050
    ("11121", 0.937),  # [eq5d]; 1 - 0.063
    ("11112", 0.922),  # [eq5d]; 1 - 0.078
    ("12345", 0.322),  # [hand] 1 - 0.050 - 0.063 - 0.276 - 0.289
    ("54321", 0.436),  # [hand] 1 - 0.274 - 0.164 - 0.063 - 0.063
    ("33333", 0.593),  # [hand] 1 - 0.076 - 0.080 - 0.063 - 0.084 - 0.104
    ("44444", -0.094),  # [hand] 1 - 0.207 - 0.164 - 0.162 - 0.276 - 0.285
]

UK_CROSSWALK_5L = [
    ("11111", 1.000),
    ("55555", -0.594),  # [eq5d]; equals the 3L worst state 33333
    ("11221", 0.795),  # [eq5d]
    ("44441", 0.226),  # [eq5d]
    ("44525", 0.004),  # [eq5d]
    ("11112", 0.879),  # eq5d data-raw/CW.csv, column UK
    ("12345", 0.063),  # eq5d data-raw/CW.csv, column UK
]


def all_states(n_levels: int) -> list[str]:
    return ["".join(p) for p in product("12345"[:n_levels], repeat=5)]


@pytest.mark.parametrize(("state", "expected"), UK_TTO_3L)
def test_3l_uk_tto_published_examples(state, expected):
    assert eq5d_3l_index(state) == pytest.approx(expected, abs=5e-4)


@pytest.mark.parametrize(("state", "expected"), ENGLAND_5L)
def test_5l_england_published_examples(state, expected):
    assert eq5d_5l_index(state) == pytest.approx(expected, abs=5e-4)
    assert eq5d_5l_index(state, "england") == eq5d_5l_index(state)


@pytest.mark.parametrize(("state", "expected"), UK_CROSSWALK_5L)
def test_5l_uk_crosswalk_published_examples(state, expected):
    assert eq5d_5l_index(state, "crosswalk") == pytest.approx(expected, abs=5e-4)


def test_index_values_are_plain_floats_at_3_decimals():
    for value in (
        eq5d_3l_index("11221"),
        eq5d_5l_index("23245"),
        eq5d_5l_index("11112", "crosswalk"),
    ):
        assert type(value) is float
        assert value == round(value, 3)


def test_crosswalk_maps_extreme_levels_onto_the_3l_value_set():
    # van Hout 2012: 5L levels 1 and 5 correspond to 3L levels 1 and 3 exactly.
    for state in ("".join(p) for p in product("15", repeat=5)):
        assert eq5d_5l_index(state, "crosswalk") == eq5d_3l_index(state.replace("5", "3"))


def test_crosswalk_covers_every_5l_state_and_never_rises_with_worse_health():
    values = {s: eq5d_5l_index(s, "crosswalk") for s in all_states(5)}
    assert len(values) == 3125
    for state, value in values.items():
        for i, level in enumerate(state):
            if level != "5":
                worse = state[:i] + str(int(level) + 1) + state[i + 1 :]
                assert values[worse] <= value, (state, worse)


def test_incomplete_crosswalk_table_is_refused(monkeypatch):
    full = eq5d.read_reference_csv
    monkeypatch.setattr(eq5d, "read_reference_csv", lambda *args: full(*args).iloc[:-1])
    eq5d._crosswalk.cache_clear()
    try:
        with pytest.raises(ValueError, match="each of the 3,125 5L states once"):
            eq5d_5l_index("11111", "crosswalk")
    finally:
        eq5d._crosswalk.cache_clear()


@pytest.mark.parametrize("state", ["11241", "1122", "112211", "", "1122a", "01111", "１１２２１"])
def test_invalid_3l_state_raises(state):
    message = f"EQ-5D-3L state {state!r} is not valid: each of the 5 digits must be 1, 2 or 3"
    with pytest.raises(ValueError) as caught:
        eq5d_3l_index(state)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "state", ["11261", "1111", "111111", "01111", " 1111", "1.111", 11111, None]
)
@pytest.mark.parametrize("value_set", ["england", "crosswalk"])
def test_invalid_5l_state_raises(state, value_set):
    message = f"EQ-5D-5L state {state!r} is not valid: each of the 5 digits must be 1, 2, 3, 4 or 5"
    with pytest.raises(ValueError) as caught:
        eq5d_5l_index(state, value_set)
    assert str(caught.value) == message


@pytest.mark.parametrize("value_set", ["England", "us", ""])
def test_unknown_value_set_raises(value_set):
    message = f"EQ-5D-5L value set {value_set!r} is not known: use 'england' or 'crosswalk'"
    with pytest.raises(ValueError, match="value set") as caught:
        eq5d_5l_index("11111", value_set)
    assert str(caught.value) == message
    with pytest.raises(ValueError, match="value set"):
        index_table(value_set)


@pytest.mark.parametrize("value_set", ["england", "crosswalk"])
def test_index_table_lists_every_state_once(value_set):
    table = index_table(value_set)
    assert list(table.columns) == ["eq5d_version", "state", "index_value"]
    assert len(table) == 243 + 3125
    assert table["index_value"].dtype == "float64"
    assert table.loc[table["eq5d_version"] == "3L", "state"].tolist() == all_states(3)
    assert table.loc[table["eq5d_version"] == "5L", "state"].tolist() == all_states(5)


@pytest.mark.parametrize("value_set", ["england", "crosswalk"])
def test_index_table_agrees_with_scalar_functions(value_set):
    table = index_table(value_set)
    for version, state, value in table.itertuples(index=False):
        if version == "3L":
            assert value == eq5d_3l_index(state)
        else:
            assert value == eq5d_5l_index(state, value_set)


def test_index_table_joins_in_duckdb():
    con = duckdb.connect()
    con.register("eq5d_index_values", index_table())
    rows = con.sql(
        "select r.eq5d_version, r.state, i.index_value"
        " from (values ('3L', '33333'), ('3L', '11221'), ('5L', '55555'), ('5L', '23245'))"
        " as r(eq5d_version, state)"
        " join eq5d_index_values i using (eq5d_version, state) order by all"
    ).fetchall()
    assert rows == [
        ("3L", "11221", 0.76),
        ("3L", "33333", -0.594),
        ("5L", "23245", 0.247),
        ("5L", "55555", -0.285),
    ]


def test_esp2013_has_19_bands_weighing_100000():
    esp = esp2013()
    assert list(esp.columns) == ["age_band", "lower_age", "upper_age", "weight"]
    assert len(esp) == 19
    assert esp["weight"].sum() == 100_000
    assert esp["age_band"].iloc[0] == "0-4" and esp["weight"].iloc[0] == 5000
    assert esp["age_band"].iloc[-1] == "90+" and esp["lower_age"].iloc[-1] == 90
    assert esp["upper_age"].isna().tolist() == [False] * 18 + [True]
    assert (esp["lower_age"].iloc[1:].to_numpy() == esp["upper_age"].iloc[:-1].to_numpy() + 1).all()


def test_esp2013_returns_a_copy():
    esp = esp2013()
    esp["weight"] = 0
    assert esp2013()["weight"].sum() == 100_000
