"""Debounced checking on a worker thread, and dropping the results of stale versions.

Every `didChange` marks its document dirty and bumps a generation counter. A worker thread waits
until no change has come for `quiet` seconds, takes the dirty documents and checks them; when it
is done, its result is kept only if no change came meanwhile (otherwise the documents are dirty
again and checked after the next quiet period). Kept results are published on the event loop's
thread (`drain`). So during a typing burst nothing is published for versions already replaced,
and the last version's diagnostics are published once the burst stops.

A check already running when a change comes is interrupted if it is in `interruptible()` (the
resolution and checks, which build a new model and change what they keep for the next check only
in steps that cannot be left half done: docs/lsp.md): `Stale` is raised in the
worker thread (CPython's `PyThreadState_SetAsyncExc`). Parsing, which moves kept pieces in place,
is never interrupted; a stale check is given up after it.

A request (hover, definition…) first waits for the pending check (`flush`: no quiet period) and
publishes it: it then answers from the last version, and its reply comes after the diagnostics of
every change sent before it, as when each change was checked at once.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

log = logging.getLogger("stratlang.lsp")


class Stale(Exception):
    """A newer change came while checking: the check is given up."""


QUIET_SECONDS = 0.04  # measured: a keystroke burst has gaps of ~20-120 ms (docs/lsp.md)

# work(uris, stale) checks the documents; it returns the function that publishes the outcome
Work = Callable[[list[str], Callable[[], bool]], Callable[[], None] | None]


class Scheduler:
    def __init__(self, work: Work, quiet: float | None = None):
        self.work = work
        self.quiet = QUIET_SECONDS if quiet is None else quiet  # (read now: benchmarks set it)
        self.cond = threading.Condition()
        self.dirty: dict[str, None] = {}  # ordered set of URIs
        self.generation = 0
        self.last_change = 0.0
        self.running = False
        self.urgent = 0  # flushes waiting: no quiet period
        self.ready: list[tuple[int, list[str], Callable[[], None]]] = []
        self.wake_loop: Callable[[], object] | None = None  # schedules `drain` on the event loop
        self.dropped = 0  # results of stale versions not published
        self._thread: threading.Thread | None = None
        self._interruptible: int | None = None  # the worker's thread id inside interruptible()
        self._sent = False  # Stale was sent into the current interruptible block (once at most)
        self._interrupt_lock = threading.Lock()

    def changed(self, uri: str) -> None:
        with self.cond:
            self.dirty[uri] = None
            self.generation += 1
            self.last_change = time.monotonic()
            self.cond.notify_all()
        with self._interrupt_lock:
            if self._interruptible is not None and not self._sent:
                self._sent = True
                _raise_in(self._interruptible, Stale)
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, daemon=True, name="lsp-check")
            self._thread.start()

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """A change during the block raises Stale in it (only on the worker thread)."""
        if threading.current_thread() is not self._thread:
            yield
            return
        with self._interrupt_lock:
            self._interruptible = threading.get_ident()
            self._sent = False
        try:
            yield
        finally:
            with self._interrupt_lock:
                self._interruptible = None
                _raise_in(threading.get_ident(), None)  # one sent but not yet raised is dropped

    def is_stale(self, generation: int) -> bool:
        return self.generation != generation

    def _loop(self) -> None:
        while True:
            with self.cond:
                while not self.dirty:
                    self.cond.wait()
                while not self.urgent:
                    left = self.last_change + self.quiet - time.monotonic()
                    if left <= 0:
                        break
                    self.cond.wait(left)
                uris = list(self.dirty)
                self.dirty.clear()
                generation = self.generation
                self.running = True
            publish = None
            try:
                publish = self.work(uris, partial(self.is_stale, generation))
            except Exception:  # a checker bug must not stop the worker
                log.exception("internal error while checking %s", uris)
            with self.cond:
                self.running = False
                if self.is_stale(generation):
                    self.dropped += 1
                    for uri in uris:  # checked again after the next quiet period
                        self.dirty.setdefault(uri, None)
                elif publish is not None:
                    self.ready.append((generation, uris, publish))
                self.cond.notify_all()
            if self.ready and self.wake_loop is not None:
                self.wake_loop()

    def flush(self, timeout: float = 60.0) -> None:
        """Check what is dirty now (no quiet period), wait for it and publish."""
        if self._thread is not None:
            deadline = time.monotonic() + timeout
            with self.cond:
                self.urgent += 1
                self.cond.notify_all()
                try:
                    while self.dirty or self.running:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            log.warning("a check took over %.0f s: answering without it", timeout)
                            break
                        self.cond.wait(left)
                finally:
                    self.urgent -= 1
        self.drain()

    def drain(self) -> None:
        """Publish the kept results (on the event loop's thread), unless a change came since."""
        with self.cond:
            ready, self.ready = self.ready, []
            current = self.generation
            for generation, uris, _ in ready:
                if generation != current:  # a change came since: check these again
                    self.dropped += 1
                    for uri in uris:
                        self.dirty.setdefault(uri, None)
                    self.cond.notify_all()
        for generation, _, publish in ready:
            if generation == current:
                publish()


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    """Raise `exc` in the thread at its next bytecode (None: cancel one pending). CPython only:
    elsewhere a stale check is given up after parsing, as before."""
    api = getattr(ctypes, "pythonapi", None)
    if api is None or not hasattr(api, "PyThreadState_SetAsyncExc"):
        return
    api.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc is not None else None
    )
