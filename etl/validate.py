"""Builds the one set-based SQL pass that types a file's columns and flags broken rows.

The pass reads the file's raw text (the reader's VARCHAR columns), types every column with
`try_cast`, and marks a row bad when any rule of its feed is broken. Bad rows keep their raw
text so that the quarantine can show the value exactly as it stood in the file. The same
rule expressions then run again over the bad rows only, to list which rules they broke.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from etl.spec import INVALID_RULES, NATIVE_KINDS, Column, Feed


def _nhs_number_macro() -> str:
    digits = "regexp_replace(value, '[ -]', '', 'g')"
    weighted = " + ".join(
        f"try_cast(substr({digits}, {i + 1}, 1) AS INTEGER) * {10 - i}" for i in range(9)
    )
    check_digit = f"try_cast(substr({digits}, 10, 1) AS INTEGER)"
    # The length test first: it is cheap and almost every pseudonym fails it.
    return (
        "CREATE OR REPLACE TEMP MACRO is_real_nhs_number(value) AS "
        "CASE WHEN length(value) NOT BETWEEN 10 AND 12 THEN false "
        f"WHEN regexp_full_match({digits}, '[0-9]{{10}}') "
        f"THEN (11 - ({weighted}) % 11) % 11 = {check_digit} ELSE false END"
    )


# A real NHS number is 10 digits whose modulus-11 check digit is valid (NHS Data Dictionary);
# a check value of 10 can never equal a digit, so such numbers are correctly never real.
NHS_NUMBER_MACRO = _nhs_number_macro()


@dataclass(frozen=True)
class Check:
    """One rule on one column, as SQL over the typed names and the raw_ names."""

    rule: str
    column: str
    broken_when: str
    fast: str | None = None

    @property
    def flag(self) -> str:
        """SQL flagging the row as bad: `fast` where given ("" when another check covers it)."""
        return self.broken_when if self.fast is None else self.fast

    @property
    def value(self) -> str:
        """SQL for the raw text the quarantine shows."""
        return f"CAST(raw_{self.column} AS VARCHAR)"


def sql_literal(text: str) -> str:
    """Returns `text` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _in_list(values) -> str:
    return "(" + ", ".join(sql_literal(value) for value in values) + ")"


PREVIOUS = "@previous@"


def typing_steps(column: Column, native: bool = False) -> list[str]:
    """SQL steps that turn the column's raw text into its warehouse type (NULL when it
    cannot); each step after the first reads the one before as PREVIOUS.

    Steps are evaluated one projection after another (see `typed_select`): a step that names
    its input twice (a CASE) then names a column, where one nested expression would make
    DuckDB evaluate the whole input again for every mention. With `native`, columns of
    NATIVE_KINDS arrive already typed by the reader.
    """
    if native and column.kind in NATIVE_KINDS:
        return [_native_nulls(column)]
    if canonical_list(column) is not None:
        # Most lists are written as stored; only the others pay for the normalising.
        raw = f"raw_{column.name}"
        typed = _KIND_EXPRESSIONS["code_list"].format(t=f"nullif(trim({raw}), '')")
        return [f"CASE WHEN canonical_{column.name} THEN {raw} ELSE {typed} END"]
    text = f"nullif(trim(raw_{column.name}), '')"
    kind = column.kind
    if kind != "code_list":
        for value in column.nulls:
            text = f"nullif({text}, {sql_literal(value)})"
    if column.translate_with:
        text = f"{column.translate_with}({text})"
    if kind == "code":
        text = f"upper({text})"
    elif kind == "label":
        text = f"lower({text})"
    steps, t = [text], PREVIOUS
    if column.integer_decimals:
        # Only a value with a point pays for the regular expression.
        whole = f"regexp_replace({t}, '^([+-]?[0-9]+)\\.0+$', '\\1')"
        steps.append(f"CASE WHEN contains({t}, '.') THEN {whole} ELSE {t} END")
    if column.recode:
        recode = column.recode.items()
        cases = " ".join(f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in recode)
        steps.append(f"CASE {t} {cases} ELSE {t} END")
    typed = _KIND_EXPRESSIONS.get(kind, "{t}").format(t=t)
    if typed != t:
        steps.append(typed)
    if kind == "code_list" and column.nulls:
        steps.append(_drop_list_nulls(t, column.nulls))
    return steps


