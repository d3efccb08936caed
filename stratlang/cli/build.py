"""`stratlang build ENTRY [-o out/] [--data FILE] [--pdf]`: the main job.

Check, then write `model.json`, `map.svg`, `playbook-map.svg`, `playbook.html` (and
`playbook.pdf` with `--pdf`), and with `--data` the contact lists in `lists/` plus the real
segment and play counts in `model.json` and the playbook.

The output folder is replaced as a whole (`stratlang.output.output_folder`): everything is written
into a staging folder beside it and switched in at the end, so a failure or a kill leaves the old
folder as it was, and a folder stratlang did not write (the project, the data, a home folder) is
refused before any work starts.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..output import output_folder
from . import main
from .common import fail_usage, load_checked, project_inputs, require_data_file, say_waiting, usage_errors


def _progress(msg: str) -> None:
    if not os.environ.get("CI"):
        click.echo(f"  {msg}", err=True)


@main.command()
@click.argument("entry", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("out"),
              show_default=True, help="Output folder (replaced as a whole when the build succeeds).")
@click.option("--data", "data", type=click.Path(path_type=Path), default=None,
              help="Customer data (CSV, Parquet or DuckDB file): also write contact lists and real counts.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="Engine for the lists (with --data).")
@click.option("--pdf", is_flag=True, help="Also print the playbook to playbook.pdf.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
              help="Playbook language (default: from strategy.locale).")
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=None, help="Project root.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
def build(entry, out_dir, data, engine, pdf, lang, root, strict):
    """Check ENTRY and write the model, both maps, the playbook and (with --data) the lists."""
    res = load_checked(entry, root, "warning" if strict else "error")
    if data is not None:
        require_data_file(data)
    inputs = project_inputs(res) + ([data] if data is not None else [])
    with usage_errors(), output_folder(out_dir, inputs=inputs, on_wait=say_waiting) as stage:
        counts = _lists(res, data, engine, stage / "lists") if data is not None else None
        outputs = _render(res, lang, counts, pdf)
        for name, content in outputs.items():
            (stage / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    written = sorted(outputs) + (["lists/"] if data is not None else [])
    click.echo(f"wrote {', '.join(written)} to {out_dir}", err=True)


def _lists(res, data: Path, engine: str, folder: Path) -> dict:
    """Run the lists into `folder` (inside the staging folder); the real counts for the model."""
    from ..engine import run_lists

    summary = run_lists(res.model, data, engine=engine, out_dir=folder, fmt="csv")
    counts = summary.counts()
    _progress(f"lists: {sum((counts.get('plays') or {}).values())} customers assigned")
    return counts


def _render(res, lang, counts, pdf: bool) -> dict[str, bytes | str]:
    """Every output file of the build, rendered in memory: name -> content."""
    from ..backends.base import Options
    from ..backends.json import render_model_json

    opts = Options(lang=lang, counts=counts, warnings=list(res.diagnostics), sources=res.sources)
    outputs: dict[str, bytes | str] = {"model.json": render_model_json(res.model, counts)}
    outputs.update(_maps(res.model, opts))
    outputs.update(_playbook(res.model, opts, pdf))
    return outputs


def _maps(model, opts) -> dict[str, bytes]:
    from ..backends.dot import GraphvizError, MissingGraphviz, render_image

    try:
        return {"map.svg": render_image(model, "strategy", "svg", opts),
                "playbook-map.svg": render_image(model, "playbook", "svg", opts)}
    except MissingGraphviz as e:
        fail_usage(str(e), e.help)
    except GraphvizError as e:
        fail_usage(str(e), "write the map as .dot (stratlang map -o map.dot) to look at the input Graphviz got")


def _playbook(model, opts, pdf: bool) -> dict[str, bytes | str]:
    from ..backends.html import PdfError, render_pdf, render_playbook

    html = render_playbook(model, opts)
    if not pdf:
        return {"playbook.html": html}
    try:
        return {"playbook.html": html, "playbook.pdf": render_pdf(html, opts)}
    except PdfError as e:
        fail_usage(str(e), getattr(e, "help", None))
