"""Reading a page's Dash component tree in tests: every component, one by id, the text."""

from __future__ import annotations


def components(node):
    """Yields every component in a tree (a component, a list of them, or text), depth first."""
    if isinstance(node, list | tuple):
        for child in node:
            yield from components(child)
    elif hasattr(node, "to_plotly_json"):
        yield node
        yield from components(getattr(node, "children", None))


def by_id(node, component_id: str):
    """Returns the first component in the tree with this id."""
    return next(item for item in components(node) if getattr(item, "id", None) == component_id)


def text(node, separator: str = "") -> str:
    """Returns the text of a tree, the texts of siblings joined by `separator`."""
    if isinstance(node, str | int | float):
        return str(node)
    if isinstance(node, list | tuple):
        return separator.join(text(child, separator) for child in node if child is not None)
    children = getattr(node, "children", None)
    return "" if children is None else text(children, separator)
