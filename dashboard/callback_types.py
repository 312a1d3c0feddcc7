"""What a callback request may carry, checked before Dash hands its values to a page.

Dash passes the values of a `/_dash-update-component` request to the callback as they
come, so a crafted request could give a page a list where it expects text and the page
would fail with HTTP 500. `problem(callback_map, body)` checks a request first: it must
name a registered callback, carry exactly that callback's inputs and state (and outputs),
and each value must be of the kind its component sends (`kind_of`); otherwise it returns
one sentence for a 400 answer. Values are never echoed back.

Kinds are declared by property (every `value` here is a native select, radio or text box
sending text) and, where a component differs, by component id (`KINDS_BY_ID`). A property
with no declared kind falls back to `SCALAR`; a test keeps every callback input declared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from dash._utils import split_callback_id, stringify_id
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError
from werkzeug.exceptions import BadRequest

MAX_TEXT = 2_000  # characters: longer than any control's value or URL query the pages make
WILDCARDS = ("ALL", "ALLSMALLER", "MATCH")
NOT_A_CALLBACK = "A callback request must be a JSON object naming a callback and its inputs."
NO_SUCH_CALLBACK = "There is no callback for the output this request names."
WRONG_SHAPE = "This request does not carry the outputs, inputs and state its callback takes."
WRONG_CHANGE = "This request says an input changed that it does not carry."

Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Count = Annotated[int, Field(ge=0)]


class ClickData(BaseModel):
    """A Plotly chart's click: the points clicked, each an object of the point's fields."""

    model_config = ConfigDict(extra="allow")
    points: Annotated[list[dict[str, Any]], Field(max_length=100)]


@dataclass(frozen=True)
class Kind:
    """A kind of value: what it is in words (for the refusal) and its type (checked by
    pydantic in strict mode: no text for numbers, no numbers for true or false)."""

    words: str
    adapter: TypeAdapter

    def accepts(self, value) -> bool:
        try:
            self.adapter.validate_python(value, strict=True)
        except ValidationError:
            return False
        return True


TEXT = Kind(f"text of at most {MAX_TEXT:,} characters, or empty", TypeAdapter(Text | None))
FLAG = Kind("true, false or empty", TypeAdapter(bool | None))
CLICKS = Kind("a count of clicks, or empty", TypeAdapter(Count | None))
CLICK = Kind("a chart click (an object with a list of points), or empty",
             TypeAdapter(ClickData | None))  # fmt: skip
TICKS = Kind("a count of refreshes, or empty", TypeAdapter(Count | None))  # dcc.Interval
BAD_CLICKS = "A button's click count must be a number."


def require_clicks(*clicks) -> None:
    """Refuses (HTTP 400, one sentence) a click count that is not a whole number or empty.
    The request check (`problem`) already refuses one before the callback runs; this keeps
    a callback safe when it is called directly, in one place for every button."""
    if any(not CLICKS.accepts(click) for click in clicks):
        raise BadRequest(BAD_CLICKS)


SCALAR = Kind(
    f"text of at most {MAX_TEXT:,} characters, a number, true, false or empty",
    TypeAdapter(Text | bool | int | float | None),
)
KINDS_BY_PROPERTY = {
    "value": TEXT, "search": TEXT, "pathname": TEXT, "data": TEXT, "children": TEXT,
    "n_clicks": CLICKS, "is_open": FLAG, "clickData": CLICK, "n_intervals": TICKS,
}  # fmt: skip
# Components whose property differs from the property's usual kind: switches and checkboxes.
KINDS_BY_ID = {
    ("board-side-by-side", "value"): FLAG,
    ("indicator-change-recalculate", "value"): FLAG,
}


def kind_of(component_id: str, prop: str) -> Kind | None:
    """Returns the declared kind of a callback input (None if undeclared). A pattern id
    (`{"type": ..., "index": ...}`) is declared by its type."""
    name = component_id
    if component_id.startswith("{"):
        name = json.loads(component_id).get("type", component_id)
    return KINDS_BY_ID.get((name, prop)) or KINDS_BY_PROPERTY.get(prop)


def problem(callback_map: dict, body) -> str | None:
    """Returns why a callback request body cannot be answered, in one sentence, or None."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return NOT_A_CALLBACK
    callback = callback_map.get(body["output"])
    if callback is None or callback.get("callback") is None:
        return NO_SUCH_CALLBACK
    if not _outputs_match(body["output"], body.get("outputs")):
        return WRONG_SHAPE
    inputs = _items(callback["inputs"], body.get("inputs"))
    state = _items(callback["state"], body.get("state", []))
    if inputs is None or state is None:
        return WRONG_SHAPE
    for declared, item in inputs + state:
        kind = kind_of(declared["id"], declared["property"]) or SCALAR
        if not kind.accepts(item.get("value")):
            return f"The value of {_name(declared)} must be {kind.words}."
    return _changes_problem(body.get("changedPropIds", []), [item for _, item in inputs])


