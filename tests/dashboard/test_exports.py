"""Downloads (`dashboard.exports`) of the real dashboard on the sample snapshot: behind the
login, within the user's scope (an org outside it is refused, never answered empty), with
suppressed cells masked in the CSV, the XLSX and the chart, an XLSX "About" sheet, and
captioned PNG and SVG images of the size asked for."""

from __future__ import annotations

import csv
import io
import re
import struct
from datetime import date

import duckdb
import openpyxl
import pandas as pd
import pytest
from flask_login import login_user

from dashboard import access, exports, users
from dashboard.app import create_app
from dashboard.pages import board_data
from dashboard.scope import Scope
from metrics import serving
from tests.dashboard.test_security import sign_in
from wholesystem.settings import Settings

PASSWORD = "Quiet-Harbour-Lantern-42"
LOCALITY = "HDC"  # Hollinsdale Coast, in the Hollinsdale Place area (E38000992)
# A practice series with two suppressed months among 36 (immunisation counts of 1 to 7).
SUPPRESSED_SERIES = {"metric": "imm_dtap_8m", "level": "practice", "org": "X20010"}
BOARD_AREA = "E38000992"


@pytest.fixture(scope="module")
def settings(published_sample, tmp_path_factory) -> Settings:
    data_dir = tmp_path_factory.mktemp("exports") / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(published_sample.serving_dir)
    settings = Settings(data_dir=data_dir, secret_key="test-secret")
    users.add_user(settings, "lead", "viewer", f"locality:{LOCALITY}", PASSWORD)
    users.add_user(settings, "adam", "admin", None, PASSWORD)
    users.add_user(settings, "ana", "analyst", None, PASSWORD)
    return settings


@pytest.fixture(scope="module")
def app(settings):
    return create_app(settings)


def _client(app, name: str):
    client = app.server.test_client()
    assert sign_in(client, name, PASSWORD).status_code == 302
    return client


@pytest.fixture
def lead(app):
    return _client(app, "lead")


@pytest.fixture
def admin(app):
    return _client(app, "adam")


def _query(**parts) -> str:
    return "&".join(f"{key}={value}" for key, value in parts.items())


def _rows(body: bytes) -> list[dict]:
    assert body.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_without_a_session_a_download_redirects_to_the_sign_in_page(app):
    response = app.server.test_client().get("/download/board.csv?area=E38000992")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/download/board.csv")
    assert b"Area" not in response.data


OUTSIDE = [  # (download, query) asking for an org outside HDC's scope, and the sentence
    ("drilldown-indicators.csv", "org=TBC", "There is no organisation with the code 'TBC'"),
    ("drilldown-children.xlsx", "org=E38000991", "There is no organisation with the code"),
    ("indicator-spc.csv", "metric=bed_days&level=locality&org=TBC", "There is no locality 'TBC'"),
    ("indicator-spc.png", "metric=bed_days&level=locality&org=HDR", "There is no locality 'HDR'"),
    ("indicator-funnel.csv", "metric=bed_days&level=network&org=U91003", "no network 'U91003'"),
    ("networks-league.csv", "network=U91003&kpi=dm_bp_control", "no network with the code"),
    ("networks-exceptions.csv", "network=U91003&kpi=dm_bp_control", "no network with the code"),
    ("board.csv", "area=E38000991", "Area 'E38000991' is not one you can see."),
]


@pytest.mark.parametrize(("name", "query", "sentence"), OUTSIDE)
def test_an_org_outside_the_scope_is_refused_with_no_rows(lead, name, query, sentence):
    response = lead.get(f"/download/{name}?{query}")
    assert response.status_code == 404
    assert response.mimetype == "text/plain"
    assert sentence in response.get_data(as_text=True)
    assert "Content-Disposition" not in response.headers


def test_a_practice_outside_the_scope_is_refused(lead, settings):
    access.configure(settings)
    practices = access.org_units(Scope.whole_system(), "practice")
    outside = practices.loc[practices["parent_code"] == "U91003", "org_code"].iloc[0]
    response = lead.get(f"/download/practice-spine.csv?org={outside}")
    assert response.status_code == 404 and outside in response.get_data(as_text=True)


@pytest.fixture(scope="module")
def outside_names(app) -> set[str]:
    orgs = access.org_units(Scope.whole_system())
    visible = access.visible(Scope("locality", LOCALITY))
    return set(orgs.loc[~orgs["org_code"].isin(visible), "org_name"])


@pytest.mark.parametrize(
    "url",
    [
        "/download/board.csv",
        "/download/networks-heatmap.csv",
        "/download/indicator-ranked.csv?metric=bed_days&level=locality",
        "/download/drilldown-children.csv?org=E38000992",
        "/download/indicator-ranked.svg?metric=bed_days&level=network",
    ],
)
def test_the_scope_s_own_downloads_name_no_org_outside_it(lead, outside_names, url):
    response = lead.get(url)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert len(body) > 200
    assert sorted(name for name in outside_names if name in body) == []


