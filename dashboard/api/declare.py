"""The API's routes as declarations: each route states its path, what it returns, its
parameters and an example, and the Flask rule, the OpenAPI description and the docs page
are all made from that one declaration, so they cannot drift apart.

`endpoint(path, ...)` is a decorator on a view function; `ENDPOINTS` lists them in
declaration order. Parameters every data route shares (`snapshot`, `format`, `limit`,
`offset`) are added by `common=True`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

PREFIX = "/api/v1"
MAX_LIMIT, DEFAULT_LIMIT = 10_000, 1_000


@dataclass(frozen=True)
class Param:
    """One parameter: `kind` is an OpenAPI type ('string', 'integer'), `format` e.g. 'date';
    `where` is 'query' or 'path'."""

    name: str
    description: str
    kind: str = "string"
    required: bool = False
    where: str = "query"
    enum: tuple[str, ...] | None = None
    format: str | None = None
    default: str | int | None = None
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Endpoint:
    """One GET route under /api/v1: `path` in Flask's form (`/indicators/<metric_id>`)."""

    path: str
    summary: str
    description: str
    example: str
    view: Callable
    params: tuple[Param, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        return self.view.__name__

    @property
    def openapi_path(self) -> str:
        return PREFIX + self.path.replace("<", "{").replace(">", "}")

    def allowed(self) -> frozenset[str]:
        """The query parameters this route reads; any other is refused (a typo such as
        `metrics=` must not quietly return everything)."""
        return frozenset(p.name for p in self.params if p.where == "query")


COMMON = (
    Param("snapshot", "a kept snapshot's version (default: the one the pages show you)"),
    Param(
        "format",
        "json (the default) or csv; `Accept: text/csv` also asks for CSV",
        enum=("json", "csv"),
    ),
    Param(
        "limit",
        "rows per page",
        kind="integer",
        default=DEFAULT_LIMIT,
        minimum=1,
        maximum=MAX_LIMIT,
    ),
    Param(
        "offset",
        "rows to skip (follow `next` rather than counting)",
        kind="integer",
        default=0,
        minimum=0,
    ),
)
ENDPOINTS: list[Endpoint] = []


def endpoint(path: str, *, summary: str, description: str, example: str,
             params: tuple[Param, ...] = (), common: bool = True):  # fmt: skip
    """Declares a view function as a GET route under /api/v1."""

    def declare(view: Callable) -> Callable:
        shared = COMMON if common else ()
        ENDPOINTS.append(Endpoint(path, summary, description, example, view, (*params, *shared)))
        return view

    return declare
