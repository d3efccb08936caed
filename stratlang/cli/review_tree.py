"""`stratlang review ENTRY --children --actuals FILE`: the review of a parent with its children's
actuals rolled up (docs/cascade.md "Roll-up in review"); a helper of cli/review.py."""

from __future__ import annotations

from pathlib import Path

import click

from ..builder import ReviewInputs
from ..cascade_review import CascadeReviewed, review_cascade
from ..check import CheckResult
from .cascade import cascade_of, checked_tree
from .common import fail_usage, say_waiting, usage_errors


def review_tree(
    entry: Path,
    out_dir: Path,
    inputs: ReviewInputs,
    child_actuals: str,
    lang: str | None,
    pdf: bool,
    root: Path | None = None,
) -> tuple[CheckResult, CascadeReviewed]:
    """Check the tree (ENTRY and the projects below it; a folder without main.strat: every
    project in it), review its top project with the actuals of the projects below it rolled up
    level by level (a team's into its branch, the branches' into the top)."""
    parent_given = entry.is_file() or (entry / "main.strat").is_file()
    tree = checked_tree((entry,), parent_given, root)
    tops = [e for e in tree.results if e not in tree.parents]
    if len(tops) != 1:
        fail_usage(
            f"{entry} holds {len(tops)} top strategies",
            "review one cascade: give its top project with --children",
        )
    casc = cascade_of(tree)
    top = casc.projects[0]
    kids = [
        (p.key, tree.results[e], p.parent)
        for p, e in zip(casc.projects, _entries_in(casc, tree), strict=True)
        if p.parent is not None
    ]
    if not kids:
        click.echo(f"note: no child project names {top.key} as its parent", err=True)
    labels = {uid: u.label for uid, u in casc.units.items()}
    with usage_errors():
        reviewed = review_cascade(
            tree.results[tops[0]],
            top.key,
            kids,
            out_dir,
            inputs,
            unit_labels=labels,
            child_actuals_name=child_actuals,
            lang=lang,
            pdf=pdf,
            on_wait=say_waiting,
        )
    for kid in reviewed.children:
        if kid.review is None:
            click.echo(
                f"note: {kid.key} has no {child_actuals}: its targets show no data", err=True
            )
    return tree.results[tops[0]], reviewed


def _entries_in(casc, tree) -> list[Path]:
    """The tree's entry files in the cascade's order (matched by their shown key)."""
    from .cascade import cascade_key

    by_key = {cascade_key(e): e for e in tree.results}
    return [by_key[p.key] for p in casc.projects]
