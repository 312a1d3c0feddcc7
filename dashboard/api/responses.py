"""How the API answers: the JSON envelope or CSV, pages, ETags and the refusals.

JSON: `{"data": [...rows], "count", "total", "limit", "offset", "next", "snapshot"}`;
`next` is the URL of the next page (also sent as `Link: <...>; rel="next"`), null on the
last. CSV: the rows of the page, a header line first, each cell written by
`metrics.export.masked_cells`, as `wholesystem export` writes it: `*` in every count,
value, limit and comparison of a suppressed row, and in a benchmark and the verdicts
against it where its own row is suppressed; numbers in full, never in exponent form.
The paging is in the Link header and `X-Total-Count`.

The ETag is a digest of what decides the answer before it is read: the snapshot version,
the reader's scope and whether small numbers are masked for them, the route and the
canonical query (the parameters sorted) and the format, plus anything else the route
reads (`extra`). A snapshot never changes, so the same key always gives the same rows;
`If-None-Match` with it gets 304 and no body, without reading the snapshot.
`Cache-Control: private`: a shared cache must never hand one user's rows to another.

For the same reason a result longer than one page is kept, per worker, for the next
pages (FRAMES_KEPT of them, the least recently used dropped first), under the same key
without the paging and format: each page of a large answer is one slice, not a re-read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from urllib.parse import urlencode

import flask
import numpy
import pandas as pd
from flask_login import current_user

from dashboard import access
from dashboard.api import params
from metrics import export

MASK = export.MASK
CACHE_CONTROL = "private, no-cache"  # keep it, but revalidate each time (with the ETag)
FRAMES_KEPT = 4  # whole results kept for paging, per worker
PAGING = ("limit", "offset", "format")
_frames: OrderedDict[str, pd.DataFrame] = OrderedDict()
_frames_lock = threading.Lock()
# The columns of a suppressed row shown as `*` in CSV (as `wholesystem export` does).
SUPPRESSED_COLUMNS = (
    *access.MASKED_COLUMNS, "parent_value", "system_value", "comparison_parent",
    "comparison_system", "comparison_parent_998", "comparison_system_998", "value_shown",
    "rule", "point_type", "peer_value", "peers_used", "comparison_peer", "comparison_peer_998",
)  # fmt: skip


def error(sentence: str, status: int) -> flask.Response:
    """A refusal: JSON `{"error": sentence}` with the status, never cached."""
    response = flask.jsonify(error=sentence)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def etag(extra: str = "", *, whole: bool = False) -> str:
    """The ETag of this request's answer (see the module's docstring); `whole`: of the
    whole result, whatever page and format are asked for."""
    query = sorted(
        (k, v)
        for k, values in flask.request.args.lists()
        for v in values
        if not (whole and k in PAGING)
    )
    key = json.dumps(
        [
            access.shown_version(),
            str(current_user.scope),
            access.masks(),
            current_user.role,
            flask.request.path,
            query,
            None if whole else params.output_format(),
            extra,
        ]
    )
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def answer(read: Callable[[], pd.DataFrame], extra: str = "", **envelope) -> flask.Response:
    """Answers the request with a page of the rows `read` returns, or 304 when the client
    holds them already; `envelope` adds keys to the JSON answer (a function is called
    only when the answer is sent)."""
    limit, offset = params.page()
    fmt = params.output_format()
    tag = etag(extra)
    if flask.request.if_none_match.contains(tag):
        return _cached(flask.Response(status=304), tag)
    frame = _whole_result(read, extra, limit)
    envelope = {key: value() if callable(value) else value for key, value in envelope.items()}
    total, rows = len(frame), frame.iloc[offset : offset + limit]
    flask.g.api_rows = len(rows)
    following = _next_url(offset + limit) if offset + limit < total else None
    if fmt == "csv":
        response = flask.Response(to_csv(rows), mimetype="text/csv")
        response.headers["X-Total-Count"] = str(total)
    else:
        body = {"data": records(rows), "count": len(rows), "total": total, "limit": limit,
                "offset": offset, "next": following, "snapshot": access.shown_version(),
                **envelope}  # fmt: skip
        response = flask.Response(json.dumps(body, allow_nan=False), mimetype="application/json")
    if following:
        response.headers["Link"] = f'<{following}>; rel="next"'
    return _cached(response, tag)


def _whole_result(read: Callable[[], pd.DataFrame], extra: str, limit: int) -> pd.DataFrame:
    """The rows `read` gives, read once for all the pages of a result longer than one."""
    # the serving directory too: one version name may be another data directory's (tests)
    key = etag(f"{extra}|{access.configured_settings().serving_dir}", whole=True)
    with _frames_lock:
        if key in _frames:
            _frames.move_to_end(key)
            return _frames[key]
    frame = read()
    if len(frame) > limit:  # more pages will be asked for
        with _frames_lock:
            _frames[key] = frame
            while len(_frames) > FRAMES_KEPT:
                _frames.popitem(last=False)
    return frame


def _cached(response: flask.Response, tag: str) -> flask.Response:
    response.set_etag(tag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def _next_url(offset: int) -> str:
    query = [(k, v) for k, values in flask.request.args.lists() for v in values if k != "offset"]
    return f"{flask.request.base_url}?{urlencode([*query, ('offset', offset)])}"


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: dates ISO, missing values null, numpy numbers plain.
    Column by column (a values page is some 60,000 cells; cell by cell took most of a
    request's time)."""
    columns = {column: _column(frame[column]) for column in frame.columns}
    return pd.DataFrame(columns, index=frame.index).to_dict("records")


def _iso(stamp) -> str | None:
    return None if pd.isna(stamp) else stamp.isoformat()


def _column(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        midnight = series.dropna().eq(series.dropna().dt.normalize()).all()
        text = series.dt.strftime("%Y-%m-%d") if midnight else series.map(_iso)
        return text.astype(object).where(series.notna(), None)
    if pd.api.types.is_float_dtype(series):
        return series.astype(object).where(numpy.isfinite(series), None)
    if pd.api.types.is_integer_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series.astype(object).where(series.notna(), None)
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty", "boolean"):
        return series.astype(object).where(series.notna(), None)  # text: nothing to convert
    cells = series.map(plain).astype(object)
    return cells.where(cells.notna(), None)  # map may have turned None into NaN


def plain(value):
    """One cell as JSON can carry it."""
    if isinstance(value, (list, dict)):
        return value
    if isinstance(value, numpy.ndarray):
        return value.tolist()
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None  # None, NaN, NaT and pandas' NA alike
    if isinstance(value, numpy.generic):
        return plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no infinity
    if isinstance(value, pd.Timestamp | datetime):
        return value.date().isoformat() if _midnight(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _midnight(value) -> bool:
    return value.hour == value.minute == value.second == value.microsecond == 0 and (
        value.tzinfo is None
    )


def to_csv(frame: pd.DataFrame) -> str:
    """Rows as CSV, cell by cell as `wholesystem export` writes them (`masked_cells`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = list(frame.columns)
    writer.writerow(columns)
    for row in records(frame):
        writer.writerow(export.masked_cells(row, columns, MASK, SUPPRESSED_COLUMNS))
    return out.getvalue()
