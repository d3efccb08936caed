"""What the commands share: loading entries, printing diagnostics, exit codes, atomic writes."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from .. import diagnostics as dg
from ..check import CheckResult, LoadError, check_entry
from ..source import SourceMap

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """An I/O or usage problem: printed as `error: …` and exit code 2."""

    def __init__(self, message: str, help: str | None = None):
        super().__init__(message)
        self.help = help


def fail_usage(message: str, help: str | None = None):
    click.echo(f"error: {message}", err=True)
    if help:
        click.echo(f"  = help: {help}", err=True)
    sys.exit(EXIT_USAGE)


def entry_files(paths) -> list[Path]:
    """PATH arguments -> entry files. A folder means its `main.strat`, or else every `.strat` file
    in it. Files imported by another entry of the same run are not checked twice."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            main = p / "main.strat"
            out.extend([main] if main.is_file() else sorted(p.glob("*.strat")))
            if not main.is_file() and not any(p.glob("*.strat")):
                raise UsageError(f"no .strat files in {p}")
        else:
            out.append(p)
    seen, uniq = set(), []
    for p in out:
        r = p.resolve()
        if r not in seen:
            seen.add(r)
            uniq.append(p)
    return uniq


def _importing_entry(path: Path, root, checks: bool, cache: dict) -> CheckResult | None:
    """The project that imports `path`: a `main.strat` in its folder or up to three folders above
    whose imports include it. Lets `stratlang check channels.strat` (as pre-commit runs it, one
    staged file at a time) check the file as part of its project instead of on its own."""
    target = path.resolve()
    folder = target.parent
    for _ in range(4):
        main = folder / "main.strat"
        if main.is_file() and main != target:
            if main not in cache:
                try:
                    cache[main] = check_entry(main, root, checks=checks)
                except LoadError:
                    cache[main] = None
            res = cache[main]
            if res is not None and res.project and target in res.project.paths.values():
                return res
        if folder.parent == folder:
            break
        folder = folder.parent
    return None


def check_many(paths, root=None, checks=True) -> list[CheckResult]:
    entries = entry_files(paths)
    results: list[CheckResult] = []
    imported: set[Path] = set()
    cache: dict = {}
    for entry in entries:
        if entry.resolve() in imported:
            continue
        res = _importing_entry(entry, root, checks, cache) if entry.is_file() else None
        if res is not None:
            if all(r is not res for r in results):
                results.append(res)
                imported.update(list(res.project.paths.values())[1:])
            continue
        try:
            res = check_entry(entry, root, checks=checks)
        except LoadError as e:
            raise UsageError(str(e)) from None
        results.append(res)
        if res.project:
            imported.update(list(res.project.paths.values())[1:])
    # an entry imported by a later entry: drop its standalone result
    return [r for r in results if r.project is None or r.project.entry not in imported]


def merged(results: list[CheckResult]) -> tuple[list[dg.Diagnostic], SourceMap]:
    sources = SourceMap()
    diags: list[dg.Diagnostic] = []
    seen = set()
    for r in results:
        for s in r.sources:
            sources.add(s)
        for d in r.diagnostics:
            key = (d.code, d.span, d.message)
            if key not in seen:
                seen.add(key)
                diags.append(d)
    return diags, sources


def fails(diags, fail_level: str) -> bool:
    threshold = {"error": dg.Severity.ERROR, "warning": dg.Severity.WARNING, "info": dg.Severity.INFO}[fail_level]
    return any(d.severity >= threshold for d in diags)


def print_diagnostics(diags, sources, fmt: str = "text", root: Path | None = None, stream=None) -> None:
    from ..render import render

    if fmt == "text":
        stream = stream or sys.stderr
        from ..render.text import use_color

        text = render(diags, sources, "text", root=root, color=use_color(stream))
        if text:
            stream.write(text if text.endswith("\n") else text + "\n")
    else:
        out = render(diags, sources, fmt, root=root)
        sys.stdout.write(out if out.endswith("\n") else out + "\n")


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write a file atomically: a temporary file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        # mkstemp creates 0600 files; give the output the mode a plain open() would (0666 - umask)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _unwritable(path: Path) -> str | None:
    """Why `path` cannot be an output file, judged before anything is written (None: looks fine)."""
    if path.is_dir():
        return f"{path} is a folder"
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"{parent} is a file, not a folder"
            break
    return None


def unwritable_folder(path: Path) -> str | None:
    """Why `path` cannot be (or be created as) an output folder; None when it looks fine."""
    path = Path(path)
    if path.exists():
        return None if path.is_dir() else f"{path} is a file, not a folder"
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else f"{parent} is a file, not a folder"
    return None


def write_outputs(files) -> None:
    """Write each (path, data) of `files` atomically, creating missing folders. A path that cannot
    be written is an `error: …` line and exit code 2 (no traceback); folders are prepared for every
    file before the first one is written, so a bad path leaves nothing half-written."""
    files = [(Path(p), d) for p, d in files]
    help_ = "choose an output path in a folder you can write to"
    for path, _ in files:
        why = _unwritable(path)
        if why:
            fail_usage(f"cannot write {path}: {why}", help_)
    path = None
    try:
        for path, _ in files:
            path.parent.mkdir(parents=True, exist_ok=True)
        for path, data in files:
            atomic_write(path, data)
    except OSError as e:
        fail_usage(f"cannot write {path}: {e.strerror or e}", help_)


def load_checked(entry, root=None, fail_level="error") -> CheckResult:
    """Check one entry for a command that writes outputs: print diagnostics; exit 1 when the check
    fails (nothing is written), 2 when the entry cannot be read."""
    try:
        res = check_entry(entry, root)
    except LoadError as e:
        fail_usage(str(e))
    if res.diagnostics:
        print_diagnostics(res.diagnostics, res.sources, "text", res.root)
    if fails(res.diagnostics, fail_level):
        click.echo("error: the check failed; nothing was written", err=True)
        sys.exit(EXIT_ERRORS)
    return res
