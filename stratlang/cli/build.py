"""`stratlang build ENTRY [-o out/] [--data FILE] [--pdf]`: the main job (`stratlang.builder`).

Check, then write `model.json`, `map.svg`, `playbook-map.svg`, `playbook.html` (and
`playbook.pdf` with `--pdf`), with `--data` the contact lists in `lists/` plus the real
segment and play counts in `model.json` and the playbook, and with `--actuals` the review
(`stratlang review`'s files, in the same folder). The output folder is replaced as a
whole (docs/outputs.md).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from ..backends.layout import MAP_BUDGET
from ..builder import ReviewInputs
from ..builder import build as build_outputs
from . import main
from .common import (
    color_option,
    fail_level_option,
    fail_usage,
    load_checked,
    print_diagnostics,
    root_option,
    say_transitions,
    say_waiting,
    usage_errors,
)
from .lists import say_limits_without_log


def _progress(msg: str) -> None:
    if not os.environ.get("CI"):
        click.echo(f"  {msg}", err=True)


@main.command()
@click.argument("entry", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("out"),
    show_default=True,
    help="Output folder (replaced as a whole when the build succeeds).",
)
@click.option(
    "--data",
    "data",
    type=click.Path(path_type=Path),
    default=None,
    help="Customer data (CSV, Parquet or DuckDB file): also write contact lists and real counts.",
)
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="Engine for the lists (with --data).",
)
@click.option("--pdf", is_flag=True, help="Also print the playbook to playbook.pdf.")
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default=None,
    help="Playbook language (default: from strategy.locale).",
)
@click.option(
    "--theme",
    type=click.Choice(["light", "print", "dark"]),
    default="light",
    show_default=True,
    help="Colours of the strategy and playbook maps (map.svg, playbook-map.svg, the playbook's "
    "maps): light, print (black and grey, no fills) or dark.",
)
@root_option()
@click.option("--strict", is_flag=True, help="Fail on warnings too (same as --fail-level warning).")
@fail_level_option("fails the build (exit 1, nothing written)")
@click.option(
    "--open",
    "open_",
    is_flag=True,
    help="Open playbook.html in the web browser when the build succeeds.",
)
@color_option
@click.option(
    "--actuals",
    type=click.Path(path_type=Path),
    default=None,
    help="Actuals: also write the review (review-map.svg, review.html, review.json).",
)
@click.option(
    "--outcomes",
    type=click.Path(path_type=Path),
    default=None,
    help="Play outcomes (with --actuals).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day of the review (with --actuals) and of the lists (with --data): only plays whose "
    "`period` contains it are assigned. Default: today; pin it in CI.",
)
@click.option(
    "--previous",
    "previous",
    type=click.Path(path_type=Path),
    default=None,
    help="With --data: the customer table of the previous run, for tier and lifecycle "
    "transitions (lists/transitions.csv, the lifecycle map) and transition triggers.",
)
@click.option(
    "--contacts",
    "contacts",
    type=click.Path(path_type=Path),
    multiple=True,
    help="With --data: the contact log (key, channel, date[, control]; files or folders of "
    "earlier lists, repeatable) the lists keep the contact limits with (see `lists --contacts`).",
)
@click.option(
    "--map-budget",
    "map_budget",
    type=click.IntRange(min=0),
    default=MAP_BUDGET,
    show_default=True,
    help="Objectives + links up to which the strategy map is laid out in full; a larger map is "
    "drawn as a summary by perspective and theme (0: no limit).",
)
def build(
    entry: Path,
    out_dir: Path,
    data: Path | None,
    engine: str,
    pdf: bool,
    lang: str | None,
    theme: str,
    root: Path | None,
    strict: bool,
    fail_level: str,
    open_: bool,
    actuals: Path | None,
    outcomes: Path | None,
    as_of: dt.datetime | None,
    previous: Path | None,
    contacts: tuple[Path, ...],
    map_budget: int,
) -> None:
    """Check ENTRY and write the model, both maps, the playbook and (with --data) the lists.

    ENTRY is a .strat file, or a folder (its main.strat). The last line is the playbook's path.
    """
    from ..render.common import fail_level_of

    fail_level = fail_level_of(strict, fail_level)  # --strict with --fail-level info stays info
    res = load_checked(entry, root, fail_level)
    if outcomes is not None and actuals is None:
        fail_usage("--outcomes needs --actuals", "give the actuals file the review scores")
    if previous is not None and data is None:
        fail_usage("--previous needs --data", "give today's customer table with --data")
    if contacts and data is None:
        fail_usage("--contacts needs --data", "give the customer table with --data")
    if data is not None:
        say_limits_without_log(res.model, contacts)
    review = ReviewInputs(actuals, outcomes, as_of.date() if as_of else None) if actuals else None
    with usage_errors():
        built = build_outputs(
            res,
            out_dir,
            data=data,
            engine=engine,
            pdf=pdf,
            lang=lang,
            theme=theme,
            fail_level=fail_level,
            progress=_progress,
            on_wait=say_waiting,
            actuals=review,
            as_of=as_of.date() if as_of else None,
            previous=previous,
            contacts=contacts,
            map_budget=map_budget or None,
        )
    for note in built.notes:
        click.echo(f"note: {note}", err=True)
    for play, why in (built.inactive or {}).items():
        click.echo(f"play `{play}` is not active: {why}", err=True)
    if data is not None:
        say_transitions(res.model, (built.counts or {}).get("transitions", {}), previous)
    if built.review is not None:
        print_diagnostics(built.review.diagnostics, res.sources, "text", res.root)
    click.echo(f"wrote {', '.join(built.files)} to {out_dir}", err=True)
    playbook = out_dir / "playbook.html"
    click.echo(f"playbook: {playbook}", err=True)
    if open_:
        _open(playbook)


def _open(path: Path) -> None:
    """Open a written page in the browser; without one (a server, CI) say so and go on."""
    import webbrowser

    try:
        opened = webbrowser.open(path.resolve().as_uri())
    except webbrowser.Error:
        opened = False
    if not opened:
        click.echo(f"  (no web browser to open {path} with)", err=True)
