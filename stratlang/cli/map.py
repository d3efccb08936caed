"""`stratlang map ENTRY [--view strategy|playbook] [-o/--out FILE.svg|.png|.pdf|.dot|.mmd]`: one map.

Without `-o` the DOT text goes to stdout (no Graphviz needed). With `-o` the format follows the
file's suffix; SVG, PNG and PDF are laid out by Graphviz `dot`, `.mmd` is a Mermaid flowchart
(backends/mermaid.py, no Graphviz needed). `--theme light|print|dark` picks the colours
(backends/map_themes.py). With `--actuals` the strategy map is the review map (objectives coloured
by status, docs/review.md). Nothing is written when the check fails (exit 1) or Graphviz is
missing or fails (exit 2); files are written atomically.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from ..builder import project_inputs
from ..check import CheckResult
from . import main
from .common import color_option, fail_usage, load_checked, root_option, usage_errors, write_outputs
from .options import as_of_option

SUFFIXES = {
    ".dot": "dot",
    ".gv": "dot",
    ".svg": "svg",
    ".png": "png",
    ".pdf": "pdf",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
}
THEMES = ("light", "print", "dark")  # backends/map_themes.THEME_NAMES (not imported: start-up)


@main.command("map")
@click.argument("entry", type=click.Path(path_type=Path))
@click.option(
    "--view",
    type=click.Choice(["strategy", "playbook", "lifecycle"]),
    default="strategy",
    show_default=True,
    help="strategy: the Kaplan–Norton map; playbook: the 策略图谱, one row per play; "
    "lifecycle: the stages as columns with their segments and plays.",
)
@click.option(
    "-o",
    "--out",
    "output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Output file: .svg, .png, .pdf, .dot or .mmd (Mermaid) (default: DOT on stdout).",
)
@click.option(
    "--output",
    "output_alias",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    hidden=True,
    help="The old spelling of --out.",
)
@click.option(
    "--targets", is_flag=True, help="Show each objective's targets in its box (strategy view)."
)
@click.option("--font", default=None, help="Font for all text (default: Noto Sans CJK SC).")
@click.option(
    "--theme",
    type=click.Choice(THEMES),
    default="light",
    show_default=True,
    help="Colours: light (the usual), print (black and grey, no fills, thicker lines), "
    "dark (light text on a dark page). Strategy and playbook views.",
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default=None,
    help="Language of the map's own words (default: from strategy.locale).",
)
@click.option(
    "--actuals",
    type=click.Path(path_type=Path),
    default=None,
    help="Actuals: draw the review map, each objective coloured by its status (strategy view).",
)
@as_of_option("The day of the review (with --actuals; default: today).")
@root_option()
@color_option
def map_command(
    entry: Path,
    view: str,
    output: Path | None,
    output_alias: Path | None,
    targets: bool,
    font: str | None,
    theme: str,
    lang: str | None,
    actuals: Path | None,
    as_of: dt.datetime | None,
    root: Path | None,
) -> None:
    """Draw the strategy map or the playbook map of ENTRY."""
    from ..backends.base import Options
    from ..backends.dot import DEFAULT_FONT, GraphvizError, MissingGraphviz, render_dot, run_dot

    if output is not None and output_alias is not None:
        fail_usage("give the output file once", "--output is the old spelling of -o/--out")
    output = output if output is not None else output_alias
    fmt = "dot"
    if output is not None and str(output) != "-":
        if output.suffix.lower() not in SUFFIXES:
            fail_usage(
                f"cannot tell the map format from `{output.name}`",
                "name the output file .svg, .png, .pdf, .dot or .mmd",
            )
        fmt = SUFFIXES[output.suffix.lower()]
    if fmt == "mermaid" and (view == "lifecycle" or actuals is not None):
        fail_usage(
            "the Mermaid export draws the strategy and playbook maps",
            "leave out --view lifecycle and --actuals, or write .svg",
        )
    if theme != "light" and (view == "lifecycle" or actuals is not None):
        fail_usage(
            f"--theme {theme} draws the strategy and playbook maps",
            "the lifecycle and review maps have their own colours: leave out --theme",
        )
    if font is not None and not font.strip():
        fail_usage(
            "--font needs a font name", 'for example --font "Noto Sans CJK SC" (see `fc-list`)'
        )
    if actuals is not None and view != "strategy":
        fail_usage("--actuals draws the strategy map", "leave out --view playbook")
    res = load_checked(entry, root)
    opts = Options(
        lang=lang, view=view, show_targets=targets, font=font or DEFAULT_FONT, theme=theme
    )
    if fmt == "mermaid":
        from ..backends.mermaid import render_mermaid

        assert output is not None
        write_outputs([(output, render_mermaid(res.model, view, opts))], project_inputs(res))
        click.echo(f"wrote {output}", err=True)
        return
    if actuals is not None:
        dot_text = _review_map(res, actuals, as_of.date() if as_of else dt.date.today(), lang)
    else:
        dot_text = render_dot(res.model, view, opts)
    if fmt == "dot":
        if output is None or str(output) == "-":
            sys.stdout.write(dot_text)
            return
        write_outputs([(output, dot_text)], project_inputs(res))
    else:
        try:
            data = run_dot(dot_text, fmt)
        except MissingGraphviz as e:
            fail_usage(str(e), e.help)
        except GraphvizError as e:
            fail_usage(
                str(e), "write the map as .dot (-o map.dot) to look at the input Graphviz got"
            )
        write_outputs([(output, data)], project_inputs(res) + ([actuals] if actuals else []))
    click.echo(f"wrote {output}", err=True)


def _review_map(res: CheckResult, actuals: Path, as_of: dt.date, lang: str | None) -> str:
    """The DOT text of the review map: the actuals scored as of `as_of` (bad actuals: exit 2)."""
    from ..backends.review_map import review_map_dot
    from ..builder import require_data_file
    from ..review import review
    from ..words import lang_of

    with usage_errors():
        require_data_file(actuals)
        result = review(res.model, actuals, as_of=as_of)
    return review_map_dot(res.model, result, lang_of(res.model, lang))
