"""The `stratlang` command line (click). Thin: parse options, call the API, print.

Each command lives in its own module of this package and registers itself on `main`. A module is
imported only when its command runs (`COMMANDS`), so `stratlang --version` imports neither the
checker nor the parser, and `stratlang check` none of the backends.
"""

from __future__ import annotations

import gc
import os
import sys
from importlib import import_module

import click

from .. import __version__
from .color import color_option

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


class _LazyGroup(click.Group):
    """A group that imports a command's module when the command is looked up (click's "lazily
    loading subcommands"). Listing the commands (`--help`, a misspelt name) imports them all.

    Decision: a command's module is found by its name (`sample-data` in `sample_data.py`, `eval`
    in `eval_cmd.py` where the name is a Python keyword or builtin), so there is no second list
    to keep in step with `_register`; a command whose module is named otherwise still works,
    found by importing them all."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        _register()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            for module in command_modules(cmd_name):
                try:
                    import_module(module)
                except ModuleNotFoundError as e:
                    if e.name != module:
                        raise  # the module exists; something it imports does not
                if cmd_name in self.commands:
                    break
            if cmd_name not in self.commands:
                _register()
        return super().get_command(ctx, cmd_name)


def command_modules(cmd_name: str) -> list[str]:
    """The modules that may define command `cmd_name`."""
    if not cmd_name.replace("-", "").isalnum():
        return []
    stem = f"{__name__}.{cmd_name.replace('-', '_')}"
    return [stem, f"{stem}_cmd"]


@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "-V", "--version", prog_name="stratlang")
@color_option
def main() -> None:
    """stratlang: strategy maps and customer-operations playbooks as checked, compiled text."""
    if _process["owned"] and click.get_current_context().invoked_subcommand not in _SERVERS:
        # One command, one short process: the cyclic collector would only walk a large project's
        # millions of (acyclic) nodes again and again; what little cyclic garbage a command
        # leaves is freed when the process ends. Not for Python code calling `main` itself.
        gc.disable()


# Commands that run until stopped: they keep the cyclic collector.
_SERVERS = ("lsp", "watch")
_process = {"owned": False}  # whether `run` owns this process (it is the `stratlang` command)


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


def run(*, quick_exit: bool | None = None) -> None:
    """Entry point: never a traceback for the user (set STRATLANG_DEBUG=1 to see one).

    `quick_exit` (default: when this process is the `stratlang` command itself, not Python code
    calling `run()`): the command owns the process. It runs without the cyclic garbage collector
    (`main`), and leaves with `os._exit` once the output is flushed and the atexit handlers have
    run, instead of letting the interpreter free every node of a large project one by one (1.7 s
    of a 6.4 s `check` on 57.5k lines)."""
    if quick_exit is None:
        quick_exit = _is_the_command()
    _process["owned"] = quick_exit
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    try:
        try:
            main(standalone_mode=True)
        except (KeyboardInterrupt, BrokenPipeError):
            sys.exit(130)
        except SystemExit:
            raise
        except Exception as e:  # pragma: no cover - last resort
            if os.environ.get("STRATLANG_DEBUG"):
                raise
            _report_internal_error(e)
    except SystemExit as e:
        if quick_exit:
            _exit_now(e.code)
        raise


def _report_internal_error(e: Exception) -> None:
    extra = EXTRAS.get((getattr(e, "name", None) or "").split(".")[0])
    if isinstance(e, ModuleNotFoundError) and extra:
        # an optional dependency the core install leaves out (pyproject.toml's extras)
        click.echo(f"error: this needs {e.name}, which is not installed", err=True)
        click.echo(f"  = help: pip install 'stratlang[{extra}]' (or 'stratlang[all]')", err=True)
        sys.exit(2)
    click.echo(f"error: internal error: {type(e).__name__}: {e}", err=True)
    click.echo(
        "  = note: this is a bug in stratlang; run again with STRATLANG_DEBUG=1 for details and report it",
        err=True,
    )
    sys.exit(2)


def _is_the_command() -> bool:
    """Whether this process is `stratlang ...` (the console script, or `python -m stratlang`)."""
    main_module = sys.modules.get("__main__")
    if getattr(main_module, "__spec__", None) is not None:
        return main_module.__spec__.name == "stratlang.__main__"  # type: ignore[union-attr]
    return os.path.basename(getattr(main_module, "__file__", "") or "") in (
        "stratlang",
        "stratlang.exe",
    )


def _exit_now(code: object) -> None:
    """Exit with `code` (as `sys.exit` would) without tearing the heap down. Only when nothing else
    is running: a command that left a thread behind exits the normal way."""
    import atexit
    import threading

    if threading.active_count() > 1:
        return
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError, OSError):
        return  # let the normal exit deal with a closed stream
    atexit._run_exitfuncs()  # what the normal exit would run (temporary folders, log handlers)
    os._exit(status)
