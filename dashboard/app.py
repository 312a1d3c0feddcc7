"""The Dash application: the page shell, the router, and the WSGI `server` for gunicorn.

`create_app(settings)` builds a fresh app (tests build their own); `dashboard.app:server`
builds one from the environment's settings the first time gunicorn asks for it. Every
route sits behind the login gate that `auth.install` adds to the Flask server.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qsl

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from dashboard import access, auth, session
from dashboard.pages import all_pages
from wholesystem.errors import UserError
from wholesystem.settings import Settings, load_settings

NO_SECRET = (
    "WHOLESYSTEM_SECRET_KEY is not set; set it in the environment before starting the "
    "dashboard server (only `wholesystem serve` on localhost may make a temporary one)"
)


def create_app(settings: Settings, *, temporary_secret: bool = False) -> dash.Dash:
    """Returns the dashboard for a data directory, with login and every page's callbacks.

    Raises UserError without a secret key unless `temporary_secret` (local use only).
    """
    if not settings.secret_key and not temporary_secret:
        raise UserError(NO_SECRET)
    access.configure(settings)
    app = dash.Dash(
        __name__, title="wholesystem", suppress_callback_exceptions=True,
        update_title=None, assets_folder="assets",
    )  # fmt: skip
    app.index_string = app.index_string.replace("<html>", '<html lang="en">', 1)
    app.server.secret_key = settings.secret_key or secrets.token_hex(32)
    app.server.config["WHOLESYSTEM_SETTINGS"] = settings
    auth.install(app.server, settings)
    app.layout = shell
    _register_router(app)
    for page in all_pages():
        page.register(app)
    return app


def shell() -> html.Div:
    """The frame every page sits in: header and navigation, the page, the footer."""
    return html.Div(
        [
            dcc.Location(id="url", refresh="callback-nav"),
            html.A(
                "Skip to main content", href="#page-content", className="visually-hidden-focusable"
            ),
            _header(),
            html.Main(id="page-content", className="container-fluid py-3", tabIndex="-1"),
            html.Footer(id="footer", className="container-fluid pb-3"),
        ]
    )


def _header() -> dbc.Navbar:
    links = [
        dbc.NavItem(
            dbc.NavLink(page.TITLE, href=page.PATH, id=f"nav-{page.__name__.split('.')[-1]}")
        )
        for page in all_pages()
        if page.IN_NAV
    ]
    user = session.current_user_name()
    links.append(
        dbc.NavItem(
            dbc.NavLink(
                f"Sign out {user}" if user else "Sign out", href="/logout", external_link=True
            )
        )
    )
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("wholesystem", href="/"),
                dbc.Nav(links, navbar=True, className="flex-wrap"),
            ],
            fluid=True,
        ),
        className="nhs-header",
        dark=True,
    )


def page_for(path: str):
    """Returns the page module serving a path (longest matching route), or None."""
    path = path or "/"
    matches = [
        page for page in all_pages()
        if path == page.PATH or (page.PATH != "/" and path.startswith(page.PATH + "/"))
    ]  # fmt: skip
    return max(matches, key=lambda page: len(page.PATH), default=None)


def render(path: str, search: str | None):
    """Returns (page components, footer text) for a URL; the router callback's body."""
    page = page_for(path)
    footer = f"Snapshot {access.version()}"
    if page is None:
        return html.Div([html.H1("Page not found"), html.P(f"There is no page at {path}.")]), footer
    query = dict(parse_qsl((search or "").lstrip("?")))
    return page.layout(path, query), footer


def _register_router(app: dash.Dash) -> None:
    app.callback(
        Output("page-content", "children"),
        Output("footer", "children"),
        Input("url", "pathname"),
        State("url", "search"),
    )(render)


def __getattr__(name: str):
    # gunicorn asks for `dashboard.app:server`; build it on first use, from the environment.
    if name != "server":
        raise AttributeError(name)
    global server
    try:
        server = create_app(load_settings()).server
    except UserError as error:
        raise SystemExit(f"wholesystem: {error}") from None
    return server
