"""Loading a project: the entry file and everything it imports.

Imports are relative to the importing file; an import may not leave the project root (the
folder of the entry file, or `--root`), neither by its path nor through a symlink (symlinks are
resolved first, the root too); a missing file, a special file (FIFO, device, socket) or an
import cycle is NAM206. A file that is not UTF-8 gives a diagnostic at the first bad byte.
`overlay` maps absolute paths to text that replaces the file on disk (the language server's
unsaved buffers).

Files are identified by their resolved path (two symlinks to one file load it once) and read
only after `stat` says they are regular files: a FIFO would block the read forever.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Unpack

from .. import diagnostics as dg
from ..errors import StratlangError
from ..paths import (
    MISSING,
    display_path,
    locate,
    os_reason,
    short_path,
    unresolved_path,
)
from ..source import SourceFile, SourceMap, Span, file_kind, read_file
from ..syntax import ast
from ..syntax.parser import gc_paused as gc_paused  # the check and the language server pause the GC
from ..syntax.parser import parse_source
from .util import MakeOptions

if TYPE_CHECKING:
    from . import CheckResult


class LoadError(StratlangError):
    """The entry itself cannot be read: a usage / I-O error (exit code 2)."""


@dataclass
class Project:
    root: Path
    entry: Path
    sources: SourceMap = field(default_factory=SourceMap)
    files: list[ast.File] = field(default_factory=list)  # entry first, then imports (depth first)
    diagnostics: list[dg.Diagnostic] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)  # display path -> absolute path

    def check(self, *, checks: bool = True) -> CheckResult:
        """Resolve and check the loaded files: the model and every diagnostic, sorted."""
        from . import check_project  # the checks import the loader's helpers: resolved on call

        with gc_paused():
            return check_project(self, checks=checks)


def read_source(
    path: Path, shown: str, overlay: Mapping[Path, str] | None = None
) -> tuple[SourceFile, dg.Diagnostic | None]:
    """Read and decode one file (up to a byte that is not UTF-8, which is the diagnostic). Raises
    OSError when it cannot be read."""
    if overlay and path in overlay:
        text = overlay[path]
        if text.startswith("\ufeff"):
            text = text[1:]
        return SourceFile(shown, text.replace("\r\n", "\n").replace("\r", "\n"), path), None
    data = read_file(path)
    try:
        return SourceFile(shown, SourceFile.decode(data), path), None
    except UnicodeDecodeError as e:
        good = data[: e.start].decode("utf-8", "replace")
        src = SourceFile(shown, good, path)
        end = len(good)
        line, col = src.line_col(end)
        span = Span(shown, end, end + 1, line, col, line, col + 1)
        return src, dg.make(
            "SYN101",
            f"this file is not UTF-8 text: byte 0x{data[e.start]:02x} at offset {e.start} "
            "cannot be decoded",
            span,
            "invalid byte here",
            help="save the file as UTF-8 (stratlang reads UTF-8 only, with or without a BOM)",
        )


def _under(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def _entry_path(entry: Path, root: Path | None) -> tuple[Path, Path]:
    """The entry's resolved path and the resolved root, or LoadError (exit code 2) naming what is
    wrong: missing, a folder, a special file, a symlink loop, a name too long, outside the root
    (also when only a symlink takes it there)."""
    given = Path(os.path.abspath(entry))
    root = unresolved_path(root if root is not None else given.parent)
    shown = short_path(given)
    try:
        real, st = locate(given)
    except OSError as e:
        if e.errno in MISSING:
            raise LoadError(f"file not found: {shown}") from None
        raise LoadError(f"cannot read {shown}: {os_reason(e)}") from None
    if stat.S_ISDIR(st.st_mode):
        raise LoadError(f"{shown} is a folder: give a .strat file")
    if not stat.S_ISREG(st.st_mode):
        raise LoadError(
            f"{shown} is not a regular file (it is {file_kind(st.st_mode)}): give a .strat file"
        )
    if not _under(real, root):
        if _under(unresolved_path(given.parent) / given.name, root):
            raise LoadError(
                f"{shown} resolves to {short_path(real)}, outside the project root "
                f"{short_path(root)}: a symlink may not lead out of the project (give a wider root "
                "with --root)"
            )
        raise LoadError(
            f"{short_path(real)} is outside the project root {short_path(root)} (--root): give a root "
            "folder that holds the entry file"
        )
    return real, root


def load_project(
    entry: Path,
    root: Path | None = None,
    overlay: Mapping[Path, str] | None = None,
    parse: Callable[[SourceFile], tuple[ast.File, list[dg.Diagnostic]]] = parse_source,
) -> Project:
    """`parse` parses one file (the language server passes its incremental parser)."""
    if overlay and entry in overlay:
        root = unresolved_path(root or entry.parent)
    else:
        entry, root = _entry_path(entry, root)
    project = Project(root=root, entry=entry)
    stack: list[Path] = []
    done: set[Path] = set()

    def visit(path: Path, via: ast.Import | None) -> None:
        shown = display_path(path)
        try:
            src, bad = read_source(path, shown, overlay)
        except OSError as e:
            if via is None:
                raise LoadError(f"cannot read {short_path(shown)}: {os_reason(e)}") from None
            project.diagnostics.append(
                dg.make(
                    "NAM206",
                    f"cannot read imported file `{short_path(via.path.value)}`: {os_reason(e)}",
                    via.path.span,
                    "imported here",
                )
            )
            return
        project.sources.add(src)
        project.paths[shown] = path
        if bad is not None:
            project.diagnostics.append(bad)
            project.files.append(ast.File(src.span(0, len(src.text)), shown, ()))
            return
        file, diags = parse(src)
        project.diagnostics.extend(diags)
        project.files.append(file)
        stack.append(path)
        for decl in file.decls:
            if isinstance(decl, ast.Import):
                resolve_import(path, decl)
        stack.pop()
        done.add(path)

    def problem(imp: ast.Import, message: str, label: str, **kw: Unpack[MakeOptions]) -> None:
        project.diagnostics.append(dg.make("NAM206", message, imp.path.span, label, **kw))

    def resolve_import(importer: Path, imp: ast.Import) -> None:
        rel = imp.path.value
        name = short_path(rel)
        lexical = Path(os.path.normpath(importer.parent / rel))
        if not _under(lexical, root):
            problem(
                imp,
                f"import `{name}` leaves the project root",
                "outside the project",
                notes=(f"the project root is {display_path(root)}",),
                help="move the file into the project, or give a wider root with `--root`",
            )
            return
        if not rel.strip():
            not_found(importer, imp, lexical)
            return
        try:
            target, st = locate(lexical)
        except OSError as e:
            target, st = unresolved_path(lexical), None
            if not (
                e.errno in MISSING and overlay and target in overlay
            ):  # a new, unsaved buffer is fine
                if e.errno in MISSING:
                    not_found(importer, imp, lexical)
                else:
                    problem(
                        imp, f"cannot read imported file `{name}`: {os_reason(e)}", "cannot be read"
                    )
                return
        if not _under(target, root):
            problem(
                imp,
                f"import `{name}` resolves to {short_path(target)}, outside the project root",
                "a symlink leads out of the project",
                notes=(f"the project root is {display_path(root)}",),
                help="a symlink may not lead out of the project: copy the file into the project, or give a "
                "wider root with `--root`",
            )
            return
        if target in stack:
            cycle = stack[stack.index(target) :] + [target]
            shown = " → ".join(display_path(p) for p in cycle)
            problem(
                imp,
                f"import cycle: {shown}",
                "this import closes the cycle",
                help="move the shared declarations into a file that both import",
            )
            return
        if target in done:
            return
        if st is not None and not (overlay and target in overlay):
            if stat.S_ISDIR(st.st_mode):
                problem(
                    imp,
                    f"imported path `{name}` is a folder",
                    "a folder, not a file",
                    help=(f"import a .strat file, e.g. `{rel.rstrip('/')}/main.strat`",),
                )
                return
            if not stat.S_ISREG(st.st_mode):
                problem(
                    imp,
                    f"imported file `{name}` is not a regular file: it is {file_kind(st.st_mode)}",
                    "not a regular file",
                    help="import a .strat file (special files are never read)",
                )
                return
        visit(target, imp)

    def not_found(importer: Path, imp: ast.Import, target: Path) -> None:
        try:
            siblings = (
                sorted(p.name for p in target.parent.glob("*.strat"))
                if target.parent.is_dir()
                else []
            )
        except (OSError, ValueError):
            siblings = []
        near = dg.closest(target.name, siblings)
        problem(
            imp,
            f"imported file `{short_path(imp.path.value)}` not found",
            "no such file",
            help=(f"did you mean `{near[0]}`?",)
            if near
            else (f"paths are relative to {display_path(importer.parent) or '.'}",),
        )

    visit(entry, None)
    return project
