"""`stratlang lsp`: the language server on stdin/stdout (see docs/lsp.md)."""

from __future__ import annotations

import click

from . import main


@main.command()
@click.option(
    "--stdio",
    is_flag=True,
    help="Talk over stdin/stdout (the default; accepted for editors that pass it).",
)
def lsp(stdio: bool) -> None:
    """Run the language server (diagnostics, hover, definitions, completion, rename, formatting)."""
    from ..lsp.server import serve

    serve()
