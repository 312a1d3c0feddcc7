"""Every table and every row rule the ETL can produce is documented in docs/warehouse.md."""

from __future__ import annotations

from pathlib import Path

from etl.feeds import FEEDS
from etl.schema import feed_tables
from etl.validate import feed_checks

WAREHOUSE_DOC = (Path(__file__).parents[2] / "docs" / "warehouse.md").read_text(encoding="utf-8")


def test_every_warehouse_table_is_documented():
    undocumented = [
        t for t in [*feed_tables(), "quarantine", "load_log"] if f"`{t}`" not in WAREHOUSE_DOC
    ]
    assert undocumented == []


def test_every_row_rule_is_documented():
    rules = {check.rule for feed in FEEDS for check in feed_checks(feed)}
    undocumented = sorted(rule for rule in rules if f"| `{rule}` |" not in WAREHOUSE_DOC)
    assert undocumented == []
    assert len(rules) == 27
