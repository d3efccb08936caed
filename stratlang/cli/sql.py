"""`stratlang sql ENTRY [--dialect ...] [--as-of DATE] [-o FILE.sql]`: the segment and assignment SQL of a project."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from . import main
from .common import color_option, fail_usage, load_checked, root_option, write_outputs
from .options import as_of_option


@main.command()
@click.argument("entry", type=click.Path(path_type=Path))
@click.option(
    "--dialect",
    type=click.Choice(["duckdb", "spark", "postgres", "trino", "bigquery", "snowflake"]),
    default="duckdb",
    show_default=True,
    help="SQL dialect (translated by sqlglot).",
)
@click.option("--table", default=None, help="Table holding the customers (default: the schema id).")
@as_of_option(
    "The day history aggregates count back from, and only the plays active on it. "
    "Default: the engine's CURRENT_DATE, and every play."
)
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the SQL to this file (default: stdout).",
)
@root_option()
@color_option
def sql(
    entry: Path,
    dialect: str,
    table: str | None,
    as_of: dt.datetime | None,
    out: Path | None,
    root: Path | None,
) -> None:
    """Print the SQL for ENTRY's segment rules and play assignment."""
    from ..backends.sql import CompileError, render_sql

    res = load_checked(entry, root)
    try:
        text = render_sql(res.model, dialect, table, as_of.date() if as_of else None)
    except CompileError as e:
        fail_usage(str(e))
    if out is None or str(out) == "-":
        click.echo(text, nl=False)
        return
    from ..builder import project_inputs

    write_outputs([(out, text)], project_inputs(res))
    click.echo(f"wrote {out}", err=True)
