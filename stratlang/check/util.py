"""Small helpers the check modules share: finding an attribute in a block, the span of an id."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol, TypedDict, TypeVar

from .. import diagnostics as dg
from ..source import Span
from ..syntax import ast

if TYPE_CHECKING:
    from ..model import Model

_T = TypeVar("_T")


class MakeOptions(TypedDict, total=False):
    """The keyword arguments of `dg.make`, for helpers that pass them on (`**kw: Unpack[...]`)."""

    labels: Iterable[dg.Label]
    help: str | Iterable[str]
    notes: str | Iterable[str]
    suggestions: Iterable[dg.Suggestion]
    severity: dg.Severity | None


class Declared(Protocol):
    """A model element written as a block (objective, segment, play, …)."""

    @property
    def span(self) -> Span | None: ...

    @property
    def node(self) -> ast.Block | None: ...


def attr(node: ast.Block | None, name: str) -> ast.Attribute | None:
    """The attribute `name` written in the block `node` (the first one), or None."""
    if node is None:
        return None
    for item in node.items:
        if isinstance(item, ast.Attribute) and item.name.name == name:
            return item
    return None


def id_span(el: Declared) -> Span:
    """The id of a declaration (inside its block, so `allow` on the block applies).

    Checks call it only for elements that come from source (a span or a node); an element with
    neither has nowhere to point to."""
    node = el.node
    if node is not None and node.id is not None:
        return node.id.span
    if el.span is None:
        raise ValueError("a model element without a source position has no id span")
    return el.span


def span_of(el: Declared) -> Span:
    """Where a declaration is written (checks report only on elements that come from source)."""
    if el.span is None:
        raise ValueError("a model element without a source position cannot be pointed at")
    return el.span


def replace_with(span: Span, near: Sequence[str]) -> tuple[dg.Suggestion, ...]:
    """The did-you-mean fix: replace `span` with the closest name (machine-applicable when it is
    the only candidate)."""
    if not near:
        return ()
    sure = (
        dg.Applicability.MACHINE_APPLICABLE if len(near) == 1 else dg.Applicability.MAYBE_INCORRECT
    )
    return (dg.Suggestion(span, near[0], f"replace with `{near[0]}`", sure),)


def per_model(build: Callable[[Model], _T]) -> Callable[[Model], _T]:
    """`build(model)` once per model (kept while the model lives), for the checks that share it."""
    made: weakref.WeakKeyDictionary[Model, _T] = weakref.WeakKeyDictionary()

    def get(model: Model) -> _T:
        found = made.get(model)
        if found is None:
            found = made[model] = build(model)
        return found

    return get
