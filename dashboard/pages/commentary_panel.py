"""Board commentary on the page: the current commentary of a metric and area for a board
period (author, date, approved or not), the last board's on request, a form for analysts to
write or rewrite it and an Approve button for admins.

The board puts one `comment_block` under each metric row; the indicator page puts one
`panel` in its SPC section. Both use the same pattern-matching ids, whose index names the
metric, area and board period ("metric|org|YYYY-MM-DD"), so one pair of callbacks
(registered once, by the board page's `register`) serves both. The callbacks write through
`dashboard.commenting`, which checks the role and the scope on the server.
"""

from __future__ import annotations

from datetime import date

import dash_bootstrap_components as dbc
import pandas as pd
from dash import MATCH, Input, Output, State, ctx, html, no_update

from dashboard import access, commenting
from dashboard.pages import board_data
from wholesystem import commentary
from wholesystem.commentary import MAX_TEXT_LENGTH, Comment, CommentaryError

BLOCK, SAVE, APPROVE = "comment-block", "comment-save", "comment-approve"
APPROVAL = "comment-approval"  # the byline and Approve button, which approving redraws
TEXT, ACTION, MESSAGE = "comment-text", "comment-action", "comment-message"
NONE_YET = "No commentary for this board period yet."


def block_key(metric_id: str, org_code: str, board_period: date) -> str:
    """The index of a block's pattern-matching ids."""
    return f"{metric_id}|{org_code}|{board_period.isoformat()}"


def parse_key(key: str) -> tuple[str, str, date] | None:
    """(metric_id, org_code, board_period) of a block index, or None when malformed."""
    parts = str(key or "").split("|")
    if len(parts) != 3:
        return None
    try:
        return parts[0], parts[1], date.fromisoformat(parts[2])
    except ValueError:
        return None


def comment_block(
    metric_id: str,
    org_code: str,
    board_period: date,
    current: Comment | None,
    last: Comment | None,
    title: str = "",
) -> html.Div:
    """Returns the commentary block of one metric and area: the current commentary, the
    last board's (a disclosure, closed), and for an analyst the write form (closed)."""
    key = block_key(metric_id, org_code, board_period)
    return html.Div(
        _block_children(key, board_period, current, last, title),
        id={"type": BLOCK, "index": key},
        className="board-comment",
    )


def _block_children(key, board_period, current, last, title, message=None) -> list:
    children = [_current(key, board_period, current)]
    if last is not None:
        children.append(_last_board(last))
    if commenting.may_write():
        children.append(_form(key, current, title))
    if message:
        children.append(html.P(message, className="text-danger small mb-0", role="alert"))
    return children


def _current(key: str, board_period: date, comment: Comment | None) -> html.Div:
    heading = f"Commentary, {_board_words(board_period)} board period"
    if comment is None:
        return html.Div(
            [html.Strong(heading + ": "), html.Span(NONE_YET, className="nhs-muted")],
            className="board-comment-empty",
        )
    approval = html.Span(_approval(key, board_period, comment), id={"type": APPROVAL, "index": key})
    return html.Div([html.Strong(heading), _text_lines(comment), approval])


def _approval(key: str, board_period: date, comment: Comment, message: str | None = None):
    """The byline (author, date, approved or not) and, for an admin, the Approve button."""
    parts = [_byline(comment)]
    if not comment.approved and commenting.may_approve():
        parts.append(
            html.Button(
                "Approve",
                id={"type": APPROVE, "index": key},
                type="button",
                className="btn btn-sm btn-secondary ms-1",
                **{"aria-label": f"Approve the commentary ({_board_words(board_period)})"},
            )
        )
    if message:
        parts.append(html.Span(message, className="text-danger small ms-1", role="alert"))
    return parts


def _text_lines(comment: Comment) -> html.Div:
    lines = [html.P(["What happened: ", comment.text], className="mb-0")]
    if comment.action:
        lines.append(html.P(["What is being done: ", comment.action], className="mb-0"))
    return html.Div(lines, className="board-comment-text")


def _byline(comment: Comment) -> html.Span:
    written = f"{comment.author or 'unknown'}, {_day(comment.written_at)}"
    if comment.approved:
        state = f"Approved by {comment.approved_by}, {_day(comment.approved_at)}"
        badge = html.Span(state, className="badge bg-success ms-1")
    else:
        badge = html.Span("Not approved", className="badge bg-warning text-dark ms-1")
    return html.Span([f"Written by {written}. ", badge], className="nhs-muted small")


def _last_board(comment: Comment) -> html.Details:
    return html.Details(
        [
            html.Summary(f"Last board ({_board_words(comment.board_period)})", className="small"),
            html.Div([_text_lines(comment), _byline(comment)], className="ps-3"),
        ],
        className="board-comment-last",
    )


def _form(key: str, current: Comment | None, title: str) -> html.Details:
    what = f" on {title}" if title else ""
    fields = [
        _field(TEXT, key, "What happened", current.text if current else "", what),
        _field(ACTION, key, "What is being done", current.action if current else "", what),
        dbc.Button("Save commentary", id={"type": SAVE, "index": key}, size="sm"),
    ]
    summary = "Rewrite the commentary" if current else "Write commentary"
    return html.Details([html.Summary(summary, className="small"), html.Div(fields)])


