"""Lets gp_events carry SNOMED CT concept ids instead of the contract's code vocabulary.

GP systems record measurements and care processes as SNOMED CT concepts. A board supplies a
mapping file (`WHOLESYSTEM_SNOMED_MAP`): a CSV with columns `code,snomed_concept_id`, one
row per concept, saying which vocabulary code (hba1c, sbp, …) each concept stands for.
Several concepts may map to one code. A concept not in the file is quarantined as
`invalid_code`, like any unknown code. No mapping ships with the product: the concepts in
use are a local choice (usually the QOF cluster reference sets), and a wrong default would
silently miscount.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from etl.feeds import GP_EVENT_CODES
from etl.validate import sql_literal
from wholesystem.errors import UserError

MACRO = "gp_event_code"
CONCEPT_ID = r"^[0-9]{6,18}$"


def read_mapping(path: Path) -> dict[str, str]:
    """Returns concept id -> vocabulary code, or raises UserError naming the bad line."""
    try:
        rows = duckdb.execute(
            f"""SELECT trim(code), trim(snomed_concept_id)
                FROM read_csv({sql_literal(str(path))}, header = true, all_varchar = true)"""
        ).fetchall()
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0]
        raise UserError(f"SNOMED mapping {path}: cannot be read ({first})") from None
    mapping: dict[str, str] = {}
    for line, (code, concept) in enumerate(rows, start=2):
        _check_row(path, line, (code or "").lower(), concept or "", mapping)
        mapping[concept] = code.lower()
    return mapping


def _check_row(path: Path, line: int, code: str, concept: str, mapping: dict) -> None:
    if code not in GP_EVENT_CODES:
        raise UserError(f"SNOMED mapping {path} line {line}: {code!r} is not a gp_events code")
    if not re.fullmatch(CONCEPT_ID, concept):
        raise UserError(f"SNOMED mapping {path} line {line}: {concept!r} is not a concept id")
    if mapping.get(concept, code) != code:
        raise UserError(
            f"SNOMED mapping {path} line {line}: concept {concept} maps to both "
            f"{mapping[concept]} and {code}"
        )


def install_mapping(connection, mapping: dict[str, str]) -> None:
    """Creates the SQL macro that turns a mapped concept id into its vocabulary code."""
    expression = "value"
    if mapping:
        pairs = ", ".join(f"{sql_literal(k)}: {sql_literal(v)}" for k, v in sorted(mapping.items()))
        expression = f"coalesce(MAP {{{pairs}}}[value], value)"
    connection.execute(f"CREATE OR REPLACE TEMP MACRO {MACRO}(value) AS {expression}")