# A list element pattern made only of upper-case letters, digits and classes of them can
# match nothing typing would change (case, spaces, separators).
_PLAIN_ELEMENT = re.compile(r"(?:(?:\[[A-Z0-9-]+\]|[A-Z0-9])(?:\{\d+(?:,\d+)?\}|\?)?)+")


def canonical_list(column: Column) -> str | None:
    """SQL true when a code_list's raw text is already as typing stores it and its pattern
    accepts it (codes joined by single commas), or None where that cannot be told cheaply."""
    if column.kind != "code_list" or column.pattern is None:
        return None
    if column.nulls or column.recode or column.translate_with or column.integer_decimals:
        return None
    element = column.pattern.strip("^$")
    if not _PLAIN_ELEMENT.fullmatch(element):
        return None
    return f"regexp_full_match(raw_{column.name}, {sql_literal(f'{element}(,{element})*')})"


def with_canonical_flags(columns, source: str) -> str:
    """SQL yielding every column of `source` plus canonical_<name> (see canonical_list) for
    each code list that has one: typing and the pattern check both read it, where each
    would otherwise run the same regular expression over every row."""
    flags = [
        f"{canonical} AS canonical_{column.name}"
        for column in columns
        if (canonical := canonical_list(column)) is not None
    ]
    return f"SELECT *, {', '.join(flags)} FROM ({source})" if flags else source


def typed_select(feed: Feed, source: str, native: bool = False) -> str:
    """SQL yielding every column of `source` plus each feed column typed, by name, and the
    code lists' canonical_ flags.

    Each column's steps run in successive projections, its last step in the last one; the
    intermediate columns are dropped.
    """
    source = with_canonical_flags(feed.columns, source)
    steps = {c.name: typing_steps(c, native) for c in feed.columns}
    depth = max(len(column_steps) for column_steps in steps.values())
    intermediate = []
    for level in range(depth):
        items = []
        for name, column_steps in steps.items():
            offset = depth - len(column_steps)
            if level < offset:
                continue
            step = column_steps[level - offset].replace(PREVIOUS, f"_step{level - 1}_{name}")
            target = name if level == depth - 1 else f"_step{level}_{name}"
            items.append(f"{step} AS {target}")
            intermediate.append(target)
        star = "*" if level < depth - 1 else _star_without(intermediate[: -len(items)])
        source = f"SELECT {star}, {', '.join(items)} FROM ({source})"
    return source


def _star_without(names: list[str]) -> str:
    return f"* EXCLUDE ({', '.join(names)})" if names else "*"


def _native_nulls(column: Column) -> str:
    """The reader's typed value, NULL where it is one of the column's null values (only
    values of the column's type can reach a natively typed column)."""
    raw = f"raw_{column.name}"
    readable = [value for value in column.nulls if _reads_as(column.kind, value)]
    if not readable:
        return raw
    return f"CASE WHEN {raw} IN {_in_list(readable)} THEN NULL ELSE {raw} END"


def _reads_as(kind: str, value: str) -> bool:
    try:
        date.fromisoformat(value) if kind == "date" else float(value)
    except ValueError:
        return False
    return True


def _drop_list_nulls(codes: str, nulls: tuple[str, ...]) -> str:
    """Removes placeholder elements (and runs of them) from a normalised comma list; only a
    list holding a placeholder's characters pays for the regular expression."""
    values = [value.strip().upper() for value in nulls]
    elements = "|".join(re.escape(value) for value in values)
    run = f",(?:{elements})(?:,(?:{elements}))*,"
    wrapped = f"regexp_replace(',' || {codes} || ',', {sql_literal(run)}, ',', 'g')"
    holds = " OR ".join(f"contains({codes}, {sql_literal(value)})" for value in values)
    return f"CASE WHEN {holds} THEN nullif(trim({wrapped}, ','), '') ELSE {codes} END"


