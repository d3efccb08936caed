"""Small helpers the check modules share: finding an attribute in a block, the span of an id."""

from __future__ import annotations

from ..source import Span
from ..syntax import ast


def attr(node: ast.Block | None, name: str) -> ast.Attribute | None:
    """The attribute `name` written in the block `node` (the first one), or None."""
    if node is None:
        return None
    for item in node.items:
        if isinstance(item, ast.Attribute) and item.name.name == name:
            return item
    return None


def id_span(el) -> Span:
    """The id of a declaration (inside its block, so `allow` on the block applies)."""
    node = getattr(el, "node", None)
    if node is not None and getattr(node, "id", None) is not None:
        return node.id.span
    return el.span