@pytest.fixture(scope="module")
def hidden_values(settings) -> dict:
    """The published values of SUPPRESSED_SERIES' suppressed months, read from the
    snapshot file itself (access would mask them): month -> exact value."""
    (path,) = sorted(settings.serving_dir.glob("*.duckdb"))[-1:]
    with duckdb.connect(str(path), read_only=True) as connection:
        rows = connection.execute(
            """SELECT period_start, value FROM spc_points
               WHERE metric_id = ? AND org_code = ? AND segment = 'all' AND suppressed""",
            [SUPPRESSED_SERIES["metric"], SUPPRESSED_SERIES["org"]],
        ).fetchall()
    assert len(rows) == 2 and all(value is not None for _, value in rows)
    return {pd.Timestamp(month).date().isoformat(): value for month, value in rows}


def test_a_suppressed_month_is_masked_in_the_csv(admin, hidden_values):
    body = admin.get(f"/download/indicator-spc.csv?{_query(**SUPPRESSED_SERIES)}").data
    rows = {row["Month"]: row for row in _rows(body)}
    assert len(rows) == 36
    for month in hidden_values:
        assert rows[month]["Value"] == "*"
        assert rows[month]["Cause"] == "Suppressed"
    text = body.decode("utf-8-sig")
    assert [v for v in map(repr, hidden_values.values()) if v in text] == []
    shown = [row for month, row in rows.items() if month not in hidden_values]
    assert all(re.fullmatch(r"\d+(\.\d+)?", row["Value"]) for row in shown)


def test_a_suppressed_month_is_masked_in_the_xlsx(admin, hidden_values):
    body = admin.get(f"/download/indicator-spc.xlsx?{_query(**SUPPRESSED_SERIES)}").data
    book = openpyxl.load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["Data", "About"]
    sheet = book["Data"]
    header = [cell.value for cell in sheet[1]]
    assert header[:5] == ["Month", "Value", "Mean", "Lower process limit", "Upper process limit"]
    values = {row[0].value.date().isoformat(): row[1] for row in sheet.iter_rows(min_row=2)}
    for month in hidden_values:
        assert values[month].value == "*"
    numbers = [cell for month, cell in values.items() if month not in hidden_values]
    assert all(isinstance(cell.value, float) for cell in numbers)
    assert numbers[0].number_format == '#,##0.0"%"'  # the page's decimals and its % sign
    every = {cell.value for row in sheet.iter_rows() for cell in row}
    assert set(hidden_values.values()) & every == set()


def test_a_suppressed_month_is_not_in_the_image(app, settings, admin, hidden_values):
    """The chart drawn into the PNG and SVG has a gap at each suppressed month: no trace
    holds a value there, and the value is nowhere in the SVG."""
    with app.server.test_request_context():
        login_user(users.get_user(settings, "adam"))
        export = exports.registered()["indicator-spc"].builder(dict(SUPPRESSED_SERIES))
        figure = exports.image_figure(export)
    months = {pd.Timestamp(month) for month in hidden_values}
    drawn = [
        (pd.Timestamp(x), y)
        for trace in figure.data
        if trace.x is not None and trace.y is not None
        for x, y in zip(trace.x, trace.y, strict=True)
        if isinstance(x, str | date | pd.Timestamp) and y is not None and not pd.isna(y)
    ]
    assert len(drawn) > 30  # the values, the mean and the limits are drawn
    assert [y for x, y in drawn if x in months and y in set(hidden_values.values())] == []
    body = admin.get(f"/download/indicator-spc.svg?{_query(**SUPPRESSED_SERIES)}").data
    assert body.startswith(b"<svg")
    assert [v for v in map(repr, hidden_values.values()) if v in body.decode()] == []


def test_a_suppressed_org_is_starred_in_the_charts_data(admin):
    """nel_last_100_days has many practices with counts of 1 to 7: their row keeps its name
    and code, and every count, value and interval is "*"."""
    url = "/download/indicator-funnel.csv?metric=nel_last_100_days&level=practice"
    rows = _rows(admin.get(url).data)
    starred = [row for row in rows if row["Value"] == "*"]
    assert starred and len(starred) < len(rows)
    for row in starred:
        assert row["Code"] and row["Organisation"]
        assert {row[c] for c in ("Numerator", "Denominator", "95% CI lower", "95% CI upper")} == {
            "*"
        }


