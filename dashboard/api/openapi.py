"""The API's OpenAPI 3 description (apispec, from the routes' own declarations) and the
docs page rendered on the server from that description (no CDN: the Content-Security-
Policy allows only this site's scripts, and the docs must work offline).

apispec is used rather than a framework such as flask-smorest because the routes are
plain Flask rules on Dash's server: apispec only builds and checks the document from the
dicts given to it, with no change to how the routes are served.
"""

from __future__ import annotations

import re

from apispec import APISpec
from jinja2 import Environment, select_autoescape
from markupsafe import Markup, escape

from dashboard.api.declare import ENDPOINTS, Endpoint, Param

TITLE = "wholesystem read-only API"
ABOUT = (
    "Published whole-system metrics as JSON (or CSV with format=csv). Every request needs "
    "a personal API token, made on the API tokens page (/api-tokens), sent as "
    "`Authorization: Bearer <token>`. The token reads as its user: their scope, role and "
    "disclosure control now. Answers are paged (`limit`, `offset`, `next` and "
    "`Link: rel=next`) and carry an ETag: send it back as If-None-Match to get 304 while "
    "the snapshot and your access are unchanged. Too many requests get 429 with Retry-After."
)
ENVELOPE = {
    "type": "object",
    "properties": {
        "data": {"type": "array", "items": {"type": "object"}},
        "count": {"type": "integer", "description": "rows in this page"},
        "total": {"type": "integer", "description": "rows in all pages"},
        "limit": {"type": "integer"},
        "offset": {"type": "integer"},
        "next": {"type": "string", "nullable": True, "description": "the next page's URL"},
        "snapshot": {"type": "string", "description": "the snapshot version read"},
    },
}
ERROR = {"type": "object", "properties": {"error": {"type": "string"}}}
REFUSALS = {
    "400": "a bad parameter, named in one sentence",
    "401": "no token, a malformed header, or a token that is wrong, revoked or whose user "
    "is deactivated",
    "404": "not found, not in your scope, or a snapshot you may not read",
    "429": "too many requests from this token; see Retry-After",
}


def description() -> dict:
    """The OpenAPI 3.0 document of every declared route."""
    spec = APISpec(title=TITLE, version="1", openapi_version="3.0.3", info={"description": ABOUT})
    spec.components.security_scheme("token", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Envelope", ENVELOPE)
    spec.components.schema("Error", ERROR)
    for route in ENDPOINTS:
        spec.path(path=route.openapi_path, operations={"get": _operation(route)})
    document = spec.to_dict()
    document["security"] = [{"token": []}]
    return document


def _operation(route: Endpoint) -> dict:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    ok = {
        "description": "a page of rows",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
    responses = {"200": ok, "304": {"description": "not modified (If-None-Match)"}}
    responses.update({code: {"description": why, "content": error}
                      for code, why in REFUSALS.items()})  # fmt: skip
    return {
        "operationId": route.name,
        "summary": route.summary,
        "description": route.description,
        "parameters": [_parameter(param) for param in route.params],
        "responses": responses,
        "x-example": route.example,
    }


def _parameter(param: Param) -> dict:
    schema = {"type": param.kind}
    for key in ("enum", "format", "default", "minimum", "maximum"):
        value = getattr(param, key)
        if value is not None:
            schema[key] = list(value) if key == "enum" else value
    required = param.required or param.where == "path"
    return {"name": param.name, "in": param.where, "required": required,
            "description": param.description, "schema": schema}  # fmt: skip


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ info.title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/_favicon.ico">
<style>
body { font-family: Arial, sans-serif; margin: 2rem auto; max-width: 62rem; color: #212b32;
       padding: 0 1rem; line-height: 1.45; }
h1 { color: #005eb8; } h2 { border-top: 1px solid #d8dde0; padding-top: 1rem; }
code, pre { background: #f0f4f5; padding: .1rem .3rem; }
pre { padding: .6rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left;
       border-bottom: 1px solid #d8dde0; padding: .3rem .5rem; vertical-align: top; }
.get { background: #005eb8; color: #fff; padding: .1rem .4rem; font-weight: bold; }
</style></head><body>
<p><a href="/">Back to the dashboard</a> · <a href="/api-tokens">Your API tokens</a> ·
<a href="/api/v1/openapi.json">OpenAPI description (JSON)</a></p>
<main>
<h1>{{ info.title }}</h1>
<p>{{ info.description | code }}</p>
<p>Example with a token in the environment variable <code>WHOLESYSTEM_TOKEN</code>:</p>
<pre>curl -H "Authorization: Bearer $WHOLESYSTEM_TOKEN" "{{ base }}/api/v1/snapshots"</pre>
{% for path, item in paths.items() %}{% set op = item["get"] %}
<h2 id="{{ op.operationId }}"><span class="get">GET</span> <code>{{ path }}</code></h2>
<p><strong>{{ op.summary }}.</strong> {{ op.description | code }}</p>
<table><thead><tr><th scope="col">Parameter</th><th scope="col">In</th>
<th scope="col">Type</th><th scope="col">Description</th></tr></thead><tbody>
{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code>{% if p.required %}
(required){% endif %}</td><td>{{ p["in"] }}</td><td>{{ p.schema.type }}{% if p.schema.enum %}:
{{ p.schema.enum | join(", ") }}{% endif %}{% if p.schema.default is defined %}
(default {{ p.schema.default }}){% endif %}</td><td>{{ p.description | code }}</td></tr>
{% endfor %}</tbody></table>
<p>Example:</p>
<pre>curl -H "Authorization: Bearer $WHOLESYSTEM_TOKEN" "{{ base }}{{ op["x-example"] }}"</pre>
{% endfor %}
</main>
</body></html>
"""


def _code(text: str) -> Markup:
    """Text with `backticked` words as <code>, everything else escaped."""
    return Markup(re.sub(r"`([^`<>]+)`", r"<code>\1</code>", str(escape(text))))


_environment = Environment(autoescape=select_autoescape(default=True))
_environment.filters["code"] = _code
_template = _environment.from_string(PAGE)


def docs_page(document: dict, base: str) -> str:
    """The docs page (HTML) of an OpenAPI document; `base` is the site's address."""
    return _template.render(**document, base=base.rstrip("/"))
