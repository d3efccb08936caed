"""The resolution cache (`BuildCache`): what one build of the model leaves for the next.

The language server builds the model of a project after every edit; its incremental parse keeps
every unchanged statement's AST nodes as the same objects. `Resolver` (check/resolve.py) reuses,
through this cache, the resolution of each declaration, link chain and typed rule whose nodes and
inputs are unchanged (docs/lsp.md, "Speed").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from .. import model as m
from ..rules import NExpr
from ..source import Span
from ..syntax import ast

if TYPE_CHECKING:
    from .resolve import _Decl


class Decls(dict[str, "_Decl"]):
    """The project's declarations by id; while `reads` is a dict, every `get` is noted in it (what
    a declaration's resolution looked up: `BuildCache`)."""

    reads: dict[str, _Decl | None] | None = None

    def get(self, name: str, default: None = None) -> _Decl | None:  # type: ignore[override]
        d = dict.get(self, name)
        if self.reads is not None:
            self.reads[name] = d
        return d


class Touched(dict[str, Any]):
    """A dict that notes whether it was read or written (`touched`)."""

    touched = False

    def get(self, key: str, default: Any = None) -> Any:
        self.touched = True
        return dict.get(self, key, default)

    def __getitem__(self, key: str) -> Any:
        self.touched = True
        return dict.__getitem__(self, key)

    def __contains__(self, key: object) -> bool:
        self.touched = True
        return dict.__contains__(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        self.touched = True
        dict.__setitem__(self, key, value)

    def __iter__(self) -> Iterator[str]:
        self.touched = True
        return dict.__iter__(self)


@dataclass(slots=True)
class Built:
    """One declaration's (or link chain's) resolution, kept for the next build (`BuildCache`)."""

    block: ast.Block | ast.Link  # (held: the key is its id)
    world: tuple[object, ...]
    reads: frozenset[str]  # the ids it looked up
    value: object
    start: int  # where the node was (a link chain's edges have spans of their own making)
    line: int


Typed: TypeAlias = tuple[object, str, tuple[object, ...], NExpr | None]
Derived: TypeAlias = tuple[object, tuple[tuple[str, object], ...], object]


@dataclass(slots=True)
class Kept:
    """What one build leaves for the next (replaced as a whole: `BuildCache`)."""

    # id -> (kind, block) of every declaration: what the entries' lookups found
    decls: dict[str, tuple[str, ast.Block]] = field(default_factory=dict)
    world: tuple[object, ...] = ()
    entries: dict[int, Built] = field(default_factory=dict)  # id(block) -> its resolution
    links: dict[int, Built] = field(default_factory=dict)  # id(link chain) -> its edges
    # id(rule) -> (rule, what, schema as typing reads it, typed rule): rules typed without a
    # diagnostic and without history aggregates (their fields are project-wide)
    typed: dict[int, Typed] = field(default_factory=dict)
    # id(element) -> (element, changes, element with them): the same object for the same
    # changes to the same element (`Resolver.derive`), so checks may key on identity too
    derived: dict[int, Derived] = field(default_factory=dict)


_set = object.__setattr__  # spans are frozen: moving one rewrites it in place


def move_span(span: Span | None, delta: int, lines: int) -> None:
    """Move a span as the incremental parse moves its pieces' spans (columns stay)."""
    if span is not None:
        _set(span, "start", span.start + delta)
        _set(span, "end", span.end + delta)
        _set(span, "line", span.line + lines)
        _set(span, "end_line", span.end_line + lines)


class BuildCache:
    """Declarations resolved by the last build, reused by the next one (the language server's, after
    an edit: its incremental parse keeps every unchanged statement's AST nodes, as the same objects,
    and moves their spans in place).

    A declaration's resolution is a function of its block and of what it reads beside it: the
    declarations it looks up by id (their kinds, and for `OWNER.ID` the owner's block), the
    perspective ids, the risk levels, the ids in blocks that did not parse and the schema's block.
    An entry is reused when its block is the same object, each declaration it looked up is the same
    (same kind, same block object, or still absent: the ids whose declaration changed since the
    last build are found once, by comparing the two builds' declarations) and the rest is equal.
    Only resolutions that reported nothing are kept: a diagnostic may name another declaration's
    position in its text, and did-you-mean spends a budget shared by the whole project, in
    declaration order. What a resolution returns holds its block's spans (moved in place) and no
    span of its own making (a link edge's is moved with its chain: `move_span`).
    """

    def __init__(self) -> None:
        self.kept = Kept()  # (one assignment per build: one that is interrupted changes nothing)
        self.reused = 0  # for tests and the benchmark
        self.built = 0


def typing_key(schema: m.Schema | None) -> tuple[object, ...]:
    """What typing a rule reads of the schema: all of it but positions and nodes."""
    if schema is None:
        return ()
    fields = tuple(field_values(f) for f in schema.fields.values())
    return (fields,) + tuple(
        getattr(schema, n) for n in _SCHEMA_NAMES if n not in ("span", "node", "fields")
    )


_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(m.Field) if f.name != "span")
_SCHEMA_NAMES = tuple(f.name for f in dataclasses.fields(m.Schema))


def field_values(f: m.Field) -> tuple[object, ...]:
    """A field as rules are typed and solved against it: every attribute but its position."""
    return tuple(getattr(f, n) for n in _FIELD_NAMES)
