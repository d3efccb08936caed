"""`stratlang fmt PATH... [--check] [--diff]`: canonical formatting, one file at a time.

Exit codes: 0 formatted (or already canonical), 1 with `--check`/`--diff` when a file would
change, 2 when a file cannot be read or does not parse (it is then left untouched).
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from ..output import atomic_write
from ..paths import is_file, is_folder, os_reason, short_path, unresolved_path
from ..source import NotRegularFile
from . import main
from .common import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, color_option, print_diagnostics


def _files(paths: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for p in paths:
        if p == "-":
            if "-" in out:
                raise click.UsageError("`-` (stdin) can be given only once")
            out.append(p)
        elif is_folder(p):
            out.extend(str(f) for f in sorted(Path(p).rglob("*.strat")) if is_file(f))
        else:
            out.append(p)
    return out


def _diff(before: str, after: str, name: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(True),
            after.splitlines(True),
            f"{name} (original)",
            f"{name} (formatted)",
        )
    )


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 when a file would be reformatted."
)
@click.option(
    "--diff", "show_diff", is_flag=True, help="Write nothing; print a unified diff of the changes."
)
@color_option
def fmt(paths: tuple[str, ...], check: bool, show_diff: bool) -> None:
    """Format .strat files in the canonical style, keeping every comment.

    PATH may be a file, a folder (every .strat file under it) or `-` (stdin to stdout).
    Exit codes: 0 nothing to change or formatted, 1 would reformat (--check/--diff),
    2 unreadable file or syntax error (the file is never changed then).
    """
    from ..fmt import FormatError, format_text
    from ..source import SourceFile, read_file

    status = EXIT_OK
    files = _files(paths)
    if not files:
        click.echo("error: no .strat files found", err=True)
        sys.exit(EXIT_USAGE)
    changed = 0
    for name in files:
        try:
            data = sys.stdin.buffer.read() if name == "-" else read_file(name)
            text = SourceFile.decode(data)
        except NotRegularFile as e:
            click.echo(
                f"error: {short_path(name)} is not a regular file (it is {e.kind}): give a .strat file",
                err=True,
            )
            status = EXIT_USAGE
            continue
        except (OSError, UnicodeDecodeError) as e:
            msg = os_reason(e) if isinstance(e, OSError) else str(e)
            click.echo(f"error: cannot read {short_path(name)}: {msg}", err=True)
            status = EXIT_USAGE
            continue
        display = "<stdin>" if name == "-" else name
        try:
            out = format_text(text, display)
        except FormatError as e:
            if e.diagnostics:
                print_diagnostics(e.diagnostics, e.sources, "text")
            click.echo(f"error: {e}", err=True)
            status = EXIT_USAGE
            continue
        same = out.encode("utf-8") == data
        if show_diff and not same:
            sys.stdout.write(_diff(text, out, display))
        if check or show_diff:
            if not same:
                changed += 1
                if check:
                    click.echo(f"would reformat {display}", err=True)
                if status == EXIT_OK:
                    status = EXIT_ERRORS
            continue
        if name == "-":
            sys.stdout.write(out)
        elif not same:
            try:
                # through a symlink: the file it names
                atomic_write(unresolved_path(Path(name)), out)
            except OSError as e:
                click.echo(f"error: cannot write {name}: {e.strerror or e}", err=True)
                status = EXIT_USAGE
                continue
            changed += 1
            click.echo(f"reformatted {display}", err=True)
    if check or show_diff:
        n = len(files)
        if files != ["-"]:
            click.echo(
                f"{changed} of {n} file{'s' if n != 1 else ''} would be reformatted", err=True
            )
    sys.exit(status)
