"""Checks are small functions registered per code family; each yields diagnostics.

    @check("MAP")
    def cycles(model, ctx): yield dg.make("MAP401", ...)

`run_checks` runs every registered check over the model, then drops warnings and notes that the
declaration holding their primary span silences with `allow CODE` (errors are never dropped).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from .. import diagnostics as dg
from ..model import Model
from ..source import SourceMap, Span

CheckFn = Callable[[Model, "Context"], Iterable[dg.Diagnostic]]
CheckT = TypeVar("CheckT", bound=CheckFn)
CHECKS: list[tuple[str, str, CheckFn]] = []  # (family, name, function)


@dataclass
class Context:
    """What checks share: the model's sources and a cache for expensive results."""

    sources: SourceMap | None = None
    cache: dict[str, object] = field(default_factory=dict)  # each check knows its own entries
    timings: dict[str, float] = field(default_factory=dict)  # family -> seconds


def check(family: str) -> Callable[[CheckT], CheckT]:
    def deco(fn: CheckT) -> CheckT:
        CHECKS.append((family, fn.__name__, fn))
        return fn

    return deco


_loaded = False


def load_checks() -> None:
    """Import the modules holding checks (each registers its functions on import)."""
    global _loaded
    if _loaded:
        return
    from . import governance, mapgraph, plays, review, segments, types  # noqa: F401

    _loaded = True


class _Allowing(Protocol):
    @property
    def allow(self) -> frozenset[str]: ...

    @property
    def span(self) -> Span | None: ...


Allows = Sequence[tuple[Span, frozenset[str]]]


def allowed_spans(model: Model) -> list[tuple[Span, frozenset[str]]]:
    """(span, allowed codes) of every declaration that has `allow`."""
    out: list[tuple[Span, frozenset[str]]] = []
    colls: tuple[Mapping[str, _Allowing], ...] = (
        model.objectives,
        model.segments,
        model.tierings,
        model.offers,
        model.channels,
        model.scripts,
        model.plays,
        model.initiatives,
        model.reviews,
        model.gaps,
        model.policies,
        model.units,
    )
    for coll in colls:
        for el in coll.values():
            if el.allow and el.span is not None:
                out.append((el.span, el.allow))
    return out


def is_allowed(diag: dg.Diagnostic, allows: Allows) -> bool:
    if diag.severity == dg.Severity.ERROR:
        return False
    s = diag.span
    for span, codes in allows:
        if (
            diag.code in codes
            and span.file == s.file
            and span.start <= s.start
            and s.end <= span.end
        ):
            return True
    return False


def run_checks(model: Model, ctx: Context | None = None) -> list[dg.Diagnostic]:
    import time

    load_checks()
    ctx = ctx or Context()
    out: list[dg.Diagnostic] = []
    for family, _name, fn in CHECKS:
        t = time.perf_counter()
        out.extend(fn(model, ctx))
        ctx.timings[family] = ctx.timings.get(family, 0.0) + time.perf_counter() - t
    allows = allowed_spans(model)
    if allows:
        out = [d for d in out if not is_allowed(d, allows)]
    return out