_KIND_EXPRESSIONS = {
    "date": "try_strptime({t}, '%Y-%m-%d')::DATE",
    # Dates as NHS publications write them: ISO, 01JAN2021 or 01Jan2022 (population files),
    # 20190701 (ODS files) and 01/07/2019 (text dates in ODS workbooks).
    "nhs_date": "coalesce(try_strptime({t}, '%Y-%m-%d'), try_strptime({t}, '%d%b%Y'), "
    "try_strptime({t}, '%Y%m%d'), try_strptime({t}, '%d/%m/%Y'))::DATE",
    "month": "CASE WHEN regexp_full_match({t}, '[0-9]{{4}}-[0-9]{{2}}') "
    "THEN try_cast({t} || '-01' AS DATE) END",
    "int": "CASE WHEN regexp_full_match({t}, '[+-]?[0-9]+') THEN try_cast({t} AS INTEGER) END",
    "float": "try_cast({t} AS DOUBLE)",
    "bool": "CASE lower({t}) WHEN 'true' THEN true WHEN 't' THEN true WHEN 'yes' THEN true "
    "WHEN 'y' THEN true WHEN '1' THEN true WHEN 'false' THEN false WHEN 'f' THEN false "
    "WHEN 'no' THEN false WHEN 'n' THEN false WHEN '0' THEN false END",
    "code_list": "replace(translate(upper({t}), ';|', ',,'), ' ', '')",
}


def column_checks(column: Column) -> list[Check]:
    """The row rules a single column's declaration implies."""
    # The cast lets the same check read a column the reader has already typed natively.
    name = column.name
    blank = _blank(column)
    checks = []
    if column.pseudonym:
        checks.append(Check("real_nhs_number", name, f"is_real_nhs_number({name})"))
    # A typed value is NULL exactly when the raw text is blank or unreadable, so for a
    # mandatory column one cheap IS NULL flags both rules; the precise rule is named later.
    if column.not_null:
        checks.append(Check("missing_value", name, blank, fast=f"{name} IS NULL"))
    if column.kind in INVALID_RULES:
        invalid = f"{name} IS NULL AND NOT {blank}"
        fast = "" if column.not_null else None
        checks.append(Check(INVALID_RULES[column.kind], name, invalid, fast=fast))
    if column.codes is not None:
        checks.append(Check("invalid_code", name, f"{name} NOT IN {_in_list(column.codes)}"))
    if column.pattern is not None:
        checks.append(Check(column.pattern_rule, name, _pattern_broken(column)))
    if column.minimum is not None:
        checks.append(Check("out_of_range", name, f"{name} < {column.minimum}"))
    if column.maximum is not None:
        checks.append(Check("out_of_range", name, f"{name} > {column.maximum}"))
    if column.kind in ("date", "nhs_date", "month"):
        # Readers take '26-01-03' as the year 26; no record here predates 1900.
        checks.append(Check("out_of_range", name, f"{name} < DATE '1900-01-01'"))
    if column.not_future:
        checks.append(Check("future_date", name, f"{name} > current_date"))
    return checks


def _blank(column: Column) -> str:
    """SQL true when the raw value is empty or one of the column's null values (no value)."""
    text = f"trim(CAST(raw_{column.name} AS VARCHAR))"
    blank = f"nullif({text}, '') IS NULL"
    if column.nulls and column.kind != "code_list":
        blank = f"({blank} OR {text} IN {_in_list(column.nulls)})"
    return blank


def _pattern_broken(column: Column) -> str:
    if column.kind == "code_list":
        # One regular expression over the whole list is far cheaper than splitting each row.
        element = column.pattern.strip("^$")
        if column.nulls:
            element += "".join("|" + re.escape(value.strip().upper()) for value in column.nulls)
        whole = rf"\s*({element})?(\s*[,;|]\s*({element})?)*\s*"
        broken = f"NOT regexp_full_match(upper(raw_{column.name}), {sql_literal(whole)})"
        if canonical_list(column) is None:
            return broken
        return f"CASE WHEN canonical_{column.name} THEN false ELSE {broken} END"
    return f"NOT regexp_matches({column.name}, {sql_literal(column.pattern)})"


