"""Static chart images (`dashboard.figures.static`): the words drawn into a captioned
chart, PNG and SVG through Kaleido, and one sentence where no Chromium is installed."""

from __future__ import annotations

import struct
import warnings

import plotly.graph_objects as go
import pytest
from choreographer.browsers import chromium
from choreographer.browsers.chromium import Chromium

from dashboard.figures import static
from dashboard.figures.spc_chart import theme_legend
from wholesystem.errors import UserError

WORDS = {
    "title": "Total bed days: SPC chart",
    "org": "Hollinsdale Coast (locality)",
    "period": "October 2026",
    "source": "Source: wholesystem",
    "version": "snapshot-20261205T1",
}


def _chart() -> go.Figure:
    figure = go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2], name="Value"))
    figure.update_layout(height=400, margin={"t": 40, "b": 40, "l": 90}, legend=theme_legend())
    return figure


def test_captioned_draws_title_org_period_source_and_version():
    shown = static.captioned(_chart(), **WORDS)
    assert shown.layout.title.text == WORDS["title"]
    assert shown.layout.title.subtitle.text == "Hollinsdale Coast (locality), October 2026"
    (footer,) = shown.layout.annotations
    assert footer.text == "Source: wholesystem.<br>Snapshot version snapshot-20261205T1."
    # The legend leaves the foot of the image to the footer, and the plot keeps its height.
    assert shown.layout.legend.yref == "paper" and shown.layout.legend.y < 0
    top, bottom = shown.layout.margin.t, shown.layout.margin.b
    assert shown.layout.height - top - bottom == 400 - 40 - 40
    assert _chart().layout.title.text is None  # the page's figure is left as it was


def test_the_svg_holds_the_words_and_the_png_is_the_size_asked_for():
    shown = static.captioned(_chart(), **WORDS)
    svg = static.render(shown, "svg").decode()
    for words in ("Total bed days: SPC chart", "Hollinsdale Coast (locality), October 2026",
                  "Source: wholesystem.", "Snapshot version snapshot-20261205T1."):  # fmt: skip
        assert words in svg, words
    png = static.render(shown, "png", width=640, height=480, scale=2)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1280, 960)


def test_another_format_is_refused():
    with pytest.raises(ValueError, match="'pdf' is not an image format"):
        static.render(_chart(), "pdf")


def test_without_chromium_one_sentence_says_so(monkeypatch):
    monkeypatch.setattr(static, "_started", False)
    monkeypatch.setattr(Chromium, "find_browser", classmethod(lambda cls, **kw: None))
    with pytest.raises(UserError, match="no Chromium or Chrome browser was found"):
        static.render(_chart(), "png")


def test_an_image_is_drawn_without_a_warning():
    # Kaleido warned on every image that plotly.io.to_image passed it options its running
    # server had already taken; render calls Kaleido itself, so nothing is left to hide.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        static.render(_chart(), "svg")
        static.render(_chart(), "png", width=320, height=200)


def test_browser_path_honours_browser_path(monkeypatch, tmp_path):
    for finder in ("get_chrome_download_path", "get_old_chrome_download_path"):
        monkeypatch.setattr(chromium, finder, lambda **kw: None)  # no browser Kaleido fetched
    browser = tmp_path / "my-chromium"
    monkeypatch.setenv("BROWSER_PATH", str(browser))
    with pytest.raises(UserError, match="no Chromium or Chrome browser was found"):
        static.browser_path()  # named, but not there
    browser.write_bytes(b"")
    assert static.browser_path() == str(browser)


def test_browser_path_without_a_browser_is_one_sentence(monkeypatch):
    monkeypatch.setattr(Chromium, "find_browser", classmethod(lambda cls, **kw: None))
    with pytest.raises(UserError, match="^Charts cannot be drawn as images because no Chromium"):
        static.browser_path()


def test_an_image_of_more_than_sixteen_million_pixels_is_refused():
    assert static.pixels(4000, 4000) == static.pixels(2000, 2000, 2) == static.MAX_PIXELS
    with pytest.raises(ValueError, match="a 2000 x 2001 image at scale 2 is too large to draw"):
        static.render(_chart(), "png", width=2000, height=2001, scale=2)
    with pytest.raises(ValueError, match="a 1100 x 400 image at scale 10 is too large"):
        static.render(_chart(), "png", scale=10)  # the figure's own size


@pytest.fixture
def nothing_kept(monkeypatch):
    """An empty store of kept images for the test, the process's own left as it was."""
    monkeypatch.setattr(static, "_kept", static.OrderedDict())
    monkeypatch.setattr(static, "_kept_bytes", 0)


def test_an_image_drawn_again_is_the_one_kept(monkeypatch, nothing_kept):
    import kaleido

    drawn = []
    monkeypatch.setattr(kaleido, "calc_fig_sync", lambda fig, opts: drawn.append(opts) or b"x")
    static.render(_chart(), "svg")
    static.render(_chart(), "svg")  # the same figure and options: kept
    static.render(_chart(), "svg", width=640)  # another size: drawn
    other = _chart().update_layout(title="Another chart")
    static.render(other, "svg")
    assert [opts["width"] for opts in drawn] == [1100, 640, 1100]
    assert len(static._kept) == 3 and static._kept_bytes == 3


def test_kept_images_are_dropped_oldest_first_beyond_their_budget(monkeypatch, nothing_kept):
    import kaleido

    monkeypatch.setattr(static, "KEPT_IMAGE_BYTES", 12)  # three images
    monkeypatch.setattr(kaleido, "calc_fig_sync", lambda fig, opts: b"1234")
    for width in (100, 200, 300):
        static.render(_chart(), "png", width=width)
    static.render(_chart(), "png", width=100)  # used again: now the newest
    static.render(_chart(), "png", width=400)
    assert len(static._kept) == 3 and static._kept_bytes == 12  # 200, the oldest, dropped
    drawn = []
    monkeypatch.setattr(kaleido, "calc_fig_sync", lambda fig, opts: drawn.append(opts) or b"1234")
    static.render(_chart(), "png", width=100)  # kept
    static.render(_chart(), "png", width=200)  # dropped, so drawn again
    assert [opts["width"] for opts in drawn] == [200]


def test_a_kept_image_does_not_hide_a_missing_browser(monkeypatch, nothing_kept):
    import kaleido

    monkeypatch.setattr(kaleido, "calc_fig_sync", lambda fig, opts: b"x")
    static.render(_chart(), "svg")
    monkeypatch.setattr(static, "_started", False)
    monkeypatch.setattr(Chromium, "find_browser", classmethod(lambda cls, **kw: None))
    with pytest.raises(UserError, match="no Chromium or Chrome browser was found"):
        static.render(_chart(), "svg")
