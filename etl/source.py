"""Looks at a file before loading: its format, its header, and which feed it is.

Only the first bytes are read here (never the whole file): the header, and a few rows for
feeds whose headers are alike. Anything structurally wrong with the file (empty, binary,
wrong delimiter, unknown or incomplete header) raises `UserError` with one sentence naming
the file and the problem. A column map in wholesystem.toml (`[feeds.<feed>.columns]`, local
name -> contract column) is applied before matching; a CSV DuckDB cannot read as it is
(Windows-1252, UTF-16, CR CR LF) gets a UTF-8 copy (etl.encoding).
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import re
import shutil
import tempfile
import uuid
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

from etl.encoding import Text, head, sniff, utf8_copy
from etl.feeds import FEEDS, FEEDS_BY_NAME
from etl.hierarchy_feeds import LIST_SIZES, POPULATION_SINGLE_AGE
from etl.ods_feeds import EPRACCUR_FIELDS, looks_like_epraccur
from etl.spec import Column, Feed
from etl.workbook import ZIP_MAGIC, is_workbook, refuse_other_zip, workbook_as_csv
from wholesystem.errors import UserError
from wholesystem.settings import Settings

PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"
HEADER_LIMIT = 1 << 20
SAMPLE_ROWS = 500  # data rows read to tell apart feeds whose headers are alike
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
    # How a CSV's bytes were read (etl.encoding; None for Parquet), and what inspecting the
    # file has to say in the load summary (an encoding assumed, columns mapped by the TOML).
    text: Text | None = None
    notes: tuple[str, ...] = ()
    # The sheet a workbook's data was read from (etl.workbook): messages name its rows.
    sheet: str | None = None

    @property
    def data_path(self) -> Path:
        """The file the readers open: the conversion where there is one, else the file."""
        return self.converted or self.path

    @property
    def first_line(self) -> int:
        """The file line (or sheet row) of the first data row (Parquet rows count from 1)."""
        return self.header_rows + 1 if self.format == "csv" else 1

    def at(self, *lines: int) -> str:
        """Names the file and lines (a workbook's sheet rows) for a message."""
        if self.sheet is None:
            place = "line" if len(lines) == 1 else "lines"
        else:
            place = f"sheet '{self.sheet}' " + ("row" if len(lines) == 1 else "rows")
        return f"{self.path} {place} {' and '.join(str(line) for line in lines)}"


def normalise(name: str) -> str:
    """Header names compare case-insensitively, ignoring spaces around and inside them."""
    return re.sub(r"[\s\-_]+", "_", name.strip().lstrip("\ufeff").lower())


def inspect(
    path: Path, header_of_parquet, feed_name: str | None = None, settings: Settings | None = None
) -> Source:
    """Returns the file's Source, or raises UserError naming what is wrong with it.

    `header_of_parquet` is a function returning a Parquet file's column names. `settings`
    gives the column maps of wholesystem.toml and the tmp dir for a converted copy.
    """
    if path.is_dir():
        raise UserError(f"{path}: is a directory; name the files in it")
    if not path.is_file():
        raise UserError(f"{path}: " + ("not a regular file" if path.exists() else "no such file"))
    if path.stat().st_size == 0:
        raise UserError(f"{path}: the file is empty")
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as error:  # unreadable: permissions, a device, a vanished network share
        raise UserError(f"{path}: the file cannot be opened ({error.strerror})") from None
    check_name(path, magic)
    if magic == ZIP_MAGIC:  # a workbook (or another zip archive)
        return _inspect_workbook(path, header_of_parquet, feed_name, settings)
    compressed = magic.startswith(GZIP_MAGIC)
    head = None
    if magic == PARQUET_MAGIC:
        header, file_format = tuple(header_of_parquet(path)), "parquet"
    else:
        head = _csv_header(path, compressed)
        header, file_format = head.header, "csv"
        if _is_epraccur(path, header, compressed, feed_name):
            return _inspect_epraccur(path, header_of_parquet, compressed, settings)
    maps = column_maps(settings)
    feed = _choose_feed(path, header, feed_name, maps, head)
    mapping, ignored = _map_columns(path, header, feed, maps)
    source = Source(path, file_format, header, feed, mapping, ignored, compressed)
    return _read_as_text(source, head, maps, settings)


# A file is read by what its first bytes say it is; a name saying something else is refused
# (a CSV named .parquet, a plain file named .csv.gz, a workbook named .csv), since one of the
# two is a mistake and loading it quietly would hide which.
NAMED_KINDS = {
    ".csv": "csv", ".txt": "csv", ".gz": "gzip", ".parquet": "parquet", ".pq": "parquet",
    ".xlsx": "workbook", ".xlsm": "workbook",
}  # fmt: skip
KIND_WORDS = {
    "csv": "plain text (a CSV, or not a data file at all)",
    "gzip": "a gzip-compressed file",
    "parquet": "a Parquet file",
    "workbook": "an Excel workbook",
}
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls) and other OLE2 compound files


