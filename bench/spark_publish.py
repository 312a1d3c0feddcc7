"""Benchmark: publish of the default sample on Spark (local[2]) against DuckDB.

The warehouse of a loaded default sample (`--data`, default `data`, as `make demo` leaves
it) is copied to a work folder and exported as Parquet (`wholesystem warehouse-export`);
then, round by round, each in a fresh process (`bench.measure`: seconds and peak memory of
the Python process; Spark's JVM is a child and not counted), publish runs on DuckDB and on
Spark, and the two snapshots are compared row by row (metrics.snapshot_diff). The figure is
Spark ÷ DuckDB. Spark on one small machine is expected to be slower: its purpose is a
cluster. Run with `make bench-spark` or `python -m bench.spark_publish [--data DIR]
[--rounds N]`; the result goes to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

from bench.measure import measure
from bench.publish import machine
from bench.results import write_section

WORK = Path("bench/work/spark")
HEADING = "Publish on Spark (local[2]) against DuckDB"


def publish_step(data_dir: str, engine: str, warehouse: str | None = None) -> dict:
    """Publishes `data_dir`'s warehouse on `engine`; returns the snapshot and stage times."""
    from metrics.publish import publish
    from wholesystem.settings import Settings

    stages: dict[str, float] = {}
    settings = Settings(
        data_dir=Path(data_dir), engine=engine, spark_warehouse=warehouse, spark_master="local[2]"
    )
    result = publish(settings, report=lambda name, seconds: stages.update({name: seconds}))
    return {"path": str(result.path), "rows": result.rows, "stages": stages}


def prepare(source: Path) -> tuple[Path, Path]:
    """Copies the warehouse to the work folder and exports it as Parquet."""
    from metrics.spark_export import export_parquet
    from wholesystem.settings import Settings

    warehouse = source / "warehouse.duckdb"
    if not warehouse.exists():
        raise SystemExit(f"no warehouse at {warehouse}: run `make demo` or pass --data DIR")
    shutil.rmtree(WORK, ignore_errors=True)
    data = WORK / "data"
    data.mkdir(parents=True)
    shutil.copy(warehouse, data / "warehouse.duckdb")
    export_parquet(Settings(data_dir=data), WORK / "parquet")
    return data, WORK / "parquet"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--rounds", type=int, default=1)
    arguments = parser.parse_args(argv)
    from metrics.snapshot_diff import differences

    data, parquet = prepare(arguments.data)
    rounds = []
    for number in range(arguments.rounds):
        duck = measure("bench.spark_publish.publish_step", data_dir=str(data), engine="duckdb")
        spark = measure(
            "bench.spark_publish.publish_step", data_dir=str(data), engine="spark",
            warehouse=str(parquet),
        )  # fmt: skip
        found = differences(Path(duck.detail["path"]), Path(spark.detail["path"]))
        rounds.append((duck, spark, found))
        print(f"round {number + 1}: DuckDB {duck.seconds:.1f} s, Spark {spark.seconds:.1f} s, "
              f"{'identical' if not found else f'{len(found)} difference(s)'}")  # fmt: skip
    body = _report(arguments, rounds)
    write_section(Path("bench/RESULTS.md"), HEADING, body)
    print(body)
    return 0 if all(not found for *_, found in rounds) else 1


def _report(arguments, rounds) -> str:
    duck = statistics.median(r[0].seconds for r in rounds)
    spark = statistics.median(r[1].seconds for r in rounds)
    last_spark = rounds[-1][1].detail["stages"]
    stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in last_spark.items())
    same = all(not found for *_, found in rounds)
    return f"""
Command: `python -m bench.spark_publish --data {arguments.data} --rounds {arguments.rounds}`
(medians over the rounds; each publish in a fresh process).

Machine: {_machine()}.

- DuckDB publish: **{duck:.1f} s**; Spark (local[2]) publish: **{spark:.1f} s**;
  ratio Spark ÷ DuckDB **{spark / duck:.1f}×**.
- Snapshots {"identical, every table row for row" if same else "DIFFERENT"}
  ({rounds[-1][0].detail["rows"]:,} values).
- Spark's stages (last round): {stages}.
"""


def _machine() -> str:
    """bench.publish's machine line, with the PySpark version."""
    try:
        import pyspark

        spark = f"PySpark {pyspark.__version__}"
    except ImportError:
        spark = "no PySpark"
    return f"{machine()}; {spark}"


if __name__ == "__main__":
    sys.exit(main())
