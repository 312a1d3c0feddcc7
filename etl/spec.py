"""The vocabulary for declaring a feed: its columns, their types and rules, and its key.

A declaration is data, not code: `etl.validate` turns it into one set-based SQL pass that
types every column and flags every row that breaks a rule, and `etl.schema` turns it into
the warehouse table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SQL_TYPES = {
    "text": "VARCHAR",
    "code": "VARCHAR",
    "label": "VARCHAR",
    "date": "DATE",
    "nhs_date": "DATE",
    "month": "DATE",
    "int": "INTEGER",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "code_list": "VARCHAR",
}

# Kinds the CSV and Parquet readers can parse natively (the fast path in etl.fastpath).
# Integers are not among them: the readers round '80.5' to 81 where we must refuse it.
NATIVE_KINDS = ("date", "float")

# The rule each kind breaks when a non-blank value cannot be read as that kind.
INVALID_RULES = {
    "date": "invalid_date",
    "nhs_date": "invalid_date",
    "month": "invalid_month",
    "int": "invalid_number",
    "float": "invalid_number",
    "bool": "invalid_boolean",
}

PRACTICE_CODE = r"^[A-Z][0-9]{5}$"
ICD10_CODE = r"^[A-Z][0-9]{2}[0-9X]?[0-9A-Z]{0,2}$"
OPCS4_CODE = r"^[A-Z][0-9]{2}[0-9]?$"


@dataclass(frozen=True)
class Column:
    """One column of a feed.

    Attributes:
        name: the warehouse name, also the contract's header name.
        kind: one of the keys of SQL_TYPES; "code" values are upper-cased, "label" values
            lower-cased, before they are checked and stored; a "code_list" is stored as
            upper-case codes separated by single commas, whatever separators the file used.
        required: the header must carry it (else the file is rejected).
        not_null: every row must have a value (else the row is quarantined).
        aliases: other header names accepted, compared case- and space-insensitively.
        codes: allowed values after normalisation (upper case for codes).
        recode: normalisation of accepted synonyms, e.g. {"M": "1"} for sex.
        pattern: a regular expression every value (or list element) must match.
        pattern_rule: the rule name reported when `pattern` fails.
        minimum, maximum: inclusive bounds for numbers.
        not_future: dates must not be after the load date.
        pseudonym: holds a person identifier; a real NHS number rejects the file.
        stored: kept in the warehouse; False for columns read only to filter rows.
        own_name_in_header: the header may carry `name` itself, not only an alias.
        translate_with: a SQL macro applied to the trimmed text first (SNOMED CT concept ids
            to gp_events codes, see etl.snomed).
        missing: values meaning "not recorded" (compared after trimming, so `-` also covers
            a dash padded with spaces): stored as NULL, never a broken rule; in a code_list,
            such elements are dropped (HES `Z380,-`). See etl.hes for the HES conventions.
        invalid: values meaning "recorded but invalid" (HES date 1801-01-01): stored as NULL,
            never quarantined; etl.hes counts them for the load summary.
        integer_decimals: whole numbers may be written with a zero decimal part (`5.0`), as
            SAS and spreadsheet exports of HES write them; the part is dropped before typing.
    """

    name: str
    kind: str = "text"
    required: bool = True
    not_null: bool = False
    aliases: tuple[str, ...] = ()
    codes: tuple[str, ...] | None = None
    recode: dict[str, str] = field(default_factory=dict)
    pattern: str | None = None
    pattern_rule: str = "invalid_format"
    minimum: float | None = None
    maximum: float | None = None
    not_future: bool = False
    pseudonym: bool = False
    stored: bool = True
    own_name_in_header: bool = True
    translate_with: str | None = None
    missing: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()
    integer_decimals: bool = False

    @property
    def nulls(self) -> tuple[str, ...]:
        """The values stored as NULL: placeholders for missing, then invalid values."""
        return self.missing + self.invalid

    @property
    def header_names(self) -> tuple[str, ...]:
        """The normalised header names that map to this column."""
        own = (self.name,) if self.own_name_in_header else ()
        return own + self.aliases

    @property
    def sql_type(self) -> str:
        """The DuckDB type of the warehouse column."""
        return SQL_TYPES[self.kind]


@dataclass(frozen=True)
class RowRule:
    """A rule across columns, written in SQL over the typed column names."""

    name: str
    column: str
    broken_when: str


@dataclass(frozen=True)
class Derived:
    """A warehouse column computed from the typed columns at insert time."""

    name: str
    sql_type: str
    expression: str


@dataclass(frozen=True)
class Feed:
    """One input feed of the data contract.

    Attributes:
        name: the feed name used by `--feed` and in the load log.
        table: the warehouse table it loads into (two population formats share one).
        columns: the columns the warehouse keeps, in order.
        key: the natural key; a key already in the warehouse is replaced (a revision).
        mode: "upsert" (replace by key) or "snapshot" (each load replaces the table).
        date_columns: the columns whose range `wholesystem status` reports (none for a
            reference feed, a lookup without dates).
        rules: row rules across columns.
        derived: columns computed from the typed ones.
        ignore_when: SQL over typed columns; matching rows are neither validated nor stored
            (other organisation types in a population file).
        store_when: SQL over typed columns; validated rows failing it are not stored
            (the ALL totals of a population file, which are only checked).
        warnings: (message, unit counted, SQL) run after validation; a non-zero count warns.
        description: one line for the status report and the docs.
    """

    name: str
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    date_columns: tuple[str, ...]
    mode: str = "upsert"
    rules: tuple[RowRule, ...] = ()
    derived: tuple[Derived, ...] = ()
    ignore_when: str | None = None
    store_when: str | None = None
    warnings: tuple[tuple[str, str, str], ...] = ()
    description: str = ""

    @property
    def filters_rows(self) -> bool:
        """Whether rows are filtered or cross-checked after validation (population files).

        Such feeds are small, keep every typed column while validating, and always take the
        full path.
        """
        return bool(self.ignore_when or self.store_when or self.warnings)

    def column(self, name: str) -> Column:
        """Returns the column called `name`."""
        return next(column for column in self.columns if column.name == name)

    @property
    def stored_columns(self) -> tuple[tuple[str, str], ...]:
        """(name, SQL type) of every warehouse column, derived ones last."""
        typed = tuple((column.name, column.sql_type) for column in self.columns if column.stored)
        return typed + tuple((item.name, item.sql_type) for item in self.derived)
