"""HES admitted patient care episodes in the layout NHS Digital publishes, built by hand.

The header follows the HES APC Data Dictionary (NHS Digital): upper-case field names, the
identifiers first and the rest in alphabetical order, as NHS Digital's Artificial HES files
are laid out; most fields are ones the warehouse ignores. Values are written the way HES
extracts write them: ages and counts as `80.0`, dates ISO, 1800-01-01 for no date, `-` or
`&` for a value not recorded.
"""

from __future__ import annotations

import csv
from pathlib import Path

HES_APC_HEADER = (
    "FYEAR", "PARTYEAR", "EPIKEY", "PSEUDO_HESID", "ACTIVAGE", "ADMIAGE", "ADMIDATE",
    "ADMIMETH", "ADMINCAT", "ADMISORC", "ADMISTAT", "BEDYEAR", "CCG_RESPONSIBILITY",
    "CLASSPAT", "DIAG_3_01", "DIAG_3_CONCAT", "DIAG_4_01", "DIAG_4_CONCAT", "DIAG_COUNT",
    "DISDATE", "DISDEST", "DISMETH", "DISREADYDATE", "ELECDATE", "ELECDUR", "ENDAGE",
    "EPIDUR", "EPIEND", "EPIORDER", "EPISTART", "EPISTAT", "EPITYPE", "ETHNOS", "FAE", "FCE",
    "GPPRAC", "HRG_CODE", "INTMANIG", "LSOA11", "MAINSPEF", "MSOA11", "MYDOB", "NEOCARE",
    "OPDATE_01", "OPERSTAT", "OPERTN_3_01", "OPERTN_4_01", "OPERTN_4_CONCAT", "OPERTN_COUNT",
    "POSOPDUR", "PREOPDUR", "PROCODE3", "PROCODE5", "PROVSPNOPS", "RESGOR_ONS", "SEX",
    "SITETRET", "SPELBGIN", "SPELDUR", "SPELEND", "STARTAGE", "STARTAGE_CALC", "SUSRECID",
    "SUSSPELLID", "TRETSPEF",
)  # fmt: skip


def episode(epikey: str, person: str = "TEST0a1b2c3d4e5f6g7h8i9j0k1l2m3n4", **fields) -> dict:
    """One finished single-episode emergency spell; keyword arguments (lower case) change
    fields. Ignored fields carry plausible values, sentinels included."""
    row = {
        "FYEAR": "2526", "PARTYEAR": "202513", "EPIKEY": epikey, "PSEUDO_HESID": person,
        "ACTIVAGE": "80.0", "ADMIAGE": "80.0", "ADMIDATE": "2025-06-01", "ADMIMETH": "21",
        "ADMINCAT": "01", "ADMISORC": "19", "ADMISTAT": "-", "BEDYEAR": "9.0",
        "CCG_RESPONSIBILITY": "15F", "CLASSPAT": "1", "DIAG_3_01": "J44",
        "DIAG_3_CONCAT": "J44,I10", "DIAG_4_01": "J440", "DIAG_4_CONCAT": "J440,I10X",
        "DIAG_COUNT": "2.0", "DISDATE": "2025-06-10", "DISDEST": "19", "DISMETH": "1",
        "DISREADYDATE": "1800-01-01", "ELECDATE": "1800-01-01", "ELECDUR": "-", "ENDAGE": "80.0",
        "EPIDUR": "9.0", "EPIEND": "2025-06-10", "EPIORDER": "01", "EPISTART": "2025-06-01",
        "EPISTAT": "3", "EPITYPE": "1", "ETHNOS": "A", "FAE": "1", "FCE": "1",
        "GPPRAC": "A84005", "HRG_CODE": "DZ65E", "INTMANIG": "1", "LSOA11": "E01011229",
        "MAINSPEF": "300", "MSOA11": "E02002330", "MYDOB": "041945", "NEOCARE": "8",
        "OPDATE_01": "1800-01-01", "OPERSTAT": "8", "OPERTN_3_01": "-", "OPERTN_4_01": "-",
        "OPERTN_4_CONCAT": "-", "OPERTN_COUNT": "0.0", "POSOPDUR": "-", "PREOPDUR": "-",
        "PROCODE3": "RR8", "PROCODE5": "RR813", "PROVSPNOPS": "RR8000123456",
        "RESGOR_ONS": "E12000003", "SEX": "1", "SITETRET": "RR813", "SPELBGIN": "2.0",
        "SPELDUR": "9.0", "SPELEND": "Y", "STARTAGE": "80.0", "STARTAGE_CALC": "80.4",
        "SUSRECID": "718200000001", "SUSSPELLID": "-", "TRETSPEF": "300",
    }  # fmt: skip
    row.update({name.upper(): value for name, value in fields.items()})
    return row


def write_hes(path: Path, rows: list[dict], header=HES_APC_HEADER) -> Path:
    """Writes episodes as a HES APC CSV (every field quoted only where needed); returns path."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path
