"""`stratlang diff OLD [NEW] [--format text|markdown|json] [--exit-code]
[--data FILE [--as-of D] [--history NAME=FILE] [--previous FILE]]`."""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

import click

from .. import diagnostics as dg
from ..check import CheckResult, LoadError, check_entry
from . import main
from .common import (
    EXIT_ERRORS,
    EXIT_OK,
    EXIT_USAGE,
    color_option,
    entry_file,
    fail_usage,
    paths_root,
    print_diagnostics,
    root_option,
    write_outputs,
)
from .options import as_of_option, format_option, history_files, history_option, previous_option


def _checked(entry: Path, root: Path | None, shown: str) -> CheckResult:
    """Check one side; a failed check is exit 2 (1 means "there are differences")."""
    try:
        res = check_entry(entry, root)
    except LoadError as e:
        fail_usage(str(e))
    if dg.fails(res.diagnostics, "error"):
        print_diagnostics(res.diagnostics, res.sources, "text", res.root)
        click.echo(f"error: {shown} does not check; nothing to compare", err=True)
        sys.exit(EXIT_USAGE)
    return res


@main.command()
@click.argument("old")
@click.argument("new", type=click.Path(path_type=Path), default=Path("."), required=False)
@format_option(
    ["text", "markdown", "json"],
    "text for people, markdown for a pull-request comment, json for tools.",
)
@click.option(
    "--exit-code", is_flag=True, help="Exit 1 when there are differences, 0 when there are none."
)
@click.option(
    "--data",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Customer data (CSV, Parquet): each segment's count and the play-to-play moves.",
)
@as_of_option("The day plays are assigned for with --data (default today).")
@history_option(
    "With --data: a history table's file (repeatable), for both projects. Default: "
    "NAME.csv, NAME.csv.gz or NAME.parquet beside the --data file."
)
@previous_option("With --data: the previous run's customer table, for transition triggers.")
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the diff to this file instead of stdout (e.g. a pull-request comment).",
)
@root_option("Project root of NEW (default: the entry's folder).")
@color_option
def diff(
    old: str,
    new: Path,
    fmt: str,
    exit_code: bool,
    data: Path | None,
    as_of: dt.datetime | None,
    history: tuple[str, ...],
    previous: Path | None,
    out: Path | None,
    root: Path | None,
) -> None:
    """What a change means: objectives, targets, segments, plays, … of OLD and NEW compared.

    OLD and NEW are entry files or folders (a folder means its main.strat); OLD may instead be a
    git revision (`stratlang diff HEAD~1 main.strat`): the project as committed there. NEW
    defaults to the current folder."""
    from ..diff import compare, render
    from ..diff import data as diff_data
    from ..diff.revision import RevisionError, extract, is_revision
    from ..engine.data import DataError
    from ..project_paths import project_path

    new_entry = entry_file(new)
    new_res = _checked(new_entry, root, str(new))
    # Both sides are named by their entry file from the repository root (or --root; outside a
    # repository NEW's project folder), as diagnostics are: the same words from any folder.
    names_from = paths_root(new_res.sources, "sarif", new_res.root) or new_res.root
    with tempfile.TemporaryDirectory(prefix="stratlang-diff-") as tmp:
        if Path(old).exists():
            old_res = _checked(entry_file(Path(old)), None, old)
            old_name = project_path(old_res.project.entry, names_from)
        elif is_revision(old, new_res.root):
            try:
                entry, old_root, rel = extract(old, new_res.project.entry, new_res.root, Path(tmp))
            except RevisionError as e:
                fail_usage(str(e))
            old_res = _checked(entry, old_root, f"{new} at {old}")
            old_name = f"{old}:{rel}"
        else:
            fail_usage(
                f"`{old}` is neither a file or folder nor a git revision",
                "give an entry file, a folder or a revision such as HEAD~1",
            )
        new_name = project_path(new_res.project.entry, names_from)
        result = compare(old_res.model, new_res.model, old_name, new_name)
        if data is not None:
            try:
                result.data = diff_data.compare(
                    old_res.model,
                    new_res.model,
                    data,
                    as_of.date() if as_of else None,
                    history=history_files(history),
                    previous=previous,
                )
            except DataError as e:
                fail_usage(str(e), getattr(e, "help", None))
    if fmt == "json":
        text = render.to_json(result)
    elif fmt == "markdown":
        text = render.to_markdown(result)
    else:
        text = render.to_text(result)
    if out is None:
        click.echo(text, nl=False)
    else:
        inputs = [
            *new_res.project.paths.values(),
            *([data] if data else []),
            *([previous] if previous else []),
        ]
        if Path(old).exists():
            inputs += old_res.project.paths.values()
        write_outputs([(out, text)], inputs=inputs)
        click.echo(f"wrote {out}", err=True)
    sys.exit(EXIT_ERRORS if exit_code and result else EXIT_OK)
