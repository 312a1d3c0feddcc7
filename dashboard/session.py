"""Who is asking: the signed-in user's scope and name, for callbacks and layouts.

Callbacks call `session.current_scope()` (through the module, so tests can substitute a
scope) and pass the result to every `dashboard.access` read. The login gate in `auth.py`
guarantees a signed-in user on every route that reaches a page or a callback.
"""

from __future__ import annotations

from flask_login import current_user

from dashboard.scope import Scope


def current_scope() -> Scope:
    """Returns the signed-in user's scope; refuses (PermissionError) when nobody is."""
    if not getattr(current_user, "is_authenticated", False):
        raise PermissionError("not signed in")
    return current_user.scope


def current_user_name() -> str | None:
    """Returns the signed-in user's name, or None."""
    return current_user.name if getattr(current_user, "is_authenticated", False) else None
