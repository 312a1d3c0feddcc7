"""The HES admitted patient care feed: episodes in the layout NHS Digital publishes.

A HES APC extract (and NHS Digital's "Artificial HES" sample files) holds one row per
finished or unfinished consultant episode, with about 200 upper-case columns named as in
the HES Data Dictionary. The columns below are the ones the warehouse keeps; the others are
ignored with one note. The HES conventions (placeholders, sentinel dates, infant ages,
`5.0`-style integers) are declared with the builders of etl.hes. After each load,
etl.spells derives the spells that the loaded episodes belong to into `apc_spells`.
"""

from __future__ import annotations

from etl.columns import person
from etl.hes import (
    PLACEHOLDERS,
    hes_age,
    hes_code,
    hes_code_list,
    hes_date,
    hes_digits,
    hes_int,
    hes_practice,
    hes_sex,
    invalid_dates,
)
from etl.spec import ICD10_CODE, OPCS4_CODE, Column, Derived, Feed, RowRule
from etl.spells import SPELL_KEY

# Person ids HES extracts carry under other names: the pseudonymised HESID of NHS Digital's
# extracts, the de-identified NHS number of NHS England's data environments, a local token.
PERSON_ALIASES = ("pseudo_hesid", "hesid", "person_id_deid", "token_person_id", "patient_id")

_COLUMNS = (
    hes_digits("fyear", pattern=r"^[0-9]{4}$", pattern_rule="invalid_code"),
    Column("epikey", not_null=True),
    person(aliases=PERSON_ALIASES),
    Column("susspellid", required=False, missing=PLACEHOLDERS),
    hes_code("procode3", required=True, not_null=True, aliases=("procode",)),
    hes_date("admidate", required=True),
    # HES has admission methods beyond the spell contract's (98 not applicable, 99 not known,
    # and codes retired over the years): any two-character code is kept, and the indicators
    # read only those they know.
    hes_code("admimeth", required=True, pattern=r"^[0-9][0-9A-Z]$", pattern_rule="invalid_code"),
    hes_digits("admisorc"),
    hes_date("disdate", required=True),
    hes_digits("disdest"),
    hes_digits("dismeth"),
    hes_date("epistart", required=True),
    hes_date("epiend"),
    hes_int("epiorder", required=True, minimum=0, maximum=99),
    hes_digits("epistat", required=True, not_null=True, codes=("1", "3", "9")),
    hes_digits("epitype"),
    hes_digits("classpat", required=True, codes=("1", "2", "3", "4", "5", "8", "9")),
    hes_age("startage", required=True),
    hes_sex("sex", required=True),
    hes_practice("gpprac", required=True),
    hes_code("diag_4_01", required=True, pattern=ICD10_CODE, pattern_rule="invalid_icd10"),
    hes_code_list("diag_4_concat", ICD10_CODE, "invalid_icd10"),
    hes_code_list("opertn_4_concat", OPCS4_CODE, "invalid_opcs4"),
    hes_digits("tretspef"),
    hes_code("lsoa11"),
)

HES_APC_EPISODES = Feed(
    name="hes_apc_episodes",
    table="hes_apc_episodes",
    description="HES/SUS admitted patient care episodes (NHS Digital layout); spells derived.",
    columns=_COLUMNS,
    key=("epikey",),
    date_columns=("epistart", "epiend"),
    # As for spell-level files; a spell's episodes all repeat its admission date.
    rules=(RowRule("disdate_before_admidate", "disdate", "disdate < admidate"),),
    # The spell each finished episode belongs to (etl.spells), and any dates HES gave as
    # invalid.
    derived=(Derived("spell_id", "VARCHAR", SPELL_KEY), invalid_dates(_COLUMNS)),
)
