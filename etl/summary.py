"""Prints what a load did: one line per file, then the totals."""

from __future__ import annotations

import sys

from etl.load import LoadResult


def describe(result: LoadResult) -> str:
    """One line for one file's outcome."""
    if result.outcome != "loaded":
        return f"{result.outcome}: {result.message}"
    counts = result.counts
    line = (
        f"loaded {result.file} as {result.feed}: {counts.rows_accepted:,} rows accepted, "
        f"{counts.rows_quarantined:,} quarantined, {result.rows_replaced:,} replaced"
    )
    if counts.rows_ignored:
        line += f", {counts.rows_ignored:,} ignored"
    return line


def print_summary(results: list[LoadResult]) -> None:
    """Prints each file's line (rejections to stderr), its notes, then the totals."""
    for result in results:
        stream = sys.stderr if result.outcome == "rejected" else sys.stdout
        print(describe(result), file=stream)
        for note in result.notes:
            print(f"  note: {note}")
    loaded = [result for result in results if result.outcome == "loaded"]
    accepted = sum(result.counts.rows_accepted for result in loaded)
    quarantined = sum(result.counts.rows_quarantined for result in loaded)
    replaced = sum(result.rows_replaced for result in loaded)
    outcomes = {
        name: sum(r.outcome == name for r in results) for name in ("loaded", "skipped", "rejected")
    }
    print(
        f"total: {outcomes['loaded']} loaded, {outcomes['skipped']} skipped, "
        f"{outcomes['rejected']} rejected; {accepted:,} rows accepted, "
        f"{quarantined:,} quarantined, {replaced:,} replaced"
    )
