"""`stratlang watch ENTRY [-o out/]`: rebuild on every save.

Runs the same code as `stratlang build` once at start and again whenever a `.strat` file under
the project root changes (watchfiles), through the library (`stratlang.builder.build`). A failed check prints its diagnostics and keeps watching;
an error in a backend is printed and the watch goes on; the output folder keeps the last good
build (build writes only after everything rendered). Ctrl-C stops it with exit code 0.
"""

from __future__ import annotations

import datetime as dt
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import NoReturn

import click

from .. import diagnostics as dg
from . import main
from .common import (
    color_option,
    entry_file,
    fail_level_option,
    fail_usage,
    print_diagnostics,
    print_error,
    root_option,
)


def _stamp() -> str:
    return dt.datetime.now().strftime("%H:%M:%S")


def _say(msg: str) -> None:
    click.echo(f"[{_stamp()}] {msg}", err=True)


def rebuild(
    entry: Path,
    out_dir: Path,
    *,
    lang: str | None = None,
    root: Path | None = None,
    strict: bool = False,
    fail_level: str = "error",
) -> bool:
    """One build in this process (the library, as `stratlang build` runs it); True when it wrote
    the outputs. Diagnostics and errors are printed; nothing here ends the watch."""
    from ..builder import build
    from ..check import LoadError, check_entry
    from ..errors import StratlangError
    from ..render.common import fail_level_of

    fail_level = fail_level_of(strict, fail_level)
    try:
        res = check_entry(entry, root)
        if res.diagnostics:
            print_diagnostics(res.diagnostics, res.sources, "text", res.root)
        if dg.fails(res.diagnostics, fail_level):
            _say("check failed; still watching")
            return False
        build(res, out_dir, lang=lang, fail_level=fail_level, on_wait=_say)
    except (LoadError, StratlangError) as e:
        print_error(e)
        _say("build failed; still watching")
        return False
    except Exception as e:  # a backend bug must not end the watch
        _say(f"error: internal error while building: {type(e).__name__}: {e}; still watching")
        return False
    _say("built")
    return True


@main.command()
@click.argument("entry", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("out"),
    show_default=True,
    help="Output folder.",
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="Playbook language.")
@root_option()
@click.option("--strict", is_flag=True, help="Treat warnings as failures (no outputs written).")
@fail_level_option("fails a build (its outputs are not written)")
@click.option(
    "--poll", is_flag=True, help="Poll the file system (for network drives and some containers)."
)
@color_option
def watch(
    entry: Path,
    out_dir: Path,
    lang: str | None,
    root: Path | None,
    strict: bool,
    fail_level: str,
    poll: bool,
) -> None:
    """Build ENTRY, then rebuild whenever a .strat file of the project is saved (Ctrl-C stops)."""
    import watchfiles

    entry = entry_file(entry)
    if not entry.is_file():
        fail_usage(f"file not found: {entry}" if not entry.exists() else f"{entry} is not a file")
    watch_root = (root or entry.parent).resolve()
    out_abs = out_dir.resolve()

    def again() -> bool:
        return rebuild(entry, out_dir, lang=lang, root=root, strict=strict, fail_level=fail_level)

    def wanted(change: object, path: str) -> bool:  # change: a watchfiles.Change
        p = Path(path)
        if p.suffix != ".strat":
            return False
        try:
            p.resolve().relative_to(out_abs)
            return False
        except ValueError:
            return True

    def _term(signum: int, frame: FrameType | None) -> NoReturn:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _term)  # a terminated watch stops as cleanly as Ctrl-C
    again()
    _say(f"watching {watch_root} for changes to .strat files (Ctrl-C to stop)")
    try:
        for changes in watchfiles.watch(
            watch_root,
            watch_filter=wanted,
            debounce=400,
            step=50,
            force_polling=True if poll else None,
            raise_interrupt=True,
        ):
            names = sorted({Path(p).name for _, p in changes})
            _say("changed: " + ", ".join(names))
            again()
    except KeyboardInterrupt:
        pass
    _say("stopped")
    sys.exit(0)