def check_name(path: Path, magic: bytes) -> None:
    """Refuses a file whose name's extension says another format than its content."""
    if magic == OLE2_MAGIC:
        raise UserError(
            f"{path}: is an Excel 97-2003 workbook (or another OLE2 file), which is not read; "
            "save it as an Excel workbook (.xlsx) or as CSV UTF-8"
        )
    named = NAMED_KINDS.get(path.suffix.lower())
    content = _content_kind(path, magic)
    if named is None or content is None or named == content:
        return
    raise UserError(
        f"{path}: the name ({path.suffix}) says {KIND_WORDS[named]} but the content is "
        f"{KIND_WORDS[content]}; rename the file to match its content, or export it again"
    )


def _content_kind(path: Path, magic: bytes) -> str | None:
    """What the first bytes say; None for a zip that is not a workbook (refused as such)."""
    if magic == ZIP_MAGIC:
        return "workbook" if is_workbook(path) else None
    if magic.startswith(GZIP_MAGIC):
        return "gzip"
    return "parquet" if magic == PARQUET_MAGIC else "csv"


@dataclass(frozen=True)
class CsvHead:
    """A CSV's first bytes read as text: its header, first data rows and how it was read."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # the first data rows, for feeds told apart by content
    text: Text


def _csv_header(path: Path, compressed: bool) -> CsvHead:
    sample = head(path, compressed)
    text = sniff(path, sample)
    decoded = _decoded(sample, text)
    line = _first_line(decoded)
    if "\x00" in line:
        raise UserError(f"{path}: the file is binary, not a CSV or Parquet file")
    if not line.strip():
        raise UserError(f"{path}: the file is empty (no header row)")
    header: list[str] = []
    try:
        records = csv.reader(io.StringIO(decoded, newline=""))
        header = next(records)
        rows = tuple(tuple(row) for row in itertools.islice(records, SAMPLE_ROWS))
    except csv.Error as error:
        if not header:
            raise UserError(f"{path}: the header cannot be read as CSV ({error})") from None
        rows = ()  # a sample cut inside a quoted value: the reader judges the file itself
    if len(header) == 1:
        for delimiter, name in OTHER_DELIMITERS.items():
            if delimiter in line:
                raise UserError(
                    f"{path}: the header is separated by {name}; feeds must be comma-separated"
                )
    return CsvHead(tuple(header), rows, text)


def _decoded(sample: bytes, text: Text) -> str:
    """The sample as text, lines ending as DuckDB reads them (CR CR LF as CRLF), no BOM."""
    decoded = sample.decode(text.encoding, errors="replace").lstrip("\ufeff")
    return decoded.replace("\r\r\n", "\r\n") if text.doubled_cr else decoded


def _first_line(decoded: str) -> str:
    """The first physical line, whatever its line end (LF, CRLF or CR)."""
    return re.split(r"\r\n|\r|\n", decoded[:HEADER_LIMIT], maxsplit=1)[0]


def column_maps(settings: Settings | None) -> dict[str, dict[str, str]]:
    """Each feed's column map from wholesystem.toml: normalised local name -> contract column."""
    feeds = settings.feeds if settings is not None else {}
    return {
        feed: {normalise(local): column for local, column in table.get("columns", {}).items()}
        for feed, table in feeds.items()
    }


def column_for(name: str, feed: Feed, maps: dict[str, dict[str, str]]) -> Column | None:
    """The feed column a header name gives: by the TOML column map first, else by name or
    alias."""
    key = normalise(name)
    mapped = maps.get(feed.name, {}).get(key)
    if mapped is not None:
        return feed.column(mapped)
    return next((c for c in feed.columns if key in c.header_names), None)


def _matched(header: tuple[str, ...], feed: Feed, maps=None) -> set[str]:
    columns = (column_for(name, feed, maps or {}) for name in header)
    return {column.name for column in columns if column is not None}


