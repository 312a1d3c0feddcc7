"""`build_pack` on a copy of the published sample: what a pack holds and that its numbers
are the snapshot's, read the way the board reads them."""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pytest

from dashboard.pack import PackError, build_pack
from dashboard.pages.board_data import board_period_of
from metrics.serving import current_version, snapshot_path
from tests.dashboard.pack.conftest import (
    HOLLINSDALE,
    TYNEBRIDGE,
    copy_snapshot,
    numbers_in,
    pack_bytes,
    pack_numbers,
)
from wholesystem import commentary, pack_store, targets

OCTOBER = date(2026, 10, 1)
BOARD_METRICS = 23  # Northumbria's set (14 indicators) and the other whole-system measures (9)


def _published(settings, metric_id: str, org_code: str, month: date) -> float:
    version = current_version(settings)
    with duckdb.connect(str(snapshot_path(settings, version)), read_only=True) as connection:
        return connection.execute(
            "SELECT value FROM indicator_values WHERE metric_id = ? AND org_code = ? "
            "AND period_type = 'month' AND segment = 'all' AND period_start = ?",
            [metric_id, org_code, month],
        ).fetchone()[0]


def test_a_pack_made_twice_from_one_snapshot_has_identical_numbers(pack_settings):
    first = build_pack(pack_settings, HOLLINSDALE, OCTOBER, "html", created_by="jo")
    second = build_pack(pack_settings, HOLLINSDALE, date(2026, 10, 20), "html")
    assert (first.version, first.board_date) == (second.version, second.board_date)
    assert first.file_name != second.file_name
    one, two = pack_numbers(pack_settings, first), pack_numbers(pack_settings, second)
    assert one == two
    assert len(one["metrics"]) == BOARD_METRICS
    bed_days = one["metrics"]["bed_days"][HOLLINSDALE]
    october = _published(pack_settings, "bed_days", HOLLINSDALE, OCTOBER)
    august = _published(pack_settings, "bed_days", HOLLINSDALE, date(2026, 8, 1))
    assert bed_days["value"] == pytest.approx(october)
    assert bed_days["change"] == pytest.approx(october - august)
    assert bed_days["points"][-1][:2] == ["2026-10-01", pytest.approx(october)]
    # The other area is in the pack too (its values, not its chart).
    assert one["metrics"]["bed_days"][TYNEBRIDGE]["value"] == pytest.approx(
        _published(pack_settings, "bed_days", TYNEBRIDGE, OCTOBER)
    )
    registered = {p.id: p for p in pack_store.list_packs(pack_settings, first.version)}
    assert registered[first.id].created_by == "jo"
    assert registered[first.id].sha256 == first.sha256


def test_the_pack_stops_at_its_board_month(pack_settings):
    record = build_pack(pack_settings, TYNEBRIDGE, date(2026, 6, 1), "html")
    numbers = pack_numbers(pack_settings, record)
    points = numbers["metrics"]["bed_days"][TYNEBRIDGE]["points"]
    assert numbers["board_date"] == "2026-06-01"
    assert points[-1][0] == "2026-06-01"
    assert numbers["metrics"]["bed_days"][TYNEBRIDGE]["value"] == pytest.approx(
        _published(pack_settings, "bed_days", TYNEBRIDGE, date(2026, 6, 1))
    )


def test_commentary_written_for_the_board_period_shows_in_the_pack(pack_settings):
    period = board_period_of(OCTOBER)
    written = commentary.write(
        pack_settings, "bed_days", HOLLINSDALE, period,
        "Bed days rose in October, still inside the process limits.", "analyst.jo",
        action="Weekend discharge-to-assess from November.",
    )  # fmt: skip
    commentary.approve(pack_settings, written.id, "admin.sam")
    record = build_pack(pack_settings, HOLLINSDALE, OCTOBER, "html")
    html_text = pack_bytes(pack_settings, record).decode("utf-8")
    numbers = numbers_in(html_text)
    assert numbers["metrics"]["bed_days"][HOLLINSDALE]["comment"]["id"] == written.id
    assert "Bed days rose in October, still inside the process limits." in html_text
    assert "Weekend discharge-to-assess from November." in html_text
    assert "Written by analyst.jo on" in html_text
    assert "Approved by admin.sam on" in html_text


