"""Small helpers shared by the diagnostic renderers (no rendering here)."""

from __future__ import annotations

import copy
import dataclasses
import functools
import itertools
import os
import re
from collections.abc import Iterable
from pathlib import Path

from ..diagnostics import Diagnostic, Diagnostics, Severity
from ..source import SourceFile, SourceMap, Span


def as_list(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """A `Diagnostics` collector is sorted and de-duplicated (the API boundary's job, done here
    too so every format agrees); any other iterable is rendered in the order given."""
    if isinstance(diags, Diagnostics):
        return diags.sorted()
    return list(diags)


def counts(diags: list[Diagnostic]) -> tuple[int, int, int]:
    """(errors, warnings, infos)."""
    e = w = i = 0
    for d in diags:
        if d.severity == Severity.ERROR:
            e += 1
        elif d.severity == Severity.WARNING:
            w += 1
        else:
            i += 1
    return e, w, i


FAIL_LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}


def fail_level_of(strict: bool = False, fail_level: str | None = None) -> str:
    """The effective `--fail-level`: `strict` means "warning" unless a lower level is given."""
    level = fail_level or "error"
    if level not in FAIL_LEVELS:
        raise ValueError(f"unknown fail level {level!r}; expected one of {', '.join(FAIL_LEVELS)}")
    if strict and level == "error":
        level = "warning"
    return level


def is_valid(diags: list[Diagnostic], strict: bool = False, fail_level: str | None = None) -> bool:
    """No diagnostic at or above the fail level (default: no errors; `strict`: no warnings
    either; "info": nothing at all) — the rule `stratlang check` uses for its exit code."""
    threshold = FAIL_LEVELS[fail_level_of(strict, fail_level)]
    return not any(d.severity >= threshold for d in diags)


def tool_version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("stratlang")
        except PackageNotFoundError:
            pass
    except ImportError:  # pragma: no cover
        pass
    import stratlang

    return getattr(stratlang, "__version__", "0.0.0")


def clamp_position(source: SourceFile, line: int, column: int) -> tuple[int, int]:
    """Clamp a 1-based (line, column) into the file; column may be one past the line's end."""
    line = max(1, min(line, source.line_count))
    column = max(1, min(column, len(source.line_text(line)) + 1))
    return line, column


def clamp_span(source: SourceFile, span: Span) -> tuple[int, int, int, int]:
    """(line, column, end_line, end_column) of `span`, clamped into `source` and ordered."""
    line, col = clamp_position(source, span.line, span.column)
    end_line, end_col = clamp_position(source, span.end_line, span.end_column)
    if (end_line, end_col) < (line, col):
        end_line, end_col = line, col
    return line, col, end_line, end_col


def clamp_offset(source: SourceFile, offset: int) -> int:
    return max(0, min(offset, len(source.text)))


def relative_path(span_file: str, sources: SourceMap | None, root: Path | None) -> str:
    """A forward-slash path for machine formats: relative to `root` where possible.

    Span files are display paths, usually already relative; an absolute one (or a source with a
    known absolute path) is made relative to `root` when it lies under it.
    """
    source = sources.get(span_file) if sources is not None else None
    if root is not None:
        paths = []
        if source is not None and source.abspath is not None:
            paths.append(str(source.abspath))
        if Path(span_file).is_absolute():
            paths.append(span_file)
        for p in paths:
            found = _resolved_under(p, str(root))
            if found is not None:
                return found
    if not span_file:
        return span_file
    path = Path(span_file)
    return path.as_posix() if not path.is_absolute() else str(path)


@functools.lru_cache(maxsize=256)
def _resolved_under(path: str, root: str) -> str | None:
    """`path` relative to `root`, both with symlinks resolved, or None. Cached: every location of
    every diagnostic asks, and resolving touches the file system."""
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except (ValueError, OSError):
        return None


def _under(path: Path, root: Path) -> str | None:
    """`path` relative to `root` (forward slashes), or None when it lies elsewhere. Tried as given,
    then with symlinks resolved (a workspace given through a symlink, /tmp on macOS)."""
    for p, r in ((path, root), (path.resolve(), root.resolve())):
        try:
            return p.relative_to(r).as_posix()
        except ValueError:
            continue
    return None


def rebase(
    diags: Iterable[Diagnostic], sources: SourceMap | None, root: Path | str
) -> tuple[list[Diagnostic], SourceMap]:
    """The diagnostics and their sources with every file path shown relative to `root` (the
    repository root: see docs/diagnostics.md, "Paths"). A file under `root` becomes
    `sub/plays.strat`; a file elsewhere its absolute path; a span whose file is not in `sources`
    (and is not an absolute path) keeps its path. A position written into a message, label, help
    line or note (`defined at plays.strat:31:9`) moves with its file; other paths in words (`the
    project root is …`) stay as the checker wrote them."""
    items = as_list(diags)
    sources = sources if sources is not None else SourceMap()
    root = Path(os.path.abspath(root))
    renamed: dict[str, str] = {}
    out = SourceMap()
    for source in sources:
        where = source.abspath
        if where is None and Path(source.path).is_absolute():
            where = Path(source.path)
        shown = source.path
        if where is not None:
            where = Path(os.path.abspath(where))
            shown = _under(where, root) or str(where)
        renamed[source.path] = shown
        clone = copy.copy(source)
        clone.path = shown
        out.add(clone)

    def path_of(file: str) -> str:
        if file in renamed:
            return renamed[file]
        if file and Path(file).is_absolute():
            return _under(Path(file), root) or file
        return file

    def span(s: Span) -> Span:
        new = path_of(s.file)
        return s if new == s.file else dataclasses.replace(s, file=new)

    # `FILE:LINE:COL` in words, FILE a renamed display path standing alone (not the end of another)
    moves = {old: new for old, new in renamed.items() if old != new and old}
    spans = itertools.chain(
        (lb.span for d in items for lb in d.all_labels),
        (x.span for d in items for x in d.suggestions),
    )
    if not moves and not any(Path(sp.file).is_absolute() for sp in spans):
        return items, sources  # the paths are already the root's (run from the root): as they are
    position = (
        re.compile(
            r"(?<![\w./\\-])("
            + "|".join(re.escape(p) for p in sorted(moves, key=len, reverse=True))
            + r")(?=:\d+:\d+)"
        )
        if moves
        else None
    )

    def words(text: str) -> str:
        return position.sub(lambda m: moves[m.group(1)], text) if position and text else text

    moved = [
        dataclasses.replace(
            d,
            message=words(d.message),
            span=span(d.span),
            label=words(d.label),
            labels=tuple(
                dataclasses.replace(lb, span=span(lb.span), message=words(lb.message))
                for lb in d.labels
            ),
            help=tuple(words(h) for h in d.help),
            notes=tuple(words(n) for n in d.notes),
            suggestions=tuple(
                dataclasses.replace(x, span=span(x.span), message=words(x.message))
                for x in d.suggestions
            ),
        )
        for d in items
    ]
    return moved, out
