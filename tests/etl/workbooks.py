"""Builders of workbooks in the layouts NHS Digital and MHCLG publish them (openpyxl).

ePCN (`ePCN.xlsx`, ODS): the "PCN Core Partner Details" sheet, one row per practice to PCN
relationship. Since the 2022 change from CCGs to Sub ICB Locations its header cells break
across lines ("Partner\\nOrganisation\\nCode"); the 2019 layout named the CCGs and wrote each
header on one line. IMD File 1: one data sheet ("IMD2019", "IMD25") after a notes sheet.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl

EPCN_SHEET = "PCN Core Partner Details"
EPCN_HEADERS = {
    "2019": (
        "Partner Organisation Code", "Partner Name", "Practice Parent CCG Code",
        "Practice Parent CCG Name", "PCN Code", "PCN Name", "PCN Parent CCG Code",
        "PCN Parent CCG Name", "Practice to PCN Relationship Start Date",
        "Practice to PCN Relationship End Date", "Practice CCG Different to PCN CCG",
    ),
    # Line breaks inside the cells, some Windows-style, and a trailing space, as published.
    "2024": (
        "Partner\nOrganisation\nCode", "Partner\r\nName", "Practice\nParent\nSub ICB Loc Code",
        "Practice\nParent\nSub ICB Loc Name", "PCN Code", "PCN Name ",
        "PCN Parent\nSub ICB Loc Code", "PCN Parent\nSub ICB Loc Name",
        "Practice to PCN\nRelationship\nStart Date", "Practice to PCN\nRelationship\nEnd Date ",
        "Practice Sub ICB Loc Different to PCN Sub ICB Loc",
    ),
}  # fmt: skip
EPCN_OTHER_SHEETS = {"2019": ("PCN Details",), "2024": ("PCNDetails",)}


def epcn_partner(practice: str, network: str, start, end=None) -> tuple:
    """One core partner row: `start` and `end` as datetimes (real Excel dates) or text."""
    return (
        practice, f"PRACTICE {practice}", "15F", "NHS LEEDS ICB - 15F", network,
        f"NETWORK {network} PCN", "15F", "NHS LEEDS ICB - 15F", start, end, "N",
    )  # fmt: skip


def epcn_workbook(path: Path, rows: list[tuple], layout: str = "2024") -> Path:
    """Writes an ePCN workbook: the PCN details sheet first, then the core partners."""
    book = openpyxl.Workbook()
    details = book.active
    details.title = EPCN_OTHER_SHEETS[layout][0]
    details.append(("PCN Code", "PCN Name", "Current Sub ICB Loc Code", "Open Date"))
    details.append(("U11111", "NETWORK U11111 PCN", "15F", datetime(2019, 7, 1)))
    partners = book.create_sheet(EPCN_SHEET)
    partners.append(EPCN_HEADERS[layout])
    for row in rows:
        partners.append(row)
    book.create_sheet("PCN Non-Core Partner Details").append(("Partner Organisation Code",))
    book.save(path)
    return path


IMD_SHEETS = {"2019": "IMD2019", "2025": "IMD25"}


def imd_workbook(path: Path, header: list[str], rows: list[list], edition: str) -> Path:
    """Writes File 1 of the Indices of Deprivation: a notes sheet, then the data sheet."""
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(("File 1: Index of Multiple Deprivation",))
    data = book.create_sheet(IMD_SHEETS[edition])
    data.append(header)
    for row in rows:
        data.append(row)
    book.save(path)
    return path