def test_the_last_boards_approved_commentary_is_in_the_pack(pack_settings):
    # "What did we say last time?": October's board period is October to November, so the
    # last board is August to September; its approved words are printed, a newer draft
    # rewrite of an older board's is not, and an unapproved one never is.
    august = board_period_of(date(2026, 8, 1))
    said = commentary.write(
        pack_settings, "emergency_admissions", TYNEBRIDGE, august,
        "Admissions fell after the frailty unit opened.", "analyst.jo",
    )  # fmt: skip
    commentary.approve(pack_settings, said.id, "admin.sam")
    commentary.write(
        pack_settings, "bed_days_elective", TYNEBRIDGE, august, "Not yet approved.", "analyst.jo"
    )
    record = build_pack(pack_settings, TYNEBRIDGE, OCTOBER, "html")
    html_text = pack_bytes(pack_settings, record).decode("utf-8")
    shown = numbers_in(html_text)["metrics"]
    assert august == date(2026, 8, 1) and board_period_of(OCTOBER) == OCTOBER
    assert shown["emergency_admissions"][TYNEBRIDGE]["previous_comment"] == {
        "id": said.id, "text": "Admissions fell after the frailty unit opened."
    }  # fmt: skip
    assert shown["bed_days_elective"][TYNEBRIDGE]["previous_comment"] is None
    assert "Said at the last board" in html_text and "(August to September 2026)" in html_text
    assert "Not yet approved." not in html_text


def test_a_target_and_trajectory_set_in_the_product_are_in_the_pack(pack_settings):
    trajectory = {date(2026, 9, 1): 700.0, date(2026, 10, 1): 690.0}
    spec = targets.TargetSpec(
        "bed_days", TYNEBRIDGE, value=650.0, trajectory=trajectory, reason="operating plan"
    )
    targets.add_target(pack_settings, spec, "analyst.jo")
    record = build_pack(pack_settings, TYNEBRIDGE, OCTOBER, "html")
    html_text = pack_bytes(pack_settings, record).decode("utf-8")
    shown = numbers_in(html_text)["metrics"]["bed_days"][TYNEBRIDGE]
    value = _published(pack_settings, "bed_days", TYNEBRIDGE, OCTOBER)
    assert (shown["target"], shown["target_source"], shown["planned"]) == (650.0, "set", 690.0)
    assert shown["trajectory"] == {"2026-09-01": 700.0, "2026-10-01": 690.0}
    assert shown["on_track"] is (value <= 690.0)  # lower is better for bed days
    assert "set by analyst.jo on" in html_text and "operating plan" in html_text


def test_the_cover_flags_a_feed_behind_the_snapshot(pack_settings):
    record = build_pack(pack_settings, HOLLINSDALE, OCTOBER, "html")
    html_text = pack_bytes(pack_settings, record).decode("utf-8")
    # The sample's supplied indicators end in March 2026; every other dated feed in October.
    assert numbers_in(html_text)["stale_feeds"] == ["Supplied indicators (GP Patient Survey, QOF)"]
    assert html_text.count("Stale: behind October 2026") == 1
    assert f"/?snapshot={record.version}" in html_text
    assert record.version in html_text and "DRAFT" not in html_text


def test_suppressed_values_never_reach_the_pack(pack_settings):
    record = build_pack(pack_settings, pack_store.ALL_AREAS, OCTOBER, "html")
    html_text = pack_bytes(pack_settings, record).decode("utf-8")
    numbers = numbers_in(html_text)
    hidden, shown = _suppressed_and_shown(pack_settings, list(numbers["metrics"]))
    assert hidden, "the sample has suppressed area months in the board's metrics"
    for metric_id, org_code, month, _ in hidden:
        points = {p[0]: p for p in numbers["metrics"][metric_id][org_code]["points"]}
        assert points[month][1] is None, (metric_id, org_code, month)
    # Nor is any suppressed value anywhere in the document (numbers, tables, charts): each
    # exact value long enough to be told apart (a short one like 4.0 is in the charts' SVG).
    exact = {repr(v) for *_, v in hidden if len(repr(v)) >= 8} - {repr(v) for v in shown}
    assert exact and not [text for text in exact if text in html_text]
    decedents = numbers["metrics"]["decedents_3plus_nel_last_100_days"][HOLLINSDALE]
    if decedents["suppressed"]:
        assert decedents["value"] is None and decedents["change"] is None


def _suppressed_and_shown(settings, metric_ids: list) -> tuple[list, list]:
    version = current_version(settings)
    with duckdb.connect(str(snapshot_path(settings, version)), read_only=True) as connection:
        rows = connection.execute(
            "SELECT metric_id, org_code, strftime(period_start, '%Y-%m-%d'), value, suppressed "
            "FROM spc_points WHERE level = 'area' AND segment = 'all' AND value IS NOT NULL "
            "AND period_start <= DATE '2026-10-01' AND list_contains(?, metric_id)",
            [metric_ids],
        ).fetchall()
    hidden = [row[:4] for row in rows if row[4]]
    return hidden, [row[3] for row in rows if not row[4]]


