"""Map layouts in a build: each map laid out once, and a budget for maps Graphviz cannot lay out.

    with layout_session(progress=step) as session:           # builder.build
        render_image(model, "strategy", "svg", options)      # map.svg: Graphviz runs
        render_image(model, "strategy", "svg", options)      # playbook.html: the same bytes
    session.notes    # ["the strategy map has 10,000 objectives and 12,013 links, …"]

Inside a session `run_dot` keeps every layout it made, keyed by its DOT text and format, so a
map drawn for `map.svg` and again for the playbook's inline copy is laid out once (a build
used to lay out each map twice). The strategy map is the one whose layout cost explodes:
`dot` took 2.5 s on 500 objectives, 12 s on 1,000 and 58 s (3 GB) on 2,000, and a
10,000-objective map was still running after 21 minutes at 10 GB (docs/maps.md, "The layout
budget"). So a session draws it only while objectives + links stay within `budget`; above it,
and when a layout does not finish within `timeout` seconds, it draws the summary of
summary_map.py instead and says so in `notes`. A layout that takes long is announced by one
progress line first.

Outside a session (`stratlang map`, the library's `render_image`) nothing changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .. import model as m
    from .base import Options

MAP_BUDGET = 2_500  # objectives + links of the strategy map that a build lays out in full
LAYOUT_TIMEOUT = 120.0  # seconds one layout may take in a build before the summary is drawn
PROGRESS_FROM = 1_000  # objectives + links from which a layout is announced (about 5 s)


def map_size(model: m.Model) -> tuple[int, int]:
    """(objectives, links) of the strategy map: what its layout cost grows with."""
    return len(model.objectives), len(model.links)


def _n(value: int) -> str:
    return f"{value:,}"


@dataclass
class LayoutSession:
    """The layouts of one build: the cache, the budget, the notes to show the user."""

    budget: int | None = MAP_BUDGET  # None: every map in full
    timeout: float | None = LAYOUT_TIMEOUT
    progress: Callable[[str], None] = lambda message: None
    notes: list[str] = field(default_factory=list)
    runs: int = 0  # layouts made (cache misses)
    _cache: dict[tuple[str, str], bytes] = field(default_factory=dict)
    _texts: dict[tuple[int, str, int], str] = field(default_factory=dict)
    _summarised: dict[int, str] = field(default_factory=dict)  # id(model) -> why

    def layout(self, dot_text: str, fmt: str, run: Callable[[float | None], bytes]) -> bytes:
        """The layout of `dot_text` in `fmt`: made once by `run(timeout)`, then reused."""
        key = (fmt, hashlib.blake2b(dot_text.encode("utf-8"), digest_size=20).hexdigest())
        if key not in self._cache:
            self._cache[key] = run(self.timeout)
            self.runs += 1
        return self._cache[key]

    def image(self, model: m.Model, view: str, fmt: str, options: Options | None) -> bytes:
        """`render_image` in a build: the strategy map within the budget, else its summary."""
        from .dot import run_dot

        if view != "strategy":
            return run_dot(self._dot(model, view, options), fmt)
        return self.strategy_map(model, lambda: self._dot(model, view, options), fmt, options)

    def strategy_map(
        self,
        model: m.Model,
        dot_text: Callable[[], str],
        fmt: str,
        options: Options | None = None,
    ) -> bytes:
        """A drawing of the strategy map's layout (`dot_text()`: the plain map, or the review's
        map with its statuses): laid out within the budget and the timeout, else the summary."""
        from .dot import GraphvizTimeout, run_dot

        why = self._summarised.get(id(model)) or self._over_budget(model)
        if why is None:
            objectives, links = map_size(model)
            text = dot_text()
            if objectives + links >= PROGRESS_FROM and not self._cached(text, fmt):
                self.progress(
                    f"strategy map: Graphviz is laying out {_n(objectives)} objectives and "
                    f"{_n(links)} links (up to {self.timeout or 0:.0f} s)…"
                    if self.timeout
                    else f"strategy map: Graphviz is laying out {_n(objectives)} objectives "
                    f"and {_n(links)} links…"
                )
            try:
                return run_dot(text, fmt)
            except GraphvizTimeout:
                why = (
                    f"the strategy map ({_n(objectives)} objectives, {_n(links)} links) was not "
                    f"laid out within {self.timeout or 0:.0f} s"
                )
        return self._summary(model, fmt, options, why)

    def _dot(self, model: m.Model, view: str, options: Options | None) -> str:
        """The map's DOT text, made once per model, view and options object (a build hands
        every backend the same options; the maps do not read what it collects in them)."""
        from .dot import render_dot

        key = (id(model), view, id(options))
        if key not in self._texts:
            self._texts[key] = render_dot(model, view, options)
        return self._texts[key]

    def _cached(self, dot_text: str, fmt: str) -> bool:
        key = (fmt, hashlib.blake2b(dot_text.encode("utf-8"), digest_size=20).hexdigest())
        return key in self._cache

    def _over_budget(self, model: m.Model) -> str | None:
        objectives, links = map_size(model)
        if self.budget is None or objectives + links <= self.budget:
            return None
        return (
            f"the strategy map has {_n(objectives)} objectives and {_n(links)} links, "
            f"{_n(objectives + links)} in all: more than the layout budget of {_n(self.budget)}"
        )

    def _summary(self, model: m.Model, fmt: str, options: Options | None, why: str) -> bytes:
        from .dot import run_dot
        from .summary_map import summary_dot

        if id(model) not in self._summarised:
            self._summarised[id(model)] = why
            self.notes.append(
                f"{why}; it is drawn as a summary (objectives counted by perspective and "
                'theme, links between them) — see docs/maps.md, "The layout budget"'
            )
        # the summary is small (a node per perspective and theme): no budget, the usual timeout
        timeout, self.timeout = self.timeout, None
        try:
            return run_dot(summary_dot(model, options), fmt)
        finally:
            self.timeout = timeout


_SESSION: ContextVar[LayoutSession | None] = ContextVar("layout_session", default=None)


def current_session() -> LayoutSession | None:
    return _SESSION.get()


@contextmanager
def layout_session(
    budget: int | None = MAP_BUDGET,
    timeout: float | None = LAYOUT_TIMEOUT,
    progress: Callable[[str], None] | None = None,
) -> Iterator[LayoutSession]:
    """Lay out maps once each, within `budget` and `timeout`, until the block ends."""
    session = LayoutSession(budget, timeout, progress or (lambda message: None))
    token = _SESSION.set(session)
    try:
        yield session
    finally:
        _SESSION.reset(token)


__all__ = [
    "LAYOUT_TIMEOUT",
    "MAP_BUDGET",
    "LayoutSession",
    "current_session",
    "layout_session",
    "map_size",
]
