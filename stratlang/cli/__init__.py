"""The `stratlang` command line (click). Thin: parse options, call the API, print.

Each command lives in its own module of this package and registers itself on `main`.
"""

from __future__ import annotations

import os
import sys

import click

from .. import __version__
from .common import color_option

# What an optional dependency is for: the extra that installs it (pyproject.toml). The core
# (`pip install stratlang`, the pre-commit hooks) checks, formats, draws and writes the playbook.
EXTRAS = {
    "duckdb": "data",
    "pyarrow": "data",
    "numpy": "data",
    "openpyxl": "data",
    "weasyprint": "pdf",
    "pyspark": "spark",
}


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="stratlang")
@color_option
def main() -> None:
    """stratlang: strategy maps and customer-operations playbooks as checked, compiled text."""


def _register() -> None:
    """Import every command module: each registers its command on `main`."""
    from . import (  # noqa: F401
        build,
        cascade,
        check,
        diff,
        eval_cmd,
        explain,
        fmt,
        init,
        lists,
        lsp,
        map,
        playbook,
        review,
        sample_data,
        schema,
        sql,
        test_cmd,
        watch,
    )


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
        extra = EXTRAS.get((getattr(e, "name", None) or "").split(".")[0])
        if isinstance(e, ModuleNotFoundError) and extra:
            # an optional dependency the core install leaves out (pyproject.toml's extras)
            click.echo(f"error: this needs {e.name}, which is not installed", err=True)
            click.echo(
                f"  = help: pip install 'stratlang[{extra}]' (or 'stratlang[all]')", err=True
            )
            sys.exit(2)
        click.echo(f"error: internal error: {type(e).__name__}: {e}", err=True)
        click.echo(
            "  = note: this is a bug in stratlang; run again with STRATLANG_DEBUG=1 for details and report it",
            err=True,
        )
        sys.exit(2)
