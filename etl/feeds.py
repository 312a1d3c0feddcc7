"""The feeds of the data contract (`docs/DATA_CONTRACT.md`), declared column by column.

Every rule the contract states is here (the organisation hierarchy's feeds in
`etl.hierarchy_feeds`), so the validator, the warehouse schema, the status report and the
docs all read from one place. `FEEDS` also holds the reference feeds beyond the contract
(`etl.reference_feeds`), which load the same way.
"""

from __future__ import annotations

from etl.ae_feeds import AE_ATTENDANCES
from etl.columns import event_date, person, practice
from etl.hes_feeds import HES_APC_EPISODES
from etl.hierarchy_feeds import (
    EPCN_CORE_PARTNERS,
    LIST_SIZES,
    ORGANISATIONS,
    POPULATION_FIVE_YEAR,
    POPULATION_SINGLE_AGE,
    PRACTICE_MAP,
)
from etl.reference_feeds import REFERENCE_FEEDS
from etl.spec import ICD10_CODE, OPCS4_CODE, Column, Feed, RowRule

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


PATIENTS = Feed(
    name="patients",
    table="patients",
    mode="snapshot",
    description="Pseudonymised patient index (GP registration), replaced by each load.",
    columns=(
        person(),
        practice(),
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
        person(),
        Column("condition", "code", not_null=True, codes=QOF_REGISTERS),
        event_date("diagnosed_on"),
        event_date("resolved_on", not_null=False),
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
        person(),
        event_date("event_date"),
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
        person(),
        practice(),
        Column("procode3", "code", required=False, aliases=("procode",)),
        event_date("admidate"),
        event_date("disdate", not_null=False),
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
        person(),
        event_date("dod"),
        Column("sex", "code", not_null=True, codes=SEX_CODES, recode=SEX_RECODE),
        Column("age", "int", not_null=True, minimum=0, maximum=120),
        practice(not_null=False),
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
        person(not_null=False),
        Column(
            "la_code",
            "code",
            not_null=True,
            pattern=r"^E0[6-9][0-9]{6}$",
            pattern_rule="invalid_la_code",
        ),
        event_date("admission_date"),
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
        practice(),
        Column("respondent", "label", not_null=True, codes=("patient", "carer")),
        event_date("response_date"),
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

FEEDS: tuple[Feed, ...] = (
    ORGANISATIONS,
    POPULATION_SINGLE_AGE,
    POPULATION_FIVE_YEAR,
    LIST_SIZES,
    PATIENTS,
    CONDITIONS,
    GP_EVENTS,
    APC_SPELLS,
    HES_APC_EPISODES,
    DEATHS,
    CARE_HOME_ADMISSIONS,
    SURVEY_RESPONSES,
    AGGREGATE_INDICATORS,
    EPCN_CORE_PARTNERS,
    PRACTICE_MAP,
    AE_ATTENDANCES,
    *REFERENCE_FEEDS,
)
FEEDS_BY_NAME = {feed.name: feed for feed in FEEDS}
