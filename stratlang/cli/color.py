"""`--color auto|always|never`: how text diagnostics are drawn. Its own small module so that the
command group (`stratlang --version`, `--help`) can take the option without importing the checker."""

from __future__ import annotations

import click

COLOR_MODES = ("auto", "always", "never")
# `--color` (before the command or after it). `auto` is colour on a terminal unless NO_COLOR is set
# or TERM=dumb (render.text.use_color).
_color_mode = {"mode": "auto"}


def _set_color(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        _color_mode["mode"] = value


def color_option(f):
    """`--color auto|always|never`, on the group and on every command that prints diagnostics."""
    return click.option(
        "--color",
        type=click.Choice(COLOR_MODES),
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_set_color,
        help="Colour in diagnostics: auto (a terminal, unless NO_COLOR is set), always or never.",
    )(f)


def want_color(stream) -> bool:
    mode = _color_mode["mode"]
    if mode != "auto":
        return mode == "always"
    from ..render.text import use_color

    return use_color(stream)
