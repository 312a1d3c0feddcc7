"""Reference feeds beyond the data contract: lookups the metrics engine joins people to.

`lsoa_deprivation` gives each LSOA its Index of Multiple Deprivation decile (1 = most
deprived), so that people can be segmented by deprivation quintile from `patients.lsoa`.
It accepts MHCLG's published "File 1: Index of Multiple Deprivation" unchanged: the headers
of the 2019 edition (LSOA 2011) and the 2025 edition (LSOA 2021) are aliases, and the
file's name and local authority columns are ignored like any unknown column. The published
workbook (.xlsx) loads too: `etl.workbook` reads its data sheet ("IMD2019", "IMD25").
`ods_practices` (`etl.ods_feeds`) names practices and dates their opening and closing.
"""

from __future__ import annotations

from etl.ods_feeds import ODS_PRACTICES
from etl.spec import Column, Feed

LSOA_CODE = r"^[EW]0[0-9]{7}$"

# The published header names, as `etl.source.normalise` compares them (lower case, spaces
# as underscores). The 2025 edition spells out which end of the scale is most deprived.
_IMD = "index_of_multiple_deprivation_(imd)"
_PUBLISHED_LSOA_CODE = ("lsoa_code_(2011)", "lsoa_code_(2021)")
_PUBLISHED_DECILE = (f"{_IMD}_decile", f"{_IMD}_decile_(where_1_is_most_deprived_10%_of_lsoas)")
_PUBLISHED_RANK = (f"{_IMD}_rank", f"{_IMD}_rank_(where_1_is_most_deprived)")

LSOA_DEPRIVATION = Feed(
    name="lsoa_deprivation",
    table="lsoa_deprivation",
    description="Reference: the IMD decile (1 = most deprived) and rank of each LSOA.",
    columns=(
        Column(
            "lsoa_code",
            "code",
            not_null=True,
            aliases=_PUBLISHED_LSOA_CODE,
            pattern=LSOA_CODE,
            pattern_rule="invalid_lsoa",
        ),
        Column(
            "imd_decile", "int", not_null=True, minimum=1, maximum=10, aliases=_PUBLISHED_DECILE
        ),
        Column("imd_rank", "int", required=False, minimum=1, aliases=_PUBLISHED_RANK),
    ),
    key=("lsoa_code",),
    date_columns=(),  # a lookup, not events: `wholesystem status` shows no date range
)

REFERENCE_FEEDS: tuple[Feed, ...] = (LSOA_DEPRIVATION, ODS_PRACTICES)
