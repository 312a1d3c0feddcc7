"""The dashboard's pages. Each module exposes the same small interface:

- `PATH`: its route (`/indicator` also serves `/indicator/<id>`);
- `TITLE`: its name in the browser tab and its heading;
- `NAV_LABEL` (optional): a shorter name for the navigation bar, so that an admin's dozen
  entries fit on one line at desktop width (else `TITLE`); `nav_label()` (optional) words
  it per request instead (Alerts adds its unread count);
- `IN_NAV`: whether the navigation bar links to it;
- `ACTION` (optional): the `dashboard.roles` action a user needs to open it (else "read");
- `layout(path: str, query: dict[str, str])`: the page's components for a URL, built for
  the signed-in user;
- `register(app)`: registers the page's callbacks on a Dash app.
"""

from __future__ import annotations

import importlib

PAGE_MODULES = (
    "board", "indicator", "networks", "payments", "payment_schemes", "drilldown", "practice",
    "definitions", "status", "alerts",
    "users_admin", "targets", "snapshots", "api_tokens",
)  # fmt: skip


def all_pages() -> tuple:
    """Returns the page modules in navigation order."""
    return tuple(importlib.import_module(f"dashboard.pages.{name}") for name in PAGE_MODULES)
