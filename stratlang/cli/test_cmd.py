"""`stratlang test [PATHS…]`: fixture files of example customers and what each must get."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from . import main
from .common import (
    EXIT_ERRORS,
    EXIT_OK,
    color_option,
    entry_file,
    fail_usage,
    paths_root,
    print_diagnostics,
    root_option,
)
from .options import as_of_option, format_option

FORMATS = ("text", "json", "sarif", "github")


@main.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--entry",
    type=click.Path(path_type=Path),
    default=None,
    help="The project's entry file or folder (default: the nearest main.strat above each fixture).",
)
@format_option(FORMATS, "text for people (stderr); json, sarif or github for tools (stdout).")
@as_of_option("Only the plays whose period contains this day compete (as `lists --as-of`).")
@root_option()
@color_option
def test_command(
    paths: tuple[Path, ...], entry: Path | None, fmt: str, as_of, root: Path | None
) -> None:
    """Run rule tests: fixture files (*.test.csv) of example customers with the segments, tier,
    play and group each must get.

    Each PATH is a fixture file or a folder searched for *.test.csv (default: the current
    folder). Exit codes: 0 every expectation holds, 1 one fails (or the project does not check),
    2 usage or I/O error.
    """
    from .. import diagnostics as dg
    from ..source import SourceFile, SourceMap, read_file
    from ..testing import discover, entry_of, run_fixture

    day: dt.date | None = as_of.date() if as_of else None
    fixtures = discover(list(paths) or [Path(".")])
    if not fixtures:
        fail_usage(
            f"no fixture files (*.test.csv) under {', '.join(map(str, paths or ('.',)))}",
            "write one (docs/testing.md), e.g. tests/rules.test.csv beside main.strat",
        )
    by_entry: dict[Path, list[Path]] = {}
    for fx in fixtures:
        e = entry_file(entry) if entry else entry_of(fx)
        if e is None:
            fail_usage(
                f"no main.strat in the folder of {fx} or above", "give the project with --entry"
            )
        by_entry.setdefault(e, []).append(fx)
    sources = SourceMap()
    diags: list[dg.Diagnostic] = []
    passed = failed = 0
    for e, files in by_entry.items():
        model = _checked(e, root).model
        if model.schema is None:
            fail_usage(f"{e} declares no schema: there are no customers to test")
        for fx in files:
            try:
                text = SourceFile.decode(read_file(fx))
            except (OSError, UnicodeDecodeError) as err:
                fail_usage(f"cannot read {fx}: {getattr(err, 'strerror', None) or err}")
            src = sources.add(SourceFile(_shown(fx), text, fx.resolve()))
            res = run_fixture(model, src, as_of=day)
            diags.extend(res.diagnostics)
            passed += res.passed
            failed += res.failed
    diags.sort(key=dg.Diagnostic.sort_key)
    bad = dg.fails(diags)
    n = len(fixtures)
    summary = f"test: {passed} passed, {failed} failed in {n} fixture file{'s' if n != 1 else ''}"
    if fmt == "text":
        print_diagnostics(diags, sources, fmt)
        click.echo(summary)
    else:
        from ..render import render

        out = render(diags, sources, fmt, root=paths_root(sources, fmt), fail_level="error")
        sys.stdout.write(out if out.endswith("\n") or not out else out + "\n")
        click.echo(summary, err=True)
    sys.exit(EXIT_ERRORS if bad else EXIT_OK)


def _checked(entry: Path, root: Path | None):
    """The checked project; its diagnostics are shown only when it has errors (then exit 1):
    warnings are `stratlang check`'s business, the tests' output is about the fixtures."""
    from .. import diagnostics as dg
    from ..check import LoadError, check_entry

    try:
        res = check_entry(entry, root)
    except LoadError as e:
        fail_usage(str(e))
    if dg.fails(res.diagnostics):
        print_diagnostics(res.diagnostics, res.sources, "text", res.root)
        click.echo("error: the project does not check; no test was run", err=True)
        sys.exit(EXIT_ERRORS)
    return res


def _shown(path: Path) -> str:
    """A fixture's path as diagnostics show it: relative to the current folder when inside it."""
    rel = os.path.relpath(path.resolve())
    return str(path) if rel.startswith("..") else rel
