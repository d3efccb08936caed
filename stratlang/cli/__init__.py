"""The `stratlang` command line (click). Thin: parse options, call the API, print.

Each command lives in its own module of this package and registers itself on `main`.
"""

from __future__ import annotations

import os
import sys

import click

from .. import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="stratlang")
def main() -> None:
    """stratlang: strategy maps and customer-operations playbooks as checked, compiled text."""


def _register() -> None:
    """Import every command module: each registers its command on `main`."""
    from . import build, check, diff, explain, fmt, init, lists, lsp, map, playbook, review, sample_data, sql, watch  # noqa: F401


def run() -> None:
    """Entry point: never a traceback for the user (set STRATLANG_DEBUG=1 to see one)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    _register()
    try:
        main(standalone_mode=True)
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as e:  # pragma: no cover - last resort
        if os.environ.get("STRATLANG_DEBUG"):
            raise
        click.echo(f"error: internal error: {type(e).__name__}: {e}", err=True)
        click.echo(
            "  = note: this is a bug in stratlang; run again with STRATLANG_DEBUG=1 for details and report it",
            err=True,
        )
        sys.exit(2)
