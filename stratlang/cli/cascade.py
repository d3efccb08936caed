"""`stratlang cascade PATH... [--children] [-o out/cascade]`: the cascade view and the
traceability matrix of a tree of strategy projects (docs/cascade.md).

Checks the tree as `stratlang check` does (every project, the alignment between them), then
writes into the output folder, replaced as a whole: `cascade.svg` (Graphviz) and `cascade.dot`,
`traceability.html` and `traceability.csv`. A failing check writes nothing (exit 1); a path that
cannot be read, or a missing Graphviz, is exit 2.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import main
from .common import (
    EXIT_ERRORS,
    EXIT_USAGE,
    UsageError,
    cascade_entries,
    color_option,
    fail_usage,
    given_root,
    merged,
    print_diagnostics,
    root_option,
    say_waiting,
    usage_errors,
)

LAYOUTS = ("auto", "clusters", "tree")


@main.command("cascade")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--children",
    is_flag=True,
    help="Each PATH is a parent project: take it and the projects below it in the cascade "
    "(found in the repository by their `parent`).",
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("out/cascade"),
    show_default=True,
    help="Output folder (replaced as a whole).",
)
@click.option(
    "--layout",
    type=click.Choice(LAYOUTS),
    default="auto",
    show_default=True,
    help="clusters: every unit's objectives; tree: the units with counts; auto: clusters up to "
    "12 projects.",
)
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default=None, help="Language of the words."
)
@click.option("--font", default=None, help="Font of the view (default: Noto Sans CJK SC).")
@root_option(
    "Project root of every project of the tree: imports may not leave it, and paths (in "
    "diagnostics and the view) are shown relative to it (default: the repository root)."
)
@color_option
def cascade(
    paths: tuple[Path, ...],
    children: bool,
    out_dir: Path,
    layout: str,
    lang: str | None,
    font: str | None,
    root: Path | None,
) -> None:
    """Draw the cascade of strategy projects and write its traceability matrix.

    Each PATH is a folder (every main.strat below it) or a project's .strat file; with
    --children, a parent project (its folder or .strat file) and its descendants."""
    from ..backends.cascade import cascade_dot
    from ..backends.dot import DEFAULT_FONT, GraphvizError, MissingGraphviz, run_dot
    from ..backends.traceability import matrix_csv, matrix_html
    from ..output import output_folder

    tree = checked_tree(paths, children, root)
    results = list(tree.results.values())
    casc = cascade_of(tree)
    dot_text = cascade_dot(casc, layout=layout, lang=lang, font=font or DEFAULT_FONT)
    try:
        svg = run_dot(dot_text, "svg")
    except MissingGraphviz as e:
        fail_usage(str(e), e.help)
    except GraphvizError as e:
        fail_usage(str(e), "the DOT text is what `--layout tree` draws for a large cascade")
    files: dict[str, str | bytes] = {
        "cascade.svg": svg,
        "cascade.dot": dot_text,
        "traceability.html": matrix_html(casc, lang),
        "traceability.csv": matrix_csv(casc, lang),
    }
    inputs = [p for r in results if r.project for p in r.project.paths.values()]
    with usage_errors(), output_folder(out_dir, inputs=inputs, on_wait=say_waiting) as stage:
        for name, data in files.items():
            (stage / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    click.echo(
        f"wrote {', '.join(sorted(files))} to {out_dir} ({len(casc.projects)} projects)", err=True
    )


def tree_entries(paths: tuple[Path, ...], children: bool) -> list[Path]:
    """The entry files of the tree: with `children`, each PATH (a folder: its main.strat) and the
    projects whose parent it is (and theirs); else every main.strat below each folder, or the
    file itself. Exit 2 for a path that does not exist or names no project."""
    for p in paths:
        if not os.path.exists(p):  # never raises (a 300-character name is just not found)
            fail_usage(f"{p} not found", "give a folder of projects or a project's .strat file")
    try:
        return cascade_entries(paths, children, whole_folders=True)[0]
    except UsageError as e:
        fail_usage(str(e), e.help)


def load_tree_of(paths: tuple[Path, ...], children: bool, root: Path | None = None):
    """The checked tree (`check.cascade.load_tree`, each project with `root` as its project
    root: `--root`); exit 2 when an entry cannot be read (or lies outside `root`)."""
    from ..check import LoadError
    from ..check.cascade import load_tree

    entries = tree_entries(paths, children)
    try:
        return load_tree(entries, project_root=root)
    except LoadError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USAGE)


def checked_tree(paths: tuple[Path, ...], children: bool, root: Path | None = None):
    """The tree checked, its diagnostics printed; exit 1 (nothing written) when it fails."""
    tree = load_tree_of(paths, children, root)
    results = list(tree.results.values())
    diags, sources = merged(results)
    if diags:
        print_diagnostics(diags, sources, "text", results[0].root if results else None)
    if any(not r.ok for r in results):
        click.echo("error: the check failed; nothing was written", err=True)
        sys.exit(EXIT_ERRORS)
    return tree


def cascade_key(entry: Path) -> str:
    """A project's key in the view: its entry file as diagnostics show it (relative to `--root`
    when given, else to the repository root; the path itself outside a repository)."""
    from ..check.cascade import shown
    from ..repository import repository_root

    base = given_root() or repository_root(entry)
    return shown(entry, Path(os.path.realpath(base))) if base is not None else str(entry)


def cascade_of(tree):
    """The view's `Cascade` of a checked tree (`check.cascade.Tree`)."""
    from ..backends.cascade import Cascade, Project

    return Cascade(
        Project(
            cascade_key(e), r.model, cascade_key(tree.parents[e]) if e in tree.parents else None
        )
        for e, r in tree.results.items()
    )
