"""A user's scope: the part of the hierarchy whose rows they may receive.

A scope is the whole system, or one area, locality, network or practice. A user sees the
org they are scoped to, everything beneath it, and the orgs above it (their own parent
levels and the system), which stay visible as benchmarks. Nothing else leaves the server:
a locality lead never receives another locality's rows, whatever a request asks for.
Membership is the snapshot's latest (`org_units`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from metrics.registry import LEVELS

SYSTEM_CODE = "SYSTEM"


@dataclass(frozen=True)
class Scope:
    """A level and an org code; `Scope.whole_system()` sees everything."""

    level: str
    code: str

    @classmethod
    def whole_system(cls) -> Scope:
        return cls("system", SYSTEM_CODE)

    @classmethod
    def parse(cls, text: str | None) -> Scope:
        """Reads `LEVEL:CODE` (or nothing, for the whole system); raises ValueError."""
        if not text:
            return cls.whole_system()
        level, _, code = text.partition(":")
        if level not in LEVELS or not code:
            raise ValueError(
                f"scope {text!r} is not LEVEL:CODE with LEVEL one of {', '.join(LEVELS)}"
            )
        return cls(level, code.strip())

    @property
    def is_whole_system(self) -> bool:
        return self.level == "system"

    def __str__(self) -> str:
        return "whole system" if self.is_whole_system else f"{self.level}:{self.code}"


def visible_codes(org_units: pd.DataFrame, scope: Scope) -> set[str]:
    """Returns the org codes a scope may see: its org, its descendants and its ancestors.

    `org_units` has columns org_code and parent_code. An org the snapshot does not hold
    gives only the system, so a stale scope sees benchmarks and nothing else.
    """
    parents = dict(zip(org_units["org_code"], org_units["parent_code"], strict=True))
    if scope.is_whole_system:
        return set(parents) | {SYSTEM_CODE}
    if scope.code not in parents:
        return {SYSTEM_CODE}
    return _descendants(parents, scope.code) | _ancestors(parents, scope.code)


def _descendants(parents: dict[str, str], root: str) -> set[str]:
    found, frontier = {root}, {root}
    while frontier:
        frontier = {code for code, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _ancestors(parents: dict[str, str], code: str) -> set[str]:
    found = {SYSTEM_CODE}
    while code in parents and parents[code] and code not in (SYSTEM_CODE,):
        code = parents[code]
        found.add(code)
    return found


def own_codes(org_units: pd.DataFrame, scope: Scope) -> set[str]:
    """Returns the org codes a scope may write for (targets, commentary): its org and
    everything beneath it, never the benchmarks above it, which it may only read."""
    parents = dict(zip(org_units["org_code"], org_units["parent_code"], strict=True))
    if scope.is_whole_system:
        return set(parents)
    if scope.code not in parents:
        return set()
    return _descendants(parents, scope.code)
