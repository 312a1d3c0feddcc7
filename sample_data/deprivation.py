"""The lsoa_deprivation reference file: every sample LSOA with its IMD rank and decile.

The file has the header of MHCLG's published "File 1: Index of Multiple Deprivation"
(2025 edition, LSOA 2021), so that loading the sample exercises the feed's aliases and the
ignoring of the file's name and local authority columns. It depends only on the practices
(the scale), never on the seed: the places are fixed, like the organisations.
"""

from __future__ import annotations

import pyarrow as pa

from . import system as S
from .organisations import Lsoas, imd_decile

LSOA_CODE = "LSOA code (2021)"
LSOA_NAME = "LSOA name (2021)"
LAD_CODE = "Local Authority District code (2024)"
LAD_NAME = "Local Authority District name (2024)"
IMD_RANK = "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"
IMD_DECILE = "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
COLUMNS = [LSOA_CODE, LSOA_NAME, LAD_CODE, LAD_NAME, IMD_RANK, IMD_DECILE]


def _area_of_each_lsoa(lsoas: Lsoas) -> dict[str, S.Area]:
    """Each LSOA code's area, from the pools (one per locality and decile) it was built in."""
    codes = lsoas.codes.to_pylist()
    area_of = {}
    for li, area in enumerate(lsoas.areas):
        for start, count in zip(lsoas.start[li], lsoas.count[li], strict=True):
            for code in codes[start : start + count]:
                area_of[code] = area
    return area_of


def deprivation_table(lsoas: Lsoas) -> pa.Table:
    """Returns one row per sample LSOA, in code order, as the published file lists them.

    Codes carry their decile in the fifth character, so code order is also deprivation
    order and the rank (1 = most deprived) is the position in it.
    """
    area_of = _area_of_each_lsoa(lsoas)
    codes = sorted(area_of)
    # The sample's councils have no names of their own; each place is named after its council.
    councils = [area_of[code].name.removesuffix(" Place") for code in codes]
    names = [f"{council} {code[4:]}" for council, code in zip(councils, codes, strict=True)]
    return pa.table(
        {
            LSOA_CODE: pa.array(codes, pa.string()),
            LSOA_NAME: pa.array(names, pa.string()),
            LAD_CODE: pa.array([area_of[code].la_code for code in codes], pa.string()),
            LAD_NAME: pa.array(councils, pa.string()),
            IMD_RANK: pa.array(range(1, len(codes) + 1), pa.int64()),
            IMD_DECILE: pa.array([imd_decile(code) for code in codes], pa.int64()),
        }
    )
