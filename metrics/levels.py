"""Adds practice-grain rows up to every level: practice, network, locality, area, system.

Rates are never averaged across levels: every level is a sum of the same practice-grain
counts (DESIGN.md, "Org hierarchy"). Segment rows are kept at locality level and above
only, so that small cells stay rare.
"""

from __future__ import annotations

from metrics.hierarchy import SYSTEM_CODE
from metrics.segments import SEGMENT_LEVELS

LEVEL_COLUMNS = {
    "practice": "practice_code",
    "network": "network_code",
    "locality": "locality_code",
    "area": "area_code",
    "system": f"'{SYSTEM_CODE}'",
}


def roll_up_sql(source: str, keys: str, measures: str) -> str:
    """Returns SQL adding `measures` from `source` up to every level.

    `source` must have the four org code columns and `segment`; `keys` are the other
    grouping columns; the result has `level` and `org_code` besides them.
    """
    parts = []
    for level, column in LEVEL_COLUMNS.items():
        where = f"{column} IS NOT NULL" if level != "system" else "true"
        if level not in SEGMENT_LEVELS:
            where += " AND segment = 'all'"
        parts.append(
            f"SELECT {keys}, segment, '{level}' AS level, {column} AS org_code, {measures}\n"
            f"FROM {source} WHERE {where} GROUP BY ALL"
        )
    return "\nUNION ALL\n".join(parts)
