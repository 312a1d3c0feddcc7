"""Looks at a file before loading: its format, its header, and which feed it is.

Only the first line is read here (never the whole file). Anything structurally wrong with
the file (empty, binary, wrong delimiter, unknown or incomplete header) raises `UserError`
with one sentence naming the file and the problem.
"""

from __future__ import annotations

import csv
import gzip
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from etl.feeds import FEEDS, FEEDS_BY_NAME
from etl.spec import Feed
from wholesystem.errors import UserError

PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"
HEADER_LIMIT = 1 << 20
OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "pipes"}


@dataclass(frozen=True)
class Source:
    """A file ready to read: its format, header, feed and header-to-column mapping."""

    path: Path
    format: str
    header: tuple[str, ...]
    feed: Feed
    mapping: dict[str, int]
    ignored: tuple[str, ...]
    compressed: bool = False
    # A file that DuckDB cannot read as published (a workbook, a headerless or non-UTF-8
    # CSV) is first converted to a UTF-8 CSV with a header; `path` still names the original
    # in every message and in the load log, and `data_path` is what the readers open.
    converted: Path | None = None
    header_rows: int = 1

    @property
    def data_path(self) -> Path:
        """The file the readers open: the conversion where there is one, else the file."""
        return self.converted or self.path

    @property
    def first_line(self) -> int:
        """The file line (or sheet row) of the first data row (Parquet rows count from 1)."""
        return self.header_rows + 1 if self.format == "csv" else 1


def normalise(name: str) -> str:
    """Header names compare case-insensitively, ignoring spaces around and inside them."""
    return re.sub(r"[\s\-_]+", "_", name.strip().lstrip("\ufeff").lower())


def inspect(path: Path, header_of_parquet, feed_name: str | None = None) -> Source:
    """Returns the file's Source, or raises UserError naming what is wrong with it.

    `header_of_parquet` is a function returning a Parquet file's column names.
    """
    if path.is_dir():
        raise UserError(f"{path}: is a directory; name the files in it")
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise UserError(f"{path}: the file is empty")
    with path.open("rb") as handle:
        magic = handle.read(4)
    compressed = magic.startswith(GZIP_MAGIC)
    if magic == PARQUET_MAGIC:
        header, file_format = tuple(header_of_parquet(path)), "parquet"
    else:
        header, file_format = _csv_header(path, compressed), "csv"
    feed = _choose_feed(path, header, feed_name)
    mapping, ignored = _map_columns(path, header, feed)
    return Source(path, file_format, header, feed, mapping, ignored, compressed)


def _csv_header(path: Path, compressed: bool) -> tuple[str, ...]:
    line = _first_line(path, compressed)
    if "\x00" in line:
        raise UserError(f"{path}: the file is binary, not a CSV or Parquet file")
    if not line.strip():
        raise UserError(f"{path}: the file is empty (no header row)")
    header = next(csv.reader([line]))
    if len(header) == 1:
        for delimiter, name in OTHER_DELIMITERS.items():
            if delimiter in line:
                raise UserError(
                    f"{path}: the header is separated by {name}; feeds must be comma-separated"
                )
    return tuple(header)


def _first_line(path: Path, compressed: bool) -> str:
    opener = gzip.open if compressed else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.readline(HEADER_LIMIT)
    except (OSError, EOFError, zlib.error) as error:
        raise UserError(f"{path}: the compressed file cannot be read ({error})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if b"\x00" in raw or _mostly_binary(raw):
            raise UserError(f"{path}: the file is binary, not a CSV or Parquet file") from None
        raise UserError(
            f"{path}: the header is not UTF-8 text (byte 0x{raw[error.start]:02x} "
            f"at position {error.start})"
        ) from None


def _mostly_binary(raw: bytes) -> bool:
    control = sum(1 for byte in raw[:4096] if byte < 9 or 13 < byte < 32 or byte > 127)
    return control > len(raw[:4096]) * 0.1


def _matched(header: tuple[str, ...], feed: Feed) -> set[str]:
    names = {normalise(name) for name in header}
    return {c.name for c in feed.columns if names.intersection(c.header_names)}


def _missing(header: tuple[str, ...], feed: Feed) -> list[str]:
    found = _matched(header, feed)
    return [c.name for c in feed.columns if c.required and c.name not in found]


def _choose_feed(path: Path, header: tuple[str, ...], feed_name: str | None) -> Feed:
    if feed_name is not None:
        if feed_name not in FEEDS_BY_NAME:
            known = ", ".join(sorted(FEEDS_BY_NAME))
            raise UserError(f"{path}: --feed {feed_name} is not a feed; the feeds are {known}")
        return _complete(path, header, FEEDS_BY_NAME[feed_name])
    complete = [feed for feed in FEEDS if not _missing(header, feed)]
    if complete:
        return max(complete, key=lambda feed: len(_matched(header, feed)))
    closest = max(FEEDS, key=lambda feed: _coverage(header, feed))
    if _coverage(header, closest) >= 0.5:
        return _complete(path, header, closest)
    shown = ", ".join(header[:8]) + (", …" if len(header) > 8 else "")
    raise UserError(
        f"{path}: unknown feed; the header ({shown}) matches none of the data contract's "
        "feeds (name one with --feed)"
    )


def _coverage(header: tuple[str, ...], feed: Feed) -> float:
    required = [c for c in feed.columns if c.required]
    return 1 - len(_missing(header, feed)) / len(required)


def _complete(path: Path, header: tuple[str, ...], feed: Feed) -> Feed:
    missing = _missing(header, feed)
    if missing:
        raise UserError(
            f"{path}: looks like {_article(feed.name)} {feed.name} file but lacks the mandatory "
            f"column{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
        )
    return feed


def _map_columns(path: Path, header: tuple[str, ...], feed: Feed):
    mapping: dict[str, int] = {}
    for index, name in enumerate(header):
        column = next((c for c in feed.columns if normalise(name) in c.header_names), None)
        if column is None:
            continue
        if column.name in mapping:
            first = header[mapping[column.name]]
            raise UserError(
                f"{path}: columns '{first}' and '{name}' both give {feed.name}.{column.name}"
            )
        mapping[column.name] = index
    ignored = tuple(name for index, name in enumerate(header) if index not in mapping.values())
    return mapping, ignored


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"
