"""What the commands share: loading entries, printing diagnostics, exit codes, writing outputs."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from .. import diagnostics as dg
from ..errors import StratlangError
from ..output import OutputError, atomic_write, check_output_file
from ..paths import is_file, is_folder, unresolved_path
from ..source import SourceMap
from .color import color_option, want_color  # noqa: F401  (the commands import them from here)

if TYPE_CHECKING:  # the checker is imported by the functions that check: `fmt` never loads it
    from ..check import CheckResult

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2

FAIL_LEVEL_CHOICES = ("error", "warning", "info")


ROOT_HELP = (
    "Project root: imports may not leave it (default: the entry's folder), and diagnostics show "
    "paths relative to it (default: the repository root)."
)
_ROOT_KEY = "stratlang.root"


def _remember_root(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    # kept in the invocation's context (shared by the group and the command, fresh per run) so
    # every diagnostic printer of the run knows whether --root was given
    ctx.meta[_ROOT_KEY] = value
    return value


def root_option(help: str = ROOT_HELP):
    """`--root DIR`: the project root, which imports may not leave and diagnostics' paths start
    from (every command reading a project)."""
    return click.option(
        "--root",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        callback=_remember_root,
        help=help,
    )


def given_root() -> Path | None:
    """`--root` as given to the running command; None when it was not given (or outside click)."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(_ROOT_KEY) if ctx is not None else None


def paths_root(sources: SourceMap, fmt: str, project_root: Path | None = None) -> Path | None:
    """The folder diagnostics' file paths are shown relative to, in every format: `--root` when
    given; else `$GITHUB_WORKSPACE` when it holds the entry; else the enclosing git work tree
    (found by walking up for `.git`, without running git). Outside a repository, as before: the
    project root for SARIF and GitHub annotations, the loader's paths (from the working folder;
    None) for text and JSON. The entry is the first source read."""
    given = given_root()
    if given is not None:
        return given
    from ..repository import workspace_root

    entry = next((s.abspath for s in sources if s.abspath is not None), None)
    found = workspace_root(entry) if entry is not None else None
    if found is not None:
        return found
    return project_root if fmt in ("sarif", "github") else None


def fail_level_option(what: str):
    """`--fail-level error|warning|info`: the lowest severity that fails the run."""
    return click.option(
        "--fail-level",
        type=click.Choice(FAIL_LEVEL_CHOICES),
        default="error",
        show_default=True,
        help=f"Lowest severity that {what}.",
    )


def entry_file(path: Path) -> Path:
    """An ENTRY argument: a file, or a folder standing for its `main.strat` (exit 2 when it has none)."""
    path = Path(path)
    if is_folder(path):
        main = path / "main.strat"
        if not is_file(main):
            others = sorted(p.name for p in path.glob("*.strat"))
            fail_usage(
                f"{path} is a folder without a main.strat",
                f"give the entry file, e.g. {path / others[0]}"
                if others
                else "give a .strat file, or a folder holding main.strat",
            )
        return main
    return path


class UsageError(Exception):
    """An I/O or usage problem: printed as `error: …` and exit code 2."""

    def __init__(self, message: str, help: str | None = None):
        super().__init__(message)
        self.help = help


def fail_usage(message: str, help: str | None = None) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    if help:
        click.echo(f"  = help: {help}", err=True)
    sys.exit(EXIT_USAGE)