def missing_columns(header: tuple[str, ...], feed: Feed, maps=None) -> list[str]:
    """The feed's mandatory columns the header lacks (after the TOML column map)."""
    found = _matched(header, feed, maps)
    return [c.name for c in feed.columns if c.required and c.name not in found]


def _choose_feed(path: Path, header, feed_name: str | None, maps=None, head=None) -> Feed:
    maps = maps or {}
    if feed_name is not None:
        if feed_name not in FEEDS_BY_NAME:
            known = ", ".join(sorted(FEEDS_BY_NAME))
            raise UserError(f"{path}: --feed {feed_name} is not a feed; the feeds are {known}")
        feed = _complete(path, header, FEEDS_BY_NAME[feed_name], maps)
        return _by_content(path, feed, header, maps, head, named=True)
    complete = [feed for feed in FEEDS if not missing_columns(header, feed, maps)]
    if complete:
        feed = max(complete, key=lambda feed: len(_matched(header, feed, maps)))
        return _by_content(path, feed, header, maps, head, named=False)
    closest = max(FEEDS, key=lambda feed: _coverage(header, feed, maps))
    if _coverage(header, closest, maps) >= 0.5:
        return _complete(path, header, closest, maps)
    shown = ", ".join(header[:8]) + (", …" if len(header) > 8 else "")
    raise UserError(
        f"{path}: unknown feed; the header ({shown}) matches none of the data contract's "
        "feeds (name one with --feed)"
    )


def _coverage(header: tuple[str, ...], feed: Feed, maps=None) -> float:
    required = [c for c in feed.columns if c.required]
    return 1 - len(missing_columns(header, feed, maps)) / len(required)


def _complete(path: Path, header: tuple[str, ...], feed: Feed, maps=None) -> Feed:
    missing = missing_columns(header, feed, maps)
    if missing:
        raise UserError(
            f"{path}: looks like {_article(feed.name)} {feed.name} file but lacks the mandatory "
            f"column{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
        )
    return feed


def _by_content(path: Path, feed: Feed, header, maps, head, named: bool) -> Feed:
    """Tells a population file by age (single years or bands) from one of totals only
    (`gp-reg-pat-prac-all.csv`: SEX and AGE = ALL), whose headers are alike, by its rows."""
    if head is None or feed.table not in ("population", LIST_SIZES.table):
        return feed
    totals = _totals_only(path, header, feed, maps, head.rows)
    if totals and feed.table == "population":
        if named or missing_columns(header, LIST_SIZES, maps):
            raise UserError(
                f"{path}: holds only totals (SEX and AGE = ALL), no ages, so it is not a "
                f"{feed.name} file; ages are in gp-reg-pat-prac-sing-age-*.csv and "
                "gp-reg-pat-prac-quin-age.csv (load it without --feed to keep its list sizes)"
            )
        return LIST_SIZES
    if totals is False and feed is LIST_SIZES and not named:
        return POPULATION_SINGLE_AGE
    return feed


def _totals_only(path, header, feed: Feed, maps, rows) -> bool | None:
    """Whether the sampled GP rows are all SEX = ALL and AGE = ALL (None: no GP rows)."""
    mapping, _ = _map_columns(path, header, feed, maps)
    type_, sex, age = (mapping.get(name) for name in ("type", "sex", "age"))
    if None in (type_, sex, age):
        return None
    practices = [row for row in rows if len(row) == len(header) and row[type_].strip() == "GP"]
    if not practices:
        return None
    return all(row[sex].strip().upper() == row[age].strip().upper() == "ALL" for row in practices)


def _map_columns(path: Path, header: tuple[str, ...], feed: Feed, maps=None):
    mapping: dict[str, int] = {}
    for index, name in enumerate(header):
        column = column_for(name, feed, maps or {})
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


def mapped_by_config(source: Source, maps: dict[str, dict[str, str]]) -> dict[str, str]:
    """The header names the TOML column map gave a contract column: {local: contract}."""
    local = maps.get(source.feed.name, {})
    return {name: local[normalise(name)] for name in source.header if normalise(name) in local}


def closest_match(path: Path, feed_name: str | None, settings) -> tuple[tuple, Feed] | None:
    """For `load --explain` of a CSV matching no feed: its header and the feed named or
    closest to it; None if the file is not a CSV whose header can be read."""
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
        if magic in (PARQUET_MAGIC, ZIP_MAGIC):
            return None
        header = _csv_header(path, magic.startswith(GZIP_MAGIC)).header
    except (OSError, UserError):
        return None
    maps = column_maps(settings)
    feed = FEEDS_BY_NAME.get(feed_name or "") or max(
        FEEDS, key=lambda feed: _coverage(header, feed, maps)
    )
    return header, feed


