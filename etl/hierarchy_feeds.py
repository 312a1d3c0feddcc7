"""The organisation hierarchy's feeds: organisations, NHS Digital population files, ePCN
and NHS Digital's practice mapping file.

The population files are accepted exactly as NHS Digital publishes them (single year of age
and 5-year bands), keeping GP practice rows and checking the ALL totals.
"""

from __future__ import annotations

from etl.columns import practice, published_only
from etl.spec import Column, Derived, Feed, RowRule

ORGANISATIONS = Feed(
    name="organisations",
    table="organisations",
    description="Local hierarchy: practice, network, locality and area memberships.",
    columns=(
        practice("practice_code"),
        Column("practice_name"),
        Column("network_code", "code", not_null=True),
        Column("network_name"),
        Column("locality_code", "code", not_null=True),
        Column("locality_name"),
        Column("area_code", "code", not_null=True),
        Column("area_name"),
        Column("la_code", "code", pattern=r"^E0[6-9][0-9]{6}$", pattern_rule="invalid_la_code"),
        Column("valid_from", "date", not_null=True),
        Column("valid_to", "date"),
    ),
    key=("practice_code", "valid_from"),
    date_columns=("valid_from",),
    rules=(RowRule("valid_to_before_valid_from", "valid_to", "valid_to < valid_from"),),
)

_POPULATION_COMMON = (
    Column("publication", required=False, stored=False),
    Column("extract_date", "nhs_date", not_null=True, not_future=True),
    Column("type", "code", aliases=("org_type",), stored=False),
    Column("postcode", required=False, stored=False),
    Column("sex", "code", not_null=True, codes=("M", "F", "ALL"),
           recode={"MALE": "M", "MALES": "M", "FEMALE": "F", "FEMALES": "F"}),
    Column("patients", "int", not_null=True, minimum=0, aliases=("number_of_patients",)),
)  # fmt: skip
_POPULATION_DERIVED = (
    Derived("age_from", "INTEGER", "try_cast(regexp_extract(age, '^([0-9]+)', 1) AS INTEGER)"),
    Derived(
        "age_to",
        "INTEGER",
        "CASE WHEN age LIKE '%+' THEN NULL "
        "ELSE try_cast(regexp_extract(age, '([0-9]+)$', 1) AS INTEGER) END",
    ),
)
# Each ALL-age total is checked against its sex's detail rows; the SEX=ALL total, which
# the published files carry without any SEX=ALL detail rows, against the male and female ones.
_POPULATION_TOTALS_AGREE = (
    "population totals (ALL rows) disagree with the sum of the detail rows",
    "practice-month-sex group",
    """WITH groups AS (
         SELECT practice_code, extract_date, sex,
                sum(patients) FILTER (WHERE age <> 'ALL') AS detail,
                max(patients) FILTER (WHERE age = 'ALL') AS total
         FROM staging.checked WHERE NOT is_ignored AND NOT is_bad GROUP BY ALL)
       SELECT count(*) FROM groups g
       WHERE total <> coalesce(detail, CASE WHEN sex = 'ALL' THEN (
                SELECT sum(detail) FROM groups s WHERE s.practice_code = g.practice_code
                   AND s.extract_date = g.extract_date AND s.sex <> 'ALL') END)""",
)


def _population(name: str, age: Column, extra: tuple[Column, ...] = ()) -> Feed:
    practice_code = practice("practice_code", aliases=("code", "org_code"))
    return Feed(
        name=name,
        table="population",
        description="NHS Digital 'Patients Registered at a GP Practice', by sex and age.",
        columns=(*_POPULATION_COMMON[:3], practice_code, *_POPULATION_COMMON[3:], age, *extra),
        key=("practice_code", "extract_date", "sex", "age"),
        date_columns=("extract_date",),
        derived=_POPULATION_DERIVED,
        ignore_when="type IS DISTINCT FROM 'GP'",
        store_when="sex <> 'ALL' AND age <> 'ALL'",
        warnings=(_POPULATION_TOTALS_AGREE,),
    )


POPULATION_SINGLE_AGE = _population(
    "population",
    Column("age", "code", not_null=True, pattern=r"^([0-9]{1,3}|95\+|ALL)$",
           pattern_rule="invalid_age"),
)  # fmt: skip
POPULATION_FIVE_YEAR = _population(
    "population_5y",
    Column("age", "code", not_null=True, aliases=("age_group_5",), own_name_in_header=False,
           pattern=r"^([0-9]{1,2}_[0-9]{1,2}|95\+|ALL)$", pattern_rule="invalid_age"),
    (Column("ons_code", required=False, stored=False),),  # part of the published format
)  # fmt: skip

