"""Publish on Spark (local[2]) writes the same serving snapshot as publish on DuckDB.

Two systems: the metrics tests' hand-built fixture system, with rows in every feed, and the
default sample (the `published_sample` fixture's warehouse). Each is published on both
engines and every snapshot table compared row by row (metrics.snapshot_diff); `make
test-spark` runs only these. The tests skip, with one message, where Java or PySpark is missing
(`pip install -e ".[spark]"` and a Java 17 runtime: `.ci/run` and `make test` install both).
"""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date

import pytest

from metrics.publish import publish
from metrics.serving import current_version, snapshot_path
from metrics.snapshot_diff import differences
from metrics.spark_export import export_parquet
from tests.metrics.every_feed import add_every_feed

pytest.importorskip("pyspark", reason="PySpark is not installed: pip install -e '.[spark]'")
if shutil.which("java") is None:
    pytest.skip("no Java runtime for Spark (apt-get install default-jre-headless)",
                allow_module_level=True)  # fmt: skip

TODAY = date(2026, 11, 22)
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


def publish_on_spark(settings, today=None):
    """Exports `settings`' warehouse as Parquet and publishes it on Spark; returns the path
    of the snapshot written."""
    parquet = settings.data_dir / "parquet"
    export_parquet(settings, parquet)
    spark = dataclasses.replace(
        settings, engine="spark", spark_warehouse=str(parquet), spark_master="local[2]"
    )
    return publish(spark, today=today).path


def test_the_fixture_system_publishes_alike_on_spark_and_duckdb(system):
    add_every_feed(system)
    system.load()
    on_duckdb = publish(system.settings, today=TODAY).path
    assert differences(on_duckdb, publish_on_spark(system.settings, TODAY)) == []


# About 3 minutes on an idle 2-core machine (Spark local[2] costs 1-3 s a statement).
def test_the_default_sample_publishes_alike_on_spark_and_duckdb(published_sample, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("warehouse.duckdb", "users.sqlite"):
        if (published_sample.data_dir / name).exists():
            shutil.copy(published_sample.data_dir / name, data / name)
    # The fixture's own snapshot is the DuckDB publish (of today, as this one is).
    on_duckdb = snapshot_path(published_sample, current_version(published_sample))
    on_spark = publish_on_spark(dataclasses.replace(published_sample, data_dir=data))
    assert differences(on_duckdb, on_spark) == []