def _field(kind: str, key: str, label: str, value: str, what: str) -> html.Label:
    # The label wraps its box: a pattern-matching id cannot be named by htmlFor.
    return html.Label(
        [
            html.Span(label, className="small d-block"),
            dbc.Textarea(
                id={"type": kind, "index": key},
                value=value,
                maxLength=MAX_TEXT_LENGTH,
                rows=2,
                className="form-control-sm",
                title=label + what,
            ),  # fmt: skip
        ],
        className="d-block mb-1",
    )


def panel(metric_id: str, org_code: str, level: str, month: date) -> html.Section:
    """Returns the indicator page's commentary panel for an area and the board period
    holding the month; for an org below or above area level, a sentence saying where
    commentary is written."""
    heading = html.H3("Board commentary", className="h5")
    if level != "area":
        note = "Commentary is written per area; choose the area level to see it."
        return html.Section([heading, html.P(note, className="nhs-muted small")],
                            id="indicator-commentary", className="mt-3")  # fmt: skip
    period = board_data.board_period_of(month)
    current, last = _stored(metric_id, org_code, period)
    block = comment_block(metric_id, org_code, period, current, last)
    return html.Section([heading, block], id="indicator-commentary", className="mt-3")


def panel_for_view(view) -> html.Section:
    """Returns the panel for an indicator page's view (`indicator_data.View`): the board
    period holding the view's month (for a month or board period), else the latest month's."""
    if view.period_type in ("month", "board"):
        month = date.fromisoformat(view.period)
    else:
        month = access.months()[-1]
    return panel(view.metric_id, view.org, view.level, month)


def save(n_clicks, text, action, key):
    """Callback: writes the commentary of the block's metric, area and board period as
    the signed-in user (role and scope checked on the server) and redraws the block."""
    if not n_clicks:
        return no_update
    parsed = parse_key(key)
    if parsed is None:
        return no_update
    metric_id, org_code, period = parsed
    try:
        commenting.write(metric_id, org_code, period, text or "", action or "")
    except CommentaryError as problem:
        return redraw(metric_id, org_code, period, message=str(problem))
    return redraw(metric_id, org_code, period)


def approve(n_clicks, key):
    """Callback: approves the block's current commentary as the signed-in admin (role and
    scope checked on the server) and redraws its byline."""
    parsed = parse_key(key)
    if not n_clicks or parsed is None:
        return no_update
    metric_id, org_code, period = parsed
    current = _current_comment(metric_id, org_code, period)
    if current is None:
        return html.Span("There is no commentary to approve.", role="alert")
    try:
        approved = commenting.approve(current.id)
    except CommentaryError as problem:
        return _approval(key, period, current, str(problem))
    return _approval(key, period, approved)


def _current_comment(metric_id: str, org_code: str, period: date) -> Comment | None:
    return _stored(metric_id, org_code, period)[0]


def _stored(metric_id: str, org_code: str, period: date) -> tuple:
    """(the current commentary, the last board's) as the signed-in user may be sent them:
    a viewer gets approved commentary only, filtered here on the server."""
    settings, approved_only = access.configured_settings(), not commenting.sees_unapproved()
    current = commentary.for_period(settings, period, [org_code], approved_only=approved_only)
    last = commentary.previous(settings, metric_id, org_code, period, approved_only=approved_only)
    return current.get((metric_id, org_code)), last


def redraw(metric_id: str, org_code: str, period: date, message: str | None = None) -> list:
    """Returns a block's children as stored now (for the callbacks)."""
    current, last = _stored(metric_id, org_code, period)
    key = block_key(metric_id, org_code, period)
    return _block_children(key, period, current, last, "", message)


def register(app) -> None:
    """Registers the save and approve callbacks (once per app: the board page calls it)."""
    app.callback(
        Output({"type": BLOCK, "index": MATCH}, "children"),
        Input({"type": SAVE, "index": MATCH}, "n_clicks"),
        State({"type": TEXT, "index": MATCH}, "value"),
        State({"type": ACTION, "index": MATCH}, "value"),
        prevent_initial_call=True,
    )(_on_save)
    app.callback(
        Output({"type": APPROVAL, "index": MATCH}, "children"),
        Input({"type": APPROVE, "index": MATCH}, "n_clicks"),
        prevent_initial_call=True,
    )(_on_approve)


def _on_save(n_clicks, text, action):
    return save(n_clicks, text, action, _triggered_key())


def _on_approve(n_clicks):
    return approve(n_clicks, _triggered_key())


def _triggered_key() -> str | None:
    triggered = ctx.triggered_id
    return triggered.get("index") if isinstance(triggered, dict) else None


def _board_words(board_period: date) -> str:
    end = pd.Timestamp(board_period) + pd.DateOffset(months=board_data.BOARD_GAP_MONTHS)
    return board_data.period_label("board", (board_period, end - pd.Timedelta(days=1)))


def _day(stamp: str | None) -> str:
    return "–" if not stamp else f"{pd.Timestamp(stamp):%-d %B %Y}"
