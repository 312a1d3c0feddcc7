"""The feeds of the data contract (`docs/DATA_CONTRACT.md`), declared column by column.

Every rule the contract states is here, so the validator, the warehouse schema, the status
report and the docs all read from one place.
"""

from __future__ import annotations

from etl.spec import ICD10_CODE, OPCS4_CODE, PRACTICE_CODE, Column, Derived, Feed, RowRule

EMERGENCY_ADMIMETH = ("21", "22", "23", "24", "25", "28", "2A", "2B", "2C", "2D")
ADMIMETH = ("11", "12", "13", *EMERGENCY_ADMIMETH, "31", "32", "81", "82", "83")
SEX_CODES = ("1", "2", "9")
SEX_RECODE = {"M": "1", "MALE": "1", "F": "2", "FEMALE": "2", "U": "9"}
QOF_REGISTERS = (
    "DM", "COPD", "HF", "CHD", "AST", "HYP", "AF", "STIA", "CKD", "DEM", "SMI", "LD", "CAN", "PC",
)  # fmt: skip
GP_EVENT_CODES = (
    "hba1c", "sbp", "dbp", "cholesterol", "care_plan", "anticipatory_care_plan",
    "retinal_screening", "structured_education_referral", "foot_check", "key_worker_assigned",
    "mdt_review", "dtap_ipv_hib_hepb", "mmr", "cervical_screening",
)  # fmt: skip
MEASUREMENT_CODES = ("hba1c", "sbp", "dbp", "cholesterol")


def _person(required: bool = True, not_null: bool = True) -> Column:
    return Column("person_id", required=required, not_null=not_null, pseudonym=True)


def _practice(name: str = "gpprac", not_null: bool = True, aliases=()) -> Column:
    return Column(
        name, "code", not_null=not_null, aliases=aliases,
        pattern=PRACTICE_CODE, pattern_rule="invalid_practice_code",
    )  # fmt: skip


def _event_date(name: str, not_null: bool = True, aliases=()) -> Column:
    return Column(name, "date", not_null=not_null, not_future=True, aliases=aliases)


