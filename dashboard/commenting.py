"""Writing and approving board commentary from the dashboard, checked on the server.

Every callback that writes or approves commentary calls these, never
`wholesystem.commentary` directly: each refuses (HTTP 403) unless the signed-in user's
role may (`comment` to write, `approve` to approve) and the area is within their scope,
so a hidden form or button is never the only guard. The author and approver are the
signed-in user, never a value from the request.
"""

from __future__ import annotations

from datetime import date

import flask
from werkzeug.exceptions import Forbidden

from dashboard import access, roles, session
from wholesystem import commentary
from wholesystem.commentary import Comment

OUT_OF_SCOPE = "That area is not in your scope."


def write(metric_id: str, org_code: str, board_period: date, text: str, action: str) -> Comment:
    """Writes the signed-in user's commentary on a metric and area for a board period.
    Raises Forbidden for a role that may not comment or an area outside the scope, and
    `commentary.CommentaryError` (one sentence) for bad text."""
    roles.require("comment")
    _require_in_scope(org_code)
    author = session.current_user_name()
    return commentary.write(
        _settings(), metric_id, org_code, board_period, text, author, action=action
    )


def approve(comment_id: int) -> Comment:
    """Approves a current commentary as the signed-in user. Raises Forbidden for a role
    that may not approve or a commentary on an area outside the scope, and
    `commentary.CommentaryError` for an unknown or rewritten one."""
    roles.require("approve")
    found = commentary.get(_settings(), comment_id)
    if found is None:
        raise commentary.CommentaryError(f"there is no commentary with id {comment_id}")
    _require_in_scope(found.org_code)
    return commentary.approve(_settings(), comment_id, session.current_user_name())


def may_write() -> bool:
    """Whether the signed-in user's role may write commentary (for showing the form)."""
    return roles.current_can("comment")


def may_approve() -> bool:
    """Whether the signed-in user's role may approve commentary (for the button)."""
    return roles.current_can("approve")


def sees_unapproved() -> bool:
    """Whether commentary not yet approved may be read: inside a request only by a role
    that may comment (analysts and admins see it marked "Not approved"; a viewer is never
    sent it); outside a request (the pack, the CLI) yes, and the caller decides (the pack
    prints approved commentary only and counts the rest)."""
    return not flask.has_request_context() or roles.current_can("comment")


def _require_in_scope(org_code: str) -> None:
    # Read scope includes the areas above the user's org; writing is for its own and below.
    if org_code not in access.own(session.current_scope()):
        raise Forbidden(OUT_OF_SCOPE)


def _settings():
    return access.configured_settings()
