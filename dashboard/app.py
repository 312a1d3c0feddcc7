"""The Dash application: the page shell, the router, and the WSGI `server` for gunicorn.

`create_app(settings)` builds a fresh app (tests build their own); `dashboard.app:server`
builds one from the environment's settings the first time gunicorn asks for it. Every
route sits behind the login gate that `auth.install` adds to the Flask server.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qsl, quote, urlencode

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, dcc, html

from dashboard import access, api, auth, exports, hardening, roles, session, snapshot_bar, theme
from dashboard.pack import routes as pack_routes
from dashboard.pages import all_pages
from wholesystem.errors import UserError
from wholesystem.settings import Settings, load_settings

# Dash answers every path with its page shell; only these routes take a sub-path.
PAGES_WITH_SUBPATHS = ("/indicator",)
DASH_CATCH_ALL = "/<path:path>"
# The API names an indicator by `metric` (/api/v1/values?metric=<id>), so a reader may try
# /indicator?metric=<id>: it is sent on to the page's own address, /indicator/<id>.
INDICATOR_PARAMETER = "metric"
NOT_FOUND_TITLE = "Page not found"
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
    hardening.install(app, settings)  # limits and headers; its refusals need no session
    auth.install(app.server, settings)
    exports.install(app.server)  # /download/...: behind the gate auth just installed
    api.install(app.server, settings)  # /api/v1/...: by token (the gate), rate-limited
    pack_routes.install(app.server, settings)  # the board pack: /pack, /packs/<id>
    app.server.before_request(_indicator_by_query)  # after the login gate, as the next
    app.server.before_request(lambda: _not_found(app))
    app.layout = shell
    _register_router(app)
    _register_menu(app)
    snapshot_bar.register(app)  # "as published on" and the DRAFT banner
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
            html.Div(id="snapshot-bar", className="container-fluid pt-2"),
            html.Main(id="page-content", className="container-fluid py-3", tabIndex="-1"),
            html.Footer(id="footer", className="container-fluid pb-3"),
        ]
    )


def _header() -> dbc.Navbar:
    links = [
        dbc.NavItem(
            dbc.NavLink(
                nav_label(page),
                href=page.PATH,
                id=f"nav-{page.__name__.split('.')[-1]}",
            )
        )
        for page in all_pages()
        if page.IN_NAV and allowed(page)
    ]
    links.append(dbc.NavItem(_sign_out_form()))
    # Below the `lg` breakpoint the links fold behind a "Menu" button (a narrow phone
    # would otherwise show eight rows of links above every page).
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("wholesystem", href="/"),
                html.Button(
                    "Menu",
                    id="nav-toggle",
                    n_clicks=0,
                    type="button",
                    className="navbar-toggler",
                    **{"aria-controls": "nav-collapse", "aria-expanded": "false"},
                ),
                dbc.Collapse(
                    dbc.Nav(links, navbar=True, className="ms-auto"),
                    id="nav-collapse",
                    is_open=False,
                    navbar=True,
                ),
            ],
            fluid=True,
        ),
        className="nhs-header",
        color=theme.NHS_BLUE,
        dark=True,
        expand="lg",
    )


def nav_label(page) -> str:
    """A page's name in the navigation bar: its own `nav_label()` (Alerts adds its unread
    count), else its short `NAV_LABEL`, else its `TITLE`."""
    if hasattr(page, "nav_label"):
        return page.nav_label()
    return getattr(page, "NAV_LABEL", page.TITLE)


def _sign_out_form() -> html.Form:
    # Signing out is a POST carrying the session's form token (a GET /logout only asks).
    user = session.current_user_name()
    return html.Form(
        [
            dcc.Input(type="hidden", name="csrf_token", value=auth.csrf_token()),
            html.Button(
                f"Sign out {user}" if user else "Sign out",
                type="submit",
                id="sign-out",
                className="nav-link",
            ),
        ],
        method="post",
        action="/logout",
        className="d-flex",
    )


def page_for(path: str):
    """Returns the page module serving a path, or None: a page's own path (a trailing
    slash allowed), or a sub-path of the pages that take one (`/indicator/<id>`)."""
    path = (path or "/").rstrip("/") or "/"
    for page in all_pages():
        if path == page.PATH:
            return page
        if page.PATH in PAGES_WITH_SUBPATHS and path.startswith(page.PATH + "/"):
            return page
    return None


def allowed(page) -> bool:
    """Returns whether the signed-in user's role may open a page (its `ACTION`, else
    "read"): a page they may not open is served to them as not found, and not in the menu."""
    return roles.current_can(getattr(page, "ACTION", "read"))


def _indicator_by_query():
    """Redirects /indicator?metric=<id>&... to /indicator/<id>?..., the rest of the query
    kept; None for any other request."""
    request = flask.request
    metric_id = request.args.get(INDICATOR_PARAMETER)
    if request.path.rstrip("/") != "/indicator" or not metric_id:
        return None
    rest = [(name, value) for name, value in request.args.items(multi=True)
            if name != INDICATOR_PARAMETER]  # fmt: skip
    query = "?" + urlencode(rest) if rest else ""
    return flask.redirect(f"/indicator/{quote(metric_id, safe='')}{query}")


def _not_found(app: dash.Dash):
    # Runs after the login gate, so only a signed-in user learns that a path is unknown.
    request = flask.request
    page = page_for(request.path)
    if request.endpoint != DASH_CATCH_ALL or (page is not None and allowed(page)):
        return None
    return flask.Response(app.index(), status=404, mimetype="text/html")


def render(path: str, search: str | None):
    """Returns (page components, footer text) for a URL; the router callback's body."""
    page = page_for(path)
    footer = snapshot_bar.footer()
    if page is None or not allowed(page):
        return not_found(path), footer
    query = dict(parse_qsl((search or "").lstrip("?")))
    query.pop(access.SNAPSHOT_PARAMETER, None)  # the shell's, not the page's (access reads it)
    return page.layout(path, query), footer


def not_found(path: str) -> html.Div:
    """Returns the page for an unknown path (served with HTTP status 404)."""
    return html.Div(
        [
            html.H1(NOT_FOUND_TITLE),
            html.P(f"There is no page at {path}."),
            html.P(dcc.Link("Go to the board overview", href="/")),
        ],
        id="not-found",
    )


def _register_menu(app: dash.Dash) -> None:
    # In the browser: the menu button opens and closes the links; moving page closes them.
    app.clientside_callback(
        """(clicks, path, open) => {
             const moved = dash_clientside.callback_context.triggered
               .some(change => change.prop_id === 'url.pathname');
             const next = moved ? false : !open;
             return [next, String(next)];
           }""",
        Output("nav-collapse", "is_open"),
        Output("nav-toggle", "aria-expanded"),
        Input("nav-toggle", "n_clicks"),
        Input("url", "pathname"),
        State("nav-collapse", "is_open"),
        prevent_initial_call=True,
    )


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
