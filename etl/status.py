"""What the warehouse holds, per feed: rows, the dates covered, and the latest load.

`wholesystem status` prints this as a table; `--json` gives the stable form
`{"warehouse": PATH, "feeds": {TABLE: {"rows": N, "date_from": ..., "date_to": ...,
"latest_load": ..., "latest_file": ..., "quarantined_rows": N}}}`.
"""

from __future__ import annotations

from etl.feeds import FEEDS


def _tables() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Maps each warehouse table to (its feed names, its date columns)."""
    tables: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for feed in FEEDS:
        names, _ = tables.get(feed.table, ((), ()))
        tables[feed.table] = (names + (feed.name,), feed.date_columns)
    return tables


def feed_status(connection) -> dict[str, dict]:
    """Returns the status of every warehouse table, in contract order."""
    return {
        table: _table_status(connection, table, feeds, dates)
        for table, (feeds, dates) in _tables().items()
    }


def _table_status(connection, table: str, feeds, dates) -> dict:
    # A reference table (a lookup such as lsoa_deprivation) has no dates to give a range.
    first, last = (dates[0], dates[-1]) if dates else ("NULL", "NULL")
    rows, date_from, date_to = connection.execute(
        f"SELECT count(*), min({first}), max({last}) FROM {table}"
    ).fetchone()
    placeholders = ", ".join("?" for _ in feeds)
    latest = connection.execute(
        f"""SELECT max(finished_at), arg_max(file, finished_at) FROM load_log
            WHERE outcome = 'loaded' AND feed IN ({placeholders})""",
        list(feeds),
    ).fetchone()
    quarantined = connection.execute(
        f"""SELECT count(DISTINCT (q.load_id, q.line)) FROM quarantine q
            JOIN load_log l USING (load_id) WHERE l.feed IN ({placeholders})""",
        list(feeds),
    ).fetchone()[0]
    return {
        "rows": rows,
        "date_from": date_from.isoformat() if date_from else None,
        "date_to": date_to.isoformat() if date_to else None,
        "latest_load": latest[0].isoformat(timespec="seconds") if latest[0] else None,
        "latest_file": latest[1],
        "quarantined_rows": quarantined,
    }


def format_status(status: dict[str, dict]) -> str:
    """Returns the status as an aligned text table."""
    header = ("feed", "rows", "from", "to", "latest load", "quarantined")
    lines = [header] + [
        (
            table,
            f"{item['rows']:,}",
            item["date_from"] or "-",
            item["date_to"] or "-",
            (item["latest_load"] or "never").replace("T", " "),
            f"{item['quarantined_rows']:,}",
        )
        for table, item in status.items()
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    rows = (
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in lines
    )
    return "\n".join(row.rstrip() for row in rows)
