"""Loading a project: the entry file and everything it imports.

Imports are relative to the importing file; an import may not leave the project root (the
folder of the entry file, or `--root`); a missing file or an import cycle is NAM206. A file
that is not UTF-8 gives a diagnostic at the first bad byte. `overlay` maps absolute paths to
text that replaces the file on disk (the language server's unsaved buffers).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .. import diagnostics as dg
from ..source import SourceFile, SourceMap, Span
from ..syntax import ast
from ..syntax.parser import parse_source


class LoadError(Exception):
    """The entry itself cannot be read: a usage / I-O error (exit code 2)."""


@dataclass
class Project:
    root: Path
    entry: Path
    sources: SourceMap = field(default_factory=SourceMap)
    files: list[ast.File] = field(default_factory=list)  # entry first, then imports (depth first)
    diagnostics: list[dg.Diagnostic] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)  # display path -> absolute path


def display_path(path: Path, base: Path | None = None) -> str:
    """A path as shown to people: relative to the working directory when below it."""
    base = base or Path.cwd()
    try:
        rel = os.path.relpath(path, base)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def read_source(path: Path, shown: str, overlay: dict | None = None) -> tuple[SourceFile | None, dg.Diagnostic | None]:
    """Read and decode one file. Raises OSError when it cannot be read."""
    if overlay and path in overlay:
        text = overlay[path]
        if text.startswith("\ufeff"):
            text = text[1:]
        return SourceFile(shown, text.replace("\r\n", "\n").replace("\r", "\n"), path), None
    data = path.read_bytes()
    try:
        return SourceFile(shown, SourceFile.decode(data), path), None
    except UnicodeDecodeError as e:
        good = data[: e.start].decode("utf-8", "replace")
        src = SourceFile(shown, good, path)
        end = len(good)
        line, col = src.line_col(end)
        span = Span(shown, end, end + 1, line, col, line, col + 1)
        return src, dg.make("SYN101", f"this file is not UTF-8 text: byte 0x{data[e.start]:02x} at offset {e.start} "
                                      "cannot be decoded", span, "invalid byte here",
                            help="save the file as UTF-8 (stratlang reads UTF-8 only, with or without a BOM)")


def load_project(entry: Path, root: Path | None = None, overlay: dict | None = None) -> Project:
    entry = entry.resolve() if not (overlay and entry in overlay) else entry
    root = (root or entry.parent).resolve()
    if not (overlay and entry in overlay):
        if not entry.exists():
            raise LoadError(f"file not found: {entry}")
        if entry.is_dir():
            raise LoadError(f"{entry} is a folder: give a .strat file")
        if not entry.is_relative_to(root):
            raise LoadError(f"{entry} is outside the project root {root} (--root): give a root folder that "
                            "holds the entry file")
    project = Project(root=root, entry=entry)
    stack: list[Path] = []
    done: set[Path] = set()

    def visit(path: Path, via: ast.Import | None, via_file: str | None):
        shown = display_path(path)
        try:
            src, bad = read_source(path, shown, overlay)
        except OSError as e:
            if via is None:
                raise LoadError(f"cannot read {shown}: {e.strerror or e}") from None
            project.diagnostics.append(dg.make(
                "NAM206", f"cannot read imported file `{via.path.value}`: {e.strerror or e}", via.path.span,
                "imported here"))
            return
        project.sources.add(src)
        project.paths[shown] = path
        if bad is not None:
            project.diagnostics.append(bad)
            project.files.append(ast.File(src.span(0, len(src.text)), shown, ()))
            return
        file, diags = parse_source(src)
        project.diagnostics.extend(diags)
        project.files.append(file)
        stack.append(path)
        for decl in file.decls:
            if isinstance(decl, ast.Import):
                resolve_import(path, decl)
        stack.pop()
        done.add(path)

    def resolve_import(importer: Path, imp: ast.Import):
        rel = imp.path.value
        target = (importer.parent / rel)
        target = Path(os.path.normpath(target))
        try:
            target.relative_to(root)
        except ValueError:
            project.diagnostics.append(dg.make(
                "NAM206", f"import `{rel}` leaves the project root", imp.path.span, "outside the project",
                notes=(f"the project root is {display_path(root)}",),
                help="move the file into the project, or give a wider root with `--root`"))
            return
        if target in stack:
            cycle = stack[stack.index(target):] + [target]
            shown = " → ".join(display_path(p) for p in cycle)
            project.diagnostics.append(dg.make(
                "NAM206", f"import cycle: {shown}", imp.path.span, "this import closes the cycle",
                help="move the shared declarations into a file that both import"))
            return
        if target in done:
            return
        in_overlay = overlay is not None and target in overlay
        if not in_overlay and rel.strip() and target.is_dir():
            project.diagnostics.append(dg.make(
                "NAM206", f"imported path `{rel}` is a folder", imp.path.span, "a folder, not a file",
                help=(f"import a .strat file, e.g. `{rel.rstrip('/')}/main.strat`",)))
            return
        if not in_overlay and not target.is_file():
            siblings = sorted(p.name for p in target.parent.glob("*.strat")) if target.parent.is_dir() else []
            near = dg.closest(target.name, siblings)
            project.diagnostics.append(dg.make(
                "NAM206", f"imported file `{rel}` not found", imp.path.span, "no such file",
                help=(f"did you mean `{near[0]}`?",) if near else (f"paths are relative to {display_path(importer.parent) or '.'}",)))
            return
        visit(target, imp, None)

    visit(entry, None, None)
    return project
