"""Measures disclosure control on a published snapshot: what an attacker recovers, and
what it blanks.

Prints, for the snapshot that `serving/CURRENT` names in a data directory:
- the suppressed numerators and denominators the attacker (metrics.disclosure_attack)
  works out exactly, and of them the counts from 1 to the threshold, over every indicator
  and over the nine headline ids of docs/METRICS.md (with `--rolling12`, also with
  rolling 12-month totals);
- the board values blanked by others: area- and system-level monthly values (segment
  'all') of the Northumbria headline ids whose own counts are above the threshold but which
  are suppressed, out of all such values; and the same over every indicator of the
  Northumbria group, every period type.

Run: `python -m bench.disclosure DATA_DIR [--rolling12]` (a few minutes on the default
sample; with rolling 12-month totals, several times that).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb

from metrics.disclosure_attack import attack

HEADLINE_IDS = (
    "bed_days", "nel_last_100_days", "decedents_nel_last_100_days", "acsc_chronic",
    "eq5d_index", "coordinated_care", "self_management", "anticipatory_care_plans",
    "care_home_admissions_65plus",
)  # fmt: skip

# A value whose own counts are all above the threshold (so not primary-suppressed).
ABOVE_THRESHOLD = """
numerator > {t} AND (method = 'count' OR denominator IS NULL OR denominator > {t})
AND (method <> 'proportion' OR denominator - numerator > {t} OR denominator = numerator)
"""
BLANKED_SQL = """
SELECT count(*) FILTER (suppressed), count(*)
FROM snap.indicator_values
WHERE level IN ('area', 'system') AND segment = 'all' AND ({above}) AND {where}
"""


def blanked(snapshot: str, where: str) -> tuple[int, int]:
    """Returns (suppressed, all) area/system 'all' values above the threshold in `where`."""
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH '{snapshot}' AS snap (READ_ONLY)")
        threshold = connection.execute(
            "SELECT suppression_threshold FROM snap.snapshot_info"
        ).fetchone()[0]
        above = ABOVE_THRESHOLD.format(t=threshold)
        return connection.execute(BLANKED_SQL.format(above=above, where=where)).fetchone()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument(
        "--rolling12", action="store_true", help="also attack with rolling 12-month totals (slow)"
    )
    arguments = parser.parse_args()
    serving = arguments.data_dir / "serving"
    snapshot = str(serving / f"{(serving / 'CURRENT').read_text().strip()}.duckdb")
    headline = "metric_id IN ({})".format(", ".join(f"'{i}'" for i in HEADLINE_IDS))
    group = "metric_id IN (SELECT id FROM snap.indicators WHERE \"group\" = 'northumbria')"
    hidden, shown = blanked(snapshot, f"{headline} AND period_type = 'month'")
    print(f"blanked, headline ids, months: {hidden} of {shown}")
    hidden, shown = blanked(snapshot, group)
    print(f"blanked, Northumbria group, every period: {hidden} of {shown}")
    for rolling12 in (False, True) if arguments.rolling12 else (False,):
        started = time.perf_counter()
        found = attack(snapshot, rolling12=rolling12)
        in_headline = found.rows["metric_id"].isin(HEADLINE_IDS).to_numpy()
        small = found.small_counts
        print(
            f"rolling12={rolling12}: numerators recovered {found.numerator.sum():,} "
            f"(headline ids {(found.numerator & in_headline).sum():,}), denominators "
            f"{found.denominator.sum():,}; counts 1-{found.threshold} recovered "
            f"{small.sum():,} (headline ids {(small & in_headline).sum():,}) "
            f"[{time.perf_counter() - started:.0f} s]"
        )


if __name__ == "__main__":
    main()
