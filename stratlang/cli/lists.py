"""`stratlang lists ENTRY --data FILE [--engine duckdb|spark] [-o DIR] [--format csv|parquet|xlsx]
[--as-of YYYY-MM-DD] [--contacts FILE]`."""

from __future__ import annotations

import datetime as dt
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from ..builder import project_inputs, require_data_file
from . import main
from .common import (
    color_option,
    load_checked,
    root_option,
    say_transitions,
    say_waiting,
    usage_errors,
)
from .options import as_of_option, format_option, history_files, history_option, previous_option


@contextmanager
def _progress():
    """A rich progress display on a terminal; nothing when not a TTY or in CI."""
    quiet = not sys.stderr.isatty() or os.environ.get("CI", "").lower() in ("1", "true", "yes")
    if quiet:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as prog:
        task = prog.add_task("starting", total=None)
        yield lambda msg: prog.update(task, description=msg)


@main.command()
@click.argument("entry", type=click.Path(path_type=Path))
@click.option(
    "--data",
    "data",
    type=click.Path(path_type=Path),
    required=True,
    help="Customer data: CSV, Parquet or a DuckDB database file.",
)
@click.option(
    "--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("lists"),
    show_default=True,
    help="Output folder (replaced as a whole when the run succeeds; it must be new, empty or an earlier output).",
)
@format_option(["csv", "parquet", "xlsx"], default="csv")
@click.option("--spark-master", default=None, help="Spark master URL (default local[*]).")
@as_of_option(
    "The day the lists are for: only plays whose `period` contains it are assigned. "
    "Default: today; pin it in CI."
)
@history_option()
@previous_option()
@click.option(
    "--contacts",
    "contacts",
    type=click.Path(path_type=Path),
    multiple=True,
    help="The contact log: CSV or Parquet files (key, channel, date[, control]) or folders of "
    "earlier lists, repeatable: the contact limits are kept together with the logged contacts.",
)
@root_option()
@color_option
def lists(
    entry: Path,
    data: Path,
    engine: str,
    out_dir: Path,
    fmt: str,
    spark_master: str | None,
    as_of: dt.datetime | None,
    history: tuple[str, ...],
    previous: Path | None,
    contacts: tuple[Path, ...],
    root: Path | None,
) -> None:
    """Write contact lists per play (after priority, control group and capacity) and summary.json."""
    from ..engine import run_lists

    res = load_checked(entry, root)
    say_limits_without_log(res.model, contacts)
    with usage_errors(), _progress() as step:
        require_data_file(data)
        summary = run_lists(
            res.model,
            data,
            engine=engine,
            out_dir=out_dir,
            fmt=fmt,
            spark_master=spark_master,
            progress=step,
            inputs=project_inputs(res),
            on_wait=say_waiting,
            as_of=as_of.date() if as_of else None,
            history=history_files(history),
            previous=previous,
            contacts=contacts,
            root=res.root,
        )
    for name, read in summary.history.items():
        if read["unknown_keys"]:
            click.echo(
                f"history `{name}`: {read['unknown_keys']} of {read['rows']} rows belong to no "
                f"customer (e.g. `{read['example_unknown_key']}`) and were left out",
                err=True,
            )
    for play, why in summary.inactive.items():
        click.echo(f"play `{play}` is not active: {why}", err=True)
    say_transitions(res.model, summary.transitions, previous)
    say_contacts(summary)
    listed = sum(p["listed"] for p in summary.plays.values())
    click.echo(
        f"wrote {len(summary.plays)} lists ({listed} customers of {summary.customers}; "
        f"{summary.dropped_by_capacity} dropped by capacity) and summary.json to {out_dir}",
        err=True,
    )


def say_limits_without_log(model, contacts: tuple[Path, ...]) -> None:
    """The warning (once) for a project with contact limits run without a contact log."""
    if not contacts and model.limits():
        click.echo(
            "warning: the project has contact limits but no contact log was given (--contacts "
            "FILE): only each play's own schedule is checked, not the contacts of earlier waves",
            err=True,
        )


def say_contacts(summary) -> None:
    """What the contact log held that was left out, and what the limits dropped."""
    log = summary.contacts
    if log and log["unknown_keys"]:
        click.echo(
            f"contact log: {log['unknown_keys']} of {log['rows']} rows belong to no customer "
            f"(e.g. `{log['example_unknown_key']}`) and were left out",
            err=True,
        )
    if summary.holdout:
        click.echo(
            f"{summary.holdout['customers']} customers held out ({summary.holdout['share']}%, "
            f"seed `{summary.holdout['seed']}`): written to holdout, not to any list",
            err=True,
        )
    if summary.dropped_by_policy:
        click.echo(
            f"{summary.dropped_by_policy} customers were moved off a play or left without one "
            "by the contact limits (summary.json dropped_by_policy)",
            err=True,
        )
