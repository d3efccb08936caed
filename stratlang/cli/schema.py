"""`stratlang schema model|summary|review|cascade-review`: print the JSON Schema of one of stratlang's JSON files."""

from __future__ import annotations

import sys

import click

from . import main
from .common import EXIT_OK


@main.command()
@click.argument("name", type=click.Choice(["model", "summary", "review", "cascade-review"]))
def schema(name: str) -> None:
    """Print the JSON Schema (draft 2020-12) of model.json, summary.json, review.json or
    cascade-review.json.

    Each file names its schema in `$schema`; the schemas ship inside the package
    (docs/model-json.md)."""
    from ..schemas import schema_text

    click.echo(schema_text(name), nl=False)
    sys.exit(EXIT_OK)
