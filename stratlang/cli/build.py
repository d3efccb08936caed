"""`stratlang build ENTRY [-o out/] [--data FILE] [--pdf]`: the main job (`stratlang.builder`).

Check, then write `model.json`, `map.svg`, `playbook-map.svg`, `playbook.html` (and
`playbook.pdf` with `--pdf`), and with `--data` the contact lists in `lists/` plus the real
segment and play counts in `model.json` and the playbook. The output folder is replaced as a
whole (docs/outputs.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..builder import build as build_outputs
from . import main
from .common import load_checked, say_waiting, usage_errors


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
    "--root", type=click.Path(path_type=Path, file_okay=False), default=None, help="Project root."
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
def build(
    entry: Path,
    out_dir: Path,
    data: Path | None,
    engine: str,
    pdf: bool,
    lang: str | None,
    root: Path | None,
    strict: bool,
) -> None:
    """Check ENTRY and write the model, both maps, the playbook and (with --data) the lists."""
    res = load_checked(entry, root, "warning" if strict else "error")
    with usage_errors():
        built = build_outputs(
            res,
            out_dir,
            data=data,
            engine=engine,
            pdf=pdf,
            lang=lang,
            fail_level="warning" if strict else "error",
            progress=_progress,
            on_wait=say_waiting,
        )
    click.echo(f"wrote {', '.join(built.files)} to {out_dir}", err=True)
