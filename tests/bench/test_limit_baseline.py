"""The publish benchmark's limit baseline reads what publish reads and writes what it writes."""

from __future__ import annotations

import duckdb

from bench.limit_baseline import scan_step, write_step
from metrics.serving import current_version, snapshot_path


def test_the_scan_groups_every_feed_to_its_cells(published_sample):
    warehouse = published_sample.data_dir / "warehouse.duckdb"
    cells = scan_step(str(warehouse))["by_table"]
    with duckdb.connect(str(warehouse), read_only=True) as db:
        spells, patients, population = db.execute(
            "SELECT (SELECT count(*) FROM (SELECT DISTINCT gpprac, date_trunc('month', disdate) "
            "FROM apc_spells)), (SELECT count(*) FROM patients), (SELECT count(*) FROM "
            "(SELECT DISTINCT practice_code, extract_date, sex, age_from FROM population))"
        ).fetchone()
    assert cells["spell_cells"] == spells > 1000
    assert cells["person_cells"] == patients
    assert cells["population_cells"] == population
    # Registered people month by month: many more cells than practices x months.
    assert cells["patient_cells"] > 60 * 36 * 10


def test_the_write_copies_every_snapshot_table(published_sample, tmp_path):
    snapshot = snapshot_path(published_sample, current_version(published_sample))
    copied = write_step(str(snapshot), str(tmp_path / "copy.duckdb"))
    with duckdb.connect(str(snapshot), read_only=True) as db:
        tables = db.execute("SELECT table_name, estimated_size FROM duckdb_tables()").fetchall()
        rows = sum(db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t, _ in tables)
    assert (copied["tables"], copied["rows"]) == (len(tables), rows)
    assert rows > 100_000