def test_the_xlsx_about_sheet_says_what_the_table_is(admin, settings):
    response = admin.get("/download/indicator-spc.xlsx?metric=bed_days&level=area&org=E38000992")
    about = openpyxl.load_workbook(io.BytesIO(response.data))["About"]
    fields = {row[0].value: row[1].value for row in about.iter_rows()}
    assert list(fields) == [
        "Title", "Organisation", "Period", "Definition", "Source", "Snapshot version",
        "Disclosure", "Generated at", "Generated by",
    ]  # fmt: skip
    version = access.shown_version()
    assert fields["Title"] == "Total bed days: SPC chart"
    assert fields["Organisation"] == "Hollinsdale Place (area)"
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{4} to [A-Z][a-z]{2} \d{4}, monthly", fields["Period"])
    assert fields["Definition"] == exports.one_line(access.indicator("bed_days")["description"])
    assert fields["Source"].startswith("Source: wholesystem")
    assert "Hospital admissions (SUS/HES spells)" in fields["Source"]
    assert fields["Snapshot version"] == version
    # The default sample rounds the board indicators' counts (HES rule), bed days among them.
    assert fields["Disclosure"] == f"{BOARD_ROUNDED} {exports.DISCLOSURE_NOTE}"
    assert fields["Generated by"] == "adam"
    name = response.headers["Content-Disposition"]
    assert name == f'attachment; filename="indicator-spc_E38000992_month-2026-10_{version}.xlsx"'


def test_the_svg_carries_title_org_period_source_and_version(admin):
    url = "/download/indicator-ranked.svg?metric=bed_days&level=locality&org=HDC"
    text = admin.get(url).get_data(as_text=True)
    version = access.shown_version()
    for words in (
        "Total bed days: localities compared, ranked, with 95% confidence intervals",
        "Hollinsdale Coast (locality), October 2026",
        "Source: wholesystem",
        f"Snapshot version {version}.",
    ):
        assert words in text, words


def _png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    assert body[12:16] == b"IHDR"
    return struct.unpack(">II", body[16:24])


def test_the_png_is_a_png_of_the_size_asked_for(admin):
    url = "/download/networks-heatmap.png?width=900&height=700&scale=2"
    response = admin.get(url)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert _png_size(response.data) == (1800, 1400)
    assert 'filename="networks-heatmap_month-2026-10_' in response.headers["Content-Disposition"]


def test_bad_requests_get_one_sentence(admin):
    assert admin.get("/download/nothing.csv").status_code == 404
    assert admin.get("/download/board.png").status_code == 404  # a table has no image
    response = admin.get("/download/practice-spine.png?width=99999")
    assert response.status_code == 400
    assert response.get_data(as_text=True) == "The width must be a whole number from 300 to 4000."
    response = admin.get("/download/board.csv?period=2001-01-01")
    assert response.get_data(as_text=True) == "There is no published month '2001-01-01'."


def test_an_image_of_too_many_pixels_is_refused_before_it_is_drawn(admin, monkeypatch):
    drawn = []
    monkeypatch.setattr(exports.static, "render", lambda *args, **kw: drawn.append(kw))
    for size in ("width=4000&height=4000&scale=4", "width=2001&height=2000&scale=2"):
        response = admin.get(f"/download/networks-heatmap.png?{size}")
        assert response.status_code == 400
        assert response.get_data(as_text=True).endswith(
            "the most is 16,000,000 (for example 4000 x 4000, or 2000 x 2000 at scale 2): "
            "ask for a smaller one."
        )
    text = admin.get("/download/networks-heatmap.png?width=4000&height=4000&scale=4").text
    assert text.startswith("A 4000 x 4000 image at scale 4 would have 256,000,000 pixels;")
    assert drawn == []
    assert (
        admin.get("/download/networks-heatmap.png?width=2000&height=2000&scale=2").status_code
        == 200
    )
    assert drawn == [{"width": 2000, "height": 2000, "scale": 2}]


ADMIN_ONLY = ("users", "users-sign-ins", "users-changes")


def test_the_snapshots_and_users_tables_download_only_for_the_roles_of_their_pages(app, lead):
    analyst = _client(app, "ana")
    for fmt in ("csv", "xlsx"):
        assert lead.get(f"/download/snapshots.{fmt}").status_code == 403
        assert analyst.get(f"/download/snapshots.{fmt}").status_code == 200
        for export in ADMIN_ONLY:
            for client in (lead, analyst):
                response = client.get(f"/download/{export}.{fmt}?user=adam")
                assert response.status_code == 403, (export, fmt)
                assert b"adam" not in response.data


def test_the_snapshots_table_is_the_kept_snapshots(admin, settings):
    rows = _rows(admin.get("/download/snapshots.csv").data)
    kept = serving.kept_versions(settings)
    assert [row["Version"] for row in rows] == [entry.version for entry in kept]
    released = serving.released_version(settings)
    current = next(row for row in rows if row["Version"] == released)
    assert current["State"].endswith("; viewers see this one")
    assert current["Months covered"] == "Nov 2023 to Oct 2026"


