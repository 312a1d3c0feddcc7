"""Form controls shared by the pages.

Selects are native `<select>` elements (dbc.Select), each with a visible label tied to it
by `htmlFor`: keyboard- and screen-reader-friendly, and light to draw. Dash 4's
`dcc.Dropdown` puts an aria-hidden input that takes focus before its button, which axe
reports as a serious violation, so the pages do not use it.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html


def labelled_select(
    label: str, component_id: str, value, options: list[dict], min_width: str = "18rem"
) -> html.Div:
    """Returns a label and a native select of `options` ({"label", "value"} dicts)."""
    return html.Div(
        [
            html.Label(label, htmlFor=component_id, className="form-label"),
            dbc.Select(id=component_id, value=value, options=options),
        ],
        style={"minWidth": min_width},
        className="mb-3",
    )
