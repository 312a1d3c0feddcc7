"""The board pack in Chromium: commentary written on the board is in the pack the board's
"Board pack" links download once it is approved (not before: the cover counts it as
awaiting approval), and the PDF link downloads a real PDF of the same pack."""

from __future__ import annotations

import json
import re

from tests.e2e.browser import open_page, settle

METRIC = "bed_days"  # test_board_commentary writes on acsc_all; this test on its own metric
BLOCK = f"[id*='\"{METRIC}|'][id*='comment-block']"  # not acsc_bed_days
HAPPENED = "Bed days fell back inside the limits after the ward reopened."
AREA = "E38000992"  # the board's first area, Hollinsdale Place
NUMBERS = re.compile(r'<script type="application/json" id="pack-numbers">(.*?)</script>', re.S)


def _download(page, selector: str, folder) -> tuple[str, bytes]:
    # Making a pack takes seconds: wait for the download, not for a navigation to settle.
    with page.expect_download(timeout=120_000) as started:
        page.click(selector, no_wait_after=True)
    download = started.value
    target = folder / download.suggested_filename
    download.save_as(target)
    return download.suggested_filename, target.read_bytes()


def test_commentary_written_on_the_board_is_in_the_pack(page, tmp_path):
    open_page(page, "/")
    block = page.locator(BLOCK)
    block.locator("summary", has_text="Write commentary").click()
    block.locator("textarea[id*='comment-text']").fill(HAPPENED)
    block.locator("button", has_text="Save commentary").click()
    settle(page)
    assert HAPPENED in page.locator(BLOCK).inner_text()
    _, body = _download(page, "#board-pack-html", tmp_path)
    assert HAPPENED not in body.decode("utf-8")  # not approved yet
    assert "awaits approval" in body.decode("utf-8")

    page.locator(BLOCK).locator("button", has_text="Approve").click()
    settle(page)
    assert "Approved by" in page.locator(BLOCK).inner_text()
    name, body = _download(page, "#board-pack-html", tmp_path)
    assert name == f"board-pack-{AREA}-2026-10.html"
    html_text = body.decode("utf-8")
    assert HAPPENED in html_text
    numbers = json.loads(NUMBERS.search(html_text).group(1))
    assert numbers["area"] == AREA and numbers["board_date"] == "2026-10-01"
    assert numbers["metrics"][METRIC][AREA]["comment"]["text"] == HAPPENED
    assert page.errors == [], "\n".join(page.errors)

    name, body = _download(page, "#board-pack-pdf", tmp_path)
    assert name == f"board-pack-{AREA}-2026-10.pdf"
    assert body.startswith(b"%PDF-") and b"/Title (Board pack: Hollinsdale Place" in body
