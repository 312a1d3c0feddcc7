"""Practice profile: a spine chart of every indicator for one practice against its network,
locality and the system, with the same numbers as a table.

`/practice?org=CODE&period=month` keeps the view in the URL (the page's own
`dcc.Location`, "practice-url"). The picker lists only the practices in the user's scope.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
from dash import Input, Output, dcc, html

from dashboard import access, exports, formats, session, theme
from dashboard.controls import labelled_select
from dashboard.figures.spine import spine_chart
from dashboard.pages import practice_data as data
from dashboard.pages.drilldown import comparison_badge, org_href, period_choice
from dashboard.pages.drilldown_data import PERIOD_TYPES, format_value, unknown_org_sentence
from dashboard.pages.peers_panel import peer_group_panel

PATH = "/practice"
TITLE = "Practice profile"
NAV_LABEL = "Practices"
IN_NAV = True
DEFAULT_PERIOD = "rolling12"
SPREAD_HEADINGS = ("Lowest practice", "25th percentile", "75th percentile", "Highest practice")
RATIO_NOTE = (
    "Rows marked “standardised ratio” are indirectly standardised: the practice's observed "
    "count over the count expected from the system's age and sex rates, so 1 is the system "
    "and below 1 is fewer than expected. Their verdict compares the ratio's 95% interval "
    "with 1, which is what the row draws; the crude rate is given in the table as context. "
    "Every other row compares the practice's value and 95% interval with the system's value."
)


def layout(path: str, query: dict[str, str]) -> html.Div:
    """The page for a URL: practice and period pickers, then the profile (or a sentence)."""
    practices = access.org_units(session.current_scope(), "practice")
    code = query.get("org") or (practices["org_code"].iloc[0] if len(practices) else None)
    period = query.get("period") if query.get("period") in PERIOD_TYPES else DEFAULT_PERIOD
    options = [
        {"label": practice_label(name, org, closed), "value": org}
        for org, name, closed in zip(
            practices["org_code"], practices["org_name"], practices["closed_on"], strict=True
        )
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


def practice_label(name: str, code: str, closed_on) -> str:
    """A practice as the picker lists it, with the day ODS closed it if it has closed."""
    if closed_on is None or pd.isna(closed_on):
        return f"{name} ({code})"
    return f"{name} ({code}), closed {pd.Timestamp(closed_on):%d %b %Y}"


def render_profile(code: str | None, period_type: str = DEFAULT_PERIOD) -> list | html.P:
    """Returns the profile of a practice for the signed-in user, or one sentence when they
    cannot see it."""
    profile = data.practice_profile(session.current_scope(), code, period_type)
    if profile is None:
        return html.P(unknown_org_sentence(code), className="nhs-card", role="alert")
    practice = profile.practice
    if profile.rows.empty:
        return html.P(
            f"No indicator is published for {practice['org_name']} and the system in "
            f"{profile.period['label']}, so there is no profile to draw.",
            className="nhs-card",
            role="alert",
        )
    return [
        html.H2(f"{practice['org_name']} ({practice['org_code']}), {profile.period['label']}"),
        html.P(_lineage_text(profile)),
        html.P(
            "Each row is centred on the system (the black line). The bar runs from the "
            f"lowest to the highest of the {profile.practice_count} practices you can see, "
            "darker from the 25th to the 75th percentile; better is to the right. The circle "
            "is this practice with its 95% interval, coloured by its comparison with the "
            f"system; the diamond its {formats.level_noun('network')} and the square its "
            f"{formats.level_noun('locality')}; the hollow triangle is the median of its "
            "peers (the 10 most similar practices; see the peer group below). * means "
            "suppressed (a count of 1 to 7, or a value from which one could be worked out)."
        ),
        html.P(RATIO_NOTE, id="practice-ratio-note"),
        html.Section(
            [
                exports.download_links(
                    "practice-spine",
                    {"org": practice["org_code"], "period": period_type},
                    chart=True,
                ),
                # A phone scrolls the chart, not the page: the labels and the spine need the width.
                html.Div(
                    dcc.Graph(
                        id="practice-spine",
                        figure=spine_chart(profile.rows, spine_title(profile), marker_names()),
                        config=theme.graph_config(f"practice-profile-{practice['org_code']}"),
                        style={"minWidth": "50rem"},
                    ),
                    className="chart-scroll",
                    tabIndex="0",
                    role="region",
                    **{"aria-label": "Spine chart (scrolls sideways on a narrow screen)"},
                ),
                html.Details(
                    [html.Summary("Spine chart as a table"), _table(profile.rows)], open=False
                ),
                peer_group_panel(session.current_scope(), practice["org_code"], "practice"),
            ]
        ),
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


def spine_title(profile: data.PracticeProfile) -> dict:
    practice = profile.practice
    return theme.chart_title(
        f"Practice profile: {practice['org_name']} ({practice['org_code']}) against the system",
        f"Every indicator, {profile.period['label']}; standardised ratios where marked. "
        f"{theme.SOURCE}.",
    )


def marker_names() -> dict[str, str]:
    return {level: access.level_label(level) for level in ("network", "locality")}


def _lineage_text(profile: data.PracticeProfile) -> str:
    parts = [
        f"{access.level_label(level)}: {org['org_name']}"
        for level, org in (("network", profile.network), ("locality", profile.locality))
        if org
    ]
    return "; ".join(parts) + "." if parts else ""


def table_headings() -> tuple[str, ...]:
    """The table's column headings (the level labels as configured)."""
    return (
        "Indicator",
        "Practice",
        "95% CI",
        "Compared with the system",
        access.level_label("network"),
        access.level_label("locality"),
        "System",
        *SPREAD_HEADINGS,
        "Peer median",
        "Compared with peers",
    )


