"""Practice profile: a spine chart of every indicator for one practice against its network,
locality and the system, with the same numbers as a table.

`/practice?org=CODE&period=month` keeps the view in the URL (the page's own
`dcc.Location`, "practice-url"). The picker lists only the practices in the user's scope.
"""

from __future__ import annotations

from urllib.parse import urlencode

from dash import Input, Output, dcc, html

from dashboard import access, session
from dashboard.controls import labelled_select
from dashboard.figures.spine import spine_chart
from dashboard.pages import practice_data as data
from dashboard.pages.drilldown import comparison_badge, org_href, period_choice
from dashboard.pages.drilldown_data import PERIOD_TYPES, format_value, unknown_org_sentence

PATH = "/practice"
TITLE = "Practice profile"
IN_NAV = True
DEFAULT_PERIOD = "rolling12"
TABLE_HEADINGS = (
    "Indicator",
    "Practice",
    "Compared with the system",
    "Network",
    "Locality",
    "System",
    "Lowest practice",
    "25th percentile",
    "75th percentile",
    "Highest practice",
)


def layout(path: str, query: dict[str, str]) -> html.Div:
    """The page for a URL: practice and period pickers, then the profile (or a sentence)."""
    practices = access.org_units(session.current_scope(), "practice")
    code = query.get("org") or (practices["org_code"].iloc[0] if len(practices) else None)
    period = query.get("period") if query.get("period") in PERIOD_TYPES else DEFAULT_PERIOD
    options = [
        {"label": f"{name} ({org})", "value": org}
        for org, name in zip(practices["org_code"], practices["org_name"], strict=True)
    ]
    return html.Div(
        [
            dcc.Location(id="practice-url", refresh=False),
            html.H1(TITLE),
            html.Div(
                [
                    labelled_select(
                        "Practice",
                        "practice-org",
                        code if code in set(practices["org_code"]) else None,
                        options,
                        min_width="20rem",
                    ),
                    period_choice("practice-period", period),
                ],
                className="d-flex flex-wrap gap-3",
            ),
            html.Div(render_profile(code, period), id="practice-body"),
        ]
    )


def render_profile(code: str | None, period_type: str = DEFAULT_PERIOD) -> list | html.P:
    """Returns the profile of a practice for the signed-in user, or one sentence when they
    cannot see it."""
    profile = data.practice_profile(session.current_scope(), code, period_type)
    if profile is None:
        return html.P(unknown_org_sentence(code), className="nhs-card", role="alert")
    practice = profile.practice
    return [
        html.H2(f"{practice['org_name']} ({practice['org_code']}), {profile.period['label']}"),
        html.P(_lineage_text(profile)),
        html.P(
            "Each row is centred on the system value (the black line). The bar runs from the "
            f"lowest to the highest of the {profile.practice_count} practices you can see, "
            "darker from the 25th to the 75th percentile; better is to the right. The circle "
            "is this practice, coloured by its comparison with the system; the diamond its "
            "network and the square its locality. * means suppressed (a count of 1 to 7)."
        ),
        dcc.Graph(
            id="practice-spine", figure=spine_chart(profile.rows), config={"displayModeBar": False}
        ),
        html.Details([html.Summary("Spine chart as a table"), _table(profile.rows)], open=False),
        dcc.Link(
            f"See {practice['org_name']} in the drill-down",
            href=org_href(practice["org_code"]),
            id="practice-drilldown",
        ),
    ]


def update_profile(code: str | None, period_type: str | None) -> tuple:
    """Callback: the chosen practice's profile and the URL query keeping the choice."""
    period_type = period_type or DEFAULT_PERIOD
    query = urlencode({"org": code or "", "period": period_type})
    return render_profile(code, period_type), f"?{query}"


def register(app) -> None:
    """Registers the page's callbacks."""
    app.callback(
        Output("practice-body", "children"),
        Output("practice-url", "search"),
        Input("practice-org", "value"),
        Input("practice-period", "value"),
        prevent_initial_call=True,
    )(update_profile)


def _lineage_text(profile: data.PracticeProfile) -> str:
    parts = [
        f"{level}: {org['org_name']}"
        for level, org in (("Network", profile.network), ("Locality", profile.locality))
        if org
    ]
    return "; ".join(parts) + "." if parts else ""


def _table(rows) -> html.Div:
    header = html.Thead(html.Tr([html.Th(heading, scope="col") for heading in TABLE_HEADINGS]))
    body = html.Tbody([_table_row(row) for row in rows.to_dict("records")])
    caption = html.Caption("Every indicator for the practice, its network, locality and the system")
    return html.Div(
        html.Table([caption, header, body], className="table table-sm bg-white"),
        className="table-responsive",
    )


def _table_row(row: dict) -> html.Tr:
    unit = row["unit"]
    practice = format_value(row["practice"], row["practice_suppressed"], unit)
    numbers = [
        format_value(row[column], unit=unit)
        for column in ("network", "locality", "system", "minimum", "q25", "q75", "maximum")
    ]
    return html.Tr(
        [
            html.Th(row["title"], scope="row"),
            html.Td(practice),
            html.Td(comparison_badge(row["practice_comparison"], "the system")),
            *map(html.Td, numbers),
        ]
    )
