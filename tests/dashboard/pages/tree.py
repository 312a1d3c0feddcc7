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


def walk(component):
    """Yields a component and everything under it, texts included, depth first."""
    yield component
    children = getattr(component, "children", None)
    if children is None or isinstance(children, str | int | float):
        return
    for child in children if isinstance(children, list | tuple) else [children]:
        yield from walk(child)


def words(component) -> str:
    """The words a component shows, its parts and paragraphs one space apart (spaces
    between parts, as between paragraphs, read as one, as the browser shows them)."""
    if isinstance(component, str):
        return component
    children = getattr(component, "children", None)
    if children is None:
        return ""
    parts = children if isinstance(children, list | tuple) else [children]
    return " ".join(" ".join(words(part) for part in parts).split())
