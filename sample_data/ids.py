"""Identifiers and code labels as Arrow string arrays, built without Python loops over rows.

person_id is "P" + 12 hex digits: a keyed bijection of the person's internal number, so ids are
unique, look random, change with the seed, and can never be a 10-digit NHS number.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_MASK48 = np.uint64((1 << 48) - 1)
_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)
PRACTICE_BITS = 24  # internal person number = practice index << 24 | serial within practice


def person_key(seed: int) -> np.uint64:
    """The seed's 48-bit key for scrambling person numbers."""
    return np.uint64(np.random.default_rng([int(seed), 0, 99]).integers(0, 1 << 48))


def _scramble(x: np.ndarray, key: np.uint64) -> np.ndarray:
    """A bijection on 48-bit integers (odd multipliers and xor-shifts modulo 2**48)."""
    x = np.asarray(x, dtype=np.uint64) & _MASK48
    with np.errstate(over="ignore"):
        x = (x * np.uint64(0x9E3779B97F4B)) & _MASK48
        x ^= x >> np.uint64(23)
        x = (x * np.uint64(0xC2B2AE3D27D5)) & _MASK48
        x ^= key
        x ^= x >> np.uint64(21)
        x = (x * np.uint64(0x165667B19E37)) & _MASK48
    return x


def person_ids(numbers: np.ndarray, key: np.uint64) -> pa.Array:
    """Returns person_id strings for internal person numbers."""
    return prefixed_hex(_scramble(numbers, key), "P", 12)


def prefixed_hex(values: np.ndarray, prefix: str, width: int) -> pa.Array:
    """Formats unsigned integers as prefix + fixed-width upper-case hex."""
    shifts = np.arange(width - 1, -1, -1, dtype=np.uint64) * np.uint64(4)
    nibbles = (np.asarray(values, dtype=np.uint64)[:, None] >> shifts) & np.uint64(15)
    chars = np.empty((len(values), len(prefix) + width), dtype=np.uint8)
    chars[:, : len(prefix)] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    chars[:, len(prefix) :] = _HEX[nibbles.astype(np.intp)]
    raw = chars.view(f"S{chars.shape[1]}").ravel()
    return pc.cast(pa.array(raw, pa.binary()), pa.string())


def serial_ids(start: int, n: int, prefix: str, width: int) -> pa.Array:
    """Returns prefix + zero-padded serial numbers start, start+1, ..."""
    digits = pc.cast(pa.array(np.arange(start, start + n, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(digits, width=width, padding="0"), "")


def labels(vocab, index: np.ndarray) -> pa.Array:
    """Maps integer codes to strings from vocab; negative codes become nulls."""
    index = np.asarray(index, dtype=np.int64)
    arr = pa.array(index, mask=index < 0)
    return pa.array(list(vocab), pa.string()).take(arr)


def dates(days: np.ndarray, blank: np.ndarray | None = None) -> pa.Array:
    """Returns a date32 array from day numbers, null where `blank` is true."""
    values = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    return pa.array(values, pa.date32(), mask=blank)


def constant(value: str, n: int) -> pa.Array:
    """Returns a string array of n copies of value."""
    return pc.fill_null(pa.nulls(n, pa.string()), value)


def joined(vocab, columns: np.ndarray, sep) -> pa.Array:
    """Joins the codes in each row (ICD/OPCS indices, -1 skipped) with the row's separator.

    Rows with no codes become null. (Codes are packed to the left first, because Arrow's
    null_handling="skip" of binary_join_element_wise mis-sizes its output in pyarrow 26.)
    """
    columns = np.asarray(columns)
    order = np.argsort(columns < 0, axis=1, kind="stable")
    packed = np.take_along_axis(columns, order, axis=1)
    width = int((packed >= 0).sum(axis=1).max(initial=0))
    if width == 0:
        return pa.nulls(len(columns), pa.string())
    parts = [labels(vocab, packed[:, j]) for j in range(width)]
    out = pc.binary_join_element_wise(*parts, sep, null_handling="replace", null_replacement="")
    out = pc.utf8_rtrim(out, characters=",;|")
    return pc.if_else(pc.equal(out, ""), pa.scalar(None, pa.string()), out)
