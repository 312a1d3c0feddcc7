"""How a load replaces earlier rows: by key for revised feeds, wholesale for snapshots.

Monthly SUS data revises spells already loaded; a revised row replaces the earlier one by
its natural key. The patient index is a snapshot, so each load replaces the whole table.
"""

from __future__ import annotations

from etl.spec import Feed


def remove_replaced(connection, feed: Feed, incoming_keys: str, load_id: int) -> int:
    """Deletes earlier loads' rows that this load replaces; returns how many.

    `incoming_keys` is SQL yielding the key columns of the rows this load brings.
    """
    if not _has_earlier_rows(connection, feed, load_id):
        return 0
    if feed.mode == "snapshot":
        return connection.execute(
            f"DELETE FROM {feed.table} WHERE load_id <> {load_id}"
        ).fetchone()[0]
    matches = " AND ".join(f"{feed.table}.{name} = incoming.{name}" for name in feed.key)
    return connection.execute(
        f"""DELETE FROM {feed.table} USING ({incoming_keys}) AS incoming
            WHERE {matches} AND {feed.table}.load_id <> {load_id}"""
    ).fetchone()[0]


def _has_earlier_rows(connection, feed: Feed, load_id: int) -> bool:
    query = f"SELECT count(*) FROM (SELECT 1 FROM {feed.table} WHERE load_id <> {load_id} LIMIT 1)"
    return connection.execute(query).fetchone()[0] > 0
