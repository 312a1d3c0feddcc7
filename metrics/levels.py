"""Adds practice-grain rows up to every level: practice, network, locality, area, system.

Rates are never averaged across levels: every level is a sum of the same practice-grain
counts (DESIGN.md, "Org hierarchy"). Segment rows are kept at locality level and above
only, so that small cells stay rare. Orgs and segments are carried as numbers
(metrics.keys): an org's number says its level too.
"""

from __future__ import annotations

from metrics.keys import ALL_SEGMENT, SYSTEM_ORG
from metrics.segments import SEGMENT_LEVELS

LEVEL_COLUMNS = {
    "practice": "practice_no",
    "network": "network_no",
    "locality": "locality_no",
    "area": "area_no",
    "system": str(SYSTEM_ORG),
}


def roll_up_sql(source: str, keys: str, measures: str, levels=tuple(LEVEL_COLUMNS)) -> str:
    """Returns SQL adding `measures` from `source` up to each of `levels` (every level).

    `source` must have the four org number columns and `segment_no`; `keys` are the other
    grouping columns; the result has `org_no` besides them.
    """
    parts = []
    for level in levels:
        column = LEVEL_COLUMNS[level]
        where = f"{column} IS NOT NULL" if level != "system" else "true"
        if level not in SEGMENT_LEVELS:
            where += f" AND segment_no = {ALL_SEGMENT}"
        parts.append(
            f"SELECT {keys}, segment_no, {column} AS org_no, {measures}\n"
            f"FROM {source} WHERE {where} GROUP BY ALL"
        )
    return "\nUNION ALL\n".join(parts)