# `gp-reg-pat-prac-all.csv` carries one row per practice, SEX and AGE = ALL: the list size.
# Its header is the single-age file's, so etl.source tells the two apart by their first rows.
# Its sub-ICB (or older CCG) code columns are read as published and ignored.
LIST_SIZES = Feed(
    name="list_sizes",
    table="list_sizes",
    description="NHS Digital registered patients, all persons (gp-reg-pat-prac-all.csv): "
    "list size per practice and month.",
    columns=(
        *_POPULATION_COMMON[:3],
        practice("practice_code", aliases=("code", "org_code")),
        Column("postcode", required=False, stored=False),
        Column("sex", "code", not_null=True, stored=False, codes=("M", "F", "ALL"),
               recode={"MALE": "M", "MALES": "M", "FEMALE": "F", "FEMALES": "F"}),
        Column("age", "code", not_null=True, stored=False, pattern=r"^([0-9_]{1,5}|95\+|ALL)$",
               pattern_rule="invalid_age"),
        _POPULATION_COMMON[5],
    ),
    key=("practice_code", "extract_date"),
    date_columns=("extract_date",),
    ignore_when="type IS DISTINCT FROM 'GP'",
    store_when="sex = 'ALL' AND age = 'ALL'",
)  # fmt: skip


_EPCN_PUBLISHED = (
    ("partner_name", None),
    ("practice_parent_sub_icb_loc_code", "practice_parent_ccg_code"),
    ("practice_parent_sub_icb_loc_name", "practice_parent_ccg_name"),
    ("pcn_parent_sub_icb_loc_code", "pcn_parent_ccg_code"),
    ("pcn_parent_sub_icb_loc_name", "pcn_parent_ccg_name"),
    ("practice_sub_icb_loc_different_to_pcn_sub_icb_loc",
     "practice_ccg_different_to_pcn_ccg"),
)  # fmt: skip
EPCN_CORE_PARTNERS = Feed(
    name="epcn",
    table="epcn_memberships",
    description="ePCN core partner details: practice to PCN relationships.",
    columns=(
        practice("practice_code", aliases=("partner_organisation_code",)),
        Column("network_code", "code", not_null=True, aliases=("pcn_code",)),
        Column("network_name", aliases=("pcn_name",)),
        # The workbook's dates are real Excel dates in some months and text in others.
        Column(
            "valid_from",
            "nhs_date",
            not_null=True,
            aliases=("practice_to_pcn_relationship_start_date",),
        ),
        Column(
            "valid_to",
            "nhs_date",
            required=False,
            aliases=("practice_to_pcn_relationship_end_date",),
        ),
        # The rest of the published sheet, in its 2019 (CCG) and later (Sub ICB) layouts.
        *(published_only(name, alias) for name, alias in _EPCN_PUBLISHED),
    ),  # fmt: skip
    key=("practice_code", "valid_from"),
    date_columns=("valid_from",),
    rules=(RowRule("valid_to_before_valid_from", "valid_to", "valid_to < valid_from"),),
)

# NHS Digital's gp-reg-pat-prac-map.csv ("Patients Registered at a GP Practice" mapping):
# one row per practice with its PCN on EXTRACT_DATE, which is when the membership is known
# to hold. Its organisation columns changed names (CCG and STP to Sub ICB Location and ICB
# in 2022) and are read only to be recognised. It fills the ePCN table and is applied to the
# hierarchy the same way; the membership has no end date.
_MAP_PUBLISHED = (
    ("publication", None), ("practice_name", None), ("practice_postcode", None),
    ("ons_sub_icb_location_code", "ons_ccg_code"), ("sub_icb_location_code", "ccg_code"),
    ("sub_icb_location_name", "ccg_name"), ("ons_icb_code", "ons_stp_code"),
    ("icb_code", "stp_code"), ("icb_name", "stp_name"), ("ons_comm_region_code", None),
    ("comm_region_code", None), ("comm_region_name", None), ("supplier_name", None),
)  # fmt: skip
PRACTICE_MAP = Feed(
    name="practice_map",
    table="epcn_memberships",
    description="NHS Digital practice mapping (gp-reg-pat-prac-map): PCN on the extract date.",
    columns=(
        practice("practice_code"),
        Column(
            "network_code", "code", not_null=True, aliases=("pcn_code",), own_name_in_header=False
        ),
        Column("network_name", required=False, aliases=("pcn_name",), own_name_in_header=False),
        Column(
            "valid_from",
            "nhs_date",
            not_null=True,
            not_future=True,
            aliases=("extract_date",),
            own_name_in_header=False,
        ),
        *(published_only(name, alias) for name, alias in _MAP_PUBLISHED),
    ),  # fmt: skip
    key=("practice_code", "valid_from"),
    date_columns=("valid_from",),
    derived=(Derived("valid_to", "DATE", "NULL::DATE"),),
    # A practice in no PCN has a blank PCN_CODE, or `U` ("Unallocated"): no membership.
    ignore_when="network_code IS NULL OR network_code = 'U'",
)