def entry_files(paths) -> list[Path]:
    """PATH arguments -> entry files. A folder means its `main.strat`, or else every `.strat` file
    in it. Files imported by another entry of the same run are not checked twice. Nothing here
    raises on a strange path (too long, a symlink loop, a FIFO): the loader says what is wrong."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if is_folder(p):
            main = p / "main.strat"
            out.extend([main] if is_file(main) else sorted(p.glob("*.strat")))
            if not is_file(main) and not any(p.glob("*.strat")):
                raise UsageError(f"no .strat files in {p}")
        else:
            out.append(p)
    seen, uniq = set(), []
    for p in out:
        r = unresolved_path(p)
        if r not in seen:
            seen.add(r)
            uniq.append(p)
    return uniq


def cascade_entries(
    paths: tuple[Path, ...], children: bool, *, whole_folders: bool = False
) -> tuple[list[Path], bool]:
    """The entry files PATHs name, and whether they form a cascade to check together
    (docs/cascade.md). With `children`: each PATH's entry (a folder: its main.strat) and the
    projects whose `parent` leads to it. A folder holding no .strat file of its own but projects
    below it means those projects; with `whole_folders` (the `cascade` command) every folder does.
    Several projects (main.strat files, or folders holding one) of which one names another as
    its `parent` are a tree too. Anything else is a plain entry. Raises UsageError."""
    from ..check.cascade import ENTRY, find_children, find_projects, linked

    out: list[Path] = []
    tree = children
    for p in paths:
        folder = is_folder(p)
        if children:
            entry = p / ENTRY if folder else p
            if not is_file(entry):
                raise UsageError(
                    f"{p} holds no {ENTRY}", "with --children, give the parent project"
                )
            out += [entry, *find_children(entry)]
        elif folder and (whole_folders or not (is_file(p / ENTRY) or any(p.glob("*.strat")))):
            found = find_projects(p)
            if not found:
                raise UsageError(
                    f"no .strat files in {p}", "give a project, or a folder holding projects"
                )
            out += found
            tree = True
        else:
            out.append(p / ENTRY if folder and whole_folders else p)
    if not tree and len(out) > 1:
        entries = [p / ENTRY if is_folder(p) else p for p in out]
        # main.strat only: another .strat file may be imported by one of them (pre-commit)
        if all(e.name == ENTRY and is_file(e) for e in entries) and linked(entries):
            return entries, True
    return out, tree


def _importing_entry(path: Path, root, checks: bool, cache: dict) -> CheckResult | None:
    """The project that imports `path`: a `main.strat` in its folder or up to three folders above
    whose imports include it. Lets `stratlang check channels.strat` (as pre-commit runs it, one
    staged file at a time) check the file as part of its project instead of on its own."""
    from ..check import LoadError, check_entry

    target = unresolved_path(path)
    folder = target.parent
    for _ in range(4):
        main = folder / "main.strat"
        if is_file(main) and main != target:
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
    from ..check import LoadError, check_entry

    entries = entry_files(paths)
    results: list[CheckResult] = []
    imported: set[Path] = set()
    cache: dict = {}
    for entry in entries:
        if unresolved_path(entry) in imported:
            continue
        res = _importing_entry(entry, root, checks, cache) if is_file(entry) else None
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


def print_diagnostics(
    diags, sources, fmt: str = "text", root: Path | None = None, stream=None
) -> None:
    """Diagnostics in `fmt`, paths from `paths_root` (`root`: the project root, the fallback for
    SARIF and GitHub outside a repository): text on stderr (or `stream`), the rest on stdout."""
    from ..render import render

    sources = sources if sources is not None else SourceMap()
    shown_from = paths_root(sources, fmt, root)
    if fmt == "text":
        stream = stream or sys.stderr
        text = render(diags, sources, "text", root=shown_from, color=want_color(stream))
        if text:
            stream.write(text if text.endswith("\n") else text + "\n")
    else:
        out = render(diags, sources, fmt, root=shown_from)
        sys.stdout.write(out if out.endswith("\n") else out + "\n")


@contextmanager
def usage_errors():
    """Turn the library's refusals (`StratlangError`: an output that must not be written, bad data,
    a missing program) into `error: …` lines and exit code 2; nothing was written."""
    try:
        yield
    except StratlangError as e:
        print_error(e)
        sys.exit(EXIT_USAGE)


def print_error(e: Exception) -> None:
    """`error: …`, then each of the error's problems, its help, and for data that nothing was written."""
    from ..engine.data import DataError

    click.echo(f"error: {e}", err=True)
    problems = list(getattr(e, "problems", None) or [])
    if len(problems) > 1 or (problems and str(e) != problems[0]):
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
    help_ = getattr(e, "help", None)
    if help_:
        click.echo(f"  = help: {help_}", err=True)
    if isinstance(e, DataError):
        click.echo("  = note: nothing was written", err=True)


def write_outputs(files, inputs=()) -> None:
    """Write each (path, data) of `files` atomically, creating missing folders. Every path is
    checked before the first is written (not a folder, not under a file, not one of `inputs`), so a
    bad path leaves nothing half-written; a path that cannot be written is exit code 2."""
    files = [(Path(p), d) for p, d in files]
    path = None
    with usage_errors():
        for path, _ in files:
            check_output_file(path, inputs)
        try:
            for path, data in files:
                atomic_write(path, data)
        except OSError as e:
            raise OutputError(
                f"cannot write {path}: {e.strerror or e}",
                "choose an output path in a folder you can write to",
            ) from None


def say_waiting(message: str) -> None:
    """Another run holds the output folder's lock: say why nothing seems to happen."""
    click.echo(f"  {message}…", err=True)


def load_checked(entry, root=None, fail_level="error") -> CheckResult:
    """Check one entry for a command that writes outputs: print diagnostics; exit 1 when the check
    fails (nothing is written), 2 when the entry cannot be read. A folder means its main.strat."""
    from ..check import LoadError, check_entry

    entry = entry_file(entry)
    try:
        res = check_entry(entry, root)
    except LoadError as e:
        fail_usage(str(e))
    if res.diagnostics:
        print_diagnostics(res.diagnostics, res.sources, "text", res.root)
    if dg.fails(res.diagnostics, fail_level):
        click.echo("error: the check failed; nothing was written", err=True)
        sys.exit(EXIT_ERRORS)
    return res


def say_transitions(model, transitions: dict, previous: Path | None) -> None:
    """The transitions since --previous on stderr, or a warning per play on a transition
    trigger that got nobody because there was no previous table."""
    from ..engine.transitions import report_lines

    for line in report_lines(model, transitions, previous is not None):
        click.echo(line, err=True)