def _name(declared: dict) -> str:
    component_id = declared["id"]
    if component_id.startswith("{"):
        component_id = json.loads(component_id).get("type", component_id)
    return f"{component_id}.{declared['property']}"


def _outputs_match(output: str, outputs) -> bool:
    expected = split_callback_id(output)
    if not any(part["id"].startswith("{") for part in _listed(expected)):
        return outputs == expected
    if isinstance(expected, dict) != isinstance(outputs, dict) or outputs is None:
        return False
    listed = _listed(outputs)
    return len(listed) == len(_listed(expected)) and all(
        _is_list_of(item, declared) or (not _is_many(declared) and _is_item(item, declared))
        for item, declared in zip(listed, _listed(expected), strict=True)
    )


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _items(declared: list[dict], sent) -> list[tuple[dict, dict]] | None:
    """Returns (declared input, sent item) for every value a request carries for a list
    of declared inputs, or None if the request does not match them."""
    if not isinstance(sent, list) or len(sent) != len(declared):
        return None
    pairs = []
    for spec, item in zip(declared, sent, strict=True):
        if _is_list_of(item, spec):
            pairs += [(spec, one) for one in item]
        elif not _is_many(spec) and _is_item(item, spec):
            pairs.append((spec, item))
        else:
            return None
    return pairs


def _is_many(spec: dict) -> bool:
    """Whether an input is an ALL or ALLSMALLER pattern, sent as a list of components."""
    if not spec["id"].startswith("{"):
        return False
    return any(value in (["ALL"], ["ALLSMALLER"]) for value in json.loads(spec["id"]).values())


def _is_list_of(items, spec: dict) -> bool:
    return _is_many(spec) and isinstance(items, list) and all(_is_item(i, spec) for i in items)


def _is_item(item, spec: dict) -> bool:
    # No "value" is how the browser sends a property that is not set: Dash reads None.
    if not isinstance(item, dict) or item.get("property") != spec["property"]:
        return False
    if not spec["id"].startswith("{"):
        return item.get("id") == spec["id"]
    return _matches_pattern(item.get("id"), json.loads(spec["id"]))


def _matches_pattern(component_id, pattern: dict) -> bool:
    if not isinstance(component_id, dict) or set(component_id) != set(pattern):
        return False
    for key, wanted in pattern.items():
        value = component_id[key]
        if isinstance(wanted, list) and wanted and wanted[0] in WILDCARDS:
            if not isinstance(value, str | int | float | bool) or len(str(value)) > MAX_TEXT:
                return False
        elif value != wanted:
            return False
    return True


def _changes_problem(changed, items: list[dict]) -> str | None:
    carried = {f"{stringify_id(item['id'])}.{item['property']}" for item in items}
    if not isinstance(changed, list) or not all(
        isinstance(prop_id, str) and prop_id in carried for prop_id in changed
    ):
        return WRONG_CHANGE
    return None
