"""The definitions page's download: every indicator's metadata (or those matching the
page's search `q`, or the one named by `id`), one row per indicator, one column per field
the page's cards show (`definitions.metadata`)."""

from __future__ import annotations

import pandas as pd

from dashboard import access, exports
from dashboard.pages import definitions


def table(query: dict) -> exports.Export:
    """The definitions the page shows for its query."""
    frame = access.indicators()
    text = (query.get("q") or "").strip()
    chosen = query.get("id")
    if not text and chosen:
        found = frame[frame["id"] == chosen]
        if found.empty:
            raise exports.Refused(f"There is no indicator with the id '{chosen}'.")
    else:
        found = definitions.matching(frame, text)
    rows = [dict(definitions.metadata(row)) for row in found.to_dict("records")]
    columns = [label for label, _ in definitions.metadata(frame.iloc[0].to_dict())]
    table = pd.DataFrame([{k: _text(v) for k, v in row.items()} for row in rows], columns=columns)
    shown = f"matching “{text}”" if text else (chosen or "every indicator")
    return exports.Export(
        title="Indicator definitions",
        frame=table,
        org="Every organisation",
        period="Not period-specific",
        definition=f"The definitions page's fields for {shown}.",
        source=exports.SOURCE,
        period_code=_slug(text or chosen or "all"),
    )


def _text(value) -> str:
    return value if isinstance(value, str) else "; ".join(str(item) for item in value)


def _slug(text: str) -> str:
    return "-".join(text.split())[:40]


exports.register("definitions", table, label="the definitions shown")
