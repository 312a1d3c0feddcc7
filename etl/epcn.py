"""Applies an ePCN "core partner details" file to the organisations hierarchy.

The ePCN file says which PCN a practice belongs to from which date. Where that differs
from the organisations feed, the practice's membership is split at the start date: the old
row ends the day before and a new row, with the same locality and area, starts that day.
This is how practices moving between networks (and networks merging) reach the hierarchy.
NHS Digital's practice mapping file (`gp-reg-pat-prac-map.csv`) fills the same table, each
practice's PCN starting on the file's extract date, and is applied the same way.
"""

from __future__ import annotations

CHANGES_SQL = """
CREATE OR REPLACE TEMP TABLE epcn_changes AS
SELECT o.*, e.network_code AS new_code,
       coalesce(e.network_name, (SELECT max(network_name) FROM organisations n
                                 WHERE n.network_code = e.network_code), o.network_name)
           AS new_name,
       e.valid_from AS new_from, coalesce(e.valid_to, o.valid_to) AS new_to
FROM epcn_memberships e
JOIN organisations o
  ON o.practice_code = e.practice_code AND o.valid_from <= e.valid_from
 AND (o.valid_to IS NULL OR o.valid_to >= e.valid_from)
WHERE e.load_id = $load_id AND o.network_code <> e.network_code
"""

SPLIT_SQL = """
DELETE FROM organisations o USING epcn_changes c
WHERE o.practice_code = c.practice_code AND o.valid_from = c.valid_from;
INSERT INTO organisations
SELECT practice_code, practice_name, network_code, network_name, locality_code, locality_name,
       area_code, area_name, la_code, valid_from, new_from - 1, load_id
FROM epcn_changes WHERE valid_from < new_from;
INSERT INTO organisations
SELECT practice_code, practice_name, new_code, new_name, locality_code, locality_name,
       area_code, area_name, la_code, new_from, new_to, $load_id
FROM epcn_changes;
"""

UNPLACED_SQL = """
SELECT count(DISTINCT practice_code) FROM epcn_memberships e
WHERE e.load_id = $load_id
  AND NOT EXISTS (SELECT 1 FROM organisations o WHERE o.practice_code = e.practice_code)
"""


def apply_epcn(connection, load_id: int, file: str = "the ePCN file") -> list[str]:
    """Splits memberships that the ePCN rows of `load_id` change; returns notes for the summary."""
    parameters = {"load_id": load_id}
    connection.execute(CHANGES_SQL, parameters)
    moved = connection.execute("SELECT count(*) FROM epcn_changes").fetchone()[0]
    for statement in filter(str.strip, SPLIT_SQL.split(";")):
        connection.execute(statement, parameters if "$load_id" in statement else None)
    unplaced = connection.execute(UNPLACED_SQL, parameters).fetchone()[0]
    notes = [f"{moved} practice membership(s) moved network from {file}"]
    if unplaced:
        notes.append(f"{unplaced} practice(s) in {file} are not in the organisations feed")
    return notes


def apply_practice_map(connection, load_id: int) -> list[str]:
    """Applies NHS Digital's practice mapping file as ePCN rows starting on its extract date."""
    return apply_epcn(connection, load_id, "the practice mapping file")
