"""Every table and chart on every page has download links beside it, each link names a
registered download, and every link of every page downloads (CSV, XLSX, and PNG and SVG
for a chart), as the page is served to a signed-in admin."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from dashboard import exports, users
from dashboard.app import create_app
from tests.dashboard.test_security import callback, route, sign_in
from wholesystem.settings import Settings

PASSWORD = "Quiet-Harbour-Lantern-42"
# Per page view: each table and chart in page order, as (kind, id or None), with the
# download that covers it (the links nearest before it). A chart's "as a table"
# alternative is its data, so the chart's links cover it.
PAGES = {
    ("/", ""): [
        ("Table", "board-matrix-table", "board-matrix"),
        ("Table", "board-table", "board"),
        ("Table", "board-freshness", "board-freshness"),
    ],
    ("/indicator/bed_days", "?level=area&org=E38000992"): [
        ("Graph", "indicator-spc", "indicator-spc"),
        ("Table", "indicator-spc-table", "indicator-spc"),
        ("Graph", "indicator-ranked", "indicator-ranked"),
        ("Graph", "indicator-funnel", "indicator-funnel"),
        ("Table", "indicator-peer-table", "indicator-funnel"),
    ],
    ("/networks", ""): [
        ("Graph", "networks-heatmap", "networks-heatmap"),
        ("Table", None, "networks-heatmap"),
        ("Table", None, "networks-league"),
        ("Table", None, "networks-exceptions"),
    ],
    ("/drilldown", "?org=HDC"): [("Table", None, "drilldown-children")],
    ("/practice", ""): [
        ("Graph", "practice-spine", "practice-spine"),
        ("Table", None, "practice-spine"),
        ("Table", "peer-group-table", "peer-group"),
    ],
    ("/status", ""): [("Table", "status-feeds", "status-feeds")],
    ("/snapshots", ""): [("Table", "snapshots-list", "snapshots")],
    ("/users", ""): [
        ("Table", "users-list", "users"),
        ("Table", "users-sign-ins", "users-sign-ins"),
    ],
}
# Downloads whose content is not a drawn table: the drill-down's cards and context strip,
# the definitions' cards, and the quarantine table (the sample quarantines no row, so the
# page says so in a sentence; the links stay for analysts and admins), and the changes by
# admins (none made here).
CARDS = {"drilldown-indicators", "definitions", "status-quarantine", "users-changes"}
DEFINITIONS_LIST = (
    "..definitions-list.children...definitions-count.children...definitions-url.search.."
)


@pytest.fixture(scope="module")
def client(published_sample, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("exports-pages") / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(published_sample.serving_dir)
    settings = Settings(data_dir=data_dir, secret_key="test-secret")
    users.add_user(settings, "adam", "admin", None, PASSWORD)
    client = create_app(settings).server.test_client()
    assert sign_in(client, "adam", PASSWORD).status_code == 302
    return client


def _walk(node, found: list) -> list:
    """(kind, id or export, hrefs) of each table, chart and download links, in page order."""
    if isinstance(node, dict):
        props = node.get("props") if isinstance(node.get("props"), dict) else {}
        if node.get("type") in ("Table", "Graph"):
            found.append((node["type"], props.get("id"), None))
        if props.get("data-export"):
            hrefs = [child["props"]["href"] for child in props["children"][1:]]
            found.append(("links", props["data-export"], hrefs))
        for value in node.values():
            _walk(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk(value, found)
    return found


def _page(client, path: str, search: str) -> list:
    return _walk(json.loads(route(client, path, search)), [])


def _covered(found: list) -> list:
    """Each table and chart with the downloads whose links come before it on the page,
    nearest first (the board's table is downloaded from the bar above its matrix)."""
    covered, links = [], []
    for kind, name, _ in found:
        if kind == "links":
            links.insert(0, name)
        else:
            covered.append((kind, name, list(links)))
    return covered


@pytest.mark.parametrize(("path", "search"), list(PAGES))
def test_every_table_and_chart_has_download_links(client, path, search):
    covered = _covered(_page(client, path, search))
    assert [(kind, name) for kind, name, _ in covered] == [
        (k, n) for k, n, _ in PAGES[path, search]
    ]
    for (kind, name, before), (*_, export) in zip(covered, PAGES[path, search], strict=True):
        assert export in before, (kind, name)
        # Beside it: the nearest links, but for the board's table (see above).
        assert before[0] == export or name == "board-table", (kind, name, before)


def _all_links(client) -> dict[str, list[str]]:
    links = {}
    for path, search in PAGES:
        for kind, name, hrefs in _page(client, path, search):
            if kind == "links":
                links[name] = hrefs
    search = [("definitions-search", "value", "bed days"), ("definitions-selected", "data", None)]
    answer = callback(client, DEFINITIONS_LIST, search)
    for kind, name, hrefs in _walk(json.loads(answer), []):
        if kind == "links":
            links[name] = hrefs
    return links


def test_every_download_on_the_pages_is_registered_and_every_one_of_ours_is_linked(client):
    links = _all_links(client)
    expected = {export for views in PAGES.values() for *_, export in views} | CARDS
    assert set(links) == expected
    assert expected <= set(exports.registered())


def test_every_link_downloads_in_each_of_its_formats(client):
    for export, hrefs in _all_links(client).items():
        formats = [urlsplit(href).path.rsplit(".", 1)[1] for href in hrefs]
        chart = exports.registered()[export].chart
        assert formats == (["png", "svg", "csv", "xlsx"] if chart else ["csv", "xlsx"]), export
        for href in hrefs:
            assert "snapshot=" in href  # the snapshot shown, so a later publish changes nothing
            response = client.get(href)
            assert response.status_code == 200, (href, response.get_data(as_text=True))
            assert response.headers["Content-Disposition"].startswith(
                f'attachment; filename="{export}_'
            )
            assert len(response.data) > 30, href  # at least a header
