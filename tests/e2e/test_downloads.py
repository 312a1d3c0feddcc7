"""Downloads from a page, by clicking in Chromium: the SPC chart's data as CSV and XLSX and
the chart as a PNG, each checked against the page it came from."""

from __future__ import annotations

import csv
import io
import struct
from pathlib import Path

import openpyxl

from dashboard import access
from dashboard.scope import Scope
from tests.e2e.browser import open_page, trace_y

VIEW = "/indicator/bed_days?level=area&org=E38000992"


def _download(page, link_id: str, folder: Path) -> tuple[str, bytes]:
    with page.expect_download() as started:
        page.click(f"#{link_id}")
    download = started.value
    target = folder / download.suggested_filename
    download.save_as(target)
    return download.suggested_filename, target.read_bytes()


def test_the_spc_chart_downloads_as_csv_xlsx_and_png(page, tmp_path):
    open_page(page, VIEW)
    version = access.shown_version()
    points = access.spc_points(Scope.whole_system(), ["bed_days"], ["E38000992"])
    means = [round(float(mean), 6) for mean in points["mean"]]
    assert [round(y, 6) for y in trace_y(page, "indicator-spc", "Mean")] == means

    name, body = _download(page, "download-indicator-spc-csv", tmp_path)
    assert name == f"indicator-spc_E38000992_month-2026-10_{version}.csv"
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == len(points)
    assert [round(float(row["Mean"]), 6) for row in rows] == means  # the chart's own numbers
    assert rows[-1]["Month"] == "2026-10-01"

    name, body = _download(page, "download-indicator-spc-xlsx", tmp_path)
    book = openpyxl.load_workbook(io.BytesIO(body))
    data = [[cell.value for cell in row] for row in book["Data"].iter_rows(min_row=2)]
    assert [round(row[2], 6) for row in data] == means
    about = {row[0].value: row[1].value for row in book["About"].iter_rows()}
    assert about["Snapshot version"] == version and about["Title"] == "Total bed days: SPC chart"

    name, body = _download(page, "download-indicator-spc-png", tmp_path)
    assert name.endswith(".png") and body[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", body[16:24])
    assert width == 1100 and height > 440  # the page's chart, with its header and footer
    assert page.errors == []
