"""Reference tables shipped inside the package (`metrics/reference/`).

The product reads its reference data from here and nowhere else, so that an installed
wheel computes the same figures as a checkout. Sources and licences are in
`metrics/reference/README.md`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

ESP2013_FILE = "esp2013.csv"
EQ5D_CROSSWALK_FILE = "eq5d_5l_to_3l_uk_crosswalk.csv"


def read_reference_csv(name: str, dtype: dict[str, str]) -> pd.DataFrame:
    """Read one CSV from `metrics/reference/` with the given column types."""
    source = resources.files("metrics").joinpath("reference", name)
    with source.open("rb") as handle:
        return pd.read_csv(handle, dtype=dtype)


@cache
def _esp2013_table() -> pd.DataFrame:
    return read_reference_csv(
        ESP2013_FILE,
        {"age_band": "str", "lower_age": "int64", "upper_age": "Int64", "weight": "int64"},
    )


def esp2013() -> pd.DataFrame:
    """The European Standard Population 2013 (Eurostat 2013), for direct standardisation.

    Nineteen five-year bands from 0–4 to 90+, with weights summing to 100,000, as used by
    ONS, PHE/OHID and NHS Digital. Columns: `age_band` ('0-4' … '90+'), `lower_age`,
    `upper_age` (missing for the open band 90+) and `weight`. Returns a fresh copy.
    """
    return _esp2013_table().copy()
