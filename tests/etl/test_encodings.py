"""Encodings and line ends seen in real files, on both load paths (etl.encoding, etl.source).

Each file is an organisations extract as a practice system or Excel writes it: names with
`’`, `£` and `é`, a quoted name holding a comma, and (where said) a quoted value holding a
line break, as Excel writes one (LF inside a CRLF file).
"""

from __future__ import annotations

import gzip

import pytest

from etl.load import load_files
from tests.etl.conftest import table_rows
from tests.etl.rows import load_log, quarantine

HEADER = (
    "practice_code,practice_name,network_code,network_name,locality_code,locality_name,"
    "area_code,area_name,la_code,valid_from,valid_to"
)
NAMES = {1: 'Dr Smith’s "Old" Surgery, Café £', 2: "Two\nlines"}
FAST = "writing (one pass)"
FULL = "the one pass could not account for every row; validating row by row"

CASES = {  # name: (encoding, line end, final line end)
    "utf8": ("utf-8", "\n", True),
    "utf8_bom_crlf": ("utf-8-sig", "\r\n", True),
    "utf8_no_final_newline": ("utf-8", "\n", False),
    "utf8_cr": ("utf-8", "\r", True),
    "cp1252_crlf": ("cp1252", "\r\n", True),
    "cp1252_no_final_newline": ("cp1252", "\r\n", False),
    "utf8_cr_cr_lf": ("utf-8", "\r\r\n", True),
    "cp1252_cr_cr_lf": ("cp1252", "\r\r\n", True),
    "utf16_crlf": ("utf-16", "\r\n", True),
}
NOTES = {
    "cp1252": ["read as Windows-1252 text (not UTF-8) and converted to UTF-8"],
    "utf-16": ["read as UTF-16 text (not UTF-8) and converted to UTF-8"],
}


def org_line(number: int, name: str = "Plain", valid_from: str = "2020-04-01") -> str:
    quoted = '"' + name.replace('"', '""') + '"' if set(name) & set(',"\n') else name
    return f"A8{number:04d},{quoted},U11111,Network,L1,North,AR1,Leeds,E08000035,{valid_from},"


def org_file(path, case: str, rows: int = 40, line_break: bool = True, bad: tuple = ()):
    """Writes `rows` practices A80001…; records in `bad` have an impossible valid_from."""
    encoding, end, final = CASES[case]
    names = NAMES if line_break else {1: NAMES[1]}
    lines = [HEADER] + [
        org_line(n, names.get(n, "Plain"), "2020-13-01" if n in bad else "2020-04-01")
        for n in range(1, rows + 1)
    ]
    path.write_bytes((end.join(lines) + (end if final else "")).encode(encoding))
    return path


def run(settings, *paths, feed=None):
    messages: list[str] = []
    results = load_files(list(paths), settings, feed, report=messages.append)
    return results, [message.split(": ", 1)[1] for message in messages]


def names(settings) -> list[tuple]:
    return [(row[0], row[1]) for row in table_rows(settings, "organisations", "practice_code")]


def leftovers(settings) -> list:
    return list(settings.temp_dir.glob("*")) if settings.temp_dir.exists() else []


@pytest.mark.parametrize("case", CASES)
def test_a_clean_file_loads_with_exact_values(tmp_path, settings, case):
    [result], progress = run(settings, org_file(tmp_path / "org.csv", case, line_break=False))
    assert (result.outcome, result.counts.rows_accepted) == ("loaded", 40)
    # The fast path proves it took every row by counting LF bytes; a file whose lines end in
    # CR alone, or whose LF is two bytes (UTF-16), is proved by the full validation instead.
    assert (FULL in progress) == (case in ("utf8_cr", "utf16_crlf"))
    assert names(settings)[:2] == [("A80001", NAMES[1]), ("A80002", "Plain")]
    notes = NOTES.get(CASES[case][0], []) + (
        ["lines end CR CR LF; read as CR LF"] if "cr_cr_lf" in case else []
    )
    assert result.notes == notes
    assert leftovers(settings) == []  # the UTF-8 copy is removed after the load


