"""`stratlang explain CODE` and `stratlang explain --list`."""

from __future__ import annotations

import sys

import click

from . import main
from .common import EXIT_OK, fail_usage


@main.command()
@click.argument("code", required=False)
@click.option(
    "--list", "list_", is_flag=True, help="List every code with its severity and short text."
)
def explain(code: str | None, list_: bool) -> None:
    """Explain a diagnostic code, such as MAP401, with a wrong and a right example."""
    from .. import diagnostics as dg
    from ..explain import explanation, normalize

    if list_:
        for c, (sev, short) in dg.CODES.items():
            click.echo(f"{c}  {sev!s:<7}  {short}")
        sys.exit(EXIT_OK)
    if not code:
        fail_usage(
            "give a diagnostic code, e.g. `stratlang explain MAP401`",
            "`stratlang explain --list` lists every code",
        )
    norm = normalize(code)
    try:
        text = explanation(norm)
    except KeyError:
        near = dg.closest(norm, dg.CODES)
        if not near and len(norm) == 6:
            # One wrong character in a 6-character code is common (O for 0): allow 2 edits.
            near = [c for c in dg.CODES if dg.osa_distance(norm, c, 2) <= 2][:3]
        help_ = (
            f"did you mean `{near[0]}`?" if near else "`stratlang explain --list` lists every code"
        )
        fail_usage(f"unknown diagnostic code `{code}`", help_)
    click.echo(text, nl=False)
    sys.exit(EXIT_OK)
