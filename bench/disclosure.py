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

Under the HES rule (metrics.disclosure_rounding) the published counts are rounded, so the
exact attack is replaced by the interval attack (metrics.disclosure_interval_attack):
suppressed counts pinned to one value, and of them those from 1 to the threshold. Whether a
value's own counts are above the threshold is then judged on the rounded counts (a rounded
10 or more is an exact 8 or more), or, with `--exact SNAPSHOT` (a snapshot of the same data
under the default rule, whose counts are exact), on the exact counts; the interval attack
then uses only the relations that hold exactly in them.

Run: `python -m bench.disclosure DATA_DIR [--rolling12] [--exact SNAPSHOT]` (a few minutes
on the default sample; with rolling 12-month totals, several times that).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb

from metrics.disclosure_attack import attack
from metrics.disclosure_interval_attack import interval_attack
from metrics.serving import disclosure_rule, rounded_indicators

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
# The same, judging the counts on another snapshot of the same data (exact counts).
EXACT_BLANKED_SQL = """
SELECT count(*) FILTER (v.suppressed), count(*)
FROM snap.indicator_values v
JOIN (SELECT metric_id, period_type, period_start, level, org_code, segment, numerator,
             denominator
      FROM exact.indicator_values) e
  USING (metric_id, period_type, period_start, level, org_code, segment)
WHERE level IN ('area', 'system') AND segment = 'all'
  AND ({above}) AND {where}
"""
ABOVE_EXACT = """
e.numerator > {t} AND (method = 'count' OR e.denominator IS NULL OR e.denominator > {t})
AND (method <> 'proportion' OR e.denominator - e.numerator > {t}
     OR e.denominator = e.numerator)
"""


def blanked(snapshot: str, where: str, exact: str | None = None) -> tuple[int, int]:
    """Returns (suppressed, all) area/system 'all' values above the threshold in `where`;
    with `exact`, a snapshot of the same data whose counts judge what is above it."""
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH '{snapshot}' AS snap (READ_ONLY)")
        threshold = connection.execute(
            "SELECT suppression_threshold FROM snap.snapshot_info"
        ).fetchone()[0]
        if exact is None:
            above = ABOVE_THRESHOLD.format(t=threshold)
            return connection.execute(BLANKED_SQL.format(above=above, where=where)).fetchone()
        connection.execute(f"ATTACH '{exact}' AS exact (READ_ONLY)")
        above = ABOVE_EXACT.format(t=threshold)
        return connection.execute(EXACT_BLANKED_SQL.format(above=above, where=where)).fetchone()


def rule_of(snapshot: str) -> tuple[str, list[str]]:
    """The snapshot's disclosure rule (no column: complementary, metrics.publish) and the
    indicators whose counts it rounds (metrics.serving.rounded_indicators)."""
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH '{snapshot}' AS snap (READ_ONLY)")
        connection.execute("USE snap")
        return disclosure_rule(connection), rounded_indicators(connection)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument(
        "--rolling12", action="store_true", help="also attack with rolling 12-month totals (slow)"
    )
    parser.add_argument(
        "--exact", help="a default-rule snapshot of the same data: judge counts on it"
    )
    arguments = parser.parse_args()
    serving = arguments.data_dir / "serving"
    snapshot = str(serving / f"{(serving / 'CURRENT').read_text().strip()}.duckdb")
    rule, rounded = rule_of(snapshot)
    print(f"disclosure rule: {rule} (counts rounded: {', '.join(rounded) or 'none'})")
    headline = "metric_id IN ({})".format(", ".join(f"'{i}'" for i in HEADLINE_IDS))
    group = "metric_id IN (SELECT id FROM snap.indicators WHERE \"group\" = 'northumbria')"
    judgements = [("published", None)] + ([("exact", arguments.exact)] if arguments.exact else [])
    for judged, exact in judgements:
        hidden, shown = blanked(snapshot, f"{headline} AND period_type = 'month'", exact)
        print(f"blanked, headline ids, months ({judged} counts): {hidden} of {shown}")
        hidden, shown = blanked(snapshot, group, exact)
        print(f"blanked, Northumbria group, every period ({judged} counts): {hidden} of {shown}")
    # Relations never join two indicators: the interval attack plays the relations of the
    # indicators whose counts are rounded, the exact attack those of the others.
    if rounded:
        _interval_attack(snapshot, arguments.exact)
    if rule == "hes":
        return
    for rolling12 in (False, True) if arguments.rolling12 else (False,):
        _exact_attack(snapshot, rolling12)


def _exact_attack(snapshot: str, rolling12: bool) -> None:
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


def _interval_attack(snapshot: str, exact: str | None) -> None:
    started = time.perf_counter()
    found = interval_attack(snapshot, exact)
    hidden = found.rows["suppressed"].to_numpy(dtype=bool) & found.judged
    threshold = int(found.rows.attrs["threshold"])
    for quantity in ("numerator", "denominator"):
        bounds = getattr(found, quantity)
        pinned = found.pinned(quantity)
        width = (bounds.upper - bounds.lower)[hidden & bounds.counted]
        print(
            f"intervals, {quantity}s: suppressed {(hidden & bounds.counted).sum():,}, pinned "
            f"{pinned.sum():,} (of them to 0: {(pinned & (bounds.upper == 0)).sum():,}), "
            f"bounded to {threshold} values or fewer {(width < threshold).sum():,}, "
            f"contradictions {found.contradictions(quantity)}, rounds {bounds.rounds}"
        )
    print(
        f"intervals: counts 1-{threshold} pinned {found.small_counts.sum():,} "
        f"[{time.perf_counter() - started:.0f} s]"
    )


if __name__ == "__main__":
    main()