def _read_as_text(source: Source, head: CsvHead | None, maps, settings) -> Source:
    """Adds how the file is read: its encoding, a UTF-8 copy if needed, and the notes."""
    notes = list(source.notes)
    mapped = mapped_by_config(source, maps)
    if mapped:
        pairs = ", ".join(f"{local} -> {column}" for local, column in mapped.items())
        notes.append(f"columns mapped by wholesystem.toml: {pairs}")
    if head is None:
        return replace(source, notes=tuple(notes))
    notes += head.text.notes()
    converted = source.converted
    if head.text.needs_copy:
        temp_dir = settings.temp_dir if settings else Path(tempfile.gettempdir())
        converted = utf8_copy(source.path, head.text, source.compressed, temp_dir)
    return replace(source, text=head.text, notes=tuple(notes), converted=converted)


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


# Files converted before reading (etl.workbook, etl.ods_feeds): the copy is inspected as
# any CSV, then its Source names the original, and the original's lines or sheet rows.


def _converted_source(
    path: Path, copy: Path, inspect_copy, header_rows: int, sheet: str | None, note: str
) -> Source:
    """Inspects the converted copy; messages about it name the original (and its sheet)."""
    try:
        inner = inspect_copy(copy)
    except UserError as error:
        copy.unlink(missing_ok=True)
        where = f"{path} sheet '{sheet}'" if sheet else str(path)
        raise UserError(str(error).replace(str(copy), where)) from None
    if inner.converted is not None and inner.converted != copy:  # converted again (encoding)
        copy.unlink(missing_ok=True)
    return replace(
        inner, path=path, converted=inner.converted or copy, header_rows=header_rows,
        sheet=sheet, notes=(note, *inner.notes),
    )  # fmt: skip


def _temp_dir(settings: Settings | None) -> Path:
    return settings.temp_dir if settings is not None else Path(tempfile.gettempdir())


def _inspect_workbook(path: Path, header_of_parquet, feed_name, settings) -> Source:
    """A workbook's data sheet, read as a CSV (etl.workbook); other zip archives are refused."""
    if not is_workbook(path):
        refuse_other_zip(path)
    sheet = workbook_as_csv(
        path, _temp_dir(settings), lambda header: _recognised(header, feed_name), feed_name
    )
    return _converted_source(
        path, sheet.csv_path,
        lambda copy: inspect(copy, header_of_parquet, feed_name, settings),
        sheet.header_rows, sheet.sheet, f"read from the workbook's sheet '{sheet.sheet}'",
    )  # fmt: skip


def _recognised(header: tuple[str, ...], feed_name: str | None) -> bool:
    """Whether a sheet's header row gives every mandatory column of a feed (or the named one)."""
    feeds = [FEEDS_BY_NAME[feed_name]] if feed_name in FEEDS_BY_NAME else FEEDS
    return any(not missing_columns(header, feed) for feed in feeds)


def _is_epraccur(path: Path, header: tuple[str, ...], compressed: bool, feed_name) -> bool:
    """Whether the first line is not a header but an ODS epraccur row (no header row)."""
    if feed_name not in (None, "ods_practices"):
        return False
    opener = gzip.open if compressed else open
    with opener(path, "rb") as handle:
        line = handle.readline(HEADER_LIMIT).decode("utf-8", errors="replace")
    return looks_like_epraccur(line, header)


def _inspect_epraccur(path: Path, header_of_parquet, compressed: bool, settings) -> Source:
    """Reads epraccur under its published field names: a copy with a header line first."""
    directory = _temp_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    copy = directory / f"{path.stem}-{uuid.uuid4().hex[:8]}.csv"
    opener = gzip.open if compressed else open
    try:
        with opener(path, "rb") as original, copy.open("wb") as target:
            target.write((",".join(EPRACCUR_FIELDS) + "\r\n").encode())
            shutil.copyfileobj(original, target, 1 << 20)
    except (OSError, EOFError, zlib.error) as error:
        copy.unlink(missing_ok=True)
        raise UserError(f"{path}: the compressed file cannot be read ({error})") from None
    note = (
        "recognised as ODS epraccur by its shape (no header row, 27 quoted fields) and read "
        "under the published field names"
    )
    return _converted_source(
        path, copy, lambda c: inspect(c, header_of_parquet, "ods_practices", settings), 0, None,
        note,
    )  # fmt: skip