@pytest.mark.parametrize("case", CASES)
def test_a_quoted_line_break_takes_the_full_path_and_keeps_the_value(tmp_path, settings, case):
    [result], progress = run(settings, org_file(tmp_path / "org.csv", case))
    assert (result.outcome, result.counts.rows_read, result.counts.rows_accepted) == (
        "loaded", 40, 40,
    )  # fmt: skip
    assert FULL in progress  # more lines than rows: the fast path cannot prove it took all
    assert names(settings)[:3] == [
        ("A80001", NAMES[1]), ("A80002", "Two\nlines"), ("A80003", "Plain"),
    ]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_quarantine_lines_name_the_original_file_rows(tmp_path, settings, case):
    """Lines count rows as a spreadsheet shows them: a quoted value spanning two text lines
    stays one row, so record 10 is line 11 whatever the encoding or line ends."""
    path = org_file(tmp_path / "org.csv", case, bad=(10, 40))
    [result], progress = run(settings, path)
    assert (result.outcome, result.counts.rows_quarantined) == ("loaded", 2)
    assert quarantine(settings) == [
        ("org.csv", 11, "valid_from", "2020-13-01", "invalid_date"),
        ("org.csv", 41, "valid_from", "2020-13-01", "invalid_date"),
    ]
    assert len(names(settings)) == 38
    assert leftovers(settings) == []


def test_without_a_quoted_line_break_rows_and_text_lines_agree(tmp_path, settings):
    path = org_file(tmp_path / "org.csv", "cp1252_crlf", line_break=False, bad=(7,))
    run(settings, path)
    text_line = (
        path.read_bytes().split(b"\r\n").index(org_line(7, valid_from="2020-13-01").encode())
    )
    assert quarantine(settings) == [("org.csv", text_line + 1, "valid_from", "2020-13-01",
                                     "invalid_date")]  # fmt: skip


def test_a_gzipped_windows_1252_file_is_converted_once(tmp_path, settings):
    plain = org_file(tmp_path / "org.csv", "cp1252_crlf")
    path = tmp_path / "org.csv.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    [result], _ = run(settings, path)
    assert (result.outcome, result.counts.rows_accepted) == ("loaded", 40)
    assert names(settings)[0] == ("A80001", NAMES[1])


def test_a_windows_1252_header_is_read_too(tmp_path, settings):
    path = tmp_path / "org.csv"
    text = HEADER + ",Notes £\r\n" + org_line(1) + ",£5\r\n"
    path.write_bytes(text.encode("cp1252"))
    [result], _ = run(settings, path)
    assert result.outcome == "loaded"
    assert result.notes[-1] == "columns not in the contract, ignored: Notes £"


def test_a_line_end_split_across_conversion_chunks_is_kept_whole(tmp_path, settings, monkeypatch):
    """CR CR LF straddling the conversion's chunk boundary is still one line end."""
    monkeypatch.setattr("etl.encoding.CHUNK", 7)
    [result], _ = run(settings, org_file(tmp_path / "org.csv", "cp1252_cr_cr_lf", bad=(3,)))
    assert result.counts.rows_accepted == 39
    assert quarantine(settings) == [("org.csv", 4, "valid_from", "2020-13-01", "invalid_date")]


def test_a_byte_neither_utf8_nor_windows_1252_is_one_sentence(tmp_path, settings):
    path = tmp_path / "org.csv"
    lines = [HEADER.encode()] + [org_line(n).encode("cp1252") for n in range(1, 6)]
    lines[3] = lines[3].replace(b"Plain", b"Pl\x81in")  # 0x81 has no Windows-1252 character
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    [result], _ = run(settings, path)
    assert (result.outcome, result.message) == (
        "rejected",
        f"{path} line 4: byte 0x81 is neither UTF-8 nor Windows-1252 text; save the file as "
        "UTF-8 (CSV UTF-8 in Excel)",
    )
    assert table_rows(settings, "organisations") == []
    assert load_log(settings)[0]["outcome"] == "rejected"
    assert leftovers(settings) == []


def test_a_byte_past_the_sample_in_a_utf8_file_is_named_by_its_line(
    tmp_path, settings, monkeypatch
):
    """The encoding is judged from the first bytes; a later Windows-1252 byte in a file that
    began as UTF-8 gets one sentence with its line (the reader's), and nothing is loaded."""
    monkeypatch.setattr("etl.encoding.SAMPLE", 300)
    lines = [HEADER] + [org_line(n) for n in range(1, 41)]
    lines[30] = org_line(30, "Caf\xe9")
    path = tmp_path / "org.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("cp1252"))
    [result], _ = run(settings, path)
    assert (result.outcome, result.message) == (
        "rejected", f"{path} line 31: the text is not UTF-8 (save the file as UTF-8)",
    )  # fmt: skip
    assert table_rows(settings, "organisations") == []
