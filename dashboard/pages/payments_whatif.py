"""The Payments page's what-if: change the up-front/at-risk split and each KPI's method
and thresholds, and see each network's money beside the scheme's own, nothing saved.

The form's values become `payments.compute`'s `what_if` (the split, and each KPI's
method and thresholds), which the engine checks as a scheme (so a bad value gets the same
one sentence naming the field as the scheme editor) and prices. The
same scope and disclosure rules apply as to the scheme's own figures: a masked reader
never sees a what-if figure or difference for a withheld network, so moving a threshold
cannot be used to probe a suppressed KPI's attainment.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html
from werkzeug.exceptions import BadRequest

from dashboard import session
from dashboard.controls import labelled_select
from dashboard.pages import payments_data as data
from wholesystem.errors import UserError

METHOD_WORDS = {"linear": "Linear", "all_or_nothing": "All or nothing"}
CHOOSE = ""  # the comparison picker's "choose a scheme"
BAD_SPLIT = "The {what} {value!r} must be a percentage from 0 to 100 (60 for 60/40, or “60/40”)."


def compare_section(view: data.View) -> html.Section:
    """A picker of the other schemes of the same kind (quarter or year), and where the
    two schemes' money goes side by side."""
    others = [
        {"label": f"{scheme.title} ({name}, {scheme.split})", "value": name}
        for name, scheme in data.scheme_names().items()
        if name != view.scheme.name and scheme.period == view.scheme.period
    ]
    if not others:
        return html.Section()
    options = [{"label": "Choose a scheme", "value": CHOOSE}, *others]
    return html.Section(
        [
            html.H2("Compare with another scheme", className="h4 mt-4"),
            labelled_select("Scheme to compare with", "payments-compare", CHOOSE, options, "26rem"),
            html.Div(id="payments-compare-result", role="status", **{"aria-live": "polite"}),
        ]
    )


def compare(query: dict, other) -> list:
    """Each network's money under the chosen scheme beside another scheme's, or one
    sentence; nothing for no choice."""
    if other is not None and not isinstance(other, str):
        raise BadRequest("The scheme to compare with must be text.")
    if not other:
        return []
    scope = session.current_scope()
    view, beside = data.view(scope, query), data.view(scope, {**query, "scheme": other})
    for found in (view, beside):
        if isinstance(found, str):
            return [_error(found)]
    view.what_if = beside.result
    first, second = view.scheme.title, beside.scheme.title
    caption = f"Money by network: {first} and {second}, {data.period_label(view.period)}"
    headings = headings_of(view, first, second, f"Difference in total ({second} − {first})")
    return _table("payments-compare-table", view, headings, caption)


def headings_of(view: data.View, first: str, second: str, difference: str) -> list[str]:
    """The side-by-side table's headings: each money column for the two, then the change."""
    pairs = [
        f"{data.WHAT_IF_WORDS[column]}: {which}"
        for column in data.what_if_columns(view)
        for which in (first, second)
    ]
    return ["Network", *pairs, difference]


def section(view: data.View) -> html.Section:
    """The what-if form for the view's scheme, and where its result goes."""
    scheme = view.scheme
    return html.Section(
        [
            html.H2("What-if: another split or other thresholds", className="h4 mt-4"),
            html.P(
                "Change the share paid up front, or a KPI's method or thresholds, and show "
                "each network's money under the change beside the scheme's own. Nothing is "
                "saved. An empty threshold means the target in force for that KPI."
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label(
                                "Up-front share (%)",
                                htmlFor="payments-whatif-upfront",
                                className="form-label",
                            ),
                            dbc.Input(
                                id="payments-whatif-upfront",
                                type="text",
                                maxLength=20,
                                value=f"{scheme.upfront_share * 100:g}",
                                autoComplete="off",
                            ),
                            html.Small(
                                f"The scheme's split is {scheme.split}; e.g. 60 for "
                                "60/40, 30 for 30/70.",
                                className="nhs-muted",
                            ),
                        ],
                        className="mb-3",
                        style={"maxWidth": "22rem"},
                    ),
                    _kpi_form(view),
                    dbc.Button("Show the what-if", id="payments-whatif-show", n_clicks=0),
                ],
                className="nhs-card",
            ),
            html.Div(id="payments-whatif-result", role="status", **{"aria-live": "polite"}),
        ]
    )


