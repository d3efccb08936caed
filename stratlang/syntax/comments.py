"""Comment attachment: each comment goes to the node it belongs to.

The lexer hands every comment to lowering, which collects them in text order; here they are
given to the declarations and block items as leading, trailing or dangling comments (the
formatter prints them back from there, the language server shows them as documentation).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, TypeVar

from . import ast

# Declarations and block items: the nodes that carry comments.
_Node = TypeVar("_Node", bound=ast.Decl | ast.Item)


def attach_comments(
    nodes: tuple[_Node, ...], comments: list[ast.Comment]
) -> tuple[tuple[_Node, ...], tuple[ast.Comment, ...]]:
    """Distribute comments over nodes (sorted by position): a comment on the line where a node
    ends is its trailing comment; other comments before a node are its leading comments;
    comments inside a block go to its items; what is left is dangling. Returns (nodes, dangling).
    """
    if not comments:
        return nodes, ()
    comments = sorted(comments, key=lambda c: c.span.start)
    out: list[_Node] = []
    ci = 0
    nc = len(comments)
    for node in nodes:
        lead: list[ast.Comment] = []
        trail_prev: list[ast.Comment] = []
        while ci < nc and comments[ci].span.start < node.span.start:
            c = comments[ci]
            if out and not lead and c.span.line == out[-1].span.end_line:
                trail_prev.append(c)
            else:
                lead.append(c)
            ci += 1
        if trail_prev:
            out[-1] = replace(out[-1], trailing=out[-1].trailing + tuple(trail_prev))
        inner = []
        while ci < nc and comments[ci].span.start < node.span.end:
            inner.append(comments[ci])
            ci += 1
        if lead or inner:
            # The fields to replace, by name: leading and trailing comments, or items and dangling.
            changes: dict[str, Any] = {}
            if lead:
                changes["leading"] = tuple(lead)
            if inner:
                if (
                    (isinstance(node, ast.Block) and node.body)
                    or isinstance(node, ast.SubBlock)
                    or (isinstance(node, ast.VariantLine) and node.body)
                ):
                    items, dangling = attach_comments(node.items, inner)
                    changes["items"] = items
                    changes["dangling"] = dangling
                elif isinstance(node, (ast.TargetLine, ast.MeasureLine)) and node.body:
                    # A target's or a measure's `{ … }`: the comments inside go to its lines
                    # (those before the `{`, in the line itself, lead its first line).
                    line_items, dangling = attach_comments(node.items, inner)
                    changes["items"] = line_items
                    changes["dangling"] = dangling
                else:
                    # a line, or a block without braces (`event # c` then the id on the next
                    # line): the comments inside it follow it, as it has no body to hold them
                    changes["trailing"] = node.trailing + tuple(inner)
            node = replace(node, **changes)
        out.append(node)
    rest = comments[ci:]
    if out and rest and rest[0].span.line == out[-1].span.end_line:
        out[-1] = replace(out[-1], trailing=out[-1].trailing + (rest[0],))
        rest = rest[1:]
    return tuple(out), tuple(rest)
