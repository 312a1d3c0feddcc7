"""The warehouse's tables, created from the feed declarations plus the ETL's own two.

Every feed table carries `load_id`, the load that wrote the row, so any figure can be
traced back to the file it came from. See docs/warehouse.md.
"""

from __future__ import annotations

from etl.feeds import FEEDS

QUARANTINE_DDL = """
CREATE TABLE IF NOT EXISTS quarantine (
    load_id INTEGER NOT NULL,
    file VARCHAR NOT NULL,
    line BIGINT NOT NULL,
    column_name VARCHAR NOT NULL,
    value VARCHAR,
    rule VARCHAR NOT NULL
)
"""

LOAD_LOG_DDL = """
CREATE TABLE IF NOT EXISTS load_log (
    load_id INTEGER PRIMARY KEY,
    file VARCHAR NOT NULL,
    sha256 VARCHAR,
    feed VARCHAR,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    outcome VARCHAR NOT NULL,
    rows_read BIGINT,
    rows_accepted BIGINT,
    rows_quarantined BIGINT,
    rows_replaced BIGINT,
    rows_ignored BIGINT,
    message VARCHAR
)
"""


def feed_tables() -> dict[str, tuple[tuple[str, str], ...]]:
    """Returns each warehouse table's (column, type) pairs, from the feed declarations."""
    tables: dict[str, tuple[tuple[str, str], ...]] = {}
    for feed in FEEDS:
        columns = feed.stored_columns + (("load_id", "INTEGER"),)
        if tables.setdefault(feed.table, columns) != columns:
            raise ValueError(f"feeds loading into {feed.table} declare different columns")
    return tables


def table_ddl(table: str, columns: tuple[tuple[str, str], ...]) -> str:
    """CREATE TABLE for one feed table."""
    body = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in columns)
    return f"CREATE TABLE IF NOT EXISTS {table} (\n    {body}\n)"


def create_schema(connection) -> None:
    """Creates any missing warehouse table; existing tables and rows are left as they are."""
    for table, columns in feed_tables().items():
        connection.execute(table_ddl(table, columns))
    connection.execute(QUARANTINE_DDL)
    connection.execute(LOAD_LOG_DDL)