def feed_checks(feed: Feed) -> list[Check]:
    """Every row rule of the feed: per-column ones, then those across columns."""
    checks = [check for column in feed.columns for check in column_checks(column)]
    checks += [Check(rule.name, rule.column, rule.broken_when) for rule in feed.rules]
    return checks


def row_checks_sql(feed: Feed, raw_select: str, native: bool = False) -> str:
    """SQL yielding raw_ and typed columns plus is_ignored and is_bad for every row.

    With `native`, the reader has typed NATIVE_KINDS columns itself and refuses values it
    cannot parse, so their invalid_* rules are left out.
    """
    ignored = f"coalesce({feed.ignore_when}, false)" if feed.ignore_when else "false"
    flags = [
        check.flag
        for check in feed_checks(feed)
        if check.flag and not (native and _read_natively(feed, check))
    ]
    broken = " OR ".join(f"coalesce({flag}, false)" for flag in flags) or "false"
    return f"""
        SELECT *, NOT is_ignored AND ({broken}) AS is_bad
        FROM (SELECT *, {ignored} AS is_ignored FROM ({typed_select(feed, raw_select, native)}))
    """


def _read_natively(feed: Feed, check: Check) -> bool:
    return check.rule in INVALID_RULES.values() and feed.column(check.column).kind in NATIVE_KINDS


CHECKED = "staging.checked"


def checked_table_sql(
    feed: Feed, raw_select: str, keep: tuple[str, ...], native: bool = False
) -> str:
    """SQL creating table `staging.checked`: the `keep` columns, is_ignored, is_bad, and for
    bad rows only, every value as text in `bad_values` (in feed column order).

    `raw_select` must yield one column `raw_<name>` per feed column. Row order is preserved,
    so the table's rowid is the file's data-row index. Keeping few columns (and one list
    rather than a struct) keeps the table small for large files; the accepted rows
    themselves are read again from the file to insert.
    """
    texts = ", ".join(f"CAST(raw_{c.name} AS VARCHAR)" for c in feed.columns)
    kept = "".join(f"{name}, " for name in keep)
    return f"""
        CREATE TABLE {CHECKED} AS
        SELECT {kept}is_ignored, is_bad, CASE WHEN is_bad THEN [{texts}] END AS bad_values
        FROM ({row_checks_sql(feed, raw_select, native)})
    """


def bad_raw_sql(feed: Feed) -> str:
    """SQL creating temp table `bad_raw`: row_index and the raw_ text of every bad row."""
    texts = ", ".join(f"bad_values[{i + 1}] AS raw_{c.name}" for i, c in enumerate(feed.columns))
    return f"""
        CREATE OR REPLACE TEMP TABLE bad_raw AS
        SELECT rowid AS row_index, {texts} FROM {CHECKED} WHERE is_bad
    """


def bad_rows_sql(feed: Feed) -> str:
    """SQL creating temp table `bad`: the bad rows typed from their text, as the rules define."""
    return f"CREATE OR REPLACE TEMP TABLE bad AS {typed_select(feed, 'SELECT * FROM bad_raw')}"


def broken_rules_sql(feed: Feed, first_line: int) -> str:
    """SQL listing (line, column, value, rule) for every rule each bad row breaks.

    `first_line` is the file line of the first data row (2 for a CSV with a header).
    """
    selects = [
        f"SELECT row_index + {first_line} AS line, {sql_literal(check.column)} AS column_name, "
        f"{check.value} AS value, {sql_literal(check.rule)} AS rule FROM bad "
        f"WHERE coalesce({check.broken_when}, false)"
        for check in feed_checks(feed)
    ]
    return " UNION ALL ".join(selects)
