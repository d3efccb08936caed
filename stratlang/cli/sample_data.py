"""`stratlang sample-data ENTRY -n 10000 -o customers.csv [--seed 7] [--format csv|parquet]
[--as-of YYYY-MM-DD]`: sample customers for the project's own schema, every segment non-empty."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..builder import project_inputs
from ..output import check_output_file
from . import main
from .common import color_option, fail_usage, load_checked, root_option, usage_errors, write_outputs
from .options import as_of_option, format_option


@main.command("sample-data")
@click.argument("entry", type=click.Path(path_type=Path))
@click.option(
    "-n",
    "--rows",
    type=click.IntRange(1, 10_000_000),
    default=10000,
    show_default=True,
    help="Customers to generate.",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("customers.csv"),
    show_default=True,
    help="The customer file; each history table's file is written beside it (NAME.csv).",
)
@click.option(
    "--seed", type=int, default=7, show_default=True, help="The same seed, the same bytes."
)
@format_option(
    ["csv", "parquet"], "Default: from the output's suffix (.parquet/.pq), else csv.", default=None
)
@as_of_option("The day history windows and dates count back from (default today, as `lists`).")
@root_option()
@color_option
def sample_data(
    entry: Path,
    rows: int,
    out: Path,
    seed: int,
    fmt: str | None,
    as_of: dt.datetime | None,
    root: Path | None,
) -> None:
    """Write realistic sample customers (and history tables) for the project's schema."""
    from .. import samples

    res = load_checked(entry, root)  # a folder: its main.strat
    model = res.model
    if model is None or model.schema is None or model.schema.key is None:
        fail_usage(
            "the project declares no schema with a key field: there is nothing to generate",
            help="declare a `schema` with a `key` field (docs/data.md)",
        )
    fmt = fmt or ("parquet" if out.suffix.lower() in (".parquet", ".pq") else "csv")
    targets = [out] + [out.with_name(f"{h}.{fmt}") for h in model.histories]
    if out in targets[1:]:
        fail_usage(
            f"{out} is where the history table `{out.stem}` goes",
            help="name the customer file otherwise (customers.csv)",
        )
    with usage_errors():  # a bad output path: exit 2 before the work, nothing written
        for path in targets:
            check_output_file(path, project_inputs(res))
    got = samples.sample(model, rows, seed, as_of.date() if as_of else None)
    files = samples.output_files(model, got, out, fmt)
    write_outputs(files, project_inputs(res))
    for sid, k in got.planted.items():
        members = "member" if k == 1 else "members"
        click.echo(f"segment `{sid}`: {k} {members} planted from its witness", err=True)
    for sid in got.empty:
        click.echo(
            f"warning: segment `{sid}` has no member: no witness could be confirmed", err=True
        )
    names = ", ".join(p.name for p, _ in files[1:])
    extra = f" and the history tables beside it ({names})" if names else ""
    click.echo(f"wrote {rows} customers to {out}{extra}", err=True)
