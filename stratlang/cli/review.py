"""`stratlang review ENTRY --actuals FILE [-o out/review]`: 经营回检, actuals against targets.

Check the project, score the actuals (and play outcomes) in DuckDB, and write `review-map.svg`,
`review.html`, `review.json` (and `review.pdf`) into the output folder, replaced as a whole. The
findings are diagnostics REV801–REV804, printed like the checker's; `--fail-on red|amber` makes
a review fail CI (docs/review.md).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..builder import Reviewed, ReviewInputs
from ..builder import review as write_review
from ..check import CheckResult

if TYPE_CHECKING:
    from ..cascade_review import CascadeReviewed
from ..diagnostics import Diagnostic, fails
from . import main
from .common import (
    EXIT_ERRORS,
    EXIT_OK,
    color_option,
    load_checked,
    paths_root,
    print_diagnostics,
    root_option,
    say_waiting,
    usage_errors,
)
from .options import as_of_option, format_option

FORMATS = ("text", "json", "sarif", "github")
LEVELS = ("strategy", "operations", "business")
# --fail-on as a severity: red targets, fired triggers and missing actuals are warnings, amber
# targets are infos (diagnostics.CODES)
FAIL_LEVEL = {"red": "warning", "amber": "info"}


@main.command()
@click.argument("entry", type=click.Path(path_type=Path))
@click.option(
    "--actuals",
    type=click.Path(path_type=Path),
    required=True,
    help="Actuals (CSV, Parquet or DuckDB): columns measure, period, value, optional note.",
)
@click.option(
    "--outcomes",
    type=click.Path(path_type=Path),
    default=None,
    help="Play outcomes: play, period, group (treatment|control), contacted, converted.",
)
@as_of_option("The day the review is taken on (default: today); fix it for reproducible output.")
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("out/review"),
    show_default=True,
    help="Output folder (replaced as a whole when the review succeeds).",
)
@click.option("--level", type=click.Choice(LEVELS), default=None, help="Only one report level.")
@click.option("--pdf", is_flag=True, help="Also print the report to review.pdf.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="Report language.")
@format_option(
    FORMATS, "How the findings are printed: text (stderr); json, sarif or github (stdout)."
)
@click.option(
    "--fail-on",
    type=click.Choice(["red", "amber"]),
    default=None,
    help="Exit 1 when a target is red (or amber too), a trigger fired or an actual is missing.",
)
@click.option(
    "--children",
    is_flag=True,
    help="Roll up the actuals of ENTRY's child projects (docs/cascade.md); ENTRY may also be a "
    "folder of projects (its top project is reviewed).",
)
@click.option(
    "--child-actuals",
    default="data/actuals.csv",
    show_default=True,
    help="Each child's actuals file, relative to its project folder (with --children).",
)
@root_option()
@color_option
def review(
    entry: Path,
    actuals: Path,
    outcomes: Path | None,
    as_of: dt.datetime | None,
    out_dir: Path,
    level: str | None,
    pdf: bool,
    lang: str | None,
    fmt: str,
    fail_on: str | None,
    children: bool,
    child_actuals: str,
    root: Path | None,
) -> None:
    """Score ACTUALS against the targets of ENTRY and write the review map and report."""
    inputs = ReviewInputs(actuals, outcomes, as_of.date() if as_of else None, level)
    reviewed: Reviewed | CascadeReviewed
    if children:
        from .review_tree import review_tree

        res, reviewed = review_tree(entry, out_dir, inputs, child_actuals, lang, pdf, root)
    else:
        res = load_checked(entry, root)
        with usage_errors():
            reviewed = write_review(res, out_dir, inputs, lang=lang, pdf=pdf, on_wait=say_waiting)
    level = FAIL_LEVEL[fail_on] if fail_on else None
    _print(reviewed.diagnostics, res, fmt, level)
    click.echo(_summary(reviewed.result.strategy.status, reviewed.diagnostics), err=True)
    click.echo(f"wrote {', '.join(reviewed.files)} to {out_dir}", err=True)
    failed = level is not None and fails(reviewed.diagnostics, level)
    sys.exit(EXIT_ERRORS if failed else EXIT_OK)


def _print(diagnostics: list[Diagnostic], res: CheckResult, fmt: str, level: str | None) -> None:
    """The findings for people (stderr) or tools (stdout; `valid` states the --fail-on verdict)."""
    if fmt == "text":
        print_diagnostics(diagnostics, res.sources, fmt, res.root)
        return
    from ..render import render

    shown_from = paths_root(res.sources, fmt, res.root)
    out = render(diagnostics, res.sources, fmt, root=shown_from, fail_level=level or "error")
    sys.stdout.write(out if out.endswith("\n") or not out else out + "\n")


def _summary(status: str, diagnostics: list[Diagnostic]) -> str:
    counts = dict.fromkeys(("REV801", "REV802", "REV803", "REV804"), 0)
    for d in diagnostics:
        counts[d.code] = counts.get(d.code, 0) + 1
    return (
        f"review: strategy {status}; {counts['REV801']} red, {counts['REV802']} amber, "
        f"{counts['REV803']} trigger(s) fired, {counts['REV804']} missing actual(s)"
    )
