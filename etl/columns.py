"""Column builders the feed declarations share: person ids, practice codes, event dates."""

from __future__ import annotations

from etl.spec import PRACTICE_CODE, Column


def person(required: bool = True, not_null: bool = True, aliases=()) -> Column:
    """A pseudonymised person_id; a real NHS number in it rejects the file."""
    return Column(
        "person_id", required=required, not_null=not_null, pseudonym=True, aliases=aliases
    )


def published_only(name: str, alias: str | None = None) -> Column:
    """A column of a published file that is read only to recognise the file, never stored
    (`alias`: its name in an older layout)."""
    return Column(name, required=False, stored=False, aliases=(alias,) if alias else ())


def practice(name: str = "gpprac", not_null: bool = True, aliases=()) -> Column:
    """An ODS practice code."""
    return Column(
        name, "code", not_null=not_null, aliases=aliases,
        pattern=PRACTICE_CODE, pattern_rule="invalid_practice_code",
    )  # fmt: skip


def event_date(name: str, not_null: bool = True, aliases=()) -> Column:
    """The date of an event, which cannot be after the load."""
    return Column(name, "date", not_null=not_null, not_future=True, aliases=aliases)
