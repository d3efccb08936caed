"""Options several commands share (`--format`, and about the day and the data they read:
`--as-of`, `--history`, `--previous`): one definition each, so their spelling, type and parsing
agree everywhere. Each command still says in its own words what the option means for it."""

from __future__ import annotations

from pathlib import Path

import click


def format_option(choices, help: str | None = None, default: str | None = "text"):
    """`--format CHOICE` into the parameter `fmt` (`format` is a builtin)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=default is not None,
        help=help,
    )


def as_of_option(help: str):
    """`--as-of YYYY-MM-DD` as a `datetime` (None when not given; commands default to today)."""
    return click.option(
        "--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help=help
    )


def history_option(
    help: str = "A history table's file (repeatable). Default: NAME.csv, NAME.csv.gz or "
    "NAME.parquet beside the --data file.",
):
    """`--history NAME=FILE`, repeatable; read it with `history_files`."""
    return click.option("--history", "history", multiple=True, metavar="NAME=FILE", help=help)


def previous_option(
    help: str = "The customer table of the previous run (same schema): tier and lifecycle "
    "transitions go into summary.json and transitions.csv, and transition triggers fire.",
):
    """`--previous FILE`: the previous run's customer table, for transitions."""
    return click.option(
        "--previous", "previous", type=click.Path(path_type=Path), default=None, help=help
    )


def history_files(given: tuple[str, ...]) -> dict[str, Path]:
    """`--history NAME=FILE` options as a mapping (a usage error when one has no `=`)."""
    out: dict[str, Path] = {}
    for item in given:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise click.UsageError(f"--history takes NAME=FILE, not `{item}`")
        out[name.strip()] = Path(path)
    return out
