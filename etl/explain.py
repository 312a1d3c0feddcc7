"""`wholesystem load --explain FILE`: how a file's header matches the data contract.

Inspects each file exactly as a load would (etl.source: the same feed choice, column maps of
wholesystem.toml, encoding and conversion) and says what it found, loading nothing: the
feed and why, each header column and the contract column it gives (marking those mapped by
the TOML), the columns ignored, the feed's columns missing (mandatory and optional), and how
the text was read. A file matching no feed is shown against the feed named or the closest.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from etl.feeds import FEEDS
from etl.reader import parquet_header
from etl.source import (
    Source,
    closest_match,
    column_for,
    column_maps,
    inspect,
    mapped_by_config,
    missing_columns,
    normalise,
)
from etl.spec import Feed
from wholesystem.errors import UserError

# Feeds whose headers are alike, told apart by their first rows (etl.source._by_content).
BY_ROWS = {
    "list_sizes": "its rows are totals only (SEX and AGE = ALL), not ages",
    "population": "its rows give single years of age",
}


def explain_files(paths: list[Path], settings, feed_name: str | None) -> tuple[list[str], bool]:
    """The explanation's lines for every file, and whether every file matched a feed."""
    lines, matched = [], True
    with duckdb.connect() as connection:
        for path in paths:
            found, ok = _explain_file(connection, Path(path), settings, feed_name)
            lines += found
            matched = matched and ok
    return lines + ["nothing was loaded (--explain)"], matched


def _explain_file(connection, path: Path, settings, feed_name) -> tuple[list[str], bool]:
    try:
        source = inspect(path, parquet_header(connection), feed_name, settings)
    except (UserError, duckdb.Error) as error:
        return _unmatched(path, settings, feed_name, error), False
    try:
        return _matched_lines(source, settings, feed_name), True
    finally:
        if source.converted is not None:
            source.converted.unlink(missing_ok=True)


def _matched_lines(source: Source, settings, feed_name) -> list[str]:
    maps = column_maps(settings)
    lines = [
        f"{source.path}",
        f"  feed: {source.feed.name} ({_reason(source, maps, feed_name)})",
        f"  read as: {_read_as(source)}",
        *_columns(source.header, source.feed, maps, mapped_by_config(source, maps)),
    ]
    return lines + [f"  note: {note}" for note in source.notes]


def _reason(source: Source, maps, feed_name) -> str:
    if feed_name is not None:
        return "named with --feed"
    required = sum(1 for column in source.feed.columns if column.required)
    others = [
        feed.name
        for feed in FEEDS
        if feed is not source.feed and not missing_columns(source.header, feed, maps)
    ]
    reason = f"all {required} mandatory columns found"
    if source.feed.name in BY_ROWS:
        return f"{reason}; {BY_ROWS[source.feed.name]}"
    if others:
        reason += f"; {', '.join(others)} also complete, this one matches the most columns"
    return reason


def _read_as(source: Source) -> str:
    if source.format == "parquet":
        return "Parquet"
    if source.sheet is not None:
        return f"workbook sheet '{source.sheet}', converted to a CSV for loading"
    described = f"CSV, {source.text.label if source.text else 'UTF-8'}"
    if source.converted is not None:
        described += ", converted to a UTF-8 copy for loading"
    return described


def _columns(header, feed: Feed, maps, by_config: dict[str, str]) -> list[str]:
    lines, found = ["  columns (file -> contract):"], set()
    for name in header:
        column = column_for(name, feed, maps)
        if column is None:
            continue
        found.add(column.name)
        origin = "  (wholesystem.toml)" if name in by_config else ""
        lines.append(f"    {name} -> {column.name}{origin}")
    ignored = [name for name in header if column_for(name, feed, maps) is None]
    mandatory = missing_columns(header, feed, maps)
    optional = [c.name for c in feed.columns if not c.required and c.name not in found]
    return lines + [
        f"  ignored: {_listed(ignored)}",
        f"  missing mandatory: {_listed(mandatory)}",
        f"  missing optional: {_listed(optional)}",
    ]


def _unmatched(path: Path, settings, feed_name, error: Exception) -> list[str]:
    lines = [f"{path}", f"  not loadable: {error}"]
    match = closest_match(path, feed_name, settings)
    if match is None:
        return lines
    header, feed = match
    maps = column_maps(settings)
    local = maps.get(feed.name, {})
    by_config = {name: local[normalise(name)] for name in header if normalise(name) in local}
    closest = "named with --feed" if feed_name else "the closest feed"
    lines.append(f"  against {feed.name} ({closest}):")
    lines += _columns(header, feed, maps, by_config)
    lines.append(
        f"  map local names to its columns in wholesystem.toml under [feeds.{feed.name}.columns]"
    )
    return lines


def _listed(names: list[str]) -> str:
    return ", ".join(names) if names else "none"
