"""A&E attendances as NHS Digital's HES A&E (and ECDS-derived extracts) publish them.

One row per attendance, keyed by AEKEY (a revision of an attendance replaces it). The HES
Data Dictionary's upper-case field names are the header; the published extract's many other
fields (times, investigations, treatments, diagnoses, geographies) are ignored like any
unknown column. The HES conventions (`&` and `-` for not recorded, the sentinel dates
1800-01-01 and 1801-01-01, ages under one year as 7001-7007, SEX 0 and 9, `5.0` integers,
the pseudo practice codes V81997-V81999, kept as they stand) are declared with the builders
of etl.hes, as for HES admitted patient care. The code sets are those of the HES A&E Data
Dictionary (NHS Digital), listed in docs/DATA_CONTRACT.md.
"""

from __future__ import annotations

from etl.columns import person
from etl.hes import (
    hes_age,
    hes_code,
    hes_date,
    hes_practice,
    hes_sex,
    invalid_dates,
    invalid_dates_note,
    pseudo_practice_note,
)
from etl.hes_feeds import PERSON_ALIASES
from etl.spec import Column, Feed

AE_ARRIVAL_MODES = ("1", "2", "9")  # 1 ambulance (air ambulance included), 2 other, 9 unknown
AE_ATTENDANCE_CATEGORIES = ("1", "2", "3", "9")  # first, planned and unplanned follow-up
AE_DISPOSALS = (
    "01", "02", "03", "04", "05", "06", "07", "10", "11", "12", "13", "14", "99",
)  # fmt: skip
AE_REFERRAL_SOURCES = (
    "00", "01", "02", "03", "04", "05", "06", "07", "08", "92", "93", "99",
)  # fmt: skip
AE_DEPARTMENT_TYPES = ("01", "02", "03", "04", "99")


def _two_digit(codes: tuple[str, ...]) -> dict[str, str]:
    """Two-digit codes whose leading zero a spreadsheet dropped (`1` for `01`, `0` for `00`)."""
    return {code.lstrip("0") or "0": code for code in codes if code.startswith("0")}


def _ae_code(name: str, codes: tuple[str, ...], **options) -> Column:
    return hes_code(name, codes=codes, recode=_two_digit(codes), **options)


_COLUMNS = (
    Column("aekey", not_null=True),
    person(aliases=PERSON_ALIASES),
    hes_code("procode3", aliases=("procode",)),
    # The date may be blank: HES keeps an attendance dated 1800-01-01 or 1801-01-01, so it is
    # stored with no date (which no indicator counts), never quarantined.
    hes_date("arrivaldate", required=True),
    hes_age("arrivalage", required=True),
    hes_code("aearrivalmode", codes=AE_ARRIVAL_MODES),
    hes_code("aeattendcat", required=True, codes=AE_ATTENDANCE_CATEGORIES),
    _ae_code("aeattenddisp", AE_DISPOSALS),
    _ae_code("aerefsource", AE_REFERRAL_SOURCES),
    _ae_code("aedepttype", AE_DEPARTMENT_TYPES),
    hes_practice("gpprac", required=True),
    hes_sex("sex", required=True),
)

AE_ATTENDANCES = Feed(
    name="ae_attendances",
    table="ae_attendances",
    description="A&E attendances (HES A&E / ECDS style, NHS Digital layout), revised by aekey.",
    columns=_COLUMNS,
    key=("aekey",),
    date_columns=("arrivaldate",),
    derived=(invalid_dates(_COLUMNS),),
)


def attendance_notes(connection, load_id: int) -> list[str]:
    """The load summary's notes on the HES conventions met: invalid dates, pseudo practices."""
    return invalid_dates_note(
        connection, "ae_attendances", load_id, "attendance"
    ) + pseudo_practice_note(connection, "ae_attendances", load_id, "attendance")