def test_a_pdf_pack_is_a_real_pdf_of_the_same_document(pack_settings):
    record = build_pack(pack_settings, TYNEBRIDGE, OCTOBER, "pdf")
    data = pack_bytes(pack_settings, record)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"/Title (Board pack: Tynebridge Place, October 2026)" in data
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    assert pages >= 2 + BOARD_METRICS  # the cover, the matrix, a page per metric at least
    assert record.format == "pdf" and record.file_name.endswith(".pdf")


@pytest.mark.parametrize(
    ("area", "month", "fmt", "version", "message"),
    [
        ("E99999999", OCTOBER, "html", None, "there is no area 'E99999999' in snapshot"),
        (HOLLINSDALE, date(2019, 10, 1), "html", None, "holds no month October 2019"),
        (HOLLINSDALE, OCTOBER, "docx", None, "'docx' is not a pack format"),
        (HOLLINSDALE, OCTOBER, "html", "snapshot-20000101T000000000000Z", "no kept snapshot"),
    ],
)
def test_a_bad_request_says_why_and_writes_nothing(
    pack_settings, area, month, fmt, version, message
):
    before = pack_store.list_packs(pack_settings)
    folder = pack_store.packs_dir(pack_settings)
    files = sorted(folder.iterdir()) if folder.exists() else []
    with pytest.raises(PackError, match=re.escape(message)):
        build_pack(pack_settings, area, month, fmt, version)
    assert pack_store.list_packs(pack_settings) == before
    assert (sorted(folder.iterdir()) if folder.exists() else []) == files


def test_commentary_not_yet_approved_is_not_printed_and_the_cover_counts_it(pack_settings):
    period = board_period_of(OCTOBER)
    waiting = commentary.write(
        pack_settings, "bed_days_elective", TYNEBRIDGE, period,
        "Elective bed days: a draft line nobody has approved.", "analyst.jo",
    )  # fmt: skip
    record = build_pack(pack_settings, TYNEBRIDGE, OCTOBER, "html")
    html_text = pack_bytes(pack_settings, record).decode("utf-8")
    assert numbers_in(html_text)["metrics"]["bed_days_elective"][TYNEBRIDGE]["comment"] is None
    assert "a draft line nobody has approved" not in html_text
    assert "Commentary on 1 metric awaits approval" in html_text
    commentary.approve(pack_settings, waiting.id, "admin.sam")
    record = build_pack(pack_settings, TYNEBRIDGE, OCTOBER, "html")
    html_text = pack_bytes(pack_settings, record).decode("utf-8")
    assert numbers_in(html_text)["metrics"]["bed_days_elective"][TYNEBRIDGE]["comment"] == {
        "id": waiting.id, "text": "Elective bed days: a draft line nobody has approved."
    }  # fmt: skip
    assert "None awaiting approval" in html_text


def test_values_have_the_boards_decimals(pack_settings):
    # A percentage with a small target shows two decimals on the board (formats.decimals):
    # the pack must too, not the one decimal of a percentage without a target.
    metric = "decedents_nel_last_100_days"
    version = copy_snapshot(
        pack_settings, current_version(pack_settings), "snapshot-20970101T000000000000Z",
        f"UPDATE indicators SET target_value = 0.5 WHERE id = '{metric}'",
    )  # fmt: skip
    value = _published(pack_settings, metric, HOLLINSDALE, OCTOBER)
    assert value is not None
    record = build_pack(pack_settings, HOLLINSDALE, OCTOBER, "html", version=version)
    html_text = pack_bytes(pack_settings, record).decode("utf-8")
    section = html_text[html_text.index(f'id="metric-{metric}"') :]
    assert f"Latest value (October 2026)<b>{value:,.2f}%</b>" in section


def test_the_pdf_is_printed_with_the_browser_the_charts_are_drawn_with(monkeypatch):
    from dashboard.figures import static
    from dashboard.pack import render
    from wholesystem.errors import UserError

    monkeypatch.setattr(static, "browser_path", lambda: "/opt/chrome/chrome")
    monkeypatch.setattr(render.os, "geteuid", lambda: 1000)
    assert render._launch_options() == {
        "headless": True, "executable_path": "/opt/chrome/chrome", "args": []
    }  # fmt: skip
    monkeypatch.setattr(render.os, "geteuid", lambda: 0)  # root: Chromium's sandbox cannot start
    assert render._launch_options()["args"] == ["--no-sandbox"]

    def no_browser():
        raise UserError(static.NO_CHROMIUM)

    monkeypatch.setattr(static, "browser_path", no_browser)
    with pytest.raises(UserError, match="or ask for the HTML pack with --format html"):
        render._launch_options()
