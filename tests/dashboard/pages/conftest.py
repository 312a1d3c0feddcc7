"""Every page test reads the published sample as a whole-system user unless it says
otherwise (a test narrows the scope by monkeypatching `session.current_scope` again)."""

from __future__ import annotations

import pytest

from dashboard import access, session
from dashboard.scope import Scope


@pytest.fixture(autouse=True)
def whole_system(published_sample, monkeypatch):
    access.configure(published_sample)
    monkeypatch.setattr(session, "current_scope", Scope.whole_system)


@pytest.fixture
def scope_as(published_sample, monkeypatch):
    """Returns `use(scope)`, which makes a test's requests come from a user with that scope."""
    access.configure(published_sample)

    def use(scope: Scope) -> Scope:
        monkeypatch.setattr(session, "current_scope", lambda: scope)
        return scope

    use(Scope.whole_system())
    return use
