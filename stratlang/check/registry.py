"""Checks are small functions registered per code family; each yields diagnostics.

    @check("MAP")
    def cycles(model, ctx): yield dg.make("MAP401", ...)

`run_checks` runs every registered check over the model, then drops warnings and notes that the
declaration holding their primary span silences with `allow CODE` (errors are never dropped).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
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


class AllowedSpans(list[tuple[Span, frozenset[str]]]):
    """(span, allowed codes) pairs, indexed by file and code when first asked: a large project
    has thousands of `allow`s and thousands of warnings, and testing each warning against each
    span took 1.2 s of a 65k-line check."""

    _index: dict[tuple[str, str], tuple[list[int], list[int], list[int]]] | None = None

    def covers(self, code: str, span: Span) -> bool:
        """Whether an `allow` of `code` encloses `span`."""
        if self._index is None:
            self._index = {}
            pairs: dict[tuple[str, str], list[tuple[int, int]]] = {}
            for s, codes in self:
                for c in codes:
                    pairs.setdefault((s.file, c), []).append((s.start, s.end))
            for key, found in pairs.items():
                found.sort()
                ends = [e for _, e in found]
                self._index[key] = ([b for b, _ in found], ends, list(accumulate(ends, max)))
        entry = self._index.get((span.file, code))
        if entry is None:
            return False
        starts, ends, reach = entry
        # the spans starting at or before span.start; going back, stop once none reaches its end
        j = bisect_right(starts, span.start) - 1
        while j >= 0 and reach[j] >= span.end:
            if ends[j] >= span.end:
                return True
            j -= 1
        return False


def allowed_spans(model: Model) -> AllowedSpans:
    """(span, allowed codes) of every declaration that has `allow`."""
    out = AllowedSpans()
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
    if isinstance(allows, AllowedSpans):
        return allows.covers(diag.code, s)
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
