"""How the API answers: the JSON envelope or CSV, pages, ETags and the refusals.

JSON: `{"data": [...rows], "count", "total", "limit", "offset", "next", "snapshot"}`;
`next` is the URL of the next page (also sent as `Link: <...>; rel="next"`), null on the
last. CSV: the rows of the page, a header line first, with `*` in every count, value,
limit and comparison of a suppressed row, as `wholesystem export` writes them; the
paging is in the Link header and `X-Total-Count`.

The ETag is a digest of what decides the answer before it is read: the snapshot version,
the reader's scope and whether small numbers are masked for them, the route and the
canonical query (the parameters sorted) and the format, plus anything else the route
reads (`extra`). A snapshot never changes, so the same key always gives the same rows;
`If-None-Match` with it gets 304 and no body, without reading the snapshot.
`Cache-Control: private`: a shared cache must never hand one user's rows to another.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Callable
from datetime import date, datetime
from urllib.parse import urlencode

import flask
import numpy
import pandas as pd
from flask_login import current_user

from dashboard import access
from dashboard.api import params

MASK = "*"
CACHE_CONTROL = "private, no-cache"  # keep it, but revalidate each time (with the ETag)
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


def etag(extra: str = "") -> str:
    """The ETag of this request's answer (see the module's docstring)."""
    query = sorted((k, v) for k, values in flask.request.args.lists() for v in values)
    key = json.dumps(
        [
            access.shown_version(),
            str(current_user.scope),
            access.masks(),
            current_user.role,
            flask.request.path,
            query,
            params.output_format(),
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
    frame = read()
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
    """Rows as CSV: `*` in the masked columns of a suppressed row, lists as JSON text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in records(frame):
        hidden = bool(row.get("suppressed"))
        writer.writerow(
            MASK if hidden and column in SUPPRESSED_COLUMNS else _cell(value)
            for column, value in row.items()
        )
    return out.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # as `wholesystem export` prints a whole number
    return str(value)
