"""`stratlang check PATH... [--format text|json|sarif|github] [--strict]`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..check import CheckResult
from ..render.common import fail_level_of, is_valid
from . import main
from .common import (
    EXIT_ERRORS,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    cascade_entries,
    check_many,
    color_option,
    fail_level_option,
    merged,
    paths_root,
    print_diagnostics,
    root_option,
)
from .options import format_option

FORMATS = ("text", "json", "sarif", "github")


def check_tree(entries: list[Path], root: Path | None = None) -> list[CheckResult]:
    from ..check import LoadError
    from ..check.cascade import load_tree

    try:
        return list(load_tree(entries, project_root=root).results.values())
    except LoadError as e:
        raise UsageError(str(e)) from None


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@format_option(FORMATS, "text for people (stderr); json, sarif or github for tools (stdout).")
@click.option("--strict", is_flag=True, help="Fail on warnings too (same as --fail-level warning).")
@click.option(
    "--children",
    is_flag=True,
    help="Check each PATH with every project below it in the cascade (those whose `parent` "
    "leads to it), and the alignment between them.",
)
@fail_level_option("makes the run fail (exit 1)")
@root_option(
    "Project root: imports may not leave it (default: the folder of each entry file), and "
    "diagnostics show paths relative to it (default: the repository root)."
)
@color_option
def check(
    paths: tuple[Path, ...],
    fmt: str,
    strict: bool,
    children: bool,
    fail_level: str,
    root: Path | None,
) -> None:
    """Parse and check .strat projects.

    Each PATH is an entry file, or a folder (its main.strat, else every .strat file in it, else
    every project below it: a cascade, checked with the alignment between its strategies).
    Exit codes: 0 no errors, 1 errors found, 2 usage or I/O error.
    """
    fail_level = fail_level_of(strict, fail_level)  # --strict with --fail-level info stays info
    try:
        entries, tree = cascade_entries(paths, children)
        results = check_tree(entries, root) if tree else check_many(paths, root)
    except UsageError as e:
        if fmt != "text":
            from ..render import render_fatal

            sys.stdout.write(render_fatal(str(e), fmt) + "\n")
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USAGE)
    diags, sources = merged(results)
    root = results[0].root if results else None
    failed = not is_valid(diags, fail_level=fail_level)
    if fmt == "text":
        print_diagnostics(diags, sources, fmt, root=root)
    else:
        # the machine document states the same verdict as the exit code (JSON `valid`, SARIF `exitCode`)
        from ..render import render

        shown_from = paths_root(sources, fmt, root)
        out = render(diags, sources, fmt, root=shown_from, fail_level=fail_level)
        sys.stdout.write(out if out.endswith("\n") or not out else out + "\n")
    sys.exit(EXIT_ERRORS if failed else EXIT_OK)
