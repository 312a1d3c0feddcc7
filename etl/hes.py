"""The HES conventions a loader meets in NHS Digital's extracts, as Column builders.

HES (Hospital Episode Statistics) files follow conventions of their own, set out in the HES
Data Dictionary (https://digital.nhs.uk/data-and-information/data-tools-and-services/
data-services/hospital-episode-statistics/hospital-episode-statistics-data-dictionary):

- `-`, a dash padded with spaces, and `&` mean "not recorded" (GPPRAC `&`, `Z380,-` in a
  concatenated diagnosis list): stored as NULL, never a broken rule;
- the date 1800-01-01 means "null" and 1801-01-01 "invalid": both stored as no date, never
  quarantined; the invalid ones are named per row in `invalid_dates` and counted in the load
  summary (`invalid_dates_note`);
- ages 7001-7007 (STARTAGE, ARRIVALAGE) are ages under one year (days, weeks, months): 0;
- SEX 0 (not known) and 9 (not specified) are valid codes;
- codes keep their leading zeros (FYEAR `0102`, DISDEST `19`) and keys of 11-14 digits stay
  text: every column is read as text and only typed as the declaration says;
- integers may be written `5.0` (SAS and spreadsheet exports).

Every HES feed (admitted patient care in etl.hes_feeds, A&E) declares its columns with these
builders, so the conventions hold the same way in all of them.
"""

from __future__ import annotations

from etl.spec import PRACTICE_CODE, Column, Derived

PLACEHOLDERS = ("-", "&")
NULL_DATE = "1800-01-01"
INVALID_DATE = "1801-01-01"
INFANT_AGES = {str(code): "0" for code in range(7001, 7008)}
SEX_CODES = ("0", "1", "2", "9")
# The NHS Data Dictionary's default GP practice codes, which HES keeps: V81997 for no
# registered practice (no fixed abode among others), V81998 where a practice code does not
# apply, V81999 where it is not known.
PSEUDO_PRACTICES = {
    "V81997": "no registered practice",
    "V81998": "not applicable",
    "V81999": "not known",
}


def hes_code(name: str, **options) -> Column:
    """A HES code (text, leading zeros kept); placeholders and `5.0`-style integers allowed
    (some exports write numeric codes so: AEATTENDCAT `3.0`)."""
    options.setdefault("required", False)
    return Column(name, "code", missing=PLACEHOLDERS, integer_decimals=True, **options)


def hes_digits(name: str, **options) -> Column:
    """A HES code written in digits (DISDEST `19`, FYEAR `0102`): as hes_code, but with no
    letters to upper-case, it is kept as the text it is (a cheaper read of large files)."""
    options.setdefault("required", False)
    return Column(name, "text", missing=PLACEHOLDERS, integer_decimals=True, **options)


def hes_int(name: str, **options) -> Column:
    """A HES whole number, which exports may write `5.0`."""
    options.setdefault("required", False)
    return Column(name, "int", missing=PLACEHOLDERS, integer_decimals=True, **options)


def hes_age(name: str, **options) -> Column:
    """A HES age in years; 7001-7007 (under one year, in days, weeks or months) become 0."""
    return hes_int(name, recode=INFANT_AGES, minimum=0, maximum=120, **options)


def hes_date(name: str, **options) -> Column:
    """A HES date (ISO): 1800-01-01 is no date, 1801-01-01 an invalid one; neither is kept."""
    options.setdefault("required", False)
    options.setdefault("not_future", True)
    return Column(
        name, "date", missing=(*PLACEHOLDERS, NULL_DATE), invalid=(INVALID_DATE,), **options
    )


def hes_sex(name: str = "sex", **options) -> Column:
    """HES SEX: 0 not known, 1 male, 2 female, 9 not specified."""
    return hes_digits(name, codes=SEX_CODES, **options)


def hes_practice(name: str = "gpprac", **options) -> Column:
    """The registered GP practice; `&` or `-` is no practice, V81997-V81999 are kept."""
    return hes_code(name, pattern=PRACTICE_CODE, pattern_rule="invalid_practice_code", **options)


def hes_code_list(name: str, pattern: str, rule: str) -> Column:
    """A concatenated code list (DIAG_4_CONCAT); placeholder elements such as `-` dropped."""
    return Column(
        name, "code_list", required=False, missing=PLACEHOLDERS, pattern=pattern,
        pattern_rule=rule,
    )  # fmt: skip


def invalid_dates(columns: tuple[Column, ...]) -> Derived:
    """A derived column naming, per row, the dates the file gave as invalid (1801-01-01).

    It reads the raw value (text, or a date where the reader typed it natively); the typed
    value is NULL and cannot tell an invalid date from a missing one.
    """
    dates = [c.name for c in columns if c.kind == "date" and INVALID_DATE in c.invalid]
    cases = [
        f"CASE WHEN try_cast(raw_{name} AS DATE) = DATE '{INVALID_DATE}' THEN '{name}' END"
        for name in dates
    ]
    # An invalid date is stored as NULL, so only rows with a NULL date need looking at.
    some_null = " OR ".join(f"{name} IS NULL" for name in dates)
    named = f"nullif(concat_ws(',', {', '.join(cases)}), '')"
    return Derived("invalid_dates", "VARCHAR", f"CASE WHEN {some_null} THEN {named} END")


def invalid_dates_note(connection, table: str, load_id: int, unit: str) -> list[str]:
    """The load note counting rows of `load_id` with a date HES marks invalid, by column."""
    counts = connection.execute(
        f"""SELECT name, count(*) FROM (
                SELECT unnest(string_split(invalid_dates, ',')) AS name FROM {table}
                WHERE load_id = ? AND invalid_dates IS NOT NULL)
            GROUP BY name ORDER BY name""",
        [load_id],
    ).fetchall()
    if not counts:
        return []
    listed = ", ".join(f"{name} {count:,}" for name, count in counts)
    return [
        f"dates given as invalid ({INVALID_DATE}) stored as no date, by {unit} column: {listed}"
    ]


def pseudo_practice_note(connection, table: str, load_id: int, unit: str) -> list[str]:
    """The load note counting rows of `load_id` whose practice is a HES pseudo code."""
    codes = ", ".join(f"'{code}'" for code in PSEUDO_PRACTICES)
    counts = dict(
        connection.execute(
            f"""SELECT gpprac, count(*) FROM {table}
                WHERE load_id = ? AND gpprac IN ({codes}) GROUP BY gpprac""",
            [load_id],
        ).fetchall()
    )
    if not counts:
        return []
    listed = ", ".join(
        f"{code} ({meaning}) {counts[code]:,}"
        for code, meaning in PSEUDO_PRACTICES.items()
        if code in counts
    )
    return [f"{unit}s with a pseudo practice code, kept but in no practice: {listed}"]
