"""`stratlang build ENTRY [-o out/] [--data FILE] [--pdf]`: the main job.

Check, then write `model.json`, `map.svg`, `playbook-map.svg`, `playbook.html` (and
`playbook.pdf` with `--pdf`), and with `--data` the contact lists in `lists/` plus the real
segment and play counts in `model.json` and the playbook. Every output is rendered in memory
(lists into a temporary folder) before anything is written, so a failure leaves the output
folder as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import click

from . import main
from .common import fail_usage, load_checked, write_outputs


def _progress(msg: str) -> None:
    if not os.environ.get("CI"):
        click.echo(f"  {msg}", err=True)


@main.command()
@click.argument("entry", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("out"),
              show_default=True, help="Output folder.")
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
    from ..backends.base import Options
    from ..backends.json import render_model_json

    res = load_checked(entry, root, "warning" if strict else "error")
    model = res.model
    warnings = [d for d in res.diagnostics]
    counts = None
    outputs: dict[str, bytes | str] = {}
    lists_tmp = None
    try:
        if data is not None:
            from ..engine import DataError, run_lists

            if not Path(data).exists():
                fail_usage(f"data file not found: {data}")
            lists_tmp = Path(tempfile.mkdtemp(prefix=".lists.", dir=_ensure(out_dir)))
            try:
                summary = run_lists(model, Path(data), engine=engine, out_dir=lists_tmp / "lists", fmt="csv")
            except DataError as e:
                fail_usage(str(e), getattr(e, "help", None))
            counts = summary.counts() if hasattr(summary, "counts") else summary
            _progress(f"lists: {sum((counts.get('plays') or {}).values())} customers assigned")
        opts = Options(lang=lang, counts=counts, warnings=warnings, sources=res.sources)
        outputs["model.json"] = render_model_json(model, counts)
        outputs.update(_maps(model, opts))
        html, pdf_bytes = _playbook(model, opts, pdf)
        if html is not None:
            outputs["playbook.html"] = html
        if pdf_bytes is not None:
            outputs["playbook.pdf"] = pdf_bytes
        # everything rendered: now write
        write_outputs((out_dir / name, data_) for name, data_ in outputs.items())
        if lists_tmp is not None:
            final = out_dir / "lists"
            if final.exists():
                shutil.rmtree(final)
            os.replace(lists_tmp / "lists", final)
    finally:
        if lists_tmp is not None and lists_tmp.exists():
            shutil.rmtree(lists_tmp, ignore_errors=True)
    written = sorted(outputs) + (["lists/"] if data is not None else [])
    click.echo(f"wrote {', '.join(written)} to {out_dir}", err=True)


def _ensure(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        fail_usage(f"cannot create the output folder {path}: {e.strerror or e}",
                   "choose an output folder you can write to (-o)")
    return path


def _maps(model, opts) -> dict[str, bytes]:
    try:
        from ..backends.dot import MissingGraphviz, render_image
    except ImportError:  # the map backend is not part of this build
        return {}
    out = {}
    try:
        out["map.svg"] = render_image(model, "strategy", "svg", opts)
        out["playbook-map.svg"] = render_image(model, "playbook", "svg", opts)
    except MissingGraphviz as e:
        fail_usage(str(e), getattr(e, "help", None))
    return out


def _playbook(model, opts, pdf: bool):
    try:
        from ..backends.html import PdfError, render_pdf, render_playbook
    except ImportError:
        if pdf:
            fail_usage("this installation has no playbook backend")
        return None, None
    html = render_playbook(model, opts)
    pdf_bytes = None
    if pdf:
        try:
            pdf_bytes = render_pdf(html, opts)
        except PdfError as e:
            fail_usage(str(e), getattr(e, "help", None))
    return html, pdf_bytes