def test_the_users_table_and_audit_are_the_page_s_rows(admin, lead):
    rows = _rows(admin.get("/download/users.csv").data)
    assert [(row["Name"], row["Role"], row["Scope"]) for row in rows] == [
        ("adam", "Admin", "Whole system"),
        ("ana", "Analyst", "Whole system"),
        ("lead", "Viewer", "Locality: Hollinsdale Coast (HDC)"),
    ]
    assert set(rows[0]) == {"Name", "Role", "Scope", "Active", "Last sign-in", "Sign-in locked"}
    sign_ins = _rows(admin.get("/download/users-sign-ins.csv?user=lead").data)
    assert sign_ins and {row["User"] for row in sign_ins} == {"lead"}
    assert {row["Event"] for row in sign_ins} == {"Signed in"}


def test_a_snapshot_that_is_not_kept_is_refused_not_replaced(admin):
    response = admin.get("/download/board.csv?snapshot=snapshot-20000101T000000000000Z")
    assert response.status_code == 404
    assert response.get_data(as_text=True) == (
        "Snapshot 'snapshot-20000101T000000000000Z' is not one you can download: it is not "
        "kept, or not released."
    )


def test_the_board_table_is_the_board_s_rows(admin, settings):
    rows = _rows(admin.get(f"/download/board.csv?area={BOARD_AREA}").data)
    access.configure(settings)
    expected = board_data.metric_rows(Scope.whole_system(), BOARD_AREA, access.months()[-1])
    assert [row["Metric id"] for row in rows] == expected["metric_id"].tolist()
    for row, value, hidden in zip(rows, expected["value"], expected["suppressed"], strict=True):
        shown = "*" if hidden else ("" if pd.isna(value) else repr(float(value)))
        assert row["Value"] == shown, row["Metric id"]


def test_a_csv_cell_a_spreadsheet_would_run_as_a_formula_is_text(settings):
    access.configure(settings)
    frame = pd.DataFrame(
        {"Commentary": ["=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)", "-2 pts", "fell 2%"],
         "Change": [-1.5, 2.0, None, 0.25, -3.0]}
    )  # fmt: skip
    body = exports.csv_bytes(exports.Export(title="t", frame=frame))
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [
        ["Commentary", "Change"], ["'=HYPERLINK(\"http://x\")", "-1.5"], ["'+1", "2.0"],
        ["'@SUM(A1)", ""], ["'-2 pts", "0.25"], ["fell 2%", "-3.0"],
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("unit", "target", "signed", "code"),
    [
        ("% of the register", 75.0, False, '#,##0.0"%"'),
        ("% of registered adults", 2.0, False, '#,##0.00"%"'),  # a target under 10%
        ("people", None, False, "#,##0"),
        ("EQ-5D index", None, False, "#,##0.000"),
        ("% of the register", None, True, '+#,##0.0" pts";-#,##0.0" pts";#,##0.0" pts"'),
        ("bed days per 1,000", None, True, "+#,##0.0;-#,##0.0;#,##0.0"),
    ],
)
def test_excel_number_formats_follow_the_page_s_decimals(unit, target, signed, code):
    assert exports.number_format(unit, target, signed=signed) == code


BOARD_ROUNDED = (
    "Counts of the Northumbria group's indicators are rounded to the nearest 5, and values, "
    "limits and comparisons are computed from the rounded counts, means and standardised "
    "rates to the decimals shown (HES rule)."
)


def test_the_disclosure_note_names_the_hes_rule_when_the_snapshot_used_it(settings, monkeypatch):
    # Outside a request: masked. The default sample rounds the board indicators' counts.
    assert exports.disclosure_note() == f"{BOARD_ROUNDED} {exports.DISCLOSURE_NOTE}"
    exact = {k: v for k, v in access.snapshot_info().items() if k != "disclosure_rule"}
    monkeypatch.setattr(access, "snapshot_info", lambda: exact)
    assert exports.disclosure_note() == exports.DISCLOSURE_NOTE
    info = dict(access.snapshot_info(), disclosure_rule="hes")
    monkeypatch.setattr(access, "snapshot_info", lambda: info)
    assert exports.disclosure_note() == (
        "Counts are rounded to the nearest 5, and values, limits and comparisons are computed "
        "from the rounded counts, means and standardised rates to the decimals shown (HES "
        f"rule). {exports.DISCLOSURE_NOTE}"
    )
    # An analyst allowed small numbers sees rounded counts, never the small count itself.
    monkeypatch.setattr(access, "masks", lambda: False)
    analyst_note = exports.disclosure_note()
    assert analyst_note.endswith(
        "(0 or 5 for a count from 1 to 7). Do not share this file beyond those allowed to see them."
    )
