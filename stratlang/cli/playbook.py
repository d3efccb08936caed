"""`stratlang playbook ENTRY [-o FILE.html] [--pdf] [--lang zh|en]`: the printable playbook."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..builder import project_inputs
from . import main
from .common import color_option, fail_usage, load_checked, root_option, write_outputs


def _progress(message: str) -> None:
    if not os.environ.get("CI"):
        click.echo(f"  {message}", err=True)


@main.command()
@click.argument("entry", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("playbook.html"),
    show_default=True,
    help="Output HTML file.",
)
@click.option(
    "--pdf", is_flag=True, help="Also print the playbook to a PDF beside it (same name, .pdf)."
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default=None,
    help="Page language (default: from strategy.locale).",
)
@click.option(
    "--date", "date", default=None, help="A date to print on the cover (none by default)."
)
@root_option()
@color_option
def playbook(
    entry: Path, out: Path, pdf: bool, lang: str | None, date: str | None, root: Path | None
) -> None:
    """Write the playbook of ENTRY as one self-contained HTML page (and with --pdf, a PDF)."""
    from ..backends.base import Options
    from ..backends.html import PdfError, render_pdf, render_playbook
    from ..backends.layout import layout_session

    res = load_checked(entry, root)
    if date is None and os.environ.get("SOURCE_DATE_EPOCH", "").strip().isdigit():
        import datetime as dt

        date = (
            dt.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), dt.UTC)
            .date()
            .isoformat()
        )
    opts = Options(lang=lang, warnings=list(res.diagnostics), sources=res.sources, date=date)
    # as in a build: each map laid out once, a strategy map over the budget drawn as a summary
    with layout_session(progress=_progress) as layouts:
        html = render_playbook(res.model, opts)
    for note in layouts.notes:
        click.echo(f"note: {note}", err=True)
    pdf_bytes = None
    if pdf:
        try:
            pdf_bytes = render_pdf(html, opts)
        except PdfError as e:
            fail_usage(str(e), e.help)
    write_outputs(
        [(out, html)] + ([(out.with_suffix(".pdf"), pdf_bytes)] if pdf_bytes is not None else []),
        project_inputs(res),
    )
    written = [str(out)] + ([str(out.with_suffix(".pdf"))] if pdf_bytes is not None else [])
    click.echo(f"wrote {', '.join(written)}", err=True)
