"""A CSV's text as published: its encoding and line ends, and a UTF-8 copy where DuckDB needs one.

DuckDB's CSV reader takes UTF-8 with or without a byte order mark, LF, CRLF or CR line ends,
a missing final newline, and quoted values holding commas and line breaks. It cannot read
Windows-1252 (QOF and other files saved from Excel on Windows: `£`, `’`, `é` in names),
UTF-16 (Excel's "Unicode text"), or CR CR LF line ends (a CRLF file written again in text
mode on Windows). Those files are converted once, streamed in chunks, to a UTF-8 copy with
CRLF line ends under the data directory's tmp dir; every line keeps its number, so messages
and the quarantine still name the original's lines. UTF-8 files are read as they are.

The encoding is judged from the first bytes (SAMPLE): strict UTF-8 if they decode as such,
else Windows-1252. A later byte that is not UTF-8 is then reported by the reader with its
line; one that is not Windows-1252 either is reported by the conversion.
"""

from __future__ import annotations

import codecs
import gzip
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from wholesystem.errors import UserError

SAMPLE = 1 << 22
CHUNK = 1 << 20
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with a byte order mark",
    "cp1252": "Windows-1252",
    "utf-16": "UTF-16",
}


@dataclass(frozen=True)
class Text:
    """How a CSV's bytes are read as text."""

    encoding: str  # a Python codec name, a key of LABELS
    doubled_cr: bool = False  # lines end CR CR LF

    @property
    def label(self) -> str:
        """The encoding in words, for the load summary and `load --explain`."""
        return LABELS[self.encoding]

    @property
    def needs_copy(self) -> bool:
        """Whether DuckDB needs a UTF-8 copy of the file to read it."""
        return self.encoding in ("cp1252", "utf-16") or self.doubled_cr

    def notes(self) -> list[str]:
        """What the load summary says about reading the file, if anything unusual."""
        notes = []
        if self.encoding in ("cp1252", "utf-16"):
            notes.append(f"read as {self.label} text (not UTF-8) and converted to UTF-8")
        if self.doubled_cr:
            notes.append("lines end CR CR LF; read as CR LF")
        return notes


def open_bytes(path: Path, compressed: bool):
    """Opens the file's bytes, decompressing a gzip file."""
    return gzip.open(path, "rb") if compressed else path.open("rb")


def head(path: Path, compressed: bool) -> bytes:
    """The file's first SAMPLE bytes (after decompression); one clear sentence if unreadable."""
    data, size = bytearray(), SAMPLE
    try:
        with open_bytes(path, compressed) as handle:
            while len(data) < size and (block := handle.read(min(1 << 16, size - len(data)))):
                data += block
    except (OSError, EOFError, zlib.error) as error:
        if compressed and data:  # a truncated gzip: the reader names it when it gets there
            return bytes(data)
        if compressed:
            raise UserError(f"{path}: the compressed file cannot be read ({error})") from None
        raise UserError(f"{path}: the file cannot be read ({error.strerror or error})") from None
    return bytes(data)


def sniff(path: Path, sample: bytes) -> Text:
    """Judges the encoding and line ends from the file's first bytes."""
    first_line_end = sample.find(b"\n")
    doubled_cr = first_line_end > 1 and sample[first_line_end - 2 : first_line_end] == b"\r\r"
    return Text(_encoding(path, sample), doubled_cr)


def _encoding(path: Path, sample: bytes) -> str:
    if sample.startswith(UTF16_BOMS):
        return "utf-16"
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # The sample may end inside a character: the incremental decoder waits for the rest.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in sample or _mostly_binary(sample):
        raise UserError(f"{path}: the file is binary, not a CSV or Parquet file")
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError as error:
        raise _unreadable(path, sample, error) from None
    return "cp1252"


def _mostly_binary(sample: bytes) -> bool:
    """Text in a single-byte encoding is mostly ASCII letters; binary data is not."""
    start = sample[:4096]
    unlike_text = sum(1 for byte in start if byte < 9 or 13 < byte < 32 or byte > 127)
    return unlike_text > len(start) * 0.1


def _unreadable(path: Path, chunk: bytes, error: UnicodeDecodeError, line: int = 1) -> UserError:
    line += chunk.count(b"\n", 0, error.start)
    byte = chunk[error.start]
    return UserError(
        f"{path} line {line}: byte 0x{byte:02x} is neither UTF-8 nor Windows-1252 text; "
        "save the file as UTF-8 (CSV UTF-8 in Excel)"
    )


def utf8_copy(path: Path, text: Text, compressed: bool, temp_dir: Path) -> Path:
    """Writes the file as UTF-8 with CRLF for CR CR LF under `temp_dir`; returns the copy.

    Streams in chunks, so any size fits in memory. The caller removes the copy.
    """
    temp_dir.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f"{path.stem}.", suffix=".utf8.csv", dir=temp_dir)
    copy = Path(name)
    try:
        with open_bytes(path, compressed) as source, open(handle, "wb") as target:
            for part in _utf8_parts(path, source, text):
                target.write(part)
    except BaseException:
        copy.unlink(missing_ok=True)
        raise
    return copy


def _utf8_parts(path: Path, source, text: Text):
    """The file's bytes as UTF-8, chunk by chunk. UTF-8 (CR CR LF only) is copied as bytes,
    left for the reader to validate like any UTF-8 file; other encodings are decoded."""
    utf8 = text.encoding in ("utf-8", "utf-8-sig")
    decoder = None if utf8 else codecs.getincrementaldecoder(text.encoding)(errors="strict")
    line, pending = 1, b""
    while True:
        chunk = source.read(CHUNK)
        try:
            part = chunk if utf8 else decoder.decode(chunk, final=not chunk).encode("utf-8")
        except UnicodeDecodeError as error:
            raise _unreadable(path, chunk, error, line) from None
        part = pending + part
        if text.doubled_cr and chunk:
            # A CR CR LF may straddle two chunks: the trailing CRs wait for the next one.
            kept = part.rstrip(b"\r")
            part, pending = kept, part[len(kept) :]
        yield part.replace(b"\r\r\n", b"\r\n") if text.doubled_cr else part
        line += chunk.count(b"\n")
        if not chunk:
            return