def _kpi_form(view: data.View) -> html.Div:
    titles = data.kpi_titles()
    rows = []
    for package in view.scheme.packages:
        for rule in package.kpis:
            title = titles.get(rule.metric_id, rule.metric_id)
            rows.append(
                html.Tr(
                    [
                        html.Th(title, scope="row"),
                        html.Td(package.name),
                        html.Td(_method(rule, title)),
                        html.Td(_threshold("lower", rule, title)),
                        html.Td(_threshold("upper", rule, title)),
                    ]
                )
            )
    headings = ("KPI", "Package", "Method", "Lower threshold", "Upper threshold")
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in headings]))
    return html.Div(
        html.Table(
            [
                html.Caption("Each KPI's method and thresholds for the what-if"),
                head,
                html.Tbody(rows),
            ],
            className="table table-sm mb-3",
        ),
        className="table-responsive",
        tabIndex="0",
        role="region",
        **{"aria-label": "Each KPI's method and thresholds for the what-if"},
    )


def _labelled(words: str, control) -> html.Label:
    # A pattern id cannot be a label's htmlFor, so the label wraps its control.
    return html.Label([html.Span(words, className="visually-hidden"), control], className="d-block")


def _method(rule, title: str) -> html.Label:
    return _labelled(
        f"Method for {title}",
        dbc.Select(
            id={"type": "payments-whatif-method", "index": rule.metric_id},
            value=rule.method,
            options=[{"label": words, "value": method} for method, words in METHOD_WORDS.items()],
        ),
    )


def _threshold(which: str, rule, title: str) -> html.Label:
    value = getattr(rule, which)
    return _labelled(
        f"{which.capitalize()} threshold for {title}",
        dbc.Input(
            id={"type": f"payments-whatif-{which}", "index": rule.metric_id},
            type="text",
            value="" if value is None else f"{value:g}",
            placeholder="target in force",
            maxLength=20,
            autoComplete="off",
            style={"width": "8rem"},
        ),
    )


def what_if_of(upfront, methods: dict, lowers: dict, uppers: dict) -> dict:
    """The what-if as `payments.compute` takes it: the split, and every KPI's method and
    thresholds as given (an empty threshold: None, the target in force). Raises UserError
    for a bad split; the engine checks the rest as a scheme, naming the field."""
    kpis = {
        metric: {
            "method": methods.get(metric) or "linear",
            "lower": (lowers.get(metric) or "").strip() or None,
            "upper": (uppers.get(metric) or "").strip() or None,
        }
        for metric in methods
    }
    return {"upfront_share": parse_split(upfront), "kpis": kpis}


def parse_split(text, what: str = "up-front share") -> float:
    """A share from "60", "60%" or "60/40" (as 0.6); UserError naming `what` otherwise."""
    words = str(text or "").strip().rstrip("%").strip()
    first, slash, second = words.partition("/")
    try:
        share = float(first)
        if slash and abs(share + float(second) - 100) > 1e-9:
            raise ValueError
    except ValueError:
        raise UserError(BAD_SPLIT.format(what=what, value=str(text or "")[:40])) from None
    if not 0 <= share <= 100:
        raise UserError(BAD_SPLIT.format(what=what, value=str(text or "")[:40]))
    return share / 100


def result(query: dict, upfront, methods: dict, lowers: dict, uppers: dict) -> list:
    """The what-if's money per network beside the scheme's, or one sentence."""
    for value in (upfront, *methods.values(), *lowers.values(), *uppers.values()):
        if value is not None and not isinstance(value, str):
            raise BadRequest("A what-if value must be text.")
    chosen = data.choose(session.current_scope(), query)
    if isinstance(chosen, str):
        return [html.P(chosen, className="text-danger")]
    try:
        what_if = what_if_of(upfront, methods, lowers, uppers)
    except UserError as error:
        return [_error(data.sentence(error))]
    view = data.view(session.current_scope(), query, what_if=what_if)
    if isinstance(view, str):
        return [_error(view)]
    return comparison(view)


def _error(text: str) -> html.P:
    return html.P(text, className="text-danger", id="payments-whatif-error", role="alert")


def comparison(view: data.View) -> list:
    """The table of each network's money under the scheme and the what-if."""
    what_if = view.what_if.scheme
    caption = (f"Money by network: the scheme ({view.scheme.split}) and the what-if "
               f"({what_if.split}), {data.period_label(view.period)}")  # fmt: skip
    return [
        html.P(data.what_if_words(view.scheme, what_if), id="payments-whatif-words"),
        *_table(
            "payments-whatif-table",
            view,
            headings_of(view, "scheme", "what-if", "Difference in total"),
            caption,
        ),
    ]


def _table(table_id: str, view: data.View, headings, caption: str) -> list:
    """Each network's money under the view's scheme and `view.what_if` side by side,
    withheld wherever either is, with the note saying why."""
    from dashboard.pages.payments import table  # the page imports this module

    rows, footer = data.what_if_rows(view)
    hidden = data.withheld(view.networks).any() or data.withheld(view.what_if.networks).any()
    notes = [html.P(data.WITHHELD_NOTE, className="small")] if hidden else []
    return [table(table_id, headings, rows, caption, footer), *notes]
