"""Static images of charts (PNG and SVG) that stand alone: Plotly's own export through
Kaleido, which drives the Chromium the browser tests already use.

`captioned(figure, ...)` returns a copy of a chart with its title, organisation and period
at the top and the source and snapshot version in a footer, drawn into the image (not
only in its metadata), so a downloaded chart or one in a board pack says what it is.
`render(figure, fmt)` returns the image's bytes.

Kaleido starts Chromium once per process, on the first image (`kaleido.start_sync_server`),
after which an image takes about 0.1-0.3 s instead of about 1.6 s. Its one server answers
one request at a time from a shared queue, so every call here holds a lock: concurrent
requests (the threaded server, gunicorn's threads) wait their turn instead of mixing
their answers. The images last drawn are kept, by a digest of the figure and the options:
a board pack asked for again, or a chart downloaded again, comes from the same snapshot's
same figures, and a pack's 23 charts took 7.9 of its 11 s to draw.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

from dashboard import theme
from wholesystem.errors import UserError

FORMATS = ("png", "svg")
DEFAULT_WIDTH = 1100
DEFAULT_HEIGHT = 600
HEADER_PX = 96  # the title and one line of organisation and period
FOOTER_PX = 48  # two or three lines: the source and the snapshot version
AXIS_PX = 64  # under the plot: the tick labels and the axis title, then the legend
LEGEND_PX = 44  # one or two rows of legend
FOOTER_WIDTH = 150  # characters a footer line holds before it wraps
# The most pixels an image may have (width x height x scale squared): 16 million is a
# 4000 x 4000 image, or 2000 x 2000 at scale 2. Kaleido draws one image at a time for
# the whole process, so a larger one would hold every other request up.
MAX_PIXELS = 16_000_000
NO_CHROMIUM = (
    "Charts cannot be drawn as images because no Chromium or Chrome browser was found; "
    "install one (for example `apt-get install chromium`) or set BROWSER_PATH to it."
)

# Images kept, most recently used last, to this many bytes (a locality pack's 23 charts
# are about 0.5 MB as SVG); older ones are dropped first.
KEPT_IMAGE_BYTES = 64 * 1024 * 1024

_lock = threading.Lock()
_started = False
_kept: OrderedDict[str, bytes] = OrderedDict()
_kept_bytes = 0


def render(figure: go.Figure, fmt: str, *, width: int | None = None, height: int | None = None,
           scale: float = 1) -> bytes:  # fmt: skip
    """Returns the figure as PNG or SVG bytes, `width` by `height` CSS pixels (the figure's
    own height, else DEFAULT_HEIGHT; DEFAULT_WIDTH wide), a PNG `scale` times as many pixels.

    Raises ValueError for another format or more than MAX_PIXELS, and UserError (one
    sentence) without Chromium.
    """
    if fmt not in FORMATS:
        raise ValueError(f"'{fmt}' is not an image format ({', '.join(FORMATS)})")
    width, height = image_size(figure, width, height)
    if pixels(width, height, scale) > MAX_PIXELS:
        raise ValueError(f"a {width} x {height} image at scale {scale} is too large to draw")
    options = {"format": fmt, "width": width, "height": height, "scale": scale}
    key = _image_key(figure, options)
    with _lock:
        _start()  # first, so that a missing browser is said even when an image is kept
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
        # Kaleido itself, not plotly.io.to_image: that passes Kaleido options (`kopts`) the
        # running server has already taken, and the server warns of it on every image.
        import kaleido

        image = kaleido.calc_fig_sync(figure, opts=options)
        _keep(key, image)
        return image


def _image_key(figure: go.Figure, options: dict) -> str:
    text = pio.to_json(figure, validate=False) + json.dumps(options, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _keep(key: str, image: bytes) -> None:
    # Called with the lock held.
    global _kept_bytes
    _kept[key] = image
    _kept_bytes += len(image)
    while _kept_bytes > KEPT_IMAGE_BYTES and len(_kept) > 1:
        _kept_bytes -= len(_kept.popitem(last=False)[1])


def image_size(figure: go.Figure, width: int | None = None,
               height: int | None = None) -> tuple[int, int]:  # fmt: skip
    """Returns the (width, height) in CSS pixels that `render` draws the figure at."""
    width = int(width or figure.layout.width or DEFAULT_WIDTH)
    return width, int(height or figure.layout.height or DEFAULT_HEIGHT)


def pixels(width: int, height: int, scale: float = 1) -> float:
    """Returns how many pixels an image of that size and scale has."""
    return width * height * scale**2


def _start() -> None:
    # Called with the lock held. Kaleido's server thread dies silently when it cannot
    # start a browser, and every later call would then wait forever: look for one first.
    global _started
    if _started:
        return
    import kaleido

    browser_path()
    # No MathJax (Kaleido would fetch it from a CDN; no chart here typesets LaTeX); plotly.js
    # comes from the installed plotly package, so nothing is fetched from off the site.
    kaleido.start_sync_server(silence_warnings=True, mathjax=False)
    _started = True


def browser_path() -> str:
    """Returns the Chromium or Chrome that Kaleido draws with (choreographer's finder:
    BROWSER_PATH when set, else one it downloaded, else one installed), so that anything
    else printing with a browser (the board pack's PDF) uses the same one.

    Raises UserError (one sentence) when there is none.
    """
    from choreographer.browsers.chromium import Chromium

    path = Chromium.find_browser(skip_local=False)
    # Kaleido would fail on a BROWSER_PATH naming no file, in its server thread, silently.
    if not path or not Path(path).is_file():
        raise UserError(NO_CHROMIUM)
    return str(path)


def captioned(
    figure: go.Figure, *, title: str, org: str, period: str, source: str, version: str
) -> go.Figure:
    """Returns a copy of the figure with `title` at the top, the organisation and period
    under it, and "Source: ... Snapshot version ..." in a footer at the bottom."""
    shown = go.Figure(figure)
    margin = shown.layout.margin
    top, bottom, left = _margin(margin.t, 80), _margin(margin.b, 80), _margin(margin.l, 80)
    # A legend at the foot of the figure (`spc_chart.theme_legend`, placed on the container
    # so that it pushes the plot up) goes under the axis instead, at a known distance,
    # so that the footer can be placed under it: margins pushed by Plotly are not known here.
    under = shown.layout.legend.yref == "container" and not shown.layout.legend.y
    axis = max(bottom, AXIS_PX) if under else bottom
    below = axis + (LEGEND_PX if under else 0) + FOOTER_PX
    # Taller by what the header and foot add, so the plot keeps the size it has on screen.
    height = (shown.layout.height or DEFAULT_HEIGHT) + max(0, HEADER_PX - top) + below - bottom
    top = max(top, HEADER_PX)
    shown.update_layout(
        title=theme.chart_title(theme.wrap_label(title, 110), _join(org, period)),
        margin={"t": top, "b": below},
        height=height,
    )
    if under:
        plot = height - top - below
        shown.update_layout(legend={"yref": "paper", "y": -axis / plot, "yanchor": "top"})
    shown.add_annotation(
        text=footer_text(source, version),
        # At the foot of the image, under the title's left edge.
        xref="paper", yref="paper", x=0, y=0, xanchor="left", yanchor="bottom",
        xshift=8 - left, yshift=6 - below, showarrow=False, align="left",
        font={"size": 11, "color": theme.GREY_1},
    )  # fmt: skip
    return shown


def footer_text(source: str, version: str) -> str:
    """Returns the footer line: the source and the snapshot version."""
    source = source if source.lower().startswith("source") else f"Source: {source}"
    return f"{theme.wrap_label(source + '.', FOOTER_WIDTH)}<br>Snapshot version {version}."


def _join(*parts: str) -> str:
    return ", ".join(part for part in parts if part)


def _margin(value, default: int) -> int:
    return default if value is None else int(value)
