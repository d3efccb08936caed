"""The formatter: one canonical layout for a `.strat` file, comments kept, meaning unchanged.

`format_text(text)` parses the text, prints the AST (`printer.py`) and then, when the printed
text differs from the input, proves the result as Black does: the output must parse to the same AST (spans and comment positions aside) with
the same comments in the same order (`assert_equivalent`), and formatting the output again must
give the output back (`assert_stable`). A file that does not parse is never formatted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import cast

from .. import diagnostics as dg
from ..source import SourceFile, SourceMap, Span
from ..syntax import ast
from ..syntax.parser import parse_source
from .printer import print_file


class FormatError(Exception):
    """The text cannot be formatted: it does not parse (`diagnostics` holds the syntax errors,
    `sources` the file), or — a formatter bug — the output would not mean the same."""

    def __init__(
        self,
        message: str,
        diagnostics: Iterable[dg.Diagnostic] = (),
        sources: SourceMap | None = None,
    ) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics)
        self.sources = sources if sources is not None else SourceMap()


def _parse(text: str, path: str) -> tuple[ast.File, list[dg.Diagnostic], SourceFile]:
    source = SourceFile(path, text)
    tree, diags = parse_source(source)
    return tree, diags, source


_SKIP = frozenset(("span", "kind_span", "leading", "trailing", "dangling", "comments", "path"))
# type -> how `structure` takes it apart: a sequence, a leaf value, a span or comment (dropped),
# or a node's compared fields. Looked up once per type, not asked of `dataclasses` per node.
_SEQ, _LEAF, _DROP = "seq", "leaf", "drop"
_KINDS: dict[type, str | tuple[str, ...]] = {}


def _kind(x: object) -> str | tuple[str, ...]:
    t = type(x)
    kind = _KINDS.get(t)
    if kind is None:
        if isinstance(x, (list, tuple)):
            kind = _SEQ
        elif not dataclasses.is_dataclass(x) or isinstance(x, type):
            kind = _LEAF
        elif isinstance(x, (Span, ast.Comment)):
            kind = _DROP
        else:
            kind = tuple(f.name for f in dataclasses.fields(x) if f.name not in _SKIP)
        _KINDS[t] = kind
    return kind


def structure(node: object) -> tuple[object, ...]:
    """A node as a flat tuple without spans or comment attachment (what equivalence compares):
    in pre-order, a node's type then its fields, a sequence as ("seq", length) then its items.
    A block's `body` span becomes whether the block has braces at all. Built on an explicit stack,
    so a deep tree costs no Python stack."""
    out: list[object] = []
    todo = [node]
    while todo:
        x = todo.pop()
        kind = _kind(x)
        if kind is _SEQ:
            seq = cast("Sequence[object]", x)
            out.append(("seq", len(seq)))
            todo.extend(reversed(seq))
        elif kind is _LEAF:
            out.append(x)
        elif kind is _DROP:
            out.append(None)
        else:
            out.append(type(x))
            for name in reversed(kind):
                v = getattr(x, name)
                todo.append(v is not None if name == "body" else v)
    return tuple(out)


def comment_texts(tree: ast.File) -> list[str]:
    return [c.text for c in tree.comments]


def format_text(text: str, path: str = "<input>") -> str:
    """The canonical form of `text`. Raises FormatError when the text does not parse (with the
    syntax diagnostics) or when the formatted text would not be equivalent (a formatter bug:
    nothing must then be written)."""
    tree, diags, source = _parse(text, path)
    errors = [d for d in diags if d.severity >= dg.Severity.ERROR]
    if errors:
        sources = SourceMap()
        sources.add(source)
        raise FormatError(f"{path}: cannot format a file with syntax errors", errors, sources)
    out = print_file(tree)
    if out == text:
        # Already formatted: the output is the input, so it parses to the same tree and prints
        # the same again; both proofs below hold without being run (`fmt --check` on a clean
        # tree costs a parse and a print).
        return out
    # assert_equivalent: same structure, same comments in the same order
    tree2, diags2, _ = _parse(out, path)
    if any(d.severity >= dg.Severity.ERROR for d in diags2):
        raise FormatError(
            f"{path}: internal formatter error: the formatted text does not parse "
            f"({diags2[0].message}); the file was left unchanged"
        )
    if structure(tree2) != structure(tree):
        raise FormatError(
            f"{path}: internal formatter error: the formatted text would mean something "
            "different; the file was left unchanged"
        )
    if comment_texts(tree2) != comment_texts(tree):
        raise FormatError(
            f"{path}: internal formatter error: comments would be lost or reordered; "
            "the file was left unchanged"
        )
    # assert_stable: formatting the output changes nothing
    if print_file(tree2) != out:
        raise FormatError(
            f"{path}: internal formatter error: formatting is not stable for this file; "
            "the file was left unchanged"
        )
    return out


def read_source(path: str | Path) -> str:
    """A file's text as the parser sees it (UTF-8, BOM dropped, newlines normalised)."""
    return SourceFile.decode(Path(path).read_bytes())


def format_file(path: str | Path, *, write: bool = True) -> tuple[str, str]:
    """Format one file (imports are not followed). Returns (original text, formatted text);
    writes the file atomically when it changes and `write` is set."""
    from ..output import atomic_write

    p = Path(path)
    data = p.read_bytes()
    original = SourceFile.decode(data)
    formatted = format_text(original, str(path))
    if write and formatted.encode("utf-8") != data:
        atomic_write(p, formatted)
    return original, formatted


__all__ = ["FormatError", "comment_texts", "format_file", "format_text", "print_file", "structure"]