def _table(rows) -> html.Div:
    header = html.Thead(html.Tr([html.Th(heading, scope="col") for heading in table_headings()]))
    body = html.Tbody([_table_row(row) for row in rows.to_dict("records")])
    caption = html.Caption("Every indicator for the practice, its network, locality and the system")
    return html.Div(
        html.Table([caption, header, body], className="table table-sm bg-white"),
        className="table-responsive",
        # A keyboard user must be able to scroll a wide table on a narrow screen.
        tabIndex="0",
        role="region",
        **{"aria-label": "Spine chart as a table"},
    )


def _table_row(row: dict) -> html.Tr:
    """One indicator: the practice's value (or standardised ratio) and 95% interval, its
    verdict against the system, the benchmarks and the spread, all on the same basis."""
    ratio = row["basis"] == "ratio"
    unit, target = (formats.RATIO, None) if ratio else (row["unit"], row["target_value"])
    suppressed = row["practice_suppressed"]
    practice = formats.number(row["practice"], unit, target, suppressed=suppressed)
    interval = (
        "*" if suppressed else _interval(row["practice_lower"], row["practice_upper"], unit, target)
    )
    numbers = [
        formats.number(
            row[column], unit, target, suppressed=row.get(f"{column}_suppressed") is True
        )
        for column in ("network", "locality", "system", "minimum", "q25", "q75", "maximum")
    ]
    peers = [formats.number(row.get("peers"), unit, target), _peer_badge(row)]
    heading = [row["title"]]
    if ratio:
        heading.append(html.Div(_crude_text(row), className="small nhs-muted fw-normal"))
    return html.Tr(
        [
            html.Th(heading, scope="row"),
            html.Td(practice),
            html.Td(interval, className="text-nowrap"),
            html.Td(comparison_badge(row["practice_comparison"], _benchmark(ratio))),
            *map(html.Td, numbers),
            *map(html.Td, peers),
        ]
    )


def _peer_badge(row: dict):
    # The peer benchmark is of crude values: a ratio row does not draw or compare it.
    verdict = row.get("peers_comparison")
    if not isinstance(verdict, str) or row["basis"] == "ratio":
        return formats.MISSING
    return comparison_badge(verdict, "the peer median")


def _benchmark(ratio: bool) -> str:
    return "the system (ratio 1)" if ratio else "the system"


def _interval(lower, upper, unit: str, target=None) -> str:
    texts = [formats.number(value, unit, target) for value in (lower, upper)]
    return formats.MISSING if formats.MISSING in texts else " to ".join(texts)


def _crude_text(row: dict) -> str:
    practice = format_value(row["practice_crude"], row["practice_suppressed"], row["unit"])
    system = format_value(row["system_crude"], unit=row["unit"])
    return f"Standardised ratio. Crude rate: practice {practice}, system {system} ({row['unit']})."