ORGANISATIONS = Feed(
    name="organisations",
    table="organisations",
    description="Local hierarchy: practice, network, locality and area memberships.",
    columns=(
        _practice("practice_code"),
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
    practice = _practice("practice_code", aliases=("code", "org_code"))
    return Feed(
        name=name,
        table="population",
        description="NHS Digital 'Patients Registered at a GP Practice', by sex and age.",
        columns=(*_POPULATION_COMMON[:3], practice, *_POPULATION_COMMON[3:], age, *extra),
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

PATIENTS = Feed(
    name="patients",
    table="patients",
    mode="snapshot",
    description="Pseudonymised patient index (GP registration), replaced by each load.",
    columns=(
        _person(),
        _practice(),
        Column("sex", "code", not_null=True, codes=SEX_CODES, recode=SEX_RECODE),
        Column("birth_month", "month", not_null=True, not_future=True),
        Column("lsoa", "code", pattern=r"^[EW]01[0-9]{6}$", pattern_rule="invalid_lsoa"),
        Column("registered_from", "date", not_null=True, not_future=True),
        Column("registered_to", "date"),
        Column("care_home_resident", "bool"),
        Column("frailty", "label", codes=("fit", "mild", "moderate", "severe")),
        Column("risk_score", "float", minimum=0, maximum=1),
        Column("high_risk_register", "bool"),
    ),
    key=("person_id",),
    date_columns=("registered_from",),
    rules=(
        RowRule(
            "registered_to_before_registered_from",
            "registered_to",
            "registered_to < registered_from",
        ),
        RowRule("registered_before_birth", "registered_from", "registered_from < birth_month"),
    ),  # fmt: skip
)

CONDITIONS = Feed(
    name="conditions",
    table="conditions",
    description="QOF-style disease registers.",
    columns=(
        _person(),
        Column("condition", "code", not_null=True, codes=QOF_REGISTERS),
        _event_date("diagnosed_on"),
        _event_date("resolved_on", not_null=False),
    ),
    key=("person_id", "condition", "diagnosed_on"),
    date_columns=("diagnosed_on",),
    rules=(RowRule("resolved_before_diagnosed", "resolved_on", "resolved_on < diagnosed_on"),),
)

GP_EVENTS = Feed(
    name="gp_events",
    table="gp_events",
    description="GP-recorded measurements and care processes.",
    columns=(
        _person(),
        _event_date("event_date"),
        Column(
            "code", "label", not_null=True, codes=GP_EVENT_CODES, translate_with="gp_event_code"
        ),
        Column("value", "float", minimum=0),
    ),
    key=("person_id", "event_date", "code"),
    date_columns=("event_date",),
    rules=(
        RowRule(
            "measurement_without_value", "value", f"code IN {MEASUREMENT_CODES} AND value IS NULL"
        ),
    ),  # fmt: skip
)

APC_SPELLS = Feed(
    name="apc_spells",
    table="apc_spells",
    description="Admitted patient care spells (SUS/HES), revised monthly by spell_id.",
    columns=(
        Column("spell_id", not_null=True),
        _person(),
        _practice(),
        Column("procode3", "code", required=False, aliases=("procode",)),
        _event_date("admidate"),
        _event_date("disdate", not_null=False),
        Column("admimeth", "code", not_null=True, codes=ADMIMETH),
        Column("admisorc", "code", required=False),
        Column("disdest", "code", required=False),
        Column("classpat", "code", not_null=True, codes=("1", "2", "3", "4", "5")),
        Column("startage", "int", not_null=True, minimum=0, maximum=120),
        Column("sex", "code", not_null=True, codes=SEX_CODES, recode=SEX_RECODE),
        Column(
            "diag_4_01", "code", not_null=True, pattern=ICD10_CODE, pattern_rule="invalid_icd10"
        ),
        Column("diag_4_concat", "code_list", pattern=ICD10_CODE, pattern_rule="invalid_icd10"),
        Column("opertn_4_concat", "code_list", pattern=OPCS4_CODE, pattern_rule="invalid_opcs4"),
        Column("tretspef", "code", required=False),
    ),  # fmt: skip
    key=("spell_id",),
    date_columns=("admidate", "disdate"),
    rules=(RowRule("disdate_before_admidate", "disdate", "disdate < admidate"),),
)

DEATHS = Feed(
    name="deaths",
    table="deaths",
    description="ONS deaths, linked; a second row for a person is a revision.",
    columns=(
        _person(),
        _event_date("dod"),
        Column("sex", "code", not_null=True, codes=SEX_CODES, recode=SEX_RECODE),
        Column("age", "int", not_null=True, minimum=0, maximum=120),
        _practice(not_null=False),
        Column("pod", "label", codes=("hospital", "home", "care_home", "hospice", "other")),
        Column("icd10u", "code", pattern=ICD10_CODE, pattern_rule="invalid_icd10"),
    ),
    key=("person_id",),
    date_columns=("dod",),
)

CARE_HOME_ADMISSIONS = Feed(
    name="care_home_admissions",
    table="care_home_admissions",
    description="Adult social care: care home admissions (Client Level Data style).",
    columns=(
        Column("event_id", not_null=True),
        _person(not_null=False),
        Column(
            "la_code",
            "code",
            not_null=True,
            pattern=r"^E0[6-9][0-9]{6}$",
            pattern_rule="invalid_la_code",
        ),
        _event_date("admission_date"),
        Column("setting", "label", not_null=True, codes=("residential", "nursing")),
        Column("permanent", "bool", not_null=True),
        Column("age", "int", not_null=True, minimum=0, maximum=120),
        Column("sex", "code", codes=SEX_CODES, recode=SEX_RECODE),
    ),  # fmt: skip
    key=("event_id",),
    date_columns=("admission_date",),
)


def _eq5d_level(name: str) -> Column:
    return Column(name, "int", minimum=1, maximum=5)


_EQ5D_LEVELS = ("eq5d_mo", "eq5d_sc", "eq5d_ua", "eq5d_pd", "eq5d_ad")
SURVEY_RESPONSES = Feed(
    name="survey_responses",
    table="survey_responses",
    description="Patient and carer reported measures: EQ-5D, co-ordination, self-management.",
    columns=(
        Column("response_id", not_null=True),
        _practice(),
        Column("respondent", "label", not_null=True, codes=("patient", "carer")),
        _event_date("response_date"),
        Column("eq5d_version", "code", codes=("3L", "5L")),
        *(_eq5d_level(name) for name in _EQ5D_LEVELS),
        Column("eq5d_vas", "int", minimum=0, maximum=100),
        Column(
            "coordinated_care",
            "label",
            codes=("yes_definitely", "yes_somewhat", "no", "not_needed", "dont_know"),
        ),
        Column(
            "self_manage_confidence",
            "label",
            codes=("very", "fairly", "not_very", "not_at_all", "dont_know"),
        ),
    ),  # fmt: skip
    key=("response_id",),
    date_columns=("response_date",),
    rules=tuple(
        RowRule("eq5d_level_above_3l_range", name, f"eq5d_version = '3L' AND {name} > 3")
        for name in _EQ5D_LEVELS
    )
    + tuple(
        RowRule("eq5d_level_without_version", name, f"eq5d_version IS NULL AND {name} IS NOT NULL")
        for name in _EQ5D_LEVELS
    ),
)

AGGREGATE_INDICATORS = Feed(
    name="aggregate_indicators",
    table="aggregate_indicators",
    description="Indicator values supplied already aggregated (GP Patient Survey, QOF).",
    columns=(
        Column(
            "indicator_id",
            not_null=True,
            pattern=r"^[a-z][a-z0-9_]*$",
            pattern_rule="invalid_indicator_id",
        ),
        Column("org_code", "code", not_null=True),
        Column("period_start", "date", not_null=True),
        Column("period_end", "date", not_null=True),
        Column("numerator", "float", not_null=True, minimum=0),
        Column("denominator", "float", minimum=0),
    ),  # fmt: skip
    key=("indicator_id", "org_code", "period_start", "period_end"),
    date_columns=("period_start", "period_end"),
    rules=(
        RowRule("period_end_before_period_start", "period_end", "period_end < period_start"),
        RowRule("numerator_above_denominator", "numerator", "numerator > denominator"),
    ),
)

EPCN_CORE_PARTNERS = Feed(
    name="epcn",
    table="epcn_memberships",
    description="ePCN core partner details: practice to PCN relationships.",
    columns=(
        _practice("practice_code", aliases=("partner_organisation_code",)),
        Column("network_code", "code", not_null=True, aliases=("pcn_code",)),
        Column("network_name", aliases=("pcn_name",)),
        Column(
            "valid_from",
            "date",
            not_null=True,
            aliases=("practice_to_pcn_relationship_start_date",),
        ),
        Column(
            "valid_to", "date", required=False, aliases=("practice_to_pcn_relationship_end_date",)
        ),
    ),  # fmt: skip
    key=("practice_code", "valid_from"),
    date_columns=("valid_from",),
    rules=(RowRule("valid_to_before_valid_from", "valid_to", "valid_to < valid_from"),),
)

FEEDS: tuple[Feed, ...] = (
    ORGANISATIONS,
    POPULATION_SINGLE_AGE,
    POPULATION_FIVE_YEAR,
    PATIENTS,
    CONDITIONS,
    GP_EVENTS,
    APC_SPELLS,
    DEATHS,
    CARE_HOME_ADMISSIONS,
    SURVEY_RESPONSES,
    AGGREGATE_INDICATORS,
    EPCN_CORE_PARTNERS,
)
FEEDS_BY_NAME = {feed.name: feed for feed in FEEDS}
