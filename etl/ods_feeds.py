"""The ODS practices reference feed: NHS Digital's `epraccur.csv` as published.

`epraccur` ("GP Practices", Organisation Data Service) has no header row: every field is
quoted and the 27 fields stand in the published order below. `etl.source` recognises it by
that shape (27 quoted fields, the first an ODS practice code, the open date as YYYYMMDD)
and reads it under `EPRACCUR_FIELDS` as its header. The feed keeps each practice's name,
postcode, commissioner, open and close dates, status and prescribing setting; a later file
replaces a practice's row. The status code is kept in one vocabulary: older files write
A/C/D/P, newer ones ACTIVE/INACTIVE/DORMANT, and C and INACTIVE both mean closed.
"""

from __future__ import annotations

import re

from etl.columns import practice, published_only
from etl.spec import Column, Feed, RowRule

# The published layout, field by field (ODS "GP Practices" file specification).
EPRACCUR_FIELDS = (
    "organisation_code", "name", "national_grouping", "high_level_health_geography",
    "address_line_1", "address_line_2", "address_line_3", "address_line_4", "address_line_5",
    "postcode", "open_date", "close_date", "status_code", "organisation_sub_type_code",
    "commissioner", "join_provider_purchaser_date", "left_provider_purchaser_date",
    "contact_telephone_number", "null_1", "null_2", "null_3", "amended_record_indicator",
    "null_4", "provider_purchaser", "null_5", "prescribing_setting", "null_6",
)  # fmt: skip
STATUSES = ("ACTIVE", "CLOSED", "DORMANT", "PROPOSED")
STATUS_RECODE = {"A": "ACTIVE", "C": "CLOSED", "INACTIVE": "CLOSED", "D": "DORMANT",
                 "P": "PROPOSED"}  # fmt: skip
_PRACTICE_CODE = re.compile(r"^[A-Z][0-9]{5}$")
_YYYYMMDD = re.compile(r"^(19|20)[0-9]{6}$")
_STORED = {"organisation_code", "name", "postcode", "commissioner", "open_date", "close_date",
           "status_code", "prescribing_setting"}  # fmt: skip


def looks_like_epraccur(first_line: str, fields: tuple[str, ...]) -> bool:
    """Whether a headerless first line has epraccur's shape (every field quoted)."""
    return (
        len(fields) == len(EPRACCUR_FIELDS)
        and first_line.lstrip("\ufeff").startswith('"')
        and first_line.rstrip("\r\n").endswith('"')
        and bool(_PRACTICE_CODE.match(fields[0]))
        and bool(_YYYYMMDD.match(fields[10]))
    )


ODS_PRACTICES = Feed(
    name="ods_practices",
    table="ods_practices",
    description="Reference: ODS practices (epraccur): name, open and close dates, status.",
    columns=(
        practice("practice_code", aliases=("organisation_code",)),
        Column("practice_name", not_null=True, aliases=("name",)),
        Column("postcode", "code", required=False),
        Column("commissioner", "code", required=False),
        Column("open_date", "nhs_date", not_null=True),
        Column("close_date", "nhs_date"),
        Column(
            "status",
            "code",
            not_null=True,
            aliases=("status_code",),
            codes=STATUSES,
            recode=STATUS_RECODE,
        ),
        Column("prescribing_setting", "int", required=False, minimum=0),
        *(published_only(name) for name in EPRACCUR_FIELDS if name not in _STORED),
    ),  # fmt: skip
    key=("practice_code",),
    date_columns=(),  # a lookup: `wholesystem status` shows no date range
    rules=(RowRule("close_date_before_open_date", "close_date", "close_date < open_date"),),
)
